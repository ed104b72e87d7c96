"""Giving a round's open deliveries to the supply volunteers on shift now, compound by
compound (`deliveries.assignment` decides; this loads and saves). Run as a background job."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.jobs import Progress, job_create, job_enqueue, jobs_abandon, subject_of
from core.models import Job
from deliveries.assignment import Carrier, Stop, assign, floor_of
from deliveries.models import Delivery, DeliveryEvent, DeliveryKind, DeliveryStatus
from residents.models import Compound
from supplies.models import SupplyRound
from volunteers.models import Workgroup
from volunteers.selectors import volunteers_on_shift_by_compound

ASSIGN = "assign_deliveries"


@transaction.atomic
def assign_request(*, supply_round: SupplyRound, by: User | None = None) -> Job:
    """Ask a worker to assign the round's open deliveries; returns the job."""
    from deliveries import tasks  # the tasks call back into this module

    job = job_create(
        kind=ASSIGN, subject=subject_of(supply_round), by=by, message=_("Waiting for a worker.")
    )
    jobs_abandon(
        kind=ASSIGN, subject=job.subject, keep=job.pk, note=_("Superseded by a newer run.")
    )
    return job_enqueue(job, tasks.assign_deliveries, supply_round.pk)


@transaction.atomic
def deliveries_assign(
    *, supply_round: SupplyRound, by: User | None, at: datetime.datetime | None = None
) -> dict:
    """Give each compound's open, unassigned deliveries of the round to the volunteers on a
    supply shift there now, keeping buildings (then units) together and loads even.

    Returns {"assigned", "unassigned", "compounds": [{"compound", "volunteers", "assigned",
    "unassigned", "split_buildings"}]}; deliveries of a compound with nobody on shift are
    counted as unassigned, never silently dropped. Safe to run twice: assigned ones stay."""
    at = at or timezone.now()
    open_deliveries = list(
        Delivery.objects.select_for_update(of=("self",))
        .filter(
            order_plan__round=supply_round,
            status=DeliveryStatus.PLANNED,
            volunteer__isnull=True,
        )
        .select_related("household__building")
        .order_by("pk")
    )
    return _assign_open(open_deliveries, at=at, by=by)


@transaction.atomic
def deliveries_assign_meals(
    *,
    day: datetime.date,
    compounds: QuerySet[Compound] | None = None,
    by: User | None,
    at: datetime.datetime | None = None,
) -> dict:
    """Give the day's open, unassigned meal deliveries of `compounds` (a staff member's:
    `compounds_staffed_by`; every compound when None) to the volunteers on a supply shift
    now, like a round's; returns the same summary."""
    at = at or timezone.now()
    meals = Delivery.objects.select_for_update(of=("self",)).filter(
        kind=DeliveryKind.MEAL,
        key__startswith="meal:",
        key__endswith=f":{day.isoformat()}",
        status=DeliveryStatus.PLANNED,
        volunteer__isnull=True,
    )
    if compounds is not None:
        meals = meals.filter(household__building__compound__in=compounds.values("pk"))
    open_deliveries = list(meals.select_related("household__building").order_by("pk"))
    return _assign_open(open_deliveries, at=at, by=by)


def _assign_open(
    open_deliveries: list[Delivery], *, at: datetime.datetime, by: User | None
) -> dict:
    by_compound: dict[int, list[Delivery]] = {}
    for delivery in open_deliveries:
        by_compound.setdefault(delivery.household.building.compound_id, []).append(delivery)
    compounds = Compound.objects.in_bulk(list(by_compound))
    on_shift = volunteers_on_shift_by_compound(
        compound_ids=list(by_compound),
        workgroup=Workgroup.SUPPLY,
        start=at,
        end=at + datetime.timedelta(seconds=1),
    )
    summary = {"assigned": 0, "unassigned": 0, "compounds": []}
    changed, events = [], []
    for compound_id in sorted(by_compound):
        compound, deliveries = compounds[compound_id], by_compound[compound_id]
        volunteers = on_shift.get(compound_id, [])
        stops = [
            Stop(
                id=d.pk,
                building=d.household.building.label,
                unit=d.household.unit,
                floor=floor_of(d.household.room),
            )
            for d in deliveries
        ]
        result = assign(stops, [Carrier(v.pk) for v in volunteers])
        chosen = result.volunteer_of()
        named = {v.pk: v for v in volunteers}
        for delivery in deliveries:
            volunteer = named.get(chosen.get(delivery.pk))
            if volunteer is None:
                continue
            delivery.volunteer, delivery.assigned_at, delivery.assigned_by = volunteer, at, by
            delivery.updated_at, delivery.updated_by = at, by
            changed.append(delivery)
            events.append(
                DeliveryEvent(
                    delivery=delivery,
                    from_status=delivery.status,
                    to_status=delivery.status,
                    actor=by,
                    at=at,
                    note=(_("Assigned to %(name)s.") % {"name": volunteer.name})[:300],
                )
            )
        assigned = len(chosen)
        summary["assigned"] += assigned
        summary["unassigned"] += len(deliveries) - assigned
        summary["compounds"].append(
            {
                "compound": compound.name,
                "volunteers": len(volunteers),
                "assigned": assigned,
                "unassigned": len(deliveries) - assigned,
                "split_buildings": sorted({s.building for s in result.splits}),
            }
        )
    Delivery.objects.bulk_update(
        changed, ["volunteer", "assigned_at", "assigned_by", "updated_at", "updated_by"]
    )
    DeliveryEvent.objects.bulk_create(events)
    return summary


def assignment_run(round_id: int, progress: Progress, *, by=None) -> tuple[dict, str]:
    """The job's work: assign, and say what was left without a volunteer."""
    progress(10, _("Finding the volunteers on shift."))
    summary = deliveries_assign(supply_round=SupplyRound.objects.get(pk=round_id), by=by)
    if summary["unassigned"]:
        nobody = [c["compound"] for c in summary["compounds"] if c["unassigned"]]
        message = _(
            "%(assigned)s deliveries assigned; %(unassigned)s left without a volunteer "
            "(nobody on a supply shift now in: %(compounds)s)."
        ) % {
            "assigned": summary["assigned"],
            "unassigned": summary["unassigned"],
            "compounds": ", ".join(nobody),
        }
    else:
        message = _("%(assigned)s deliveries assigned.") % {"assigned": summary["assigned"]}
    return summary, message
