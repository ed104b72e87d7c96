"""Turning a closed round into a plan: fulfilment, allocation to points, pickup slots, notices.

Two steps, each run as a background job (see `deliveries.tasks`):

1. `allocation_run` (`allocating`) decides each order's fulfilment from its building's
   closure level, its household and the compound's policy, allocates every building's packs
   to the compound's collection points (`deliveries.allocation`, optimal), gives each order a
   point, and creates the door and unit-entrance Delivery rows (`door_deliveries`).
2. `schedule_run` (`scheduling`) calls each point's pickup households down in slots
   (`deliveries.slots`) and tells every household how its packs reach it (`plan_notices`).

This module holds what both steps share: how an order is fulfilled, asking for a plan (the
job, enqueued after commit), the round locks and the chunking.

Both are deterministic and write by upsert, chunk by chunk, each chunk in its own transaction:
a run that dies half-way leaves part of the plan, and running again converges to the same plan
with no duplicates. Once packs are handed over, a round is no longer re-planned as a whole
(closure changes still re-plan single buildings: `deliveries.services.replan`)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Sequence

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.jobs import job_create, job_enqueue, jobs_abandon, subject_of
from core.models import Job
from deliveries import wordings as words
from deliveries.models import (
    CollectionPoint,
    CompoundPolicy,
    ControlledPolicy,
    DeliveryStatus,
    Fulfilment,
    FulfilmentReason,
    OrderPlan,
    RoundPlan,
)
from residents.models import ClosureLevel
from supplies.models import RoundStatus, SupplyRound

ALLOCATE = "allocate_round"
SCHEDULE = "schedule_pickups"


def fulfilment_for(level: str, *, vulnerable: bool, controlled: str) -> tuple[str, str]:
    """How an order reaches a household: (Fulfilment, FulfilmentReason).

    Sealed buildings and vulnerable households get door delivery whatever else holds;
    controlled buildings get what the compound's policy says; precaution ones pick up."""
    if level == ClosureLevel.SEALED:
        return Fulfilment.DOOR, FulfilmentReason.SEALED
    if vulnerable:
        return Fulfilment.DOOR, FulfilmentReason.VULNERABLE
    if level == ClosureLevel.CONTROLLED:
        if controlled == ControlledPolicy.UNIT_ENTRANCE:
            return Fulfilment.UNIT_ENTRANCE, FulfilmentReason.CONTROLLED
        return Fulfilment.PICKUP, FulfilmentReason.CONTROLLED
    return Fulfilment.PICKUP, FulfilmentReason.PRECAUTION


def controlled_policies(compound_ids: Iterable[int]) -> dict[int, str]:
    """Each compound's policy for controlled buildings (staggered pickup when none is set)."""
    policies = dict.fromkeys(compound_ids, ControlledPolicy.PICKUP)
    for compound_id, policy in CompoundPolicy.objects.filter(
        compound__in=list(policies)
    ).values_list("compound_id", "controlled_fulfilment"):
        policies[compound_id] = policy
    return policies


# --- requests: create the job, enqueue it after commit --------------------------------------


def require_plannable(supply_round: SupplyRound) -> None:
    if supply_round.status != RoundStatus.CLOSED:
        raise ApplicationError(
            _("Only a closed round can be planned; this one is %(status)s.")
            % {"status": supply_round.get_status_display()},
            extra={"code": "round_not_closed"},
        )
    if OrderPlan.objects.filter(
        Q(handed_over_at__isnull=False) | Q(delivery__status=DeliveryStatus.DELIVERED),
        round=supply_round,
    ).exists():
        raise ApplicationError(
            _(
                "Packs of this round have already been handed over, so the plan can no longer "
                "be remade; closure changes still re-plan single buildings."
            ),
            extra={"code": "handover_started"},
        )


@transaction.atomic
def plan_request(
    *, supply_round: SupplyRound, kind: str, by=None, pickup_date: datetime.date | None = None
) -> Job:
    """Ask a worker to allocate (then schedule) or to schedule a round; returns the job."""
    from deliveries import tasks  # the tasks call back into this module

    require_plannable(supply_round)
    if (
        kind == SCHEDULE
        and not RoundPlan.objects.filter(round=supply_round, allocated_at__isnull=False).exists()
    ):
        raise ApplicationError(
            _("Allocate the round to collection points before scheduling pickups."),
            extra={"code": "not_allocated"},
        )
    if pickup_date is not None:
        RoundPlan.objects.update_or_create(
            round=supply_round, defaults={"pickup_date": pickup_date}
        )
    task = tasks.allocate_round if kind == ALLOCATE else tasks.schedule_pickups
    job = job_create(kind=kind, subject=subject_of(supply_round), by=by, message=words.WAITING())
    jobs_abandon(kind=kind, subject=job.subject, keep=job.pk, note=words.SUPERSEDED())
    return job_enqueue(job, task, supply_round.pk)


def round_closed_receiver(*, supply_round: SupplyRound, by=None) -> None:
    """A round that closes is planned at once when its compounds have collection points."""
    if CollectionPoint.objects.filter(
        compound__in=supply_round.compounds.all(), active=True
    ).exists():
        with transaction.atomic():
            plan_request(supply_round=supply_round, kind=ALLOCATE, by=by)


def default_pickup_date(supply_round: SupplyRound) -> datetime.date:
    """Trucks come the day after a round closes."""
    return timezone.localdate(supply_round.closes_at) + datetime.timedelta(days=1)


def round_lock(supply_round: SupplyRound) -> None:
    """Serialise writers of one round's plan (PostgreSQL; SQLite writes one at a time anyway)."""
    SupplyRound.objects.select_for_update().filter(pk=supply_round.pk).exists()


def rounds_lock(round_ids: Iterable[int]) -> None:
    """`round_lock` for several rounds at once, in primary-key order so that writers cannot
    deadlock: the allocation, the schedule and the re-plans of one round wait for each other."""
    list(
        SupplyRound.objects.select_for_update()
        .filter(pk__in=list(round_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def in_chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
