"""Allocation of packs to collection points: ours beside OR-Tools called directly, the floor.

Run by hand (needs the dev requirements, for scipy):

    .venv/bin/python bench/allocation.py                # the three scales of issue 15
    .venv/bin/python bench/allocation.py --scales 1x30  # only the largest compound
    .venv/bin/python bench/allocation.py --memory       # also peak memory, in fresh processes
    .venv/bin/python bench/allocation.py --linprog-upto 10000000  # HiGHS at every scale too

Each instance is a compound as the committees draw it: buildings on a grid about 40 m apart
(286 at scale 1, 2,860 at scale 10), each wanting its households' packs (about 56 households
and 2.5 packs a household: 40,000 packs at scale 1), and collection points at the gates around
the perimeter whose capacities add up to 105 % of the demand. Scales are written BxP: ten
times the buildings with 30 points is 10x30.

For each instance, in one process, it times, alternately (ours, floor, ours, floor …):

- ours: `deliveries.allocation.allocate`, everything included (checks, the cost matrix, the
  integer costs, OR-Tools, the basic-solution pass, the Assignment objects);
- the floor: OR-Tools' `SimpleMinCostFlow` called directly on the same network, built with
  numpy from the same data (distances by numpy, the same integer scaling, arcs added in bulk,
  flows read back in bulk): the least one can do to get a plan out of OR-Tools.

It prints the median of each, the median (min–max) of the ratio ours / floor pair by pair, the
objectives in pack-metres (ours; the floor's plan costed in true distances; HiGHS' `linprog`
on the transportation LP, the independent reference, where it takes seconds), the
buildings split by each plan, and it exits non-zero when an objective lies outside the bound
that the integer rounding allows (`Allocation.rounding`).
"""

import argparse
import json
import math
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deliveries.allocation import (  # noqa: E402
    BuildingDemand,
    PointCapacity,
    allocate,
)

SPACING = 40.0  # metres between neighbouring buildings
PACKS_PER_HOUSEHOLD = (1, 2, 2, 3, 3, 4)  # mean 2.5


def compound(
    scale: int, gates: int | None = None, seed: int = 7
) -> tuple[list[BuildingDemand], list[PointCapacity]]:
    """286 × scale buildings on a grid, `gates` points (30 × scale) around it with 105 % of the
    demand."""
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
    gates = gates or 30 * scale
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


RESOLUTION = 10**9  # the integer cost of the longest distance, as in deliveries/allocation.py


def floor(buildings: list[BuildingDemand], points: list[PointCapacity]) -> tuple[float, int]:
    """OR-Tools on the same network as ours: its plan's true cost, and its split buildings."""
    import numpy as np
    from ortools.graph.python import min_cost_flow

    n_buildings, n_points = len(buildings), len(points)
    bx = np.array([b.x for b in buildings])[:, None]
    by = np.array([b.y for b in buildings])[:, None]
    px = np.array([p.x for p in points])[None, :]
    py = np.array([p.y for p in points])[None, :]
    costs = np.hypot(bx - px, by - py)
    unit_costs = np.rint(costs * (RESOLUTION / costs.max())).astype(np.int64).ravel()
    demand = np.array([b.demand for b in buildings], dtype=np.int64)
    capacity = np.array([p.capacity for p in points], dtype=np.int64)
    served = int(min(demand.sum(), capacity.sum()))
    building_nodes = np.arange(n_buildings, dtype=np.int32)
    point_nodes = np.arange(n_buildings, n_buildings + n_points, dtype=np.int32)
    source, sink = n_buildings + n_points, n_buildings + n_points + 1
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(
        np.repeat(building_nodes, n_points),
        np.tile(point_nodes, n_buildings),
        np.repeat(demand, n_points),
        unit_costs,
    )
    solver.add_arcs_with_capacity_and_unit_cost(
        np.full(n_buildings, source, dtype=np.int32),
        building_nodes,
        demand,
        np.zeros(n_buildings, dtype=np.int64),
    )
    solver.add_arcs_with_capacity_and_unit_cost(
        point_nodes, np.full(n_points, sink, dtype=np.int32), capacity, np.zeros(n_points, np.int64)
    )
    solver.set_node_supply(source, served)
    solver.set_node_supply(sink, -served)
    if solver.solve() != solver.OPTIMAL:
        raise RuntimeError("OR-Tools found no optimum")
    flows = solver.flows(np.arange(n_buildings * n_points, dtype=np.int32))
    splits = int((np.count_nonzero(flows.reshape(n_buildings, n_points), axis=1) > 1).sum())
    return float(flows @ costs.ravel()), splits


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


def measure(solver: str, scale: int, gates: int) -> dict:
    """Run in a fresh process: growth of the peak resident set over one solve."""
    import numpy  # noqa: F401
    import ortools.graph.python.min_cost_flow  # noqa: F401

    buildings, points = compound(scale, gates)
    if solver == "linprog":
        import scipy.optimize  # noqa: F401
    reset_peak()
    before = memory_mib("VmRSS")
    {"ours": allocate, "floor": floor, "linprog": reference}[solver](buildings, points)
    return {"before_mib": before, "growth_mib": memory_mib("VmHWM") - before}


def in_fresh_process(solver: str, scale: int, gates: int) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--measure", solver, "--scales", f"{scale}x{gates}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", default="1x30,10x30,10x300", help="default 1x30,10x30,10x300")
    parser.add_argument("--pairs", type=int, default=0, help="timed pairs (default: by size)")
    parser.add_argument(
        "--linprog-upto",
        type=int,
        default=100_000,
        help="run the HiGHS reference up to this many building-point pairs (default 100,000;"
        " it takes minutes at 858,000); 0 never",
    )
    parser.add_argument("--memory", action="store_true", help="peak RSS, fresh processes")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    options = parser.parse_args()
    scales = [tuple(int(n) for n in scale.split("x")) for scale in options.scales.split(",")]
    if options.measure:
        print(json.dumps(measure(options.measure, *scales[0])))
        return 0

    ok = True
    for scale, gates in scales:
        buildings, points = compound(scale, gates)
        demand = sum(building.demand for building in buildings)
        capacity = sum(point.capacity for point in points)
        print(
            f"{len(buildings)} buildings, {demand:,} packs wanted, {len(points)} points "
            f"(capacity {capacity / demand:.0%} of the demand), "
            f"{len(buildings) * len(points):,} building-point pairs"
        )
        pairs = options.pairs or max(3, min(21, round(2e5 / (len(buildings) * len(points)))))
        ours, theirs = [], []
        for _ in range(pairs):
            started = time.perf_counter()
            plan = allocate(buildings, points)
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            floor_objective, floor_splits = floor(buildings, points)
            theirs.append(time.perf_counter() - started)
        ratios = sorted(a / b for a, b in zip(ours, theirs, strict=True))
        print(
            f"  ours {statistics.median(ours):8.4f} s   floor (OR-Tools) "
            f"{statistics.median(theirs):8.4f} s   ratio {statistics.median(ratios):.2f} "
            f"(min {ratios[0]:.2f}, max {ratios[-1]:.2f}; medians of {pairs} pairs)"
        )
        noise = 1e-9 * plan.objective + 1e-6
        agree = abs(plan.objective - floor_objective) <= plan.rounding + noise
        print(
            f"  objective: ours {plan.objective:,.4f}, floor {floor_objective:,.4f} pack-metres "
            f"({'equal' if agree else 'DIFFER'} within the rounding bound "
            f"{plan.rounding:.4f}); split buildings: ours {len(plan.split_building_ids())}, "
            f"OR-Tools' plan {floor_splits}; shortfall {plan.shortfall}"
        )
        ok = ok and agree
        if len(buildings) * len(points) > options.linprog_upto:
            print(f"  linprog skipped (over --linprog-upto {options.linprog_upto:,} pairs)")
        else:
            started = time.perf_counter()
            optimum = reference(buildings, points)
            elapsed = time.perf_counter() - started
            good = optimum - noise <= plan.objective <= optimum + plan.rounding + noise
            ok = ok and good
            print(
                f"  linprog (HiGHS) {elapsed:.2f} s: optimum {optimum:,.4f}; ours "
                f"{plan.objective - optimum:+.4f} ({'within' if good else 'OUTSIDE'} "
                f"[0, {plan.rounding:.4f}])"
            )
        if options.memory:
            solvers = ["ours", "floor"]
            if len(buildings) * len(points) <= options.linprog_upto:
                solvers.append("linprog")
            figures = {solver: in_fresh_process(solver, scale, gates) for solver in solvers}
            print(
                "  peak RSS growth: "
                + ", ".join(f"{name} +{f['growth_mib']:.1f} MiB" for name, f in figures.items())
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
