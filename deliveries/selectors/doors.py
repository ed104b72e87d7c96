"""Reads of door deliveries: a volunteer's own of the day grouped for the walk, a round's
progress and its failed deliveries."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import (
    Count,
    Q,
    QuerySet,
)
from django.db.models.functions import Length

from deliveries.assignment import floor_of
from deliveries.models import (
    Delivery,
    DeliveryStatus,
)
from deliveries.selectors.plans import deliveries_of_round
from residents.selectors import compounds_staffed_by, room_order
from supplies.models import SupplyRound

AnyUser = User | AnonymousUser


def deliveries_visible_to(user: AnyUser) -> QuerySet[Delivery]:
    """A volunteer sees the deliveries assigned to them; staff their committees' deliveries."""
    if not user.is_authenticated:
        return Delivery.objects.none()
    return Delivery.objects.filter(
        Q(volunteer__user=user)
        | Q(household__building__compound__in=compounds_staffed_by(user).values("pk"))
    ).select_related("household__building", "from_point", "volunteer")


def deliveries_of_volunteer_today(user: AnyUser, *, since) -> QuerySet[Delivery]:
    """The user's own open deliveries and those they finished since `since` (today's start),
    in walking order: building, unit, room."""
    if not user.is_authenticated:
        return Delivery.objects.none()
    return (
        Delivery.objects.filter(volunteer__user=user)
        .filter(
            Q(status=DeliveryStatus.PLANNED)
            | Q(status__in=(DeliveryStatus.DELIVERED, DeliveryStatus.FAILED), done_at__gte=since)
        )
        .select_related("household__building", "from_point")
        .order_by(
            Length("household__building__label"),
            "household__building__label",
            "household__unit",
            *room_order("household__room"),
            "pk",
        )
    )


def round_progress(supply_round: SupplyRound) -> list[dict]:
    """Per building of the round, its deliveries planned (unassigned), out (planned and
    assigned), delivered and failed, in one query."""
    planned = Q(status=DeliveryStatus.PLANNED)
    rows = (
        deliveries_of_round(supply_round)
        .exclude(status=DeliveryStatus.CANCELLED)
        .values("household__building_id", "household__building__label")
        .annotate(
            planned=Count("pk", filter=planned & Q(volunteer__isnull=True)),
            out=Count("pk", filter=planned & Q(volunteer__isnull=False)),
            delivered=Count("pk", filter=Q(status=DeliveryStatus.DELIVERED)),
            failed=Count("pk", filter=Q(status=DeliveryStatus.FAILED)),
        )
        .order_by(Length("household__building__label"), "household__building__label")
    )
    return [
        {
            "building": row["household__building__label"],
            "planned": row["planned"],
            "out": row["out"],
            "delivered": row["delivered"],
            "failed": row["failed"],
        }
        for row in rows
    ]


def failed_deliveries_of_round(supply_round: SupplyRound) -> QuerySet[Delivery]:
    return (
        deliveries_of_round(supply_round)
        .filter(status=DeliveryStatus.FAILED)
        .select_related("volunteer")
        .order_by(
            Length("household__building__label"),
            "household__building__label",
            "household__unit",
            "household__room",
        )
    )


def walk_groups(deliveries) -> list[dict]:
    """Deliveries (already in walking order) grouped for the stairs: [{"building", "left",
    "done", "units": [{"unit", "floors": [{"floor", "deliveries"}]}]}], floors from the room
    numbers; left: still to carry, done: delivered or failed."""
    buildings: dict[str, dict[int, dict[int | None, list[Delivery]]]] = {}
    for delivery in deliveries:
        household = delivery.household
        delivery.floor = floor_of(household.room)
        units = buildings.setdefault(household.building.label, {})
        units.setdefault(household.unit, {}).setdefault(delivery.floor, []).append(delivery)
    groups = []
    for label, units in buildings.items():
        statuses = [
            delivery.status
            for floors in units.values()
            for floor in floors.values()
            for delivery in floor
        ]
        left = statuses.count(DeliveryStatus.PLANNED)
        groups.append(
            {
                "building": label,
                "left": left,
                "done": len(statuses) - left,
                "units": [
                    {
                        "unit": unit,
                        "floors": [
                            {"floor": floor, "deliveries": floors[floor]}
                            for floor in sorted(floors, key=lambda f: (f is None, f or 0))
                        ],
                    }
                    for unit, floors in units.items()
                ],
            }
        )
    return groups
