"""Turning a closed round into a plan: fulfilment, allocation to points, pickup slots, notices.

Two steps, each run as a background job (see `deliveries.tasks`):

1. `allocation_run` decides each order's fulfilment from its building's closure level, its
   household and the compound's policy, allocates every building's packs to the compound's
   collection points (`deliveries.allocation`, optimal), gives each order a point, and creates
   the door and unit-entrance Delivery rows.
2. `schedule_run` calls each point's pickup households down in slots (`deliveries.slots`) and
   tells every household how its packs reach it.

Both are deterministic and write by upsert, chunk by chunk, each chunk in its own transaction:
a run that dies half-way leaves part of the plan, and running again converges to the same plan
with no duplicates. Once packs are handed over, a round is no longer re-planned as a whole
(closure changes still re-plan single buildings: `deliveries.services.replan`)."""

from __future__ import annotations

import dataclasses
import datetime
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.codes import code_display
from core.exceptions import ApplicationError
from core.jobs import Progress, job_create, job_enqueue, jobs_abandon, subject_of
from core.models import Job
from core.notifications import NoticeSpec, notify
from deliveries import wordings as words
from deliveries.allocation import BuildingDemand, PointCapacity, allocate
from deliveries.models import (
    DELIVERED_FULFILMENTS,
    CollectionPoint,
    CompoundPolicy,
    ControlledPolicy,
    Delivery,
    DeliveryEvent,
    DeliveryKind,
    DeliveryStatus,
    Fulfilment,
    FulfilmentReason,
    OrderPlan,
    PickupSlot,
    RoundPlan,
    Unplaced,
)
from deliveries.slots import PickupUnit, PointPickups, Schedule, plan_pickup_slots
from residents.models import Building, ClosureLevel
from residents.selectors import room_order, vulnerable_member
from supplies.models import Order, OrderLine, OrderStatus, RoundStatus, SupplyRound

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


def _require_plannable(supply_round: SupplyRound) -> None:
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

    _require_plannable(supply_round)
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


# --- allocation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderRow:
    order_id: int
    household_id: int
    building_id: int
    unit: int
    room: str
    packs: int
    vulnerable: bool


@dataclass(frozen=True)
class PlannedOrder:
    order_id: int
    household_id: int
    building_id: int
    packs: int
    fulfilment: str
    reason: str
    point_id: int | None
    unplaced: str  # Unplaced, or "" when the order has a point
    vulnerable: bool = False


@dataclass
class AllocationPlan:
    orders: list[PlannedOrder]
    summary: dict


def placed_orders(supply_round: SupplyRound) -> list[OrderRow]:
    """The round's placed orders with their packs, in (building, unit, room) order."""
    rows = (
        Order.objects.filter(round=supply_round, status=OrderStatus.PLACED)
        .annotate(packs=Sum("lines__quantity"), vulnerable=vulnerable_member("household"))
        .order_by("household__building_id", "household__unit", "household__room", "pk")
        .values_list(
            "pk",
            "household_id",
            "household__building_id",
            "household__unit",
            "household__room",
            "packs",
            "vulnerable",
        )
    )
    return [OrderRow(*row) for row in rows]


def allocation_compute(supply_round: SupplyRound) -> AllocationPlan:
    """Decide every placed order's fulfilment and point; reads only, writes nothing."""
    orders = placed_orders(supply_round)
    buildings = {
        building.pk: building
        for building in Building.objects.filter(pk__in={row.building_id for row in orders}).only(
            "pk", "label", "compound_id", "position_x", "position_y", "closure_level"
        )
    }
    compound_ids = sorted({building.compound_id for building in buildings.values()})
    policies = controlled_policies(compound_ids)
    points_of: dict[int, list[CollectionPoint]] = defaultdict(list)
    for point in CollectionPoint.objects.filter(compound__in=compound_ids, active=True).order_by(
        "pk"
    ):
        points_of[point.compound_id].append(point)
    orders_of: dict[int, list[OrderRow]] = defaultdict(list)
    for row in orders:
        orders_of[buildings[row.building_id].compound_id].append(row)

    planned: list[PlannedOrder] = []
    compounds = []
    for compound_id in compound_ids:
        compound_orders, summary = _allocate_compound(
            orders_of[compound_id], buildings, points_of[compound_id], policies[compound_id]
        )
        planned.extend(compound_orders)
        compounds.append({"compound_id": compound_id, **summary})
    counts = defaultdict(int)
    for order in planned:
        counts[order.fulfilment] += 1
    summary = {
        "orders": len(planned),
        "packs": sum(order.packs for order in planned),
        "fulfilment": dict(sorted(counts.items())),
        "unplaced_orders": sum(1 for order in planned if order.unplaced),
        "compounds": compounds,
    }
    return AllocationPlan(orders=planned, summary=summary)


def _placed(building: Building) -> bool:
    """Whether the building has a position on the compound's plan (it is optional)."""
    return building.position_x is not None and building.position_y is not None


def _metres(building: Building, point: CollectionPoint) -> float:
    """Straight-line distance; a building not placed on the plan is as near to every point."""
    if not _placed(building):
        return 0.0
    return math.hypot(
        building.position_x - point.position_x, building.position_y - point.position_y
    )


def _allocate_compound(
    orders: list[OrderRow],
    buildings: dict[int, Building],
    points: list[CollectionPoint],
    controlled: str,
) -> tuple[list[PlannedOrder], dict]:
    demand: dict[int, int] = defaultdict(int)
    for row in orders:
        demand[row.building_id] += row.packs
    distance = None
    if not all(_placed(buildings[building_id]) for building_id in demand):
        point_by_id = {point.pk: point for point in points}

        def distance(building: BuildingDemand, point: PointCapacity) -> float:
            return _metres(buildings[building.id], point_by_id[point.id])

    allocation = allocate(
        [
            BuildingDemand(
                building_id,
                buildings[building_id].position_x or 0.0,
                buildings[building_id].position_y or 0.0,
                packs,
            )
            for building_id, packs in sorted(demand.items())
        ],
        [PointCapacity(p.pk, p.position_x, p.position_y, p.capacity) for p in points],
        distance,
    )
    point_of = _orders_to_points(orders, allocation.assignments, buildings, points)
    planned = []
    for row in orders:
        fulfilment, reason = fulfilment_for(
            buildings[row.building_id].closure_level,
            vulnerable=row.vulnerable,
            controlled=controlled,
        )
        point_id = point_of.get(row.order_id)
        planned.append(
            PlannedOrder(
                order_id=row.order_id,
                household_id=row.household_id,
                building_id=row.building_id,
                packs=row.packs,
                fulfilment=fulfilment,
                reason=reason,
                point_id=point_id,
                unplaced="" if point_id else Unplaced.NO_CAPACITY,
                vulnerable=row.vulnerable,
            )
        )
    label = {building_id: buildings[building_id].label for building_id in demand}
    loads = defaultdict(int)
    for order in planned:
        if order.point_id:
            loads[order.point_id] += order.packs
    return planned, {
        "buildings": len(demand),
        "points": [
            {"id": p.pk, "name": p.name, "capacity": p.capacity, "packs": loads[p.pk]}
            for p in points
        ],
        "packs_wanted": allocation.demand,
        "capacity": allocation.capacity,
        "shortfall": allocation.shortfall,
        "objective": round(allocation.objective, 3),
        "split_buildings": [label[i] for i in allocation.split_building_ids()],
        "unserved": [
            {"building": label[entry.building_id], "packs": entry.packs}
            for entry in allocation.unserved
        ],
        "orders_without_point": sum(1 for order in planned if not order.point_id),
    }


def _orders_to_points(
    orders: list[OrderRow],
    assignments: Sequence,
    buildings: dict[int, Building],
    points: list[CollectionPoint],
) -> dict[int, int]:
    """Give each order a point, following the allocation's shares of each building's packs.

    Orders are indivisible, so a building split between points is cut between whole orders,
    in unit and room order: its nearest point's share first. An order that fits no share of
    its building (the cut rarely falls exactly between orders) goes to the nearest point with
    room left. No point ever takes more than its capacity; an order no point has room for
    gets none and is reported."""
    distance = {(a.building_id, a.point_id): a.distance for a in assignments}
    shares: dict[int, list[list[int]]] = defaultdict(list)
    for a in sorted(assignments, key=lambda a: (a.building_id, a.distance, a.point_id)):
        shares[a.building_id].append([a.point_id, a.packs])
    room = {point.pk: point.capacity for point in points}
    point_of: dict[int, int] = {}
    leftovers = []
    for row in orders:
        for share in shares.get(row.building_id, ()):
            if share[1] >= row.packs:
                share[1] -= row.packs
                room[share[0]] -= row.packs
                point_of[row.order_id] = share[0]
                break
        else:
            leftovers.append(row)
    for row in leftovers:
        building = buildings[row.building_id]

        def metres(point: CollectionPoint, building=building) -> float:
            known = distance.get((building.pk, point.pk))
            return known if known is not None else _metres(building, point)

        fitting = [point for point in points if room[point.pk] >= row.packs]
        if fitting:
            point = min(fitting, key=lambda point: (metres(point), point.pk))
            room[point.pk] -= row.packs
            point_of[row.order_id] = point.pk
    return point_of


def allocation_run(round_id: int, progress: Progress, *, by=None) -> tuple[dict, str]:
    """The allocation job: compute, then save chunk by chunk; `by` asked for the plan."""
    supply_round = SupplyRound.objects.get(pk=round_id)
    _require_plannable(supply_round)
    progress(5, words.READING_ORDERS())
    plan = allocation_compute(supply_round)
    progress(30, words.ALLOCATED(count=len(plan.orders)))
    allocation_save(supply_round, plan, progress=progress, by=by)
    summary = plan.summary
    message = words.ALLOCATION_DONE(orders=summary["orders"], unplaced=summary["unplaced_orders"])
    return summary, message


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def allocation_save(
    supply_round: SupplyRound,
    plan: AllocationPlan,
    *,
    progress: Progress | None = None,
    by=None,
) -> None:
    size = settings.DELIVERIES_PLAN_CHUNK
    chunks = list(_chunks(plan.orders, size)) or [[]]
    counts: dict[str, int] = defaultdict(int)
    for number, chunk in enumerate(chunks, 1):
        with transaction.atomic():
            _lock(supply_round)
            chunk = _with_current_levels(chunk)
            for order in chunk:
                counts[order.fulfilment] += 1
            OrderPlan.objects.bulk_create(
                [
                    OrderPlan(
                        order_id=order.order_id,
                        round=supply_round,
                        household_id=order.household_id,
                        building_id=order.building_id,
                        packs=order.packs,
                        fulfilment=order.fulfilment,
                        reason=order.reason,
                        point_id=order.point_id,
                        slot=None,
                        unplaced=order.unplaced,
                    )
                    for order in chunk
                ],
                update_conflicts=True,
                unique_fields=["order"],
                update_fields=[
                    "household",
                    "building",
                    "packs",
                    "fulfilment",
                    "reason",
                    "point",
                    "slot",
                    "unplaced",
                    "updated_at",
                ],
            )
            deliveries_sync(
                [
                    (order.order_id, order.household_id, order.fulfilment, order.point_id)
                    for order in chunk
                ],
                by=by,
                note=_("Round plan"),
            )
        if progress:
            progress(
                30 + 65 * number // len(chunks),
                words.ORDERS_SAVED(
                    done=min(number * size, len(plan.orders)), total=len(plan.orders)
                ),
            )
    plan.summary["fulfilment"] = dict(sorted(counts.items()))
    with transaction.atomic():
        _lock(supply_round)
        # The new plan cleared every slot: the round must be scheduled again.
        RoundPlan.objects.update_or_create(
            round=supply_round,
            defaults={
                "allocated_at": timezone.now(),
                "allocation": plan.summary,
                "scheduled_at": None,
            },
            create_defaults={
                "pickup_date": default_pickup_date(supply_round),
                "allocated_at": timezone.now(),
                "allocation": plan.summary,
            },
        )


def _with_current_levels(orders: Sequence[PlannedOrder]) -> list[PlannedOrder]:
    """The orders with the fulfilment their buildings' closure levels give now.

    A level that changed after the plan was computed was re-planned (under the round's lock)
    against the rows saved before the change, not against these: they must follow it here."""
    buildings = {
        pk: (level, compound_id)
        for pk, level, compound_id in Building.objects.filter(
            pk__in={order.building_id for order in orders}
        ).values_list("pk", "closure_level", "compound_id")
    }
    policies = controlled_policies({compound_id for _level, compound_id in buildings.values()})
    current = []
    for order in orders:
        level, compound_id = buildings[order.building_id]
        fulfilment, reason = fulfilment_for(
            level, vulnerable=order.vulnerable, controlled=policies[compound_id]
        )
        if (fulfilment, reason) != (order.fulfilment, order.reason):
            order = dataclasses.replace(order, fulfilment=fulfilment, reason=reason)
        current.append(order)
    return current


def default_pickup_date(supply_round: SupplyRound) -> datetime.date:
    """Trucks come the day after a round closes."""
    return timezone.localdate(supply_round.closes_at) + datetime.timedelta(days=1)


def _lock(supply_round: SupplyRound) -> None:
    """Serialise writers of one round's plan (PostgreSQL; SQLite writes one at a time anyway)."""
    SupplyRound.objects.select_for_update().filter(pk=supply_round.pk).exists()


def rounds_lock(round_ids: Iterable[int]) -> None:
    """`_lock` for several rounds at once, in primary-key order so that writers cannot
    deadlock: the allocation, the schedule and the re-plans of one round wait for each other."""
    list(
        SupplyRound.objects.select_for_update()
        .filter(pk__in=list(round_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- deliveries --------------------------------------------------------------------------


def delivery_key(order_id: int) -> str:
    return f"{DeliveryKind.SUPPLY_ORDER}:{order_id}"


def _items(order_ids: Iterable[int]) -> dict[int, str]:
    items: dict[int, list[str]] = defaultdict(list)
    for order_id, name, quantity in (
        OrderLine.objects.filter(order__in=list(order_ids))
        .order_by("order", "offer")
        .values_list("order_id", "offer__package_type__name", "quantity")
    ):
        items[order_id].append(f"{name} × {quantity}")
    return {order_id: ", ".join(lines) for order_id, lines in items.items()}


def _wants_delivery(row: tuple[int, int, str, int | None]) -> bool:
    """Door and unit-entrance orders whose packs a point holds; without a point there is
    nothing for a volunteer to carry yet."""
    return row[2] in DELIVERED_FULFILMENTS and row[3] is not None


def deliveries_sync(
    orders: Sequence[tuple[int, int, str, int | None]], *, by, note: str
) -> tuple[int, int]:
    """Make the orders' Delivery rows agree with their fulfilment: (order, household,
    fulfilment, point). Door and unit-entrance orders get an open delivery (created, or a
    cancelled one opened again); pickup orders have theirs cancelled. Delivered ones are left
    alone. Returns (opened, cancelled); every change is recorded with who and when."""
    keys = {delivery_key(row[0]): row for row in orders}
    existing = {d.key: d for d in Delivery.objects.filter(key__in=list(keys))}
    wanted = [row for row in keys.values() if _wants_delivery(row)]
    items = _items(row[0] for row in wanted if delivery_key(row[0]) not in existing)
    created, changed, events = [], [], []
    for key, (order_id, household_id, fulfilment, point_id) in keys.items():
        delivery = existing.get(key)
        if _wants_delivery((order_id, household_id, fulfilment, point_id)):
            if delivery is None:
                created.append(
                    Delivery(
                        key=key,
                        kind=DeliveryKind.SUPPLY_ORDER,
                        household_id=household_id,
                        destination=fulfilment,
                        from_point_id=point_id,
                        items=items.get(order_id, ""),
                        created_by=by,
                    )
                )
                continue
            if delivery.status == DeliveryStatus.DELIVERED:
                continue
            before = delivery.status
            if (delivery.destination, delivery.from_point_id, before) == (
                fulfilment,
                point_id,
                DeliveryStatus.PLANNED,
            ):
                continue
            delivery.destination, delivery.from_point_id = fulfilment, point_id
            if before == DeliveryStatus.CANCELLED:
                delivery.status = DeliveryStatus.PLANNED
                events.append(
                    DeliveryEvent(
                        delivery=delivery,
                        from_status=before,
                        to_status=delivery.status,
                        actor=by,
                        note=note,
                    )
                )
            changed.append(delivery)
        elif delivery is not None and delivery.status in (
            DeliveryStatus.PLANNED,
            DeliveryStatus.FAILED,
        ):
            events.append(
                DeliveryEvent(
                    delivery=delivery,
                    from_status=delivery.status,
                    to_status=DeliveryStatus.CANCELLED,
                    actor=by,
                    note=note,
                )
            )
            delivery.status = DeliveryStatus.CANCELLED
            changed.append(delivery)
    Delivery.objects.bulk_create(created)
    events.extend(
        DeliveryEvent(delivery=d, to_status=DeliveryStatus.PLANNED, actor=by, note=note)
        for d in created
    )
    now = timezone.now()
    for delivery in changed:
        delivery.updated_at, delivery.updated_by = now, by
    Delivery.objects.bulk_update(
        changed, ["destination", "from_point", "status", "updated_at", "updated_by"]
    )
    DeliveryEvent.objects.bulk_create(events)
    if created:
        _link_deliveries([row[0] for row in orders])
    opened = sum(1 for event in events if event.to_status == DeliveryStatus.PLANNED)
    return opened, len(events) - opened


def _link_deliveries(order_ids: list[int]) -> None:
    """Point the orders' plans at their deliveries: the app that asks keeps the link."""
    OrderPlan.objects.filter(order__in=order_ids, delivery__isnull=True).update(
        delivery=Subquery(
            Delivery.objects.filter(
                key=Concat(
                    Value(f"{DeliveryKind.SUPPLY_ORDER}:"),
                    Cast(OuterRef("order_id"), CharField()),
                )
            ).values("pk")[:1]
        )
    )


# --- pickup slots ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PointSchedule:
    point: CollectionPoint
    schedule: Schedule
    slot_plans: list[list[int]]  # per slot index: the OrderPlan ids called in it
    unplaced_plans: list[int]


def window_of(
    point: CollectionPoint, day: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_default_timezone()
    return (
        timezone.make_aware(datetime.datetime.combine(day, point.opens_at), zone),
        timezone.make_aware(datetime.datetime.combine(day, point.closes_at), zone),
    )


def schedule_compute(supply_round: SupplyRound, day: datetime.date) -> list[PointSchedule]:
    """Schedule the pickup households of every point of the round; reads only."""
    rows = (
        OrderPlan.objects.filter(
            round=supply_round, fulfilment=Fulfilment.PICKUP, point__isnull=False
        )
        .order_by(
            "point_id", "building__label", "household__unit", *room_order("household__room"), "pk"
        )
        .values_list(
            "pk",
            "point_id",
            "building__label",
            "building__position_x",
            "building__position_y",
            "household__unit",
        )
    )
    by_point: dict[int, dict[tuple[str, int], list[int]]] = defaultdict(dict)
    where: dict[str, tuple[float | None, float | None]] = {}
    for plan_id, point_id, label, x, y, unit in rows:
        by_point[point_id].setdefault((label, unit), []).append(plan_id)
        where[label] = (x, y)
    points = CollectionPoint.objects.in_bulk(list(by_point))
    schedules = []
    for point_id in sorted(by_point):
        point, units = points[point_id], by_point[point_id]
        # A building not placed on the plan is called as if it stood at the point.
        position = {
            label: (x, y)
            if x is not None and y is not None
            else (point.position_x, point.position_y)
            for label, (x, y) in where.items()
        }
        start, end = window_of(point, day)
        schedule = plan_pickup_slots(
            PointPickups(
                x=point.position_x,
                y=point.position_y,
                window_start=start,
                window_end=end,
                slot_length=datetime.timedelta(minutes=point.slot_minutes),
                cap=point.crowd_cap,
                units=[
                    PickupUnit(label, unit, *position[label], people=len(plans))
                    for (label, unit), plans in units.items()
                ],
            )
        )
        waiting = {key: list(plans) for key, plans in units.items()}
        slot_plans = []
        for slot in schedule.slots:
            called = []
            for call in slot.calls:
                queue = waiting[(call.building, call.unit)]
                called.extend(queue[: call.people])
                del queue[: call.people]
            slot_plans.append(called)
        unplaced = [plan for queue in waiting.values() for plan in queue]
        schedules.append(PointSchedule(point, schedule, slot_plans, unplaced))
    return schedules


def schedule_run(round_id: int, progress: Progress) -> tuple[dict, str]:
    supply_round = SupplyRound.objects.get(pk=round_id)
    _require_plannable(supply_round)
    plan = RoundPlan.objects.filter(round=supply_round, allocated_at__isnull=False).first()
    if plan is None:
        raise ApplicationError(
            _("Allocate the round to collection points before scheduling pickups.")
        )
    progress(5, words.SCHEDULING())
    schedules = schedule_compute(supply_round, plan.pickup_date)
    progress(30, words.SAVING_SLOTS())
    summary = schedule_save(supply_round, plan, schedules, progress=progress)
    progress(95, words.SENDING_NOTICES())
    households_notify(supply_round)
    message = words.SCHEDULE_DONE(
        slots=summary["slots"],
        points=len(summary["points"]),
        unplaced=summary["unplaced_households"],
    )
    return summary, message


def schedule_save(
    supply_round: SupplyRound,
    plan: RoundPlan,
    schedules: list[PointSchedule],
    *,
    progress: Progress | None = None,
) -> dict:
    points = []
    for number, entry in enumerate(schedules, 1):
        with transaction.atomic():
            _lock(supply_round)
            _save_point(supply_round, entry)
        points.append(_point_summary(entry))
        if progress:
            progress(30 + 65 * number // len(schedules), entry.point.name)
    with transaction.atomic():
        _lock(supply_round)
        scheduled = [entry.point.pk for entry in schedules]
        # Points that no longer have anyone to call lose their slots.
        OrderPlan.objects.filter(round=supply_round).exclude(fulfilment=Fulfilment.PICKUP).exclude(
            slot=None
        ).update(slot=None)
        PickupSlot.objects.filter(round=supply_round).exclude(point__in=scheduled).delete()
        summary = {
            "pickup_date": plan.pickup_date.isoformat(),
            "slots": sum(len(entry.schedule.slots) for entry in schedules),
            "unplaced_households": sum(len(entry.unplaced_plans) for entry in schedules),
            "points": points,
        }
        RoundPlan.objects.filter(pk=plan.pk).update(
            scheduled_at=timezone.now(), schedule=summary, updated_at=timezone.now()
        )
    return summary


def _save_point(supply_round: SupplyRound, entry: PointSchedule) -> None:
    point, schedule = entry.point, entry.schedule
    PickupSlot.objects.bulk_create(
        [
            PickupSlot(
                round=supply_round, point=point, index=slot.index, start=slot.start, end=slot.end
            )
            for slot in schedule.slots
        ],
        update_conflicts=True,
        unique_fields=["round", "point", "index"],
        update_fields=["start", "end"],
    )
    slot_ids = dict(
        PickupSlot.objects.filter(round=supply_round, point=point).values_list("index", "pk")
    )
    for index, plans in enumerate(entry.slot_plans):
        OrderPlan.objects.filter(pk__in=plans).exclude(slot_id=slot_ids[index], unplaced="").update(
            slot_id=slot_ids[index], unplaced="", updated_at=timezone.now()
        )
    for plans in _chunks(entry.unplaced_plans, 1000):
        OrderPlan.objects.filter(pk__in=plans).update(
            slot=None, unplaced=Unplaced.WINDOW_TOO_SHORT, updated_at=timezone.now()
        )
    PickupSlot.objects.filter(
        round=supply_round, point=point, index__gte=len(schedule.slots)
    ).delete()


def _point_summary(entry: PointSchedule) -> dict:
    schedule = entry.schedule
    return {
        "id": entry.point.pk,
        "name": entry.point.name,
        "people": schedule.people,
        "slots": len(schedule.slots),
        "lower_bound": schedule.lower_bound,
        "window_slots": schedule.window_slots,
        "splits": [
            {"building": s.building, "unit": s.unit, "people": s.people, "reason": s.reason}
            for s in schedule.splits
        ],
        "unplaced": [
            {"building": u.building, "unit": u.unit, "people": u.people} for u in schedule.unplaced
        ],
        "slots_short": schedule.slots_short,
        "minutes_short": int(schedule.time_short.total_seconds() // 60),
    }


# --- notices -------------------------------------------------------------------------------


def plan_notice(plan: OrderPlan) -> NoticeSpec:
    """What a household is told about one order's plan. The key names what it is told (see
    `households_notify`), so the same plan is never told twice and a changed one is."""
    order, household = plan.order, plan.household
    title = plan.round.title
    if plan.unplaced == Unplaced.NO_CAPACITY:
        # No point holds the packs: promising a door delivery or a slot would be false.
        key = f"{order.pk}:unplaced:{plan.unplaced}"
        said = words.PLAN_UNPLACED(round=title, reason=plan.unplaced)
    elif plan.fulfilment == Fulfilment.PICKUP and plan.slot:
        slot = plan.slot
        key = f"{order.pk}:pickup:{slot.point_id}:{slot.start:%Y%m%d%H%M}"
        said = words.PLAN_PICKUP(
            round=title,
            point=plan.point.name if plan.point else "",
            start=slot.start.isoformat(),
            end=slot.end.isoformat(),
            code=code_display(order.pickup_code),
        )
    elif plan.fulfilment == Fulfilment.DOOR:
        key = f"{order.pk}:door"
        said = words.PLAN_DOOR(round=title)
    elif plan.fulfilment == Fulfilment.UNIT_ENTRANCE:
        key = f"{order.pk}:unit_entrance"
        said = words.PLAN_UNIT_ENTRANCE(round=title, unit=household.unit)
    else:
        key = f"{order.pk}:unplaced:{plan.unplaced}"
        said = words.PLAN_UNPLACED(round=title, reason=plan.unplaced)
    return NoticeSpec(
        said=said,
        key=key,
        recipient_id=household.account_id,
        phone=household.contact_phone,
        link=reverse("order-detail", args=[order.pk]),
    )


def households_notify(supply_round: SupplyRound, *, plans: Q | None = None) -> int:
    """Tell the households of the round (or of `plans`) how their packs reach them, when it
    differs from what they were last told (`OrderPlan.notified`).

    Each notice's key counts the times the household was told ("plan:<order>:<n>") and is
    stored with the new `notified` in one transaction: a run that dies and runs again tells
    nobody twice, and a plan that changes and comes back (slot A, B, then A) is told each
    time."""
    queryset = OrderPlan.objects.filter(round=supply_round, handed_over_at__isnull=True)
    if plans is not None:
        queryset = queryset.filter(plans)
    queryset = queryset.select_related("order", "household", "point", "slot", "round").order_by(
        "pk"
    )
    specs, told = [], []
    for plan in queryset.iterator(chunk_size=2000):
        spec = plan_notice(plan)
        if spec.key == plan.notified:
            continue
        plan.notified, plan.times_told = spec.key, plan.times_told + 1
        specs.append(dataclasses.replace(spec, key=f"plan:{plan.order_id}:{plan.times_told}"))
        told.append(plan)
    with transaction.atomic():
        new = notify(specs)
        OrderPlan.objects.bulk_update(told, ["notified", "times_told"], batch_size=1000)
    return new
