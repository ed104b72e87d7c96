"""Allocation of buildings' packs to collection points: an exact min-cost transportation plan.

Input: buildings (position, demand in packs) and collection points (position, capacity in
packs). Output: how many packs of each building go to which point, so that

1. no point ever receives more than its capacity;
2. as many packs as possible are served: min(total demand, total capacity), since every
   building can reach every point;
3. among the plans that serve that many, the total ``packs × distance`` is the least possible,
   up to the rounding of distances to integers bounded below (``Allocation.rounding``);
4. the plan is a *basic* solution of the transportation problem (defined below), which bounds
   how often a building is split across points;
5. what cannot be served is reported, per building: ``shortfall``, ``unserved``, ``complete``.

Distance is Euclidean on the (x, y) positions in metres unless the caller passes ``distance``,
a function of a building and a point (walking distances, say ``lambda b, p: walk[b.id, p.id]``);
it must return a finite number ≥ 0.

The solver: OR-Tools' min-cost flow on integer costs scaled from the data
--------------------------------------------------------------------------
The flow network is source s → building b (capacity: demand) → point p (capacity: b's demand,
cost d(b, p)) → sink t (capacity: the point's capacity), with min(demand, capacity) packs sent
from s to t. OR-Tools' ``SimpleMinCostFlow`` (cost-scaling push-relabel, exact on integers)
solves it; buildings that want nothing and points without room are left out of the network.

It needs integer costs. A fixed unit (centimetres, say) would round a compound drawn at
sub-centimetre scale to all-zero costs and waste precision on a large one, so the unit comes
from the data: with D the longest distance, a distance c costs round(c × S) for S = R / D,
R = ``_COST_RESOLUTION`` (10⁹, lowered only when int64 could overflow: OR-Tools multiplies costs
by the number of nodes, and the total cost is an int64 too). Every rounded cost is within
1 / (2S) of S × c, so any plan of F packs costs, in integers / S, within F / (2S) of its true
cost; the integer optimum is therefore at most F / S = F × D / R above the true optimum.
That bound is ``Allocation.rounding``: 1.3 pack-metres for 400,000 packs and D = 3.2 km, under
10⁻⁸ of that objective (1.5 × 10⁸); in the bench our objectives equal HiGHS' to the fourth
decimal of a pack-metre.

Basic solution and splits
-------------------------
Balance the problem with a zero-cost dummy: when capacity exceeds demand, a *slack* building
supplies every point's spare capacity; when demand exceeds capacity, an *unserved* point takes
every building's unserved packs. The plan, with those dummy arcs, is optimal for this balanced
transportation problem in the integer costs. OR-Tools' plans are not always basic (they split
more buildings than they need to, on ties above all), so we then cancel every cycle in the plan's
support: a cycle alternately adding and removing θ packs keeps all balances and, in an optimum
of the integer costs, costs 0 in them, so either direction keeps the plan optimal; we push in
the direction that does not raise the true cost, until an arc empties. What is left is a
spanning forest: a basic optimal solution. Consequences, which the tests check:

- at most (#served buildings + #points used − 1) assignments;
- at most (#points used − 1) buildings split across several points, and never more than
  #points − 1;
- a building is split only when capacity forces it: of the points a split building uses, all
  but at most one are full (otherwise building – p – slack – q – building would be a cycle).

Fewer splits cannot be promised by a fast exact method: deciding whether some plan splits no
building at all is NP-hard already (it contains the partition problem).

Determinism: buildings and points are put in the network in the order of their ids, so the
same input, in any order, gives the same plan. Among plans of equal cost, which one is chosen
is OR-Tools' affair (not the lower id).

Complexity: the network has #buildings × #points arcs; OR-Tools solves it in about 0.01 s for
the largest compound (286 buildings, 30 points) and about 1 s at ten times that with 300
points; everything else here is linear in the arcs (with numpy) or in the plan's assignments,
and the cycle cancelling runs only when the support has a cycle. Figures: bench/allocation.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

__all__ = [
    "Allocation",
    "Assignment",
    "BuildingDemand",
    "PointCapacity",
    "Unserved",
    "allocate",
    "euclidean",
]


@dataclass(frozen=True)
class BuildingDemand:
    """A building at (x, y) metres whose households want ``demand`` packs."""

    id: int
    x: float
    y: float
    demand: int


@dataclass(frozen=True)
class PointCapacity:
    """A collection point at (x, y) metres that can take ``capacity`` packs."""

    id: int
    x: float
    y: float
    capacity: int


@dataclass(frozen=True)
class Assignment:
    """``packs`` of a building's demand go to a point, ``distance`` metres away."""

    building_id: int
    point_id: int
    packs: int
    distance: float


@dataclass(frozen=True)
class Unserved:
    """``packs`` of a building's demand that no point has room for."""

    building_id: int
    packs: int


@dataclass(frozen=True)
class Allocation:
    """An optimal plan. Assignments are sorted by (building id, point id), unserved by id."""

    assignments: tuple[Assignment, ...]
    unserved: tuple[Unserved, ...]
    objective: float  # Σ packs × distance over the assignments
    demand: int  # total packs wanted
    capacity: int  # total packs the points can take
    # The objective is at most this far above the least possible (pack-metres): the rounding
    # of distances to the solver's integer costs; see the module docstring.
    rounding: float = 0.0

    @property
    def served(self) -> int:
        return sum(assignment.packs for assignment in self.assignments)

    @property
    def shortfall(self) -> int:
        """Packs wanted that no point has room for: max(0, demand − capacity)."""
        return sum(entry.packs for entry in self.unserved)

    @property
    def complete(self) -> bool:
        return not self.unserved

    def loads(self) -> dict[int, int]:
        """Packs assigned to each point that receives any."""
        loads: dict[int, int] = {}
        for assignment in self.assignments:
            loads[assignment.point_id] = loads.get(assignment.point_id, 0) + assignment.packs
        return loads

    def split_building_ids(self) -> list[int]:
        """Buildings whose packs go to more than one point."""
        counts: dict[int, int] = {}
        for assignment in self.assignments:
            counts[assignment.building_id] = counts.get(assignment.building_id, 0) + 1
        return sorted(building_id for building_id, count in counts.items() if count > 1)


DistanceFunction = Callable[[BuildingDemand, PointCapacity], float]


def euclidean(building: BuildingDemand, point: PointCapacity) -> float:
    """Straight-line distance in metres."""
    return math.hypot(building.x - point.x, building.y - point.y)


def allocate(
    buildings: Sequence[BuildingDemand],
    points: Sequence[PointCapacity],
    distance: DistanceFunction | None = None,
) -> Allocation:
    """Assign buildings' packs to points at least total packs × distance, never over capacity.

    Serves min(total demand, total capacity) packs; what is left is in ``unserved``. Raises
    ValueError on duplicate ids, a negative or non-integer demand or capacity, or a distance
    that is negative or not finite.
    """
    buildings = sorted(buildings, key=lambda building: building.id)
    points = sorted(points, key=lambda point: point.id)
    _check(buildings, points)
    costs = _cost_matrix(buildings, points, distance)
    demands = [building.demand for building in buildings]
    capacities = [point.capacity for point in points]

    flows, rounding = _min_cost_flow(costs, demands, capacities)
    remaining = [demand - sum(row.values()) for demand, row in zip(demands, flows, strict=True)]
    # The true distance of each arc of the plan (cancelling cycles only ever empties arcs):
    # what the caller's function or math.hypot (as euclidean() does) says, not numpy's hypot,
    # which may differ in the last bit.
    if distance is None:
        exact = {
            (b, p): math.hypot(buildings[b].x - points[p].x, buildings[b].y - points[p].y)
            for b, row in enumerate(flows)
            for p in row
        }
    else:
        exact = {(b, p): costs[b, p].item() for b, row in enumerate(flows) for p in row}
    _make_basic(flows, remaining, exact, capacities)

    assignments = []
    objective = 0.0
    for b, building in enumerate(buildings):
        for p in sorted(flows[b]):
            packs = flows[b][p]
            cost = exact[b, p]
            assignments.append(Assignment(building.id, points[p].id, packs, cost))
            objective += packs * cost
    unserved = tuple(
        Unserved(building.id, remaining[b]) for b, building in enumerate(buildings) if remaining[b]
    )
    return Allocation(
        assignments=tuple(assignments),
        unserved=unserved,
        objective=objective,
        demand=sum(demands),
        capacity=sum(capacities),
        rounding=rounding,
    )


def _check(buildings: list[BuildingDemand], points: list[PointCapacity]) -> None:
    for kind, ids in (
        ("building", [building.id for building in buildings]),
        ("point", [point.id for point in points]),
    ):
        if len(set(ids)) != len(ids):
            raise ValueError(f"Each {kind} id must appear once.")
    for building in buildings:
        if not _is_count(building.demand):
            raise ValueError(f"Building {building.id}: demand must be a whole number ≥ 0.")
    for point in points:
        if not _is_count(point.capacity):
            raise ValueError(f"Point {point.id}: capacity must be a whole number ≥ 0.")


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _cost_matrix(
    buildings: list[BuildingDemand],
    points: list[PointCapacity],
    distance: DistanceFunction | None,
) -> np.ndarray:
    """Distances, buildings by points; refuses one that is negative, infinite or NaN."""
    if distance is None:
        bx = np.array([building.x for building in buildings], dtype=np.float64)
        by = np.array([building.y for building in buildings], dtype=np.float64)
        px = np.array([point.x for point in points], dtype=np.float64)
        py = np.array([point.y for point in points], dtype=np.float64)
        costs = np.hypot(bx[:, None] - px[None, :], by[:, None] - py[None, :])
    else:
        costs = np.array(
            [[float(distance(building, point)) for point in points] for building in buildings],
            dtype=np.float64,
        ).reshape(len(buildings), len(points))
    good = np.isfinite(costs) & (costs >= 0)  # NaN is neither
    if not good.all():
        bad = costs[~good].flat[0]
        raise ValueError(f"Distances must be finite and non-negative, got {bad}.")
    return costs


# Integer costs run from 0 to this for the longest distance; see the module docstring. More
# precision costs OR-Tools a little time (about 20 % more at 10¹² than at 10⁹ on the bench).
_COST_RESOLUTION = 10**9


def _min_cost_flow(
    costs: np.ndarray, demands: list[int], capacities: list[int]
) -> tuple[list[dict[int, int]], float]:
    """A min-cost maximum flow by OR-Tools on integer costs scaled from the data.

    Returns the packs per building and point (``flows[b][p]``) and the bound on how far its
    true cost may lie above the least (see the module docstring).
    """
    flows: list[dict[int, int]] = [{} for _ in demands]
    rows = [b for b, demand in enumerate(demands) if demand]
    columns = [p for p, capacity in enumerate(capacities) if capacity]
    served = min(sum(demands), sum(capacities))
    if not rows or not columns:
        return flows, 0.0
    if len(rows) < len(demands) or len(columns) < len(capacities):
        costs = costs[np.ix_(rows, columns)]
    n_rows, n_columns = len(rows), len(columns)
    longest = float(costs.max())
    nodes = n_rows + n_columns + 2
    # OR-Tools refuses costs × (nodes + 1) past int64, and the total cost is an int64 too.
    resolution = max(1, min(_COST_RESOLUTION, (2**62) // max(nodes + 1, served)))
    scale = resolution / longest if longest > 0 else 0.0
    unit_costs = np.rint(costs * scale).astype(np.int64).ravel()

    wanted = np.array([demands[b] for b in rows], dtype=np.int64)
    room = np.array([capacities[p] for p in columns], dtype=np.int64)
    building_nodes = np.arange(n_rows, dtype=np.int32)
    point_nodes = np.arange(n_rows, n_rows + n_columns, dtype=np.int32)
    source, sink = n_rows + n_columns, n_rows + n_columns + 1
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(
        np.repeat(building_nodes, n_columns),
        np.tile(point_nodes, n_rows),
        np.repeat(wanted, n_columns),
        unit_costs,
    )
    solver.add_arcs_with_capacity_and_unit_cost(
        np.full(n_rows, source, dtype=np.int32),
        building_nodes,
        wanted,
        np.zeros(n_rows, dtype=np.int64),
    )
    solver.add_arcs_with_capacity_and_unit_cost(
        point_nodes,
        np.full(n_columns, sink, dtype=np.int32),
        room,
        np.zeros(n_columns, dtype=np.int64),
    )
    solver.set_node_supply(source, served)
    solver.set_node_supply(sink, -served)
    status = solver.solve()
    if status != solver.OPTIMAL:  # cannot happen: every building reaches every point
        raise RuntimeError(f"OR-Tools' min-cost flow ended with {status!r}")
    packs = solver.flows(np.arange(n_rows * n_columns, dtype=np.int32)).reshape(n_rows, n_columns)
    for i, j in zip(*np.nonzero(packs), strict=True):
        flows[rows[i]][columns[j]] = int(packs[i, j])
    return flows, served / scale if scale else 0.0


def _make_basic(
    flows: list[dict[int, int]],
    remaining: list[int],
    distances: dict[tuple[int, int], float],
    capacities: list[int],
) -> None:
    """Cancel the cycles of the balanced plan's support, in place, at no extra cost.

    Nodes: buildings 0..B−1, points B..B+P−1, then the slack building and the unserved point
    of the balanced problem. Each arc joins a supplying node (building, slack) to a receiving
    one (point, unserved); its packs are kept in ``packs`` and copied back at the end. A cycle
    is pushed in the direction that does not raise the true cost, ``distances[b, p]``.
    """
    n_buildings = len(flows)
    n_points = len(capacities)
    slack = n_buildings + n_points
    unserved = slack + 1
    loads = [0] * n_points
    for row in flows:
        for p, amount in row.items():
            loads[p] += amount
    if not _has_cycle(flows, remaining, loads, capacities):
        return  # a forest already: nothing to cancel
    packs: dict[tuple[int, int], int] = {}
    cost: dict[tuple[int, int], float] = {}
    for b in range(n_buildings):
        for p, amount in sorted(flows[b].items()):
            packs[b, n_buildings + p] = amount
            cost[b, n_buildings + p] = distances[b, p]
        if remaining[b]:
            packs[b, unserved] = remaining[b]
            cost[b, unserved] = 0.0
    for p in range(n_points):
        if capacities[p] > loads[p]:
            packs[slack, n_buildings + p] = capacities[p] - loads[p]
            cost[slack, n_buildings + p] = 0.0

    parent = list(range(unserved + 1))

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    forest: dict[int, dict[int, None]] = {node: {} for node in range(unserved + 1)}
    for arc in list(packs):
        u, v = arc
        if root(u) != root(v):
            parent[root(u)] = root(v)
            forest[u][v] = forest[v][u] = None
            continue
        path = _forest_path(forest, v, u)
        if path is None:  # joined once, since parted by a cancellation
            forest[u][v] = forest[v][u] = None
            continue
        # The cycle: arc (u, v) with sign −1, then the path v … u with signs +1, −1, … +1.
        cycle = [(arc, -1)]
        for i, (a, b) in enumerate(zip(path, path[1:], strict=False)):
            cycle.append(((a, b) if (a, b) in packs else (b, a), 1 if i % 2 == 0 else -1))
        change = sum(sign * cost[edge] for edge, sign in cycle)
        if change > 0:
            cycle = [(edge, -sign) for edge, sign in cycle]
        theta = min(packs[edge] for edge, sign in cycle if sign < 0)
        for edge, sign in cycle:
            packs[edge] += sign * theta
        if packs[arc]:
            forest[u][v] = forest[v][u] = None
        for edge, _sign in cycle:
            if not packs[edge]:
                del packs[edge]
                a, b = edge
                forest[a].pop(b, None)
                forest[b].pop(a, None)

    for b in range(n_buildings):
        flows[b].clear()
        remaining[b] = packs.get((b, unserved), 0)
    for (u, v), amount in packs.items():
        if u < n_buildings and v < slack:
            flows[u][v - n_buildings] = amount
    for b in range(n_buildings):
        flows[b] = dict(sorted(flows[b].items()))


def _has_cycle(
    flows: list[dict[int, int]], remaining: list[int], loads: list[int], capacities: list[int]
) -> bool:
    """Whether the balanced plan's support (numbered as in _make_basic) has a cycle."""
    n_buildings = len(flows)
    slack = n_buildings + len(capacities)
    parent = list(range(slack + 2))
    arcs = [(b, n_buildings + p) for b, row in enumerate(flows) for p in row]
    arcs += [(b, slack + 1) for b, left in enumerate(remaining) if left]
    arcs += [(slack, n_buildings + p) for p, load in enumerate(loads) if capacities[p] > load]
    for u, v in arcs:
        while parent[u] != u:
            parent[u] = u = parent[parent[u]]
        while parent[v] != v:
            parent[v] = v = parent[parent[v]]
        if u == v:
            return True
        parent[u] = v
    return False


def _forest_path(forest: dict[int, dict[int, None]], start: int, goal: int) -> list[int] | None:
    """The nodes from start to goal along the forest, or None when they are not connected."""
    previous = {start: start}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for neighbour in forest[node]:
                if neighbour not in previous:
                    previous[neighbour] = node
                    if neighbour == goal:
                        path = [goal]
                        while path[-1] != start:
                            path.append(previous[path[-1]])
                        path.reverse()
                        return path
                    following.append(neighbour)
        frontier = following
    return None
