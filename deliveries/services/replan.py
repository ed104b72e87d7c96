"""A building's closure level changed: re-plan what is still open for it.

Sealing turns its pickups into door deliveries and frees their slot places; lifting it turns
door deliveries that were only for the seal back into pickups, fitted into the point's slots
with room (or new slots at the end of the window), without moving anyone already called.
Handed-over and delivered orders are left alone. Each round touched gets a Replan row (once
per change, so running twice changes nothing more), the households a notice, and the staff
member who changed the level a summary in their inbox."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.notifications import NoticeSpec, notify
from deliveries import wordings as words
from deliveries.models import (
    CollectionPoint,
    DeliveryStatus,
    Fulfilment,
    FulfilmentReason,
    OrderPlan,
    PickupSlot,
    Replan,
    RoundPlan,
    Unplaced,
)
from deliveries.services.door_deliveries import deliveries_sync
from deliveries.services.plan_notices import households_notify
from deliveries.services.planning import controlled_policies, fulfilment_for, rounds_lock
from deliveries.services.scheduling import window_of
from residents.models import ClosureChange, Household
from residents.selectors import vulnerable_member
from supplies.models import RoundStatus, SupplyRound


def replan_for_changes(change_ids: list[int]) -> list[Replan]:
    replans = []
    for change in (
        ClosureChange.objects.filter(pk__in=change_ids)
        .select_related("building", "changed_by")
        .order_by("changed_at", "pk")
    ):
        replans.extend(replan_building(change))
    return replans


def open_plans(building_id: int):
    """The building's plans that can still change: round closed, nothing handed over."""
    return (
        OrderPlan.objects.filter(
            building=building_id, handed_over_at__isnull=True, round__status=RoundStatus.CLOSED
        )
        .exclude(delivery__status=DeliveryStatus.DELIVERED)
        .select_related("slot", "point", "household")
        .order_by("round", "household__unit", "household__room", "pk")
    )


@transaction.atomic
def replan_building(change: ClosureChange) -> list[Replan]:
    building = change.building
    # Wait for a plan being saved (an allocation chunk, a schedule, another re-plan) so as to
    # re-plan its rows too, and so that two re-plans do not fill the same slot places.
    rounds_lock(
        SupplyRound.objects.filter(
            status=RoundStatus.CLOSED, compounds=building.compound_id
        ).values_list("pk", flat=True)
    )
    building.refresh_from_db(fields=["closure_level"])  # the level now, if it changed again
    policy = controlled_policies([building.compound_id])[building.compound_id]
    plans_of: dict[int, list[OrderPlan]] = defaultdict(list)
    for plan in open_plans(building.pk).select_for_update(of=("self",)):
        plans_of[plan.round_id].append(plan)
    done = set(
        Replan.objects.filter(change=change, round__in=list(plans_of)).values_list(
            "round_id", flat=True
        )
    )
    vulnerable = dict(
        Household.objects.filter(building=building)
        .annotate(vulnerable=vulnerable_member())
        .values_list("pk", "vulnerable")
    )
    replans = []
    now = timezone.now()
    for round_id, plans in plans_of.items():
        if round_id in done:
            continue
        counts: Counter = Counter()
        changed, to_pickup, moved = [], [], []
        for plan in plans:
            fulfilment, reason = fulfilment_for(
                building.closure_level,
                vulnerable=vulnerable.get(plan.household_id, False),
                controlled=policy,
            )
            if (fulfilment, reason) == (plan.fulfilment, plan.reason):
                continue
            if plan.reason == FulfilmentReason.MISSED_PICKUP and fulfilment == Fulfilment.PICKUP:
                continue  # staff chose the door after a missed pickup: a lighter level keeps it
            if plan.fulfilment == Fulfilment.PICKUP and fulfilment != Fulfilment.PICKUP:
                counts["to_delivery"] += 1
                counts["slots_freed"] += plan.slot_id is not None
                plan.slot = None
                plan.unplaced = "" if plan.point_id else Unplaced.NO_CAPACITY
            elif plan.fulfilment != Fulfilment.PICKUP and fulfilment == Fulfilment.PICKUP:
                counts["to_pickup"] += 1
                to_pickup.append(plan)
            if fulfilment != plan.fulfilment:
                moved.append(plan)
            plan.fulfilment, plan.reason = fulfilment, reason
            plan.updated_at = now  # bulk_update does not touch auto_now fields
            changed.append(plan)
        if not changed:
            continue
        scheduled = RoundPlan.objects.filter(round=round_id, scheduled_at__isnull=False).first()
        counts["unplaced"] = _fit_into_slots(scheduled, to_pickup) if scheduled else 0
        OrderPlan.objects.bulk_update(
            changed, ["fulfilment", "reason", "slot", "unplaced", "updated_at"]
        )
        deliveries_sync(
            [(p.order_id, p.household_id, p.fulfilment, p.point_id) for p in changed],
            by=change.changed_by,
            note=_("Closure level changed: %(change)s") % {"change": change},
        )
        replan = Replan.objects.create(
            round_id=round_id,
            building=building,
            change=change,
            to_delivery=counts["to_delivery"],
            to_pickup=counts["to_pickup"],
            slots_freed=counts["slots_freed"],
            unplaced=counts["unplaced"],
        )
        if scheduled and moved:
            # Before the round is scheduled the schedule tells everyone; a change of reason
            # alone changes nothing for the household.
            households_notify(replan.round, plans=Q(pk__in=[plan.pk for plan in moved]))
        replans.append(replan)
    if replans and change.changed_by_id:
        notify([_staff_summary(change, replans)])
    return replans


def _fit_into_slots(plan: RoundPlan, plans: list[OrderPlan]) -> int:
    """Give pickup plans places in their point's slots without moving anyone already called:
    the earliest slot not begun with room, then new slots after the last one (or from the
    start of the window when the point has none) while the window lasts, never one that has
    begun. Returns how many found no place. Only for a scheduled round: before that,
    scheduling places everyone."""
    now = timezone.now()
    unplaced = 0
    by_point: dict[int, list[OrderPlan]] = defaultdict(list)
    for order_plan in plans:
        if order_plan.point_id is None:
            order_plan.unplaced = Unplaced.NO_CAPACITY
            unplaced += 1
        else:
            by_point[order_plan.point_id].append(order_plan)
    for point_plans in by_point.values():
        point = point_plans[0].point
        slots = list(
            PickupSlot.objects.filter(round=plan.round_id, point=point)
            .annotate(called=Count("order_plans"))
            .order_by("index")
        )
        room = {slot.pk: point.crowd_cap - slot.called for slot in slots}
        for order_plan in point_plans:
            slot = next((s for s in slots if s.start > now and room[s.pk] > 0), None)
            if slot is None:
                slot = _new_slot(plan, point, slots, now)
                if slot is not None:
                    slots.append(slot)
                    room[slot.pk] = point.crowd_cap
            if slot is None:
                order_plan.slot, order_plan.unplaced = None, Unplaced.WINDOW_TOO_SHORT
                unplaced += 1
                continue
            order_plan.slot, order_plan.unplaced = slot, ""
            room[slot.pk] -= 1
    return unplaced


def _new_slot(
    plan: RoundPlan, point: CollectionPoint, slots: list[PickupSlot], now: datetime.datetime
) -> PickupSlot | None:
    """A slot after the point's last one (the first of the window when it has none) that has
    not begun and ends within the window; None when the window has no room left."""
    window_start, window_end = window_of(point, plan.pickup_date)
    length = datetime.timedelta(minutes=point.slot_minutes)
    index, start = (slots[-1].index + 1, slots[-1].end) if slots else (0, window_start)
    if start <= now:
        skipped = (now - start) // length + 1
        index, start = index + skipped, start + skipped * length
    if start + length > window_end:
        return None
    return PickupSlot.objects.create(
        round_id=plan.round_id, point=point, index=index, start=start, end=start + length
    )


def _staff_summary(change: ClosureChange, replans: list[Replan]) -> NoticeSpec:
    said = words.REPLANNED(
        building=str(change.building),
        rounds=[
            {
                "round": replan.round.title,
                "to_delivery": replan.to_delivery,
                "to_pickup": replan.to_pickup,
                "freed": replan.slots_freed,
                "unplaced": replan.unplaced,
            }
            for replan in replans
        ],
    )
    return NoticeSpec(
        said=said,
        key=f"replan:{change.pk}:{'-'.join(str(replan.pk) for replan in replans)}",
        recipient_id=change.changed_by_id,
    )
