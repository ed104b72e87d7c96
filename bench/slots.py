"""Time and memory of the staggered-pickup schedule (deliveries/slots.py).

Run by hand; it needs no database and writes nothing:

    .venv/bin/python bench/slots.py
    .venv/bin/python bench/slots.py --repeat 5 --seed 3

First every household at one point, as in issue 15: 16,000 households in 286 buildings, then
160,000 in 2,860, each with the point's 10-hour window (most households do not fit: the walk
is nearly all of the work) and with a window long enough for everyone (every unit goes through
the search); beside each, the walking order alone, through the grid and by the scan of every
building left at every step that it replaced (O(buildings²); the same order, checked).

Then every point of two compounds, as in issue 4: 286 buildings / about 16,000 households / 30
points, and ten times that (2,860 / 160,000 / 300). Buildings are scattered over a square
compound (1.2 km a side, and sqrt(10) times that for the large one) and pick up at their
nearest point; each has units of 10-60 households, one person per household comes down. Every
point has a crowd cap of 20 per 10-minute slot and a 10-hour window (60 slots). The wall time
is the best of --repeat runs over all points, without tracemalloc; the peak memory is measured
in a separate run under tracemalloc, keeping every point's schedule (the input units are built
before and not counted).
"""

import argparse
import random
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from deliveries.slots import (  # noqa: E402
    PickupUnit,
    PointPickups,
    plan_pickup_slots,
    walking_order,
)

START = datetime(2022, 4, 10, 8, 0)
SLOT = timedelta(minutes=10)
WINDOW = timedelta(hours=10)
CAP = 20


def build_points(buildings: int, households: int, points: int, seed: int) -> list[PointPickups]:
    rng = random.Random(seed)
    side = 1200 * (buildings / 286) ** 0.5
    spots = [(rng.uniform(0, side), rng.uniform(0, side)) for _ in range(points)]
    places = [(rng.uniform(0, side), rng.uniform(0, side)) for _ in range(buildings)]
    sizes: list[list[int]] = [[rng.randint(10, 60)] for _ in range(buildings)]
    total = sum(size[0] for size in sizes)
    while total < households:  # more units in random buildings until the households are there
        size = min(rng.randint(10, 60), max(10, households - total))
        sizes[rng.randrange(buildings)].append(size)
        total += size
    units: list[list[PickupUnit]] = [[] for _ in range(points)]
    for number, ((x, y), unit_sizes) in enumerate(zip(places, sizes, strict=True)):
        nearest = min(range(points), key=lambda p: (spots[p][0] - x) ** 2 + (spots[p][1] - y) ** 2)
        for unit, people in enumerate(unit_sizes, start=1):
            units[nearest].append(PickupUnit(f"{number + 1}号楼", unit, x, y, people))
    return [
        PointPickups(x, y, START, START + WINDOW, SLOT, CAP, point_units)
        for (x, y), point_units in zip(spots, units, strict=True)
    ]


def scanned_walk(x: float, y: float, units: list[PickupUnit]) -> list[PickupUnit]:
    """The walking order as it was computed before: scan every building left at every step."""
    by_building: dict[str, list[PickupUnit]] = {}
    for unit in units:
        by_building.setdefault(unit.building, []).append(unit)
    position = {label: (group[0].x, group[0].y) for label, group in by_building.items()}
    remaining = sorted(by_building)
    walk: list[PickupUnit] = []
    here = (x, y)

    def key(label: str) -> tuple[float, str]:
        dx, dy = here[0] - position[label][0], here[1] - position[label][1]
        return dx * dx + dy * dy, label

    while remaining:
        label = min(remaining, key=key)
        remaining.remove(label)
        walk.extend(sorted(by_building[label], key=lambda unit: unit.unit))
        here = position[label]
    return walk


def timed(function, repeat: int) -> tuple[float, float, object]:
    """Best and median wall time of `repeat` calls, and the last result."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - began)
    return min(times), statistics.median(times), result


def one_point(buildings: int, households: int, seed: int, repeat: int) -> None:
    (point,) = build_points(buildings, households, 1, seed)
    people = sum(unit.people for unit in point.units)
    everyone = PointPickups(
        point.x,
        point.y,
        START,
        START + SLOT * (-(-people // CAP) + 1),
        SLOT,
        CAP,
        point.units,
    )
    units = list(point.units)
    grid_best, grid_median, walk = timed(lambda: walking_order(point.x, point.y, units), repeat)
    scan_best, scan_median, scanned = timed(
        lambda: scanned_walk(point.x, point.y, units), max(1, min(repeat, 3))
    )
    assert walk == scanned, "the grid's walk differs from the scan's"
    print(f"== one point, {people} households in {buildings} buildings ({len(units)} units)")
    for label, pickups in (("10-hour window", point), ("window for everyone", everyone)):
        best, median, schedule = timed(lambda p=pickups: plan_pickup_slots(p), repeat)
        print(
            f"   {label}: {len(schedule.slots)} slots, {schedule.people_placed} placed,"
            f" {schedule.people_unplaced} unplaced; plan_pickup_slots best"
            f" {best * 1000:.1f} ms, median {median * 1000:.1f} ms of {repeat}"
        )
    print(
        f"   walking order alone: grid {grid_best * 1000:.1f} ms (median"
        f" {grid_median * 1000:.1f}), scanning every building {scan_best * 1000:.1f} ms"
        f" (median {scan_median * 1000:.1f}); the same order"
    )


def run(label: str, buildings: int, households: int, points: int, seed: int, repeat: int) -> None:
    instance = build_points(buildings, households, points, seed)
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        schedules = [plan_pickup_slots(point) for point in instance]
        times.append(time.perf_counter() - began)
    tracemalloc.start()  # the schedules of all points are kept, as the job would keep them
    kept = [plan_pickup_slots(point) for point in instance]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert kept == schedules  # same input, same schedule

    units = sum(len(point.units) for point in instance)
    people = sum(s.people for s in schedules)
    per_point = [s.people for s in schedules]
    over_bound = sum(len(s.slots) - s.lower_bound for s in schedules if not s.unplaced)
    reasons = Counter(split.reason.value for s in schedules for split in s.splits)
    short = [s for s in schedules if s.unplaced]
    print(f"== {label}: {buildings} buildings, {units} units, {people} households, {points} points")
    print(
        f"   households per point: min {min(per_point)}, median {statistics.median(per_point):.0f},"
        f" max {max(per_point)}; cap {CAP} per {SLOT.seconds // 60}-minute slot,"
        f" window {WINDOW.seconds // 3600} h = {schedules[0].window_slots} slots"
    )
    print(
        f"   slots used {sum(len(s.slots) for s in schedules)}"
        f" (lower bounds summed {sum(s.lower_bound for s in schedules)};"
        f" slots beyond the bound, over points that fit: {over_bound});"
        f" split units {dict(sorted(reasons.items()))}; extra parts"
        f" {sum(s.extra_parts for s in schedules)}"
    )
    print(
        f"   points whose window is too short: {len(short)}, households unplaced"
        f" {sum(s.people_unplaced for s in short)}, most slots short"
        f" {max((s.slots_short for s in short), default=0)}"
    )
    print(
        f"   wall time, all points: best {min(times) * 1000:.1f} ms of {repeat}"
        f" (median {statistics.median(times) * 1000:.1f} ms,"
        f" {min(times) / points * 1e6:.0f} us per point); peak memory (tracemalloc)"
        f" {peak / 1024 / 1024:.2f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, seed {args.seed}")
    one_point(286, 16_000, args.seed, args.repeat)
    one_point(2_860, 160_000, args.seed, args.repeat)
    run("compound", 286, 16_000, 30, args.seed, args.repeat)
    run("ten times", 2_860, 160_000, 300, args.seed, args.repeat)


if __name__ == "__main__":
    main()
