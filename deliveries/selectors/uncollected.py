"""Reads of pickups nobody collected in their slot, the later slots with room, and what staff
did about them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils import timezone

from deliveries.models import (
    SLOT_GRACE,
    Fulfilment,
    FulfilmentReason,
    OrderPlan,
    PickupEvent,
    PickupEventKind,
    PickupSlot,
)
from supplies.models import OrderStatus, SupplyRound

AnyUser = User | AnonymousUser


def uncollected_filter(now: datetime.datetime) -> Q:
    """Pickups nobody collected whose slot (with the gate's grace) is over, or that never got
    a slot and whose pickup day has passed."""
    return Q(
        fulfilment=Fulfilment.PICKUP, handed_over_at__isnull=True, order__status=OrderStatus.PLACED
    ) & (
        Q(slot__end__lt=now - SLOT_GRACE)
        | Q(slot__isnull=True, round__plan__pickup_date__lt=timezone.localdate(now))
    )


def pickups_uncollected(
    supply_round: SupplyRound, *, now: datetime.datetime
) -> QuerySet[OrderPlan]:
    """The round's uncollected pickups, by point, slot and household, for staff to act on."""
    return (
        OrderPlan.objects.filter(uncollected_filter(now), round=supply_round)
        .select_related("order", "household__building", "point", "slot")
        .order_by("point__name", "slot__start", "building__label", "household__unit", "pk")
    )


def later_slots_with_room(
    supply_round: SupplyRound, *, now: datetime.datetime
) -> dict[int, list[PickupSlot]]:
    """Per point, the round's slots not over yet that have room, each with `room` (places
    left under the point's crowd cap): where a household that missed its slot may go."""
    slots = (
        PickupSlot.objects.filter(round=supply_round, end__gt=now)
        .select_related("point")
        .annotate(called=Count("order_plans"))
        .order_by("point", "index")
    )
    by_point: dict[int, list[PickupSlot]] = {}
    for slot in slots:
        slot.room = slot.point.crowd_cap - slot.called
        if slot.room > 0:
            by_point.setdefault(slot.point_id, []).append(slot)
    return by_point


def pickup_events_of_round(supply_round: SupplyRound) -> QuerySet[PickupEvent]:
    """What staff did about missed pickups, newest first: late handovers with their reasons,
    moves, door deliveries and notices, with who and when."""
    return (
        PickupEvent.objects.filter(plan__round=supply_round)
        .select_related("plan__household__building", "actor", "from_slot", "to_slot")
        .order_by("-at", "-pk")
    )


@dataclass(frozen=True)
class PickupOutcomes:
    collected: int  # handed over in the slot
    late_handed: int  # handed over by staff outside the slot, with a reason
    uncollected: int  # slot over (or the day passed without one), nobody came
    moved: int  # moved by staff to a later slot (at least once)
    to_door: int  # turned into a door delivery after a missed pickup
    waiting: int  # pickups whose slot is not over yet


def pickup_outcomes(supply_round: SupplyRound, *, now: datetime.datetime) -> PickupOutcomes:
    """How the round's pickups went, in one query."""
    pickups = Q(fulfilment=Fulfilment.PICKUP, order__status=OrderStatus.PLACED)
    handed = Q(handed_over_at__isnull=False)
    moved = Exists(PickupEvent.objects.filter(plan=OuterRef("pk"), kind=PickupEventKind.MOVED))
    row = OrderPlan.objects.filter(round=supply_round).aggregate(
        collected=Count("pk", filter=pickups & handed & Q(late_reason="")),
        late_handed=Count("pk", filter=handed & ~Q(late_reason="")),
        uncollected=Count("pk", filter=uncollected_filter(now)),
        pickups_open=Count("pk", filter=pickups & ~handed),
        to_door=Count("pk", filter=Q(reason=FulfilmentReason.MISSED_PICKUP)),
        moved=Count("pk", filter=moved),
    )
    return PickupOutcomes(
        collected=row["collected"],
        late_handed=row["late_handed"],
        uncollected=row["uncollected"],
        moved=row["moved"],
        to_door=row["to_door"],
        waiting=row["pickups_open"] - row["uncollected"],
    )
