"""The allocation of buildings' packs to collection points is optimal and never over capacity.

Optimality is checked against an independent solver: scipy's HiGHS on the transportation LP
(serve min(demand, capacity) packs at least total packs × distance), whose optimum is integral
because the constraint matrix is totally unimodular.
"""

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from deliveries.allocation import (
    Allocation,
    BuildingDemand,
    PointCapacity,
    Unserved,
    allocate,
    euclidean,
)


def reference_objective(buildings, points, distance=euclidean) -> float:
    """Least total packs × distance among plans serving min(demand, capacity) packs."""
    demand = sum(building.demand for building in buildings)
    capacity = sum(point.capacity for point in points)
    if not buildings or not points or not min(demand, capacity):
        return 0.0
    n_buildings, n_points = len(buildings), len(points)
    costs = [distance(building, point) for building in buildings for point in points]
    arcs = np.arange(n_buildings * n_points)
    rows = np.concatenate([arcs // n_points, n_buildings + arcs % n_points])
    limits = coo_matrix(
        (np.ones(2 * arcs.size), (rows, np.concatenate([arcs, arcs]))),
        shape=(n_buildings + n_points, arcs.size),
    )
    result = linprog(
        costs,
        A_ub=limits,
        b_ub=[b.demand for b in buildings] + [p.capacity for p in points],
        A_eq=np.ones((1, arcs.size)),
        b_eq=[min(demand, capacity)],
        bounds=(0, None),
        method="highs",
    )
    assert result.status == 0, result.message
    return float(result.fun)


def assert_same_cost(plan: Allocation, theirs: float) -> None:
    """Never below the optimum, and above it by no more than the integer rounding stated."""
    noise = 1e-9 * abs(theirs) + 1e-6  # floating-point sums, ours and HiGHS'
    assert theirs - noise <= plan.objective <= theirs + plan.rounding + noise


def assert_sound(plan: Allocation, buildings, points, distance=euclidean) -> None:
    """Capacity kept, every pack assigned or reported, objective as stated."""
    by_building = {building.id: building for building in buildings}
    by_point = {point.id: point for point in points}
    for point_id, load in plan.loads().items():
        assert load <= by_point[point_id].capacity
    served: dict[int, int] = {}
    for assignment in plan.assignments:
        assert assignment.packs > 0
        served[assignment.building_id] = served.get(assignment.building_id, 0) + assignment.packs
        building, point = by_building[assignment.building_id], by_point[assignment.point_id]
        assert assignment.distance == distance(building, point)
    unserved = {entry.building_id: entry.packs for entry in plan.unserved}
    assert all(packs > 0 for packs in unserved.values())
    for building in buildings:
        assert served.get(building.id, 0) + unserved.get(building.id, 0) == building.demand
    demand = sum(building.demand for building in buildings)
    capacity = sum(point.capacity for point in points)
    assert (plan.demand, plan.capacity) == (demand, capacity)
    assert plan.served == min(demand, capacity)
    assert plan.shortfall == max(0, demand - capacity) == demand - plan.served
    assert plan.complete == (plan.shortfall == 0)
    recomputed = sum(a.packs * a.distance for a in plan.assignments)
    assert plan.objective == pytest.approx(recomputed, rel=1e-12, abs=1e-9)


def assert_basic(plan: Allocation, points) -> None:
    """The support with its slack/unserved dummy is a forest, and what follows from that."""
    parent: dict[object, object] = {}

    def root(node):
        while parent.setdefault(node, node) != node:
            node = parent[node]
        return node

    edges = [(("b", a.building_id), ("p", a.point_id)) for a in plan.assignments]
    edges += [(("b", entry.building_id), "unserved") for entry in plan.unserved]
    loads = plan.loads()
    spare = {point.id: point.capacity - loads.get(point.id, 0) for point in points}
    edges += [("slack", ("p", point_id)) for point_id, room in spare.items() if room]
    for u, v in edges:
        assert root(u) != root(v), "the plan's support has a cycle: it is not basic"
        parent[root(u)] = root(v)

    split = plan.split_building_ids()
    used = len(loads)
    served_buildings = len({a.building_id for a in plan.assignments})
    assert len(plan.assignments) <= max(0, served_buildings + used - 1)
    assert len(split) <= max(0, used - 1) and len(split) <= max(0, len(points) - 1)
    for building_id in split:
        its_points = [a.point_id for a in plan.assignments if a.building_id == building_id]
        assert sum(1 for point_id in its_points if spare[point_id]) <= 1


coordinates = st.one_of(
    st.integers(-50, 50).map(float),
    st.floats(-1000, 1000, allow_nan=False, allow_infinity=False),
)


@st.composite
def compounds(draw):
    n_buildings = draw(st.integers(0, 40))
    n_points = draw(st.integers(1, 8))
    # Some compounds get a tight capacity range so that short and ample both come up often.
    top = draw(st.sampled_from([2000, 500, 100]))
    building_ids = draw(st.lists(st.integers(1, 10_000), min_size=n_buildings, unique=True))
    point_ids = draw(st.lists(st.integers(1, 10_000), min_size=n_points, unique=True))
    buildings = [
        BuildingDemand(i, draw(coordinates), draw(coordinates), draw(st.integers(0, 500)))
        for i in building_ids
    ]
    points = [
        PointCapacity(i, draw(coordinates), draw(coordinates), draw(st.integers(0, top)))
        for i in point_ids
    ]
    return buildings, points


@settings(max_examples=300, deadline=None)
@given(compounds())
def test_the_plan_keeps_capacity_reports_every_pack_and_costs_what_the_reference_finds(compound):
    buildings, points = compound
    plan = allocate(buildings, points)
    assert_sound(plan, buildings, points)
    assert_same_cost(plan, reference_objective(buildings, points))


@settings(max_examples=200, deadline=None)
@given(compounds())
def test_a_building_is_split_only_as_a_basic_solution_allows(compound):
    buildings, points = compound
    assert_basic(allocate(buildings, points), points)


@settings(max_examples=100, deadline=None)
@given(compounds(), st.randoms(use_true_random=False))
def test_the_same_compound_in_any_order_gets_the_same_plan(compound, rng):
    buildings, points = compound
    shuffled_buildings, shuffled_points = list(buildings), list(points)
    rng.shuffle(shuffled_buildings)
    rng.shuffle(shuffled_points)
    assert allocate(shuffled_buildings, shuffled_points) == allocate(buildings, points)


def walking(building: BuildingDemand, point: PointCapacity) -> float:
    """Along the paths of a grid: a distance that is not the straight line."""
    return abs(building.x - point.x) + abs(building.y - point.y)


@settings(max_examples=100, deadline=None)
@given(compounds())
def test_a_walking_distance_can_replace_the_straight_line(compound):
    buildings, points = compound
    plan = allocate(buildings, points, distance=walking)
    assert_sound(plan, buildings, points, distance=walking)
    assert_same_cost(plan, reference_objective(buildings, points, walking))


def check(buildings, points) -> Allocation:
    plan = allocate(buildings, points)
    assert_sound(plan, buildings, points)
    assert_basic(plan, points)
    assert_same_cost(plan, reference_objective(buildings, points))
    return plan


def packs_by_pair(plan: Allocation) -> dict[tuple[int, int], int]:
    return {(a.building_id, a.point_id): a.packs for a in plan.assignments}


def test_a_building_bigger_than_any_point_is_split_across_the_nearest():
    buildings = [BuildingDemand(1, 0, 0, 250)]
    points = [
        PointCapacity(1, 10, 0, 100),
        PointCapacity(2, 0, 20, 100),
        PointCapacity(3, -30, 0, 100),
    ]
    plan = check(buildings, points)
    assert packs_by_pair(plan) == {(1, 1): 100, (1, 2): 100, (1, 3): 50}
    assert plan.split_building_ids() == [1]
    assert plan.complete


def test_with_ample_room_no_building_is_split():
    rng = random.Random(4)
    buildings = [BuildingDemand(i, rng.uniform(0, 200), rng.uniform(0, 200), 30) for i in range(30)]
    points = [PointCapacity(i, rng.uniform(0, 200), rng.uniform(0, 200), 900) for i in range(5)]
    plan = check(buildings, points)
    assert plan.split_building_ids() == []
    for a in plan.assignments:  # each building at its nearest point
        building = buildings[a.building_id]
        assert a.distance == min(euclidean(building, point) for point in points)


def test_a_building_between_two_points_at_the_same_distance_goes_whole_to_one():
    buildings = [BuildingDemand(7, 0, 0, 40)]
    points = [PointCapacity(9, 0, 10, 100), PointCapacity(3, 10, 0, 100)]  # both 10 m away
    plan = check(buildings, points)
    assert list(packs_by_pair(plan).values()) == [40]
    assert plan.objective == 400


def test_a_grid_of_ties_splits_only_the_buildings_capacity_forces():
    # Buildings every metre on a 5 × 5 grid, points on every other one: most buildings are
    # at the same distance from two or four points. OR-Tools' own plan splits 12 buildings
    # here, and its support has cycles; the basic plan splits at most #points − 1 = 8, each
    # only across full points but one.
    buildings = [BuildingDemand(5 * i + j, i, j, 10) for i in range(5) for j in range(5)]
    points = [PointCapacity(3 * a + b, 2 * a, 2 * b, 28) for a in range(3) for b in range(3)]
    plan = check(buildings, points)
    assert len(plan.split_building_ids()) <= 8
    assert plan.complete


def test_equal_distances_everywhere_still_give_a_basic_optimal_plan():
    buildings = [BuildingDemand(i, 0, 0, 10 + i) for i in range(6)]
    points = [PointCapacity(i, 5 * math.cos(i), 5 * math.sin(i), 25) for i in range(4)]
    plan = check(buildings, points)
    assert plan.objective == pytest.approx(5 * sum(b.demand for b in buildings))
    assert len(plan.split_building_ids()) <= 3


def test_a_point_without_capacity_gets_nothing_even_when_nearest():
    buildings = [BuildingDemand(1, 0, 0, 20)]
    points = [PointCapacity(1, 0, 1, 0), PointCapacity(2, 0, 50, 20)]
    plan = check(buildings, points)
    assert packs_by_pair(plan) == {(1, 2): 20}
    assert 1 not in plan.loads()


def test_buildings_that_want_nothing_get_no_assignment_and_no_report():
    buildings = [
        BuildingDemand(1, 0, 0, 0),
        BuildingDemand(2, 5, 5, 10),
        BuildingDemand(3, 9, 9, 0),
    ]
    points = [PointCapacity(1, 0, 0, 5)]
    plan = check(buildings, points)
    assert packs_by_pair(plan) == {(2, 1): 5}
    assert plan.unserved == (Unserved(2, 5),)


def test_a_far_point_is_used_only_for_what_the_near_one_cannot_take():
    buildings = [BuildingDemand(1, 0, 0, 30), BuildingDemand(2, 2, 0, 30)]
    points = [PointCapacity(1, 1, 0, 50), PointCapacity(2, 5000, 0, 100)]
    plan = check(buildings, points)
    assert plan.loads() == {1: 50, 2: 10}
    # Building 2 is 2 m nearer the far point, so it is the one that sends 10 packs there.
    assert packs_by_pair(plan) == {(1, 1): 30, (2, 1): 20, (2, 2): 10}


def test_capacity_exactly_equal_to_demand_serves_everything_and_fills_every_point():
    buildings = [BuildingDemand(i, 10 * i, 0, 15) for i in range(8)]
    points = [PointCapacity(i, 25 * i, 3, 40) for i in range(3)]
    plan = check(buildings, points)
    assert plan.complete and plan.shortfall == 0
    assert plan.loads() == {0: 40, 1: 40, 2: 40}


def test_buildings_on_top_of_their_points_cost_nothing():
    buildings = [
        BuildingDemand(1, 3, 4, 10),
        BuildingDemand(2, 3, 4, 5),
        BuildingDemand(3, 8, 8, 7),
    ]
    points = [PointCapacity(1, 3, 4, 15), PointCapacity(2, 8, 8, 7)]
    plan = check(buildings, points)
    assert plan.objective == 0.0
    assert plan.complete


def greedy_cost(buildings, points) -> float:
    """Each building in id order takes its nearest points that still have room."""
    room = {point.id: point.capacity for point in points}
    cost = 0.0
    for building in sorted(buildings, key=lambda b: b.id):
        left = building.demand
        for point in sorted(points, key=lambda p: (euclidean(building, p), p.id)):
            packs = min(left, room[point.id])
            room[point.id] -= packs
            left -= packs
            cost += packs * euclidean(building, point)
    return cost


def test_it_beats_nearest_point_greedy_on_a_chain():
    # Points every 10 m, buildings 6 m past each: greedy sends each building 4 m forward and
    # the last one all the way back; the optimum sends each 6 m back.
    points = [PointCapacity(i, 10 * i, 0, 10) for i in range(4)]
    buildings = [BuildingDemand(i, 10 * i + 6, 0, 10) for i in range(4)]
    plan = check(buildings, points)
    assert plan.objective == pytest.approx(240)
    assert greedy_cost(buildings, points) == pytest.approx(480)
    assert greedy_cost(buildings, points) > plan.objective


def test_when_capacity_is_short_the_farthest_packs_are_reported_unserved():
    buildings = [
        BuildingDemand(1, 0, 0, 40),
        BuildingDemand(2, 100, 0, 40),
        BuildingDemand(3, 300, 0, 40),
    ]
    points = [PointCapacity(1, 0, 10, 50), PointCapacity(2, 100, 10, 40)]
    plan = check(buildings, points)
    assert not plan.complete
    assert plan.shortfall == 30
    # Building 3 is 200 m and more from any point: its packs are the ones left out.
    assert plan.unserved == (Unserved(3, 30),)


def test_without_points_everything_is_unserved():
    buildings = [BuildingDemand(2, 0, 0, 5), BuildingDemand(1, 0, 0, 3)]
    plan = allocate(buildings, [])
    assert plan.assignments == ()
    assert plan.unserved == (Unserved(1, 3), Unserved(2, 5))
    assert plan.shortfall == 8 and not plan.complete


def test_without_buildings_the_plan_is_empty_and_complete():
    plan = allocate([], [PointCapacity(1, 0, 0, 10)])
    assert plan.assignments == () and plan.complete and plan.objective == 0


@pytest.mark.parametrize(
    ("buildings", "points", "message"),
    [
        ([BuildingDemand(1, 0, 0, -1)], [PointCapacity(1, 0, 0, 1)], "demand"),
        ([BuildingDemand(1, 0, 0, 2.5)], [PointCapacity(1, 0, 0, 1)], "demand"),
        ([BuildingDemand(1, 0, 0, 1)], [PointCapacity(1, 0, 0, -3)], "capacity"),
        ([BuildingDemand(1, 0, 0, 1)] * 2, [PointCapacity(1, 0, 0, 1)], "building id"),
        ([BuildingDemand(1, 0, 0, 1)], [PointCapacity(1, 0, 0, 1)] * 2, "point id"),
        ([BuildingDemand(1, math.nan, 0, 1)], [PointCapacity(1, 0, 0, 1)], "finite"),
    ],
)
def test_bad_input_is_refused_with_a_reason(buildings, points, message):
    with pytest.raises(ValueError, match=message):
        allocate(buildings, points)


@pytest.mark.parametrize("factor", [1e-9, 1e-5, 1e4, 1e12])
def test_the_plan_is_the_same_whatever_the_unit_of_the_drawing(factor):
    # The chain below, drawn in nanometres or light-years: integer costs are scaled from the
    # data, so sub-centimetre drawings are not rounded to all-zero costs (where any plan,
    # greedy's too, would be "optimal") and huge ones do not overflow.
    points = [PointCapacity(i, factor * 10 * i, 0, 10) for i in range(4)]
    buildings = [BuildingDemand(i, factor * (10 * i + 6), 0, 10) for i in range(4)]
    plan = check(buildings, points)
    assert packs_by_pair(plan) == {(0, 0): 10, (1, 1): 10, (2, 2): 10, (3, 3): 10}
    assert plan.objective == pytest.approx(240 * factor, rel=1e-9)
    assert plan.rounding <= 1e-6 * plan.objective


scales = st.sampled_from([1e-7, 1e-3, 1e3, 1e8])


@settings(max_examples=100, deadline=None)
@given(compounds(), scales)
def test_a_compound_drawn_at_any_scale_gets_the_optimum_of_its_drawing(compound, factor):
    buildings, points = compound
    scaled_buildings = [
        BuildingDemand(b.id, b.x * factor, b.y * factor, b.demand) for b in buildings
    ]
    scaled_points = [PointCapacity(p.id, p.x * factor, p.y * factor, p.capacity) for p in points]
    plan = allocate(scaled_buildings, scaled_points)
    assert_sound(plan, scaled_buildings, scaled_points)
    assert_basic(plan, scaled_points)
    # Against HiGHS on the drawing at scale 1: its tolerances are absolute, not relative.
    optimum = factor * reference_objective(buildings, points)
    noise = 1e-9 * optimum + 1e-6 * factor
    assert optimum - noise <= plan.objective <= optimum + plan.rounding + noise


def test_the_rounding_bound_is_the_served_packs_times_the_longest_distance_over_a_billion():
    buildings = [BuildingDemand(1, 0, 0, 30), BuildingDemand(2, 300, 400, 20)]
    points = [PointCapacity(1, 0, 0, 45)]
    plan = check(buildings, points)
    assert plan.rounding == pytest.approx(45 * 500 / 1e9)


def test_a_negative_distance_is_refused():
    with pytest.raises(ValueError, match="non-negative"):
        allocate([BuildingDemand(1, 0, 0, 1)], [PointCapacity(1, 0, 0, 1)], lambda b, p: -1.0)
