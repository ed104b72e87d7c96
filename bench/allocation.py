"""Allocation of packs to collection points: our exact solver beside a reference LP solver.

Run by hand:

    .venv/bin/python bench/allocation.py                 # the largest compound, then ten times it
    .venv/bin/python bench/allocation.py --scales 1      # only the largest compound

Each instance is a compound as the committees draw it: buildings on a grid about 40 m apart
(286 at scale 1, 2,860 at scale 10), each wanting its households' packs (about 56 households
and 2.5 packs a household: 40,000 packs at scale 1), and collection points at the gates around
the perimeter (30 at scale 1, 300 at scale 10) whose capacities add up to 105 % of the demand.

For each instance it prints the wall time of `deliveries.allocation.allocate` and of
scipy's `linprog(method="highs")` on the same transportation LP (serve min(demand, capacity)
packs at least total packs × distance), both objectives (they must agree), and the peak
memory of each, measured in a fresh process per solver: growth of the peak resident set
(VmHWM, reset before solving) over what the process held before solving (interpreter, imports
and the instance), and for our pure-Python solver also tracemalloc's peak of Python
allocations. Linux only (it reads /proc/self). It exits non-zero when the objectives differ.
Needs the dev requirements (scipy).
"""

import argparse
import json
import math
import random
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deliveries.allocation import (  # noqa: E402
    Allocation,
    BuildingDemand,
    PointCapacity,
    allocate,
)

SPACING = 40.0  # metres between neighbouring buildings
PACKS_PER_HOUSEHOLD = (1, 2, 2, 3, 3, 4)  # mean 2.5


def compound(scale: int, seed: int = 7) -> tuple[list[BuildingDemand], list[PointCapacity]]:
    """286 × scale buildings on a grid, 30 × scale gates around it with 105 % of the demand."""
    rng = random.Random(seed)
    count = 286 * scale
    columns = round(math.sqrt(count * 22 / 13))  # 22 × 13 at scale 1
    rows = math.ceil(count / columns)
    buildings = []
    for i in range(count):
        households = rng.randint(30, 82)
        packs = sum(rng.choice(PACKS_PER_HOUSEHOLD) for _ in range(households))
        x = (i % columns) * SPACING + rng.uniform(-5, 5)
        y = (i // columns) * SPACING + rng.uniform(-5, 5)
        buildings.append(BuildingDemand(id=i + 1, x=x, y=y, demand=packs))
    width = (columns - 1) * SPACING + 40  # gates stand 20 m outside the outer buildings
    height = (rows - 1) * SPACING + 40
    perimeter = 2 * (width + height)
    gates = 30 * scale
    weights = [rng.uniform(0.5, 1.5) for _ in range(gates)]
    target = 1.05 * sum(building.demand for building in buildings)
    capacities = [math.floor(target * weight / sum(weights)) for weight in weights]
    points = []
    for j in range(gates):
        s = (j + rng.uniform(0.2, 0.8)) * perimeter / gates  # along the fence from a corner
        if s < width:
            x, y = s, 0.0
        elif s < width + height:
            x, y = width, s - width
        elif s < 2 * width + height:
            x, y = width - (s - width - height), height
        else:
            x, y = 0.0, height - (s - 2 * width - height)
        points.append(PointCapacity(id=j + 1, x=x - 20, y=y - 20, capacity=capacities[j]))
    return buildings, points


def reference(buildings: list[BuildingDemand], points: list[PointCapacity]) -> float:
    """The transportation LP solved by HiGHS: its optimum is integral (total unimodularity)."""
    import numpy as np
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix, vstack

    n_buildings, n_points = len(buildings), len(points)
    bx = np.array([b.x for b in buildings])[:, None]
    by = np.array([b.y for b in buildings])[:, None]
    px = np.array([p.x for p in points])[None, :]
    py = np.array([p.y for p in points])[None, :]
    costs = np.hypot(bx - px, by - py).ravel()
    arcs = np.arange(n_buildings * n_points)
    rows = np.concatenate([arcs // n_points, n_buildings + arcs % n_points])
    upper = coo_matrix(
        (np.ones(2 * arcs.size), (rows, np.concatenate([arcs, arcs]))),
        shape=(n_buildings + n_points, arcs.size),
    )
    bounds = [b.demand for b in buildings] + [p.capacity for p in points]
    served = min(sum(b.demand for b in buildings), sum(p.capacity for p in points))
    total = coo_matrix(np.ones((1, arcs.size)))
    result = linprog(
        costs,
        A_ub=upper.tocsr(),
        b_ub=bounds,
        A_eq=vstack([total]).tocsr(),
        b_eq=[served],
        bounds=(0, None),
        method="highs",
    )
    if result.status != 0:
        raise RuntimeError(result.message)
    return float(result.fun)


def memory_mib(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process, from Linux's /proc.

    Not ru_maxrss: Linux carries it across exec from the parent, which has solved the large
    instance already.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS


def measure(solver: str, scale: int) -> dict:
    """Run in a fresh process: memory of one solve (and tracemalloc's peak for ours)."""
    buildings, points = compound(scale)
    if solver == "reference":
        import numpy  # noqa: F401
        import scipy.optimize  # noqa: F401
    reset_peak()
    before = memory_mib("VmRSS")
    figures: dict = {"rss_before_mib": before}
    if solver == "ours-traced":
        tracemalloc.start()
        allocate(buildings, points)
        figures["traced_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    elif solver == "ours":
        allocate(buildings, points)
    else:
        reference(buildings, points)
    figures["rss_peak_mib"] = memory_mib("VmHWM")
    figures["rss_growth_mib"] = figures["rss_peak_mib"] - before
    return figures


def in_fresh_process(solver: str, scale: int) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--measure", solver, "--scales", str(scale)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output)


def describe(plan: Allocation, points: list[PointCapacity]) -> str:
    full = sum(1 for point in points if plan.loads().get(point.id, 0) == point.capacity)
    return (
        f"{len(plan.assignments)} assignments, {len(plan.split_building_ids())} split buildings, "
        f"{full}/{len(points)} points full, shortfall {plan.shortfall}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", default="1,10", help="comma-separated, default 1,10")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs at scale 1 (best of)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    options = parser.parse_args()
    scales = [int(scale) for scale in options.scales.split(",")]
    if options.measure:
        print(json.dumps(measure(options.measure, scales[0])))
        return 0

    ok = True
    for scale in scales:
        buildings, points = compound(scale)
        demand = sum(building.demand for building in buildings)
        capacity = sum(point.capacity for point in points)
        print(
            f"scale {scale}: {len(buildings)} buildings, {len(points)} points, "
            f"{demand} packs wanted, capacity {capacity} ({capacity / demand:.1%}), "
            f"{len(buildings) * len(points)} building-point pairs"
        )
        repeat = options.repeat if scale == 1 else 1
        ours = []
        for _ in range(repeat):
            started = time.perf_counter()
            plan = allocate(buildings, points)
            ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        optimum = reference(buildings, points)
        theirs = time.perf_counter() - started
        agree = math.isclose(plan.objective, optimum, rel_tol=1e-9, abs_tol=1e-6)
        ok = ok and agree
        print(f"  ours       {min(ours):8.3f} s  objective {plan.objective:,.3f} pack-metres")
        print(f"  linprog    {theirs:8.3f} s  objective {optimum:,.3f} pack-metres")
        print(f"  objectives {'agree' if agree else 'DIFFER'}; {describe(plan, points)}")
        mine = in_fresh_process("ours", scale)
        traced = in_fresh_process("ours-traced", scale)
        reference_memory = in_fresh_process("reference", scale)
        print(
            f"  memory: ours +{mine['rss_growth_mib']:.1f} MiB peak RSS "
            f"(tracemalloc peak {traced['traced_peak_mib']:.1f} MiB), "
            f"linprog +{reference_memory['rss_growth_mib']:.1f} MiB peak RSS "
            f"(over {mine['rss_before_mib']:.0f} / {reference_memory['rss_before_mib']:.0f} MiB "
            "held before solving)"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
