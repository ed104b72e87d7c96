"""Allocation, the first step of planning a closed round (see `deliveries.services.planning`):
each order's fulfilment from its building's closure level, its household and the compound's
policy; every building's packs allocated to the compound's collection points (optimal, by
`deliveries.allocation`); each order given a point, saved chunk by chunk; then the door and
unit-entrance deliveries (`door_deliveries`)."""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.jobs import Progress
from deliveries import wordings as words
from deliveries.allocation import BuildingDemand, PointCapacity, allocate
from deliveries.models import (
    CollectionPoint,
    OrderPlan,
    RoundPlan,
    Unplaced,
)
from deliveries.services import door_deliveries
from deliveries.services.planning import (
    controlled_policies,
    default_pickup_date,
    fulfilment_for,
    in_chunks,
    require_plannable,
    round_lock,
)
from residents.models import Building
from residents.selectors import vulnerable_member
from supplies.models import Order, OrderStatus, SupplyRound


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
    require_plannable(supply_round)
    progress(5, words.READING_ORDERS())
    plan = allocation_compute(supply_round)
    progress(30, words.ALLOCATED(count=len(plan.orders)))
    allocation_save(supply_round, plan, progress=progress, by=by)
    summary = plan.summary
    message = words.ALLOCATION_DONE(orders=summary["orders"], unplaced=summary["unplaced_orders"])
    return summary, message


def allocation_save(
    supply_round: SupplyRound,
    plan: AllocationPlan,
    *,
    progress: Progress | None = None,
    by=None,
) -> None:
    size = settings.DELIVERIES_PLAN_CHUNK
    chunks = list(in_chunks(plan.orders, size)) or [[]]
    counts: dict[str, int] = defaultdict(int)
    for number, chunk in enumerate(chunks, 1):
        with transaction.atomic():
            round_lock(supply_round)
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
            door_deliveries.deliveries_sync(  # through the module: tests wrap it
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
        round_lock(supply_round)
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
