"""A household that missed its pickup slot: staff move it to a later slot with room or turn
its pickup into a door delivery, and at the end of the pickup day every household whose packs
nobody collected is told what happens next, once. Late handover at the gate is
`deliveries.services.pickups.pickup_hand_over_late`.

Each step is recorded as a PickupEvent with who and when; moves and door deliveries lock the
round's plan (`rounds_lock`) like the schedule and the re-plans do, so that two staff cannot
both fill a slot's last place."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.notifications import NoticeSpec, notify
from deliveries.models import (
    Fulfilment,
    FulfilmentReason,
    OrderPlan,
    PickupEvent,
    PickupEventKind,
    PickupSlot,
    RoundPlan,
)
from deliveries.selectors import uncollected_filter
from deliveries.services.door_deliveries import deliveries_sync
from deliveries.services.plan_notices import households_notify
from deliveries.services.planning import rounds_lock
from residents.selectors import compounds_staffed_by
from supplies.models import OrderStatus, RoundStatus, SupplyRound


def _refuse(message: str, code: str) -> ApplicationError:
    return ApplicationError(message, extra={"code": code})


def _locked_open_pickup(plan: OrderPlan, by: User) -> OrderPlan:
    """The plan under a lock, if `by` is staff of its compound and it is still a pickup that
    nobody collected."""
    if not compounds_staffed_by(by).filter(pk=plan.building.compound_id).exists():
        raise _refuse(_("Only the committee's staff may do this."), "staff_only")
    rounds_lock([plan.round_id])
    plan = (
        OrderPlan.objects.select_for_update(of=("self",))
        .select_related("order", "point", "slot", "round", "household")
        .get(pk=plan.pk)
    )
    if plan.order.status == OrderStatus.CANCELLED:
        raise _refuse(_("This order was cancelled; there is nothing to hand over."), "cancelled")
    if plan.handed_over_at is not None:
        raise _refuse(_("These packs were already collected."), "already_collected")
    if plan.fulfilment != Fulfilment.PICKUP:
        raise _refuse(
            _("This order is carried to the household by a volunteer; it is not collected here."),
            "not_pickup",
        )
    return plan


@transaction.atomic
def pickup_move(*, plan: OrderPlan, slot: PickupSlot, by: User, note: str = "") -> OrderPlan:
    """Move a household that missed its slot (or has none) to a later slot of its point that
    has room, and tell it the new time."""
    plan = _locked_open_pickup(plan, by)
    now = timezone.now()
    slot = PickupSlot.objects.select_related("point").get(pk=slot.pk)
    if slot.round_id != plan.round_id or slot.point_id != plan.point_id:
        raise _refuse(_("Choose a slot of the household's own collection point."), "wrong_point")
    if slot.end <= now or (plan.slot is not None and slot.start <= plan.slot.start):
        raise _refuse(_("Choose a later slot that is not over yet."), "slot_over")
    if slot.order_plans.count() >= slot.point.crowd_cap:
        raise _refuse(
            _("This slot is full (%(cap)s households); choose another.")
            % {"cap": slot.point.crowd_cap},
            "slot_full",
        )
    before = plan.slot
    plan.slot, plan.unplaced, plan.uncollected_told_at = slot, "", None
    plan.save(update_fields=["slot", "unplaced", "uncollected_told_at", "updated_at"])
    PickupEvent.objects.create(
        plan=plan,
        kind=PickupEventKind.MOVED,
        from_slot=before,
        to_slot=slot,
        actor=by,
        at=now,
        note=note[:300],
    )
    households_notify(plan.round, plans=Q(pk=plan.pk))
    return plan


@transaction.atomic
def pickup_to_door(*, plan: OrderPlan, by: User, note: str = "") -> OrderPlan:
    """Turn a missed pickup into a door delivery from its point (a volunteer carries it, see
    `deliveries.services.assignment`), and tell the household."""
    plan = _locked_open_pickup(plan, by)
    if plan.point_id is None:
        raise _refuse(
            _("No collection point holds these packs yet; there is nothing to carry."),
            "no_point",
        )
    before = plan.slot
    plan.fulfilment, plan.reason, plan.slot = Fulfilment.DOOR, FulfilmentReason.MISSED_PICKUP, None
    plan.save(update_fields=["fulfilment", "reason", "slot", "updated_at"])
    deliveries_sync(
        [(plan.order_id, plan.household_id, plan.fulfilment, plan.point_id)],
        by=by,
        note=note[:300] or _("The household missed its pickup."),
    )
    PickupEvent.objects.create(
        plan=plan,
        kind=PickupEventKind.TO_DOOR,
        from_slot=before,
        actor=by,
        note=note[:300],
    )
    households_notify(plan.round, plans=Q(pk=plan.pk))
    return plan


def uncollected_notice(plan: OrderPlan) -> NoticeSpec:
    """What a household whose packs nobody collected is told: they are kept, and the committee
        will give a later slot or bring them to the door. Keyed on the plan and its slot: told once
    for each slot missed."""
    where = plan.point.name if plan.point else ""
    body = _(
        "Your packs were not collected at %(point)s on %(day)s. They are kept for you: the "
        "committee will give you a later slot or have a volunteer bring them to your door, and "
        "will tell you which. Call the committee if you need them sooner."
    ) % {
        "point": where,
        "day": formats.date_format(
            timezone.localtime(plan.slot.start).date()
            if plan.slot
            else plan.round.plan.pickup_date,
            "SHORT_DATE_FORMAT",
        ),
    }
    household = plan.household
    return NoticeSpec(
        title=_("%(round)s: your packs were not collected") % {"round": plan.round.title},
        body=body,
        key=f"uncollected:{plan.pk}:{plan.slot_id or 'none'}",
        recipient_id=household.account_id,
        phone=household.contact_phone,
        link=reverse("order-detail", args=[plan.order_id]),
    )


@transaction.atomic
def uncollected_notify(
    *, supply_round: SupplyRound, by: User | None = None, now: datetime.datetime | None = None
) -> int:
    """Tell every household of the round whose pickup nobody collected what happens next,
    each once (a plan already told is skipped; the notice's key is the plan's). Returns how
    many were told now."""
    now = now or timezone.now()
    plans = list(
        OrderPlan.objects.filter(
            uncollected_filter(now), round=supply_round, uncollected_told_at__isnull=True
        )
        .select_for_update(of=("self",))
        .select_related("household", "point", "slot", "round__plan")
        .order_by("pk")
    )
    if not plans:
        return 0
    notify(uncollected_notice(plan) for plan in plans)
    OrderPlan.objects.filter(pk__in=[plan.pk for plan in plans]).update(uncollected_told_at=now)
    PickupEvent.objects.bulk_create(
        PickupEvent(
            plan=plan,
            kind=PickupEventKind.TOLD_UNCOLLECTED,
            from_slot=plan.slot,
            actor=by,
            at=now,
        )
        for plan in plans
    )
    return len(plans)


def uncollected_notify_due(*, now: datetime.datetime | None = None) -> int:
    """The evening run: tell the uncollected households of every closed round whose pickup
    day was today or in the two days before (a day the worker was down is caught up, older
    rounds are left to staff); safe to run twice."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    told = 0
    for round_id in (
        RoundPlan.objects.filter(
            round__status=RoundStatus.CLOSED,
            pickup_date__lte=today,
            pickup_date__gte=today - datetime.timedelta(days=2),
        )
        .order_by("round_id")
        .values_list("round_id", flat=True)
    ):
        told += uncollected_notify(supply_round=SupplyRound.objects.get(pk=round_id), now=now)
    return told
