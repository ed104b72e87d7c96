"""Demo collection points, compound policies and one planned round, on top of `seed_demo`.

Idempotent: a compound that has points keeps them, a policy staff changed stays, and the demo
round is made once, so `seed_demo_points` can run at every start."""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from deliveries.models import CollectionPoint, CompoundPolicy, ControlledPolicy, RoundPlan
from deliveries.services.points import point_create, policy_set
from residents.demo import DEFAULT_COMPOUNDS, LARGE_COMPOUND, STREET
from residents.models import Compound, Household, Role, Street
from supplies.models import Category, PackageType, RoundKind, Supplier, SupplyRound
from supplies.services.rounds import OfferSpec, round_close, round_create, round_open
from supplies.services.suppliers import (
    package_type_create,
    supplier_check_licence,
    supplier_create,
)

# Packs a household takes in a round (the demo round: two vegetable packs and one of meat);
# the points of a compound hold this many for each household, and 5 % more.
PACKS_PER_HOUSEHOLD = 3
CAPACITY_MARGIN = 1.05
GATES = ("北门", "南门", "东门", "西门")  # two gates face each other


@dataclass(frozen=True)
class PointsPlan:
    compound: str
    points: int
    controlled: str  # ControlledPolicy


POINTS = (
    PointsPlan(DEFAULT_COMPOUNDS[0].name, 3, ControlledPolicy.PICKUP),
    PointsPlan(DEFAULT_COMPOUNDS[1].name, 2, ControlledPolicy.UNIT_ENTRANCE),
    PointsPlan(LARGE_COMPOUND.name, 30, ControlledPolicy.PICKUP),
)
ROUND_COMPOUND = DEFAULT_COMPOUNDS[0].name
ROUND_TITLE = "政府保供第一批：蔬菜包 × 2、肉蛋包 × 1"
SUPPLIER = "盒马鲜生保供专班"


@dataclass
class Seeded:
    points: dict[str, int] = field(default_factory=dict)  # compound → points created now
    policies: list[str] = field(default_factory=list)  # compounds given a policy now
    round: SupplyRound | None = None
    round_created: bool = False


def _gates(compound: Compound, count: int) -> list[tuple[str, float, float]]:
    """`count` gates on a fence 20 m outside the compound's buildings: up to four at the middle
    of the north, east, south and west sides; more, numbered, evenly along the fence."""
    box = compound.buildings.aggregate(
        x0=Min("position_x"), x1=Max("position_x"), y0=Min("position_y"), y1=Max("position_y")
    )
    x0, y0 = (box["x0"] or 0) - 20, (box["y0"] or 0) - 20
    x1, y1 = (box["x1"] or 0) + 20, (box["y1"] or 0) + 20
    if count <= len(GATES):
        middle = {
            "北门": ((x0 + x1) / 2, y1),
            "东门": (x1, (y0 + y1) / 2),
            "南门": ((x0 + x1) / 2, y0),
            "西门": (x0, (y0 + y1) / 2),
        }
        return [(name, *middle[name]) for name in GATES[:count]]
    width, height = x1 - x0, y1 - y0
    perimeter = 2 * (width + height)
    gates = []
    for number in range(count):
        s = (number + 0.5) * perimeter / count  # clockwise from the south-west corner
        if s < height:
            x, y = x0, y0 + s
        elif s < height + width:
            x, y = x0 + s - height, y1
        elif s < 2 * height + width:
            x, y = x1, y1 - (s - height - width)
        else:
            x, y = x1 - (s - 2 * height - width), y0
        gates.append((f"{number + 1}号门", round(x, 1), round(y, 1)))
    return gates


def _points_seed(compound: Compound, plan: PointsPlan, *, by: User) -> int:
    if CollectionPoint.objects.filter(compound=compound).exists():
        return 0
    households = Household.objects.filter(building__compound=compound).count()
    capacity = math.ceil(households * PACKS_PER_HOUSEHOLD * CAPACITY_MARGIN / plan.points)
    for name, x, y in _gates(compound, plan.points):
        point_create(
            compound=compound,
            by=by,
            name=name,
            position_x=x,
            position_y=y,
            capacity=capacity,
            crowd_cap=15,
            opens_at=datetime.time(8),
            closes_at=datetime.time(18),
            slot_minutes=10,
        )
    return plan.points


def _packages(street: Street, *, by: User) -> tuple[PackageType, PackageType]:
    supplier = Supplier.objects.filter(street=street, name=SUPPLIER).first()
    if supplier is None:
        supplier = supplier_create(
            street=street, name=SUPPLIER, licence_number="JY13101120220401", by=by
        )
        supplier_check_licence(supplier=supplier, by=by)
    packages = []
    for name, category, contents in (
        ("蔬菜包", Category.VEGETABLE, "青菜 2 斤、土豆 3 个、洋葱 2 个、胡萝卜 3 根"),
        ("肉蛋包", Category.MEAT_AND_EGGS, "猪肉 1 斤、鸡蛋 10 个"),
    ):
        package = PackageType.objects.filter(supplier=supplier, name=name).first()
        packages.append(
            package
            or package_type_create(
                supplier=supplier, name=name, category=category, contents=contents, by=by
            )
        )
    return packages[0], packages[1]


def _round_seed(compound: Compound, *, by: User) -> tuple[SupplyRound, bool]:
    """A government allocation round for the compound, opened (an order per household) and
    closed at once; closing it asks for its plan (run in-process when there is no broker)."""
    existing = SupplyRound.objects.filter(compounds=compound, title=ROUND_TITLE).first()
    if existing is not None:
        return existing, False
    vegetables, meat = _packages(compound.committee.street, by=by)
    households = Household.objects.filter(building__compound=compound).count()
    supply_round = round_create(
        committee=compound.committee,
        title=ROUND_TITLE,
        kind=RoundKind.ALLOCATION,
        compounds=[compound],
        closes_at=timezone.now() + datetime.timedelta(hours=1),
        offers=[
            OfferSpec(package_type=vegetables, stock=2 * households, allocation_quantity=2),
            OfferSpec(package_type=meat, stock=households, allocation_quantity=1),
        ],
        by=by,
        notes="演示数据：已关闭并自动生成配送计划。",
    )
    round_open(supply_round=supply_round, by=by)
    round_close(supply_round=supply_round, by=by)
    return supply_round, True


def demo_points_seed(*, with_round: bool = True) -> Seeded:
    """Points and policies for each demo compound there is, then the planned demo round."""
    staff = User.objects.get(username="staff")
    seeded = Seeded()
    with transaction.atomic():
        for plan in POINTS:
            compound = Compound.objects.filter(
                committee__street__name=STREET, name=plan.compound
            ).first()
            if compound is None:  # the large compound only with seed_demo --scale large
                continue
            by = _staff_of(compound) or staff
            seeded.points[compound.name] = _points_seed(compound, plan, by=by)
            if not CompoundPolicy.objects.filter(compound=compound).exists():
                policy_set(compound=compound, controlled_fulfilment=plan.controlled, by=by)
                seeded.policies.append(compound.name)
    if with_round:
        compound = Compound.objects.get(committee__street__name=STREET, name=ROUND_COMPOUND)
        # Its own transaction: the plan is asked for once the closing has committed.
        with transaction.atomic():
            seeded.round, seeded.round_created = _round_seed(compound, by=staff)
    return seeded


def _staff_of(compound: Compound) -> User | None:
    """The demo login that staffs the compound's committee, to be named on its points."""
    return (
        User.objects.filter(
            memberships__committee=compound.committee, memberships__role=Role.COMMITTEE_STAFF
        )
        .order_by("pk")
        .first()
    )


def round_plan_of(supply_round: SupplyRound) -> RoundPlan | None:
    return RoundPlan.objects.filter(round=supply_round).first()
