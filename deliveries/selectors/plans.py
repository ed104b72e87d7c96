"""Reads of a round's plan: points, policies, jobs, the plan per point, its calls and the
pages of the plan, each scoped to who is asking."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import (
    CharField,
    Count,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Concat, Length

from core.jobs import subject_of
from core.models import Job
from deliveries.models import (
    DELIVERED_FULFILMENTS,
    CollectionPoint,
    CompoundPolicy,
    Delivery,
    DeliveryStatus,
    Fulfilment,
    OrderPlan,
    PickupSlot,
    Replan,
    RoundPlan,
    Unplaced,
)
from deliveries.slots import PickupUnit, walking_order
from residents.selectors import compounds_staffed_by, room_order
from supplies.models import OrderStatus, RoundStatus, SupplyRound
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
    """Per slot of one point, the units called down with their households, for the
    loudspeaker: [{"slot", "people", "calls": [{"building", "unit", "rooms"}]}]."""
    return pickup_calls(supply_round, point=point).get(point.pk, [])


def replans_of(supply_round: SupplyRound) -> QuerySet[Replan]:
    return Replan.objects.filter(round=supply_round).select_related("building", "change")


def deliveries_of_round(supply_round: SupplyRound) -> QuerySet[Delivery]:
    return Delivery.objects.filter(order_plan__round=supply_round).select_related(
        "household__building", "from_point"
    )


def plan_of_order(order) -> OrderPlan | None:
    """The plan of an order the caller may already see (scoped by the order's selector)."""
    return OrderPlan.objects.filter(order=order).select_related("point", "slot", "delivery").first()


# --- pages of the plan (appended: reads for the staff plan pages and the inbox of a round) ---


def _round_subject() -> Concat:
    """The Job `subject` of the round in the outer query (see core.jobs.subject_of)."""
    return Concat(Value(f"{SupplyRound._meta.label_lower}:"), Cast(OuterRef("pk"), CharField()))


def rounds_to_plan_with_status(user: AnyUser) -> QuerySet[SupplyRound]:
    """`rounds_to_plan` with each round's plan, placed orders and latest job, in one query."""
    latest = Job.objects.filter(subject=_round_subject()).order_by("-created_at", "-pk")
    return (
        rounds_to_plan(user)
        .select_related("plan")
        .annotate(
            order_count=Count("orders", filter=Q(orders__status=OrderStatus.PLACED)),
            job_kind=Subquery(latest.values("kind")[:1]),
            job_status=Subquery(latest.values("status")[:1]),
            job_percent=Subquery(latest.values("percent")[:1]),
        )
    )


def latest_job_of_round(user: AnyUser, supply_round: SupplyRound) -> Job | None:
    return (
        jobs_visible_to(user)
        .filter(subject=subject_of(supply_round))
        .select_related("created_by")
        .order_by("-created_at", "-pk")
        .first()
    )


@dataclass
class FulfilmentCount:
    fulfilment: str
    label: str
    orders: int = 0
    packs: int = 0


@dataclass
class PlanOverview:
    """What a round's plan page shows, read in a fixed number of queries."""

    plan: RoundPlan | None
    fulfilments: list[FulfilmentCount]
    orders: int
    packs: int
    without_point: int  # no collection point had room
    without_slot: int  # the point's hours were too short
    waiting_for_slot: int  # pickups with a point, not scheduled yet
    compounds: list[dict]  # the allocation summary of each compound, with its name
    points: list[CollectionPoint]  # point_loads, with slot_count, slots_from, slots_until
    schedule_problems: list[dict]  # points whose slots could not call everyone
    split_units: list[dict]  # units called over two slots
    replans: list[Replan]
    deliveries: list[tuple[str, str, int]]  # (destination, label, open deliveries)


def plan_overview(supply_round: SupplyRound) -> PlanOverview:
    plan = round_plan_of(supply_round)
    counts = {value: FulfilmentCount(value, label) for value, label in Fulfilment.choices}
    without_point = without_slot = waiting = 0
    for row in (
        plans_of_round(supply_round)
        .values("fulfilment", "unplaced")
        .annotate(orders=Count("pk"), packs=Sum("packs"), slotted=Count("slot"))
        .order_by()
    ):
        entry = counts[row["fulfilment"]]
        entry.orders += row["orders"]
        entry.packs += row["packs"] or 0
        if row["unplaced"] == Unplaced.NO_CAPACITY:
            without_point += row["orders"]
        elif row["unplaced"] == Unplaced.WINDOW_TOO_SHORT:
            without_slot += row["orders"]
        elif row["fulfilment"] == Fulfilment.PICKUP:
            waiting += row["orders"] - row["slotted"]
    names = dict(supply_round.compounds.values_list("pk", "name"))
    compounds = [
        {**summary, "name": names.get(summary.get("compound_id"), "")}
        for summary in (plan.allocation.get("compounds", []) if plan else [])
    ]
    spans = {
        row["point"]: row
        for row in PickupSlot.objects.filter(round=supply_round)
        .values("point")
        .annotate(count=Count("pk"), first=Min("start"), last=Max("end"))
        .order_by()
    }
    points = list(point_loads(supply_round))
    for point in points:
        span = spans.get(point.pk, {})
        point.slot_count = span.get("count", 0)
        point.slots_from, point.slots_until = span.get("first"), span.get("last")
    scheduled = plan.schedule.get("points", []) if plan else []
    open_deliveries = dict(
        deliveries_of_round(supply_round)
        .filter(status__in=(DeliveryStatus.PLANNED, DeliveryStatus.FAILED))
        .values("destination")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list("destination", "count")
    )
    return PlanOverview(
        plan=plan,
        fulfilments=list(counts.values()),
        orders=sum(entry.orders for entry in counts.values()),
        packs=sum(entry.packs for entry in counts.values()),
        without_point=without_point,
        without_slot=without_slot,
        waiting_for_slot=waiting,
        compounds=compounds,
        points=points,
        schedule_problems=[
            entry
            for entry in scheduled
            if entry.get("unplaced") or entry.get("minutes_short") or entry.get("slots_short")
        ],
        split_units=[
            {"point": entry["name"], **split} for entry in scheduled for split in entry["splits"]
        ],
        replans=list(replans_of(supply_round).order_by("-at", "-pk")),
        deliveries=[
            (value, label, open_deliveries.get(value, 0))
            for value, label in Fulfilment.choices
            if value in DELIVERED_FULFILMENTS
        ],
    )


def deliveries_to_print(supply_round: SupplyRound) -> QuerySet[Delivery]:
    """The round's deliveries not cancelled, in the order volunteers walk: building, unit, room."""
    return (
        deliveries_of_round(supply_round)
        .exclude(status=DeliveryStatus.CANCELLED)
        .select_related("order_plan")
        .order_by(
            Length("household__building__label"),
            "household__building__label",
            "household__unit",
            "household__room",
            "pk",
        )
    )


def deliveries_staffed_by(user: AnyUser) -> QuerySet[Delivery]:
    """Every delivery to a household of the user's compounds (the admin's scope)."""
    return Delivery.objects.filter(
        household__building__compound__in=compounds_staffed_by(user).values("pk")
    )


def round_plan_of(supply_round: SupplyRound) -> RoundPlan | None:
    return RoundPlan.objects.filter(round=supply_round).first()


# --- the API's plan of a round (appended) ----------------------------------------------------


def pickup_calls(
    supply_round: SupplyRound, *, point: CollectionPoint | None = None
) -> dict[int, list[dict]]:
    """The call lists of the round's points (or of one), in three queries whatever the number
    of points, slots and orders: {point id: [{"slot", "people", "calls": [{"building", "unit",
    "rooms"}]}]}. Within a slot units come in the scheduler's walking order from the point
    (`deliveries.slots.walking_order`), the order the caller walks; rooms in order."""
    slots = PickupSlot.objects.filter(round=supply_round).select_related("point")
    if point is not None:
        slots = slots.filter(point=point)
    slots = list(slots.order_by("point_id", "index"))
    rows = (
        OrderPlan.objects.filter(slot__in=[slot.pk for slot in slots])
        .order_by(*room_order("household__room"), "pk")
        .values_list(
            "slot_id",
            "building__label",
            "building__position_x",
            "building__position_y",
            "household__unit",
            "household__room",
        )
    )
    calls: dict[int, dict[tuple[str, int], list[str]]] = {slot.pk: {} for slot in slots}
    position: dict[str, tuple[float | None, float | None]] = {}
    for slot_id, label, x, y, unit, room in rows:
        calls[slot_id].setdefault((label, unit), []).append(room)
        position[label] = (x, y)
    by_point: dict[int, list[dict]] = {}
    walks: dict[int, dict[tuple[str, int], int]] = {}
    for slot in slots:
        units = calls[slot.pk]
        if slot.point_id not in walks:
            walks[slot.point_id] = _walk(slot.point, calls, slots, position)
        walk = walks[slot.point_id]
        by_point.setdefault(slot.point_id, []).append(
            {
                "slot": slot,
                "people": sum(len(rooms) for rooms in units.values()),
                "calls": [
                    {"building": label, "unit": unit, "rooms": units[(label, unit)]}
                    for label, unit in sorted(units, key=walk.__getitem__)
                ],
            }
        )
    return by_point


def _walk(point, calls, slots, position) -> dict[tuple[str, int], int]:
    """Each (building, unit) called at the point → its place in the walking order. A building
    not placed on the compound plan counts as standing at the point, as in planning."""
    units = {key for slot in slots if slot.point_id == point.pk for key in calls[slot.pk]}
    walk = walking_order(
        point.position_x,
        point.position_y,
        [
            PickupUnit(
                label,
                unit,
                position[label][0] if position[label][0] is not None else point.position_x,
                position[label][1] if position[label][1] is not None else point.position_y,
                people=1,
            )
            for label, unit in units
        ],
    )
    return {(unit.building, unit.unit): index for index, unit in enumerate(walk)}
