"""Reads of deliveries, each scoped to who is asking."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import CharField, Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, Concat

from core.models import Job
from deliveries.models import (
    CollectionPoint,
    CompoundPolicy,
    Delivery,
    OrderPlan,
    PickupSlot,
    Replan,
)
from residents.selectors import compounds_staffed_by
from supplies.models import RoundStatus, SupplyRound
from supplies.selectors import rounds_managed_by

AnyUser = User | AnonymousUser


def points_visible_to(user: AnyUser) -> QuerySet[CollectionPoint]:
    """Staff see the collection points of their compounds."""
    return CollectionPoint.objects.filter(
        compound__in=compounds_staffed_by(user).values("pk")
    ).select_related("compound")


def policies_visible_to(user: AnyUser) -> QuerySet[CompoundPolicy]:
    return CompoundPolicy.objects.filter(compound__in=compounds_staffed_by(user).values("pk"))


def rounds_to_plan(user: AnyUser) -> QuerySet[SupplyRound]:
    """Closed rounds the user's committees may plan, newest first."""
    return rounds_managed_by(user).filter(status=RoundStatus.CLOSED).order_by("-closes_at", "-pk")


def jobs_visible_to(user: AnyUser) -> QuerySet[Job]:
    """Jobs working on rounds the user manages."""
    subjects = rounds_managed_by(user).annotate(
        subject=Concat(Value(f"{SupplyRound._meta.label_lower}:"), Cast("pk", CharField()))
    )
    return Job.objects.filter(subject__in=subjects.values("subject"))


def plans_of_round(supply_round: SupplyRound) -> QuerySet[OrderPlan]:
    return OrderPlan.objects.filter(round=supply_round)


def point_loads(supply_round: SupplyRound) -> QuerySet[CollectionPoint]:
    """The points of the round's compounds with their packs and orders by fulfilment."""
    plans = Q(order_plans__round=supply_round)
    return (
        CollectionPoint.objects.filter(compound__in=supply_round.compounds.all())
        .annotate(
            packs=Sum("order_plans__packs", filter=plans),
            orders=Count("order_plans", filter=plans),
            pickups=Count("order_plans", filter=plans & Q(order_plans__fulfilment="pickup")),
            doors=Count("order_plans", filter=plans & Q(order_plans__fulfilment="door")),
            unit_entrances=Count(
                "order_plans", filter=plans & Q(order_plans__fulfilment="unit_entrance")
            ),
        )
        .order_by("compound__name", "name")
    )


def manifest(supply_round: SupplyRound, point: CollectionPoint) -> list[tuple[str, int]]:
    """Packs per package type the trucks must drop at the point: [(name, packs)]."""
    from supplies.models import OrderLine

    rows = (
        OrderLine.objects.filter(order__plan__round=supply_round, order__plan__point=point)
        .values("offer__package_type__name")
        .annotate(packs=Sum("quantity"))
        .order_by("offer__package_type__name")
    )
    return [(row["offer__package_type__name"], row["packs"]) for row in rows]


def call_list(supply_round: SupplyRound, point: CollectionPoint) -> list[dict]:
    """Per slot, the units called down with their households, for the loudspeaker:
    [{"slot": PickupSlot, "calls": [{"building", "unit", "rooms": [...]}]}]."""
    slots = list(PickupSlot.objects.filter(round=supply_round, point=point).order_by("index"))
    rows = (
        OrderPlan.objects.filter(slot__in=slots)
        .order_by("slot__index", "pk")
        .values_list("slot_id", "building__label", "household__unit", "household__room")
    )
    calls: dict[int, dict[tuple[str, int], list[str]]] = {slot.pk: {} for slot in slots}
    for slot_id, label, unit, room in rows:
        calls[slot_id].setdefault((label, unit), []).append(room)
    return [
        {
            "slot": slot,
            "calls": [
                {"building": label, "unit": unit, "rooms": rooms}
                for (label, unit), rooms in calls[slot.pk].items()
            ],
        }
        for slot in slots
    ]


def replans_of(supply_round: SupplyRound) -> QuerySet[Replan]:
    return Replan.objects.filter(round=supply_round).select_related("building", "change")


def deliveries_of_round(supply_round: SupplyRound) -> QuerySet[Delivery]:
    return Delivery.objects.filter(order_plan__round=supply_round).select_related(
        "household__building", "from_point"
    )


def plan_of_order(order) -> OrderPlan | None:
    """The plan of an order the caller may already see (scoped by the order's selector)."""
    return OrderPlan.objects.filter(order=order).select_related("point", "slot", "delivery").first()
