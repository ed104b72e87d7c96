"""Allocation of buildings' packs to collection points: an exact min-cost transportation plan.

Input: buildings (position, demand in packs) and collection points (position, capacity in
packs). Output: how many packs of each building go to which point, so that

1. no point ever receives more than its capacity;
2. as many packs as possible are served: min(total demand, total capacity), since every
   building can reach every point;
3. among the plans that serve that many, the total ``packs × distance`` is the least possible
   (the plan is optimal, not a heuristic);
4. the plan is a *basic* solution of the transportation problem (defined below), which bounds
   how often a building is split across points;
5. what cannot be served is reported, per building: ``shortfall``, ``unserved``, ``complete``.

Distance is Euclidean on the (x, y) positions in metres unless the caller passes ``distance``,
a function of a building and a point (walking distances, say ``lambda b, p: walk[b.id, p.id]``);
it must return a finite number ≥ 0.

Algorithm: successive shortest paths with potentials, on a graph of points only
-------------------------------------------------------------------------------
The flow network is source s → building b (capacity: demand) → point p (unbounded, cost
d(b, p)) → sink t (capacity: the point's capacity). Successive shortest paths (SSP) augment,
from the zero flow, along a cheapest s–t path of the residual network, by the whole bottleneck
amount, until no s–t path remains (every point full) or every pack is served. Each intermediate
flow is a min-cost flow of its value, so the last one is a min-cost *maximum* flow: property 3
above (Ahuja, Magnanti & Orlin, *Network Flows*, ch. 9). Capacities and demands are integers,
so every bottleneck, hence every flow, is an integer number of packs.

Dijkstra needs non-negative arc costs; node potentials h give reduced costs
c(u, v) + h(u) − h(v) ≥ 0 on every residual arc, and after each search h(v) += min(dist(v),
dist(t)) keeps them so (the cap at dist(t) lets the search stop as soon as t is settled).

The complete bipartite graph has #buildings × #points arcs (858,000 at ten times the largest
compound), too many to scan per search. Two facts shrink it to a graph on the points alone:

- A building with unserved packs keeps potential 0 for good: s → b has reduced cost 0 and
  dist(b) = 0 in every search. So the cheapest way from s into point p costs
  min over unfinished b of d(b, p) − h(p): the first unfinished building in p's column sorted
  by distance, found by a pointer that only moves forward.
- A residual path p → b → q (take some of b's packs off p, send them to q) exists only for a
  building b that has packs at p, and its reduced cost d(b, q) − d(b, p) + h(p) − h(q) does not
  depend on h(b). So the arc p → q weighs min over b at p of d(b, q) − d(b, p), cached per p and
  recomputed only when the buildings at p change.

The search thus runs on #points + 1 nodes; every path it finds is a path of the full residual
network and conversely every shortest path there maps to one here, so the result is exactly
SSP's. Two prunings keep it cheap without changing what it finds:

- An arc whose end would be labelled no sooner than dist(t) is not relaxed: such a point is not
  on the shortest path, and its new potential is capped at dist(t) anyway. Each row of arcs is
  kept sorted by weight − h(q) as of its sorting; h(q) has grown since by at most what h(t) has
  grown, which gives a lower bound to stop the scan of the row at.
- dist(t), the rise of the marginal cost of a pack, is mostly small. A search first looks only
  below a guess (twice the last rise); labels below the guess are exact, so if t is found
  there it is the true dist(t); if not, the search runs again with a guess four times larger.

Basic solution and splits
-------------------------
Balance the problem with a zero-cost dummy: when capacity exceeds demand, a *slack* building
supplies every point's spare capacity; when demand exceeds capacity, an *unserved* point takes
every building's unserved packs. Our plan, with those dummy arcs, is optimal for this balanced
transportation problem. We then cancel every cycle in its support (a cycle alternately adding
and removing θ packs keeps all balances; we push in the direction that does not raise the
cost, which in an optimum costs exactly 0, until an arc empties). What is left is a spanning
forest: a basic (vertex) optimal solution. Consequences, which the tests check:

- at most (#served buildings + #points used − 1) assignments;
- at most (#points used − 1) buildings split across several points, and never more than
  #points − 1;
- a building is split only when capacity forces it: of the points a split building uses, all
  but at most one are full (otherwise building – p – slack – q – building would be a cycle).

Fewer splits cannot be promised by a fast exact method: deciding whether some plan splits no
building at all is NP-hard already (it contains the partition problem).

Determinism: buildings and points are processed in the order of their ids and every tie is
broken by that order, so the same input, in any order, gives the same plan.

Complexity: each augmentation finishes a building, fills a point or empties an assignment;
in practice there are about twice as many as buildings. Each search is O(#points²) at worst
and usually settles a fraction of the points and relaxes a few arcs of each. Memory is the
distance matrix, one sorted column per point and one row per assignment:
O((#buildings + #points) × #points). Figures: bench/allocation.py (about 0.05 s for the
largest compound, 286 buildings and 30 points; about half a minute at ten times that).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import add

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
    if distance is None:
        costs = [
            [math.hypot(building.x - point.x, building.y - point.y) for point in points]
            for building in buildings
        ]
    else:
        costs = [[float(distance(building, point)) for point in points] for building in buildings]
    for row in costs:
        if not all(0 <= cost < math.inf for cost in row):  # also refuses NaN
            bad = next(cost for cost in row if not 0 <= cost < math.inf)
            raise ValueError(f"Distances must be finite and non-negative, got {bad}.")
    demands = [building.demand for building in buildings]
    capacities = [point.capacity for point in points]

    flows, remaining = _min_cost_max_flow(costs, demands, capacities)
    _make_basic(flows, remaining, costs, demands, capacities)

    assignments = []
    objective = 0.0
    for b, building in enumerate(buildings):
        for p in sorted(flows[b]):
            packs = flows[b][p]
            cost = costs[b][p]
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


def _min_cost_max_flow(
    costs: list[list[float]], demands: list[int], capacities: list[int]
) -> tuple[list[dict[int, int]], list[int]]:
    """Successive shortest paths on the graph of points (see the module docstring).

    Returns the packs per building and point (``flows[b][p]``) and each building's unserved
    packs.
    """
    n_buildings = len(demands)
    n_points = len(capacities)
    inf = math.inf
    flows: list[dict[int, int]] = [{} for _ in range(n_buildings)]
    remaining = list(demands)
    spare = list(capacities)
    to_serve = sum(remaining)
    room = sum(spare)
    if not n_points or not to_serve or not room:
        return flows, remaining

    # Per point, the buildings by distance (ties to the lower id); the cursor skips the
    # buildings with nothing left to serve, which never get any back.
    columns = [
        sorted(range(n_buildings), key=[row[p] for row in costs].__getitem__)
        for p in range(n_points)
    ]
    cursor = [0] * n_points
    at_point: list[dict[int, int]] = [{} for _ in range(n_points)]  # point → {building: packs}
    # Arc p → q of the point graph weighs the least d(b, q) − d(b, p) over the buildings b at p.
    # A building joining p lowers the row in place; one leaving p makes it stale, recomputed
    # when next needed.
    arc_cost: list[list[float]] = [[inf] * n_points for _ in range(n_points)]
    stale = [False] * n_points
    # Each row's points in increasing order of weight − h(q) as of when it was sorted; h(q)
    # grows by at most what the sink's potential grows, which bounds how stale the order is.
    order: list[list[int] | None] = [None] * n_points
    order_key: list[list[float]] = [[] for _ in range(n_points)]
    sorted_at = [0.0] * n_points
    potential = [0.0] * n_points
    sink_potential = 0.0
    point_range = range(n_points)

    # d(b, q) − d(b, p) for every q, kept while building b has packs at p.
    shifted: dict[tuple[int, int], list[float]] = {}

    def move(b: int, p: int, amount: int) -> None:
        packs = flows[b].get(p, 0) + amount
        if not packs:
            del flows[b][p]
            del at_point[p][b]
            del shifted[b, p]
            stale[p] = True
            order[p] = None
            return
        if b not in at_point[p]:
            offset = costs[b][p]
            row = shifted[b, p] = [cost - offset for cost in costs[b]]
            if not stale[p]:
                order[p] = None
                arc_cost[p] = list(map(min, arc_cost[p], row))
        flows[b][p] = packs
        at_point[p][b] = packs

    # dist(t) is the rise of the marginal cost per pack, mostly small: each search first
    # relaxes only arcs that reach a point at less than a guess, and widens the guess when t
    # lies beyond it. Below the guess the labels are exact, so the result is too.
    smallest_guess = max(max((max(row) for row in costs), default=0.0) * 1e-6, 1e-9)
    guess = smallest_guess
    while to_serve and room:
        bound = guess
        while True:
            # Dijkstra from s over the points, stopping when t is settled or at the bound.
            label = [inf] * n_points
            entry = [-1] * n_points  # the unfinished building through which s reaches p
            previous = [-1] * n_points  # the point before p on the path, -1 when s
            for p in point_range:
                column = columns[p]
                i = cursor[p]
                while i < n_buildings and not remaining[column[i]]:
                    i += 1
                cursor[p] = i
                if i < n_buildings:
                    entry[p] = column[i]
                    label[p] = costs[column[i]][p] - potential[p]
            queue = [(label[p], p) for p in point_range if label[p] < bound]
            heapq.heapify(queue)
            settled = [False] * n_points
            lowered = [-h for h in potential]
            sink_label = inf
            last = -1  # the point from which the path enters t
            for p in point_range:  # a first bound on dist(t): from s to a point with room
                if spare[p] and label[p] + potential[p] - sink_potential < sink_label:
                    sink_label = label[p] + potential[p] - sink_potential
                    last = p
            while queue:
                d, p = heapq.heappop(queue)
                if settled[p] or d > label[p]:
                    continue
                if d >= sink_label or d >= bound:
                    break
                settled[p] = True
                if spare[p]:
                    through = d + potential[p] - sink_potential
                    if through < sink_label:
                        sink_label = through
                        last = p
                if not at_point[p]:
                    continue
                if stale[p]:
                    rows = [shifted[b, p] for b in at_point[p]]
                    arc_cost[p] = list(map(min, *rows)) if len(rows) > 1 else rows[0]
                    stale[p] = False
                drift = sink_potential - sorted_at[p]
                if order[p] is None or drift > _RESORT_AFTER:
                    order_key[p] = list(map(add, arc_cost[p], lowered))
                    order[p] = sorted(point_range, key=order_key[p].__getitem__)
                    sorted_at[p] = sink_potential
                    drift = 0.0
                # Relax p → q in order; d + h(p) + key − drift bounds the label through p
                # from below, so past dist(t) or the bound no further arc can matter.
                base = d + potential[p]
                arcs_p = arc_cost[p]
                keys = order_key[p]
                limit = (sink_label if sink_label < bound else bound) - base + drift
                for q in order[p]:
                    if keys[q] >= limit:
                        break
                    if settled[q]:
                        continue
                    candidate = base + arcs_p[q] - potential[q]
                    if candidate < label[q] and candidate < bound:
                        label[q] = candidate
                        previous[q] = p
                        heapq.heappush(queue, (candidate, q))
            if sink_label < bound or bound == inf:
                break
            bound = bound * 4 if bound * 4 < sink_label else inf
        guess = max(2 * sink_label, smallest_guess)
        if last < 0:
            break  # cannot happen while a point has room: every building reaches every point

        for p in point_range:
            potential[p] += label[p] if label[p] < sink_label else sink_label
        sink_potential += sink_label

        # Walk the path back from t to s; each step p → q moves the building of least
        # d(b, q) − d(b, p) at p (ties to the lower id), as the search weighed it.
        path = [last]
        while previous[path[-1]] >= 0:
            path.append(previous[path[-1]])
        path.reverse()
        source_building = entry[path[0]]
        steps = []
        amount = min(remaining[source_building], spare[last])
        for p, q in zip(path, path[1:], strict=False):
            building = -1
            least = inf
            for b in at_point[p]:
                weight = shifted[b, p][q]
                if weight < least or (weight == least and b < building):
                    building = b
                    least = weight
            steps.append((building, p, q))
            amount = min(amount, at_point[p][building])

        remaining[source_building] -= amount
        to_serve -= amount
        spare[last] -= amount
        room -= amount
        move(source_building, path[0], amount)
        for building, p, q in steps:
            move(building, p, -amount)
            move(building, q, amount)
    return flows, remaining


# How far (in the distances' unit) h(t) may grow before a row of arcs is sorted again: the
# older the order, the looser the bound that ends the scan. Speed only, never the result.
_RESORT_AFTER = 50.0


def _make_basic(
    flows: list[dict[int, int]],
    remaining: list[int],
    costs: list[list[float]],
    demands: list[int],
    capacities: list[int],
) -> None:
    """Cancel the cycles of the balanced plan's support, in place, at no extra cost.

    Nodes: buildings 0..B−1, points B..B+P−1, then the slack building and the unserved point
    of the balanced problem. Each arc joins a supplying node (building, slack) to a receiving
    one (point, unserved); its packs are kept in ``packs`` and copied back at the end.
    """
    n_buildings = len(demands)
    n_points = len(capacities)
    slack = n_buildings + n_points
    unserved = slack + 1
    packs: dict[tuple[int, int], int] = {}
    cost: dict[tuple[int, int], float] = {}
    for b in range(n_buildings):
        for p, amount in sorted(flows[b].items()):
            packs[b, n_buildings + p] = amount
            cost[b, n_buildings + p] = costs[b][p]
        if remaining[b]:
            packs[b, unserved] = remaining[b]
            cost[b, unserved] = 0.0
    loads = [0] * n_points
    for b in range(n_buildings):
        for p, amount in flows[b].items():
            loads[p] += amount
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
