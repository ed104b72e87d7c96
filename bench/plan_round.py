"""The whole plan of a closed round, from its orders to the notices, at the largest compound's
scale and ten times it; the algorithms alone beside it, and a reference LP solver.

Run by hand:

    .venv/bin/python bench/plan_round.py                     # SQLite file in a temp directory
    .venv/bin/python bench/plan_round.py --postgres          # PostgreSQL database bench_plan
    .venv/bin/python bench/plan_round.py --scales 1 --compounds 1

Each scale runs in a fresh process on a fresh database of the bench's own: a SQLite file in a
temporary directory (removed at the end), or with --postgres the database `bench_plan` on
127.0.0.1:5432 (user postgres; created, and dropped at the end unless --keep), never the `test`
database CI uses. The data are written with bulk inserts: at scale s, 286 × s buildings on a
40 m grid, 40,000 × s households (one resident each, 3 % of them vulnerable), one closed
allocation round with an order per household (1–4 packs, 2.5 on average, in up to three
package types), and 30 × s collection points around the fence whose capacities add up to
105 % of the packs ordered. A sixth of the buildings are sealed, a third controlled (picking up
at the gate, or left at the unit entrance, by compound policy), the rest in precaution. The
points call 25 people a 10-minute slot, 07:00–19:00. --compounds N splits the buildings,
households and points of a scale into N compounds of one committee, served by the same round
(default: one compound).

Then, each step timed on its own (wall clock) with its peak memory: growth of the peak
resident set (VmHWM, reset before the step) over the resident set before it, and for the pure
algorithms also tracemalloc's peak in a separate traced run:

1. the whole jobs, as a worker runs them but in this process: `deliveries.tasks.allocate_round`
   (planning.allocation_run: read, allocate, save in chunks of DELIVERIES_PLAN_CHUNK, deliveries)
   then `schedule_pickups` (planning.schedule_run: slots, saved per point, a notice stored per
   household); then sending the stored notices (core.notifications.send_pending, through the
   in-memory SMS backend); then both jobs again, which find nothing to change;
2. the algorithms alone on the same data, loaded from the database first (the loading is
   timed apart): `deliveries.allocation.allocate` per compound, and
   `deliveries.slots.plan_pickup_slots` for every point on the households the job gave it;
3. scipy's `linprog(method="highs")` on the same allocation instances (bench/allocation.py's
   formulation); its objective must agree with ours, and with the one the job saved.

It exits non-zero when an objective differs or the plan is incomplete. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))

import allocation as allocation_bench  # noqa: E402  (bench/allocation.py)

POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"
POSTGRES_NAME = "bench_plan"
SPACING = 40.0
PACKS = (1, 2, 2, 3, 3, 4)  # per household, mean 2.5
VULNERABLE_SHARE = 0.03


# --- the parent: one process per scale, then the table ----------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", default="1,10", help="comma-separated, default 1,10")
    parser.add_argument("--compounds", type=int, default=1, help="compounds per scale (1)")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL, not SQLite")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of the algorithms")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--step", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.step:
        print(json.dumps(step_process(options.step, options.repeat)))
        return 0
    if options.scale:
        print(json.dumps(scale_process(options.scale, options)))
        return 0

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, {sys.platform}")
    ok = True
    for scale in (int(s) for s in options.scales.split(",")):
        command = [sys.executable, __file__, "--scale", str(scale)]
        command += ["--compounds", str(options.compounds), "--repeat", str(options.repeat)]
        command += ["--seed", str(options.seed)] + ["--postgres"] * options.postgres
        command += ["--keep"] * options.keep
        done = subprocess.run(command, stdout=subprocess.PIPE, text=True)
        if done.returncode:
            print(f"scale {scale}: the run failed (exit {done.returncode})")
            return done.returncode
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        report(figures)
        ok = ok and figures["ok"]
    return 0 if ok else 1


def report(figures: dict) -> None:
    data = figures["data"]
    print()
    print(
        f"== scale {figures['scale']} on {figures['database']}: {data['compounds']} compound(s), "
        f"{data['buildings']:,} buildings, {data['households']:,} households / orders, "
        f"{data['points']} points, {data['packs']:,} packs, capacity {data['capacity']:,} "
        f"({data['capacity'] / data['packs']:.1%}); plan chunk {figures['chunk']}"
    )
    print(
        f"   levels {data['levels']}; {data['vulnerable']:,} vulnerable households; "
        f"migrations {figures['migrate_s']:.1f} s, seeding (bulk inserts) {figures['seed_s']:.1f} s"
    )
    print(f"   {'step':<48}{'wall s':>9}{'peak RSS +MiB':>15}{'tracemalloc MiB':>17}  notes")
    for step in figures["steps"]:
        traced = f"{step['traced_mib']:.1f}" if step.get("traced_mib") is not None else "-"
        print(
            f"   {step['name']:<48}{step['seconds']:>9.2f}{step['rss_mib']:>15.1f}"
            f"{traced:>17}  {step.get('notes', '')}"
        )
    for line in figures["checks"]:
        print(f"   {line}")
    print(f"   {'all checks passed' if figures['ok'] else 'A CHECK FAILED'}")


# --- measuring -----------------------------------------------------------------------------


def memory_mib(field: str) -> float:
    return allocation_bench.memory_mib(field)


class Step:
    """Wall time and peak-RSS growth of one step: `with Step("name", steps) as figures:`."""

    def __init__(self, name: str, steps: list[dict]):
        self.figures = {"name": name, "notes": ""}
        steps.append(self.figures)

    def __enter__(self) -> dict:
        allocation_bench.reset_peak()
        self.rss = memory_mib("VmRSS")
        self.started = time.perf_counter()
        return self.figures

    def __exit__(self, *exc) -> None:
        self.figures["seconds"] = time.perf_counter() - self.started
        self.figures["rss_mib"] = memory_mib("VmHWM") - self.rss


def best_of(name: str, steps: list[dict], repeat: int, work):
    """Run `work()` `repeat` times, each as a Step; keep the fastest; return its result."""
    runs = []
    for _ in range(repeat):
        with Step(name, steps) as figures:
            result = work()
        runs.append(figures)
        steps.remove(figures)
    best = min(runs, key=lambda figures: figures["seconds"])
    best["rss_mib"] = max(figures["rss_mib"] for figures in runs)
    steps.append(best)
    return best, result


def traced_peak(work) -> float:
    tracemalloc.start()
    work()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def check(figures: dict, passed: bool, text: str) -> None:
    figures["checks"].append(f"{'ok  ' if passed else 'FAIL'} {text}")
    figures["ok"] = figures["ok"] and passed


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- one scale: a fresh database, seeded, then every step in a fresh process ----------------


def database_url(options, directory: Path) -> str:
    if not options.postgres:
        return f"sqlite:///{directory / 'bench_plan.sqlite3'}"
    postgres_admin(f"DROP DATABASE IF EXISTS {POSTGRES_NAME}", f"CREATE DATABASE {POSTGRES_NAME}")
    return f"{POSTGRES_SERVER}/{POSTGRES_NAME}"


def postgres_admin(*statements: str) -> None:
    import psycopg2

    admin = psycopg2.connect(f"{POSTGRES_SERVER}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    admin.close()


def django_setup() -> None:
    os.environ["CELERY_BROKER_URL"] = "memory://localhost/"  # .delay() queues, runs nothing
    os.environ["NOTICE_SMS_BACKEND"] = "core.notifications.LocmemSmsBackend"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


# The steps, each run in a process of its own so that its memory is its own.
JOB_STEPS = ("allocate", "schedule", "send", "allocate again", "schedule again")
ALGORITHM_STEPS = ("allocation", "slots")


def scale_process(scale: int, options) -> dict:
    directory = Path(tempfile.mkdtemp(prefix="bench_plan_"))
    os.environ["DATABASE_URL"] = database_url(options, directory)  # the steps inherit it
    django_setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, connections

    figures: dict = {
        "scale": scale,
        "database": connection.vendor,
        "chunk": settings.DELIVERIES_PLAN_CHUNK,
        "steps": [],
        "checks": [],
        "ok": True,
    }
    try:
        say(f"scale {scale}: migrating a fresh {connection.vendor} database")
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        figures["migrate_s"] = time.perf_counter() - started
        say(f"scale {scale}: seeding")
        started = time.perf_counter()
        figures["data"] = seed(scale, options.compounds, random.Random(options.seed))
        figures["seed_s"] = time.perf_counter() - started
        connections.close_all()
        results = {}
        for name in JOB_STEPS + ALGORITHM_STEPS:
            say(f"scale {scale}: {name}")
            command = [sys.executable, __file__, "--step", name, "--repeat"]
            command.append(str(options.repeat if scale == 1 else 1))
            done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
            results[name] = json.loads(done.stdout.strip().splitlines()[-1])
            figures["steps"].extend(results[name]["steps"])
            for step in results[name]["steps"]:
                say(f"   {step['name']}: {step['seconds']:.2f} s, {step['notes']}")
        verify(figures, results)
    finally:
        connections.close_all()
        shutil.rmtree(directory, ignore_errors=True)
        if options.postgres and not options.keep:
            postgres_admin(f"DROP DATABASE IF EXISTS {POSTGRES_NAME}")
    return figures


def step_process(name: str, repeat: int) -> dict:
    django_setup()
    from supplies.models import SupplyRound

    supply_round = SupplyRound.objects.get()
    if name in JOB_STEPS:
        return job_step(name, supply_round)
    if name == "allocation":
        return allocation_step(supply_round, repeat)
    return slots_step(supply_round, repeat)


# --- data ------------------------------------------------------------------------------------


def seed(scale: int, compounds: int, rng: random.Random):
    """Bulk-insert the scale's compounds, households, points and one closed round."""
    import datetime

    from django.contrib.auth.models import User
    from django.utils import timezone

    from deliveries.models import CollectionPoint, CompoundPolicy, ControlledPolicy
    from residents.models import (
        Building,
        ClosureLevel,
        Committee,
        Compound,
        Household,
        Need,
        Resident,
        ResidentNeed,
        Street,
    )
    from supplies.models import (
        Category,
        Channel,
        Offer,
        Order,
        OrderLine,
        OrderStatus,
        PackageType,
        PaymentStatus,
        RoundKind,
        RoundStatus,
        Supplier,
    )
    from supplies.models import SupplyRound as Round

    staff = User.objects.create(username="bench-staff")
    street = Street.objects.create(name="长乐街道")
    committee = Committee.objects.create(street=street, name="胜利居委会")
    supplier = Supplier.objects.create(
        street=street, name="保供企业", licence_number="JY1", licence_checked_at=timezone.now()
    )
    packages = [
        PackageType.objects.create(supplier=supplier, name=name, category=category)
        for name, category in (
            ("蔬菜包", Category.VEGETABLE),
            ("肉蛋包", Category.MEAT_AND_EGGS),
            ("牛奶包", Category.MILK),
        )
    ]
    supply_round = Round.objects.create(
        committee=committee,
        title=f"bench ×{scale}",
        kind=RoundKind.ALLOCATION,
        status=RoundStatus.CLOSED,
        opens_at=timezone.now() - datetime.timedelta(days=1),
        closes_at=timezone.now() - datetime.timedelta(hours=1),
        created_by=staff,
    )
    offers = Offer.objects.bulk_create(
        Offer(round=supply_round, package_type=package, stock=0) for package in packages
    )
    levels = defaultdict(int)
    totals = defaultdict(int)
    order_number = 0
    for index in range(compounds):
        compound = Compound.objects.create(committee=committee, name=f"小区{index + 1}")
        supply_round.compounds.add(compound)
        if index % 2:  # a mix of policies when there are several compounds
            CompoundPolicy.objects.create(
                compound=compound, controlled_fulfilment=ControlledPolicy.UNIT_ENTRANCE
            )
        n_buildings = share(286 * scale, compounds, index)
        n_households = share(40_000 * scale, compounds, index)
        n_points = share(30 * scale, compounds, index)
        columns = round(math.sqrt(n_buildings * 22 / 13))
        rows = math.ceil(n_buildings / columns)
        kinds = [ClosureLevel.SEALED] * (n_buildings // 6)
        kinds += [ClosureLevel.CONTROLLED] * (n_buildings // 3)
        kinds += [ClosureLevel.PRECAUTION] * (n_buildings - len(kinds))
        rng.shuffle(kinds)
        buildings = Building.objects.bulk_create(
            Building(
                compound=compound,
                label=str(number + 1),
                units=rng.randint(2, 4),
                floors=18,
                position_x=(number % columns) * SPACING + rng.uniform(-5, 5),
                position_y=(number // columns) * SPACING + rng.uniform(-5, 5),
                closure_level=kinds[number],
            )
            for number in range(n_buildings)
        )
        for level in kinds:
            levels[level] += 1
        weights = [rng.uniform(0.5, 1.5) for _ in buildings]
        per_building = [math.floor(n_households * w / sum(weights)) for w in weights]
        for number in range(n_households - sum(per_building)):
            per_building[number % n_buildings] += 1
        households = Household.objects.bulk_create(
            (
                Household(
                    building=building,
                    unit=number % building.units + 1,
                    room=f"{number // building.units + 1:04d}",
                    contact_phone=f"139{len(per_building) * index + number:08d}",
                )
                for building, count in zip(buildings, per_building, strict=True)
                for number in range(count)
            ),
            batch_size=5000,
        )
        residents = Resident.objects.bulk_create(
            (Resident(household=h, name=f"居民{h.pk}", sex="F") for h in households),
            batch_size=5000,
        )
        vulnerable = rng.sample(residents, round(len(residents) * VULNERABLE_SHARE))
        ResidentNeed.objects.bulk_create(
            (ResidentNeed(resident=r, need=Need.ELDERLY_ALONE) for r in vulnerable),
            batch_size=5000,
        )
        totals["vulnerable"] += len(vulnerable)
        packs_of = [rng.choice(PACKS) for _ in households]
        orders = Order.objects.bulk_create(
            (
                Order(
                    household=household,
                    round=supply_round,
                    status=OrderStatus.PLACED,
                    channel=Channel.ALLOCATION,
                    pickup_code=f"B{order_number + number:09d}",
                    payment_status=PaymentStatus.WAIVED,
                    created_by=staff,
                )
                for number, household in enumerate(households)
            ),
            batch_size=5000,
        )
        order_number += len(orders)
        OrderLine.objects.bulk_create(
            (
                OrderLine(order=order, offer=offer, quantity=quantity, unit_price=0)
                for order, packs in zip(orders, packs_of, strict=True)
                for offer, quantity in zip(offers, lines_of(packs), strict=True)
                if quantity
            ),
            batch_size=5000,
        )
        demand = sum(packs_of)
        width, height = (columns - 1) * SPACING + 40, (rows - 1) * SPACING + 40
        perimeter = 2 * (width + height)
        point_weights = [rng.uniform(0.5, 1.5) for _ in range(n_points)]
        capacities = [math.floor(1.05 * demand * w / sum(point_weights)) for w in point_weights]
        points = []
        for j in range(n_points):
            s = (j + rng.uniform(0.2, 0.8)) * perimeter / n_points  # along the fence
            if s < width:
                x, y = s, 0.0
            elif s < width + height:
                x, y = width, s - width
            elif s < 2 * width + height:
                x, y = width - (s - width - height), height
            else:
                x, y = 0.0, height - (s - 2 * width - height)
            points.append(
                CollectionPoint(
                    compound=compound,
                    name=f"{j + 1}号门",
                    position_x=x - 20,
                    position_y=y - 20,
                    capacity=capacities[j],
                    crowd_cap=25,
                    opens_at=datetime.time(7),
                    closes_at=datetime.time(19),
                    slot_minutes=10,
                )
            )
        CollectionPoint.objects.bulk_create(points)
        totals["buildings"] += n_buildings
        totals["households"] += n_households
        totals["points"] += n_points
        totals["packs"] += demand
        totals["capacity"] += sum(capacities)
    return {
        "compounds": compounds,
        **totals,
        "levels": {str(level): count for level, count in sorted(levels.items())},
    }


def share(total: int, parts: int, index: int) -> int:
    return total // parts + (1 if index < total % parts else 0)


def lines_of(packs: int) -> tuple[int, int, int]:
    """Quantities of vegetables, meat and eggs, milk for an order of `packs` packs."""
    return (1 + (packs >= 3), int(packs >= 2), int(packs == 4))


# --- the whole jobs ------------------------------------------------------------------------


def job_step(name: str, supply_round) -> dict:
    """One job as a worker runs it (the task called in this process), or the sending."""
    from core.jobs import job_create, subject_of
    from core.models import Job
    from core.notifications import send_pending
    from deliveries import tasks
    from deliveries.services.planning import ALLOCATE, SCHEDULE

    steps: list[dict] = []
    if name == "send":
        with Step("send the notices (in-memory SMS backend)", steps) as figures:
            sent = send_pending()
        figures["notes"] = f"{sent:,} sent"
        return {"steps": steps}
    again = name.endswith("again")
    kind = ALLOCATE if name.startswith("allocate") else SCHEDULE
    job = job_create(kind=kind, subject=subject_of(supply_round))
    label = f"{kind} job" + (" again (nothing to change)" if again else "")
    with Step(label, steps) as figures:
        if kind == ALLOCATE:
            tasks.allocate_round(supply_round.pk, job_id=job.pk, then_schedule=False)
        else:
            tasks.schedule_pickups(supply_round.pk, job_id=job.pk)
    job = Job.objects.get(pk=job.pk)
    figures["notes"] = job.message
    return {"steps": steps, "status": job.status, "error": job.error}


def verify(figures: dict, results: dict) -> None:
    from core.models import JobStatus, Notice
    from deliveries.models import Delivery, Fulfilment, OrderPlan, PickupSlot, RoundPlan

    for name in JOB_STEPS:
        if "status" in results[name]:
            status, error = results[name]["status"], results[name]["error"]
            check(figures, status == JobStatus.SUCCEEDED, f"{name}: {status} {error}".strip())
    orders = figures["data"]["households"]
    plan = RoundPlan.objects.get()
    plans = OrderPlan.objects.all()
    pickups = plans.filter(fulfilment=Fulfilment.PICKUP)
    notices = Notice.objects.filter(key__startswith="plan:").count()
    check(figures, plans.count() == orders, f"{plans.count():,} order plans for {orders:,} orders")
    check(
        figures,
        notices == orders,
        f"{notices:,} notices stored, one per order: the second run told nobody again",
    )
    figures["checks"].append(
        f"     fulfilment {plan.allocation['fulfilment']}; {plan.allocation['unplaced_orders']} "
        f"orders without a point; {Delivery.objects.count():,} deliveries; "
        f"{PickupSlot.objects.count():,} slots; {pickups.filter(slot=None).count():,} pickups "
        f"without a slot ({plan.schedule['unplaced_households']:,} the windows could not hold)"
    )
    saved = [compound["objective"] for compound in plan.allocation["compounds"]]
    ours, optima = results["allocation"]["objectives"], results["allocation"]["optima"]
    agree = all(
        math.isclose(mine, optimum, rel_tol=1e-9, abs_tol=1e-6)
        for mine, optimum in zip(ours, optima, strict=True)
    )
    shown = min(len(ours), 3)
    check(
        figures,
        agree,
        "allocate() and linprog agree: "
        + ", ".join(
            f"{a:,.3f} / {b:,.3f}" for a, b in zip(ours[:shown], optima[:shown], strict=True)
        )
        + (" …" if len(ours) > shown else "")
        + " pack-metres",
    )
    check(
        figures,
        saved == [round(objective, 3) for objective in ours],
        f"the job saved the same objective{'s' if len(saved) > 1 else ''}: {saved[:shown]}",
    )


# --- the algorithms alone, and the reference -------------------------------------------------


def allocation_instances(supply_round):
    """Per compound: (buildings with their packs, points), as planning reads them."""
    from django.db.models import Sum

    from deliveries.allocation import BuildingDemand, PointCapacity
    from deliveries.models import CollectionPoint
    from supplies.models import OrderLine, OrderStatus

    demand = (
        OrderLine.objects.filter(order__round=supply_round, order__status=OrderStatus.PLACED)
        .values_list(
            "order__household__building__compound_id",
            "order__household__building_id",
            "order__household__building__position_x",
            "order__household__building__position_y",
        )
        .annotate(packs=Sum("quantity"))
        .order_by("order__household__building_id")
    )
    buildings = defaultdict(list)
    for compound_id, building_id, x, y, packs in demand:
        buildings[compound_id].append(BuildingDemand(building_id, x, y, packs))
    points = defaultdict(list)
    for point in CollectionPoint.objects.filter(compound__in=list(buildings), active=True).order_by(
        "pk"
    ):
        points[point.compound_id].append(
            PointCapacity(point.pk, point.position_x, point.position_y, point.capacity)
        )
    return [(buildings[c], points[c]) for c in sorted(buildings)]


def pickup_instances(supply_round):
    """Every point's pickup units, as planning.schedule_compute builds them from the plans."""
    import datetime

    from deliveries.models import CollectionPoint, Fulfilment, OrderPlan, RoundPlan
    from deliveries.services.scheduling import window_of
    from deliveries.slots import PickupUnit, PointPickups

    rows = (
        OrderPlan.objects.filter(
            round=supply_round, fulfilment=Fulfilment.PICKUP, point__isnull=False
        )
        .order_by("point_id", "building__label", "household__unit", "household__room", "pk")
        .values_list(
            "point_id",
            "building__label",
            "building__position_x",
            "building__position_y",
            "household__unit",
        )
    )
    people = defaultdict(lambda: defaultdict(int))
    where = {}
    for point_id, label, x, y, unit in rows:
        people[point_id][(label, unit)] += 1
        where[label] = (x, y)
    day = RoundPlan.objects.get(round=supply_round).pickup_date
    points = CollectionPoint.objects.in_bulk(list(people))
    instances = []
    for point_id in sorted(people):
        point = points[point_id]
        start, end = window_of(point, day)
        instances.append(
            PointPickups(
                x=point.position_x,
                y=point.position_y,
                window_start=start,
                window_end=end,
                slot_length=datetime.timedelta(minutes=point.slot_minutes),
                cap=point.crowd_cap,
                units=[
                    PickupUnit(label, unit, *where[label], people=count)
                    for (label, unit), count in people[point_id].items()
                ],
            )
        )
    return instances


def allocation_step(supply_round, repeat: int) -> dict:
    from deliveries.allocation import allocate

    steps: list[dict] = []
    with Step("load the allocation instances (ORM)", steps):
        instances = allocation_instances(supply_round)

    def solve():
        return [allocate(buildings, points) for buildings, points in instances]

    figures, plans = best_of("allocate(), every compound (pure)", steps, repeat, solve)
    figures["traced_mib"] = traced_peak(solve)
    figures["notes"] = (
        f"best of {repeat}; {sum(len(p.assignments) for p in plans):,} assignments, "
        f"{sum(len(p.split_building_ids()) for p in plans)} split buildings"
    )

    import numpy  # noqa: F401  (imported before the step: not part of its memory)
    import scipy.optimize  # noqa: F401

    with Step("linprog highs, every compound (reference)", steps) as figures:
        optima = [allocation_bench.reference(b, p) for b, p in instances]
    figures["notes"] = "objectives " + (
        "agree"
        if all(
            math.isclose(plan.objective, optimum, rel_tol=1e-9, abs_tol=1e-6)
            for plan, optimum in zip(plans, optima, strict=True)
        )
        else "DIFFER"
    )
    return {"steps": steps, "objectives": [p.objective for p in plans], "optima": optima}


def slots_step(supply_round, repeat: int) -> dict:
    from deliveries.slots import plan_pickup_slots

    steps: list[dict] = []
    with Step("load the pickup instances (ORM)", steps):
        pickups = pickup_instances(supply_round)

    def schedule():
        return [plan_pickup_slots(point) for point in pickups]

    figures, schedules = best_of("plan_pickup_slots(), every point (pure)", steps, repeat, schedule)
    figures["traced_mib"] = traced_peak(schedule)
    figures["notes"] = (
        f"best of {repeat}; {len(pickups)} points, "
        f"{sum(s.people for s in schedules):,} households, "
        f"{sum(len(s.slots) for s in schedules):,} slots, "
        f"{sum(s.people_unplaced for s in schedules):,} unplaced"
    )
    return {"steps": steps}


if __name__ == "__main__":
    sys.exit(main())
