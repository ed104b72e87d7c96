"""Time and memory of the staggered-pickup schedule (deliveries/slots.py) for every point.

Run by hand; it needs no database and writes nothing:

    .venv/bin/python bench/slots.py
    .venv/bin/python bench/slots.py --repeat 5 --seed 3

Two instances, as in issue 4: 286 buildings / about 16,000 households / 30 points, and ten
times that (2,860 / 160,000 / 300). Buildings are scattered over a square compound (1.2 km a
side, and sqrt(10) times that for the large one) and pick up at their nearest point; each has
units of 10-60 households, one person per household comes down. Every point has a crowd cap of
20 per 10-minute slot and a 10-hour window (60 slots). The wall time is the best of --repeat
runs over all points, without tracemalloc; the peak memory is measured in a separate run under
tracemalloc, keeping every point's schedule (the input units are built before and not counted).
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

from deliveries.slots import PickupUnit, PointPickups, plan_pickup_slots  # noqa: E402

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
    run("compound", 286, 16_000, 30, args.seed, args.repeat)
    run("ten times", 2_860, 160_000, 300, args.seed, args.repeat)


if __name__ == "__main__":
    main()
