"""Property tests of the step after the allocation: whole orders given to points.

The allocation works in packs; orders are indivisible. These tests check, on random compounds,
that every order is either given a point or reported, that no point takes more than its
capacity, and that an order is left without a point only when no point has room for it."""

from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from deliveries.models import CollectionPoint, ControlledPolicy, Unplaced
from deliveries.services.allocating import OrderRow, _allocate_compound
from residents.models import Building, ClosureLevel

coordinates = st.integers(min_value=0, max_value=200)


@st.composite
def compounds(draw):
    building_count = draw(st.integers(min_value=1, max_value=6))
    buildings = {
        pk: Building(
            pk=pk,
            label=str(pk),
            compound_id=1,
            position_x=draw(coordinates),
            position_y=draw(coordinates),
            closure_level=draw(st.sampled_from(ClosureLevel.values)),
        )
        for pk in range(1, building_count + 1)
    }
    points = [
        CollectionPoint(
            pk=100 + index,
            compound_id=1,
            name=f"P{index}",
            position_x=draw(coordinates),
            position_y=draw(coordinates),
            capacity=draw(st.integers(min_value=0, max_value=30)),
        )
        for index in range(draw(st.integers(min_value=1, max_value=4)))
    ]
    orders = [
        OrderRow(
            order_id=order_id,
            household_id=order_id,
            building_id=draw(st.sampled_from(sorted(buildings))),
            unit=draw(st.integers(min_value=1, max_value=3)),
            room=str(draw(st.integers(min_value=101, max_value=105))),
            packs=draw(st.integers(min_value=1, max_value=4)),
            vulnerable=draw(st.booleans()),
        )
        for order_id in range(1, draw(st.integers(min_value=1, max_value=25)) + 1)
    ]
    orders.sort(key=lambda row: (row.building_id, row.unit, row.room, row.order_id))
    return orders, buildings, points


@settings(max_examples=300, deadline=None)
@given(compounds(), st.sampled_from(ControlledPolicy.values))
def test_every_order_placed_or_reported_and_no_point_over_capacity(compound, policy):
    orders, buildings, points = compound
    planned, summary = _allocate_compound(orders, buildings, points, policy)

    assert sorted(p.order_id for p in planned) == sorted(o.order_id for o in orders)
    load = defaultdict(int)
    for plan in planned:
        assert (plan.point_id is None) == (plan.unplaced == Unplaced.NO_CAPACITY)
        if plan.point_id:
            load[plan.point_id] += plan.packs
    room = {point.pk: point.capacity - load[point.pk] for point in points}
    assert min(room.values()) >= 0
    for plan in planned:
        if plan.point_id is None:  # reported only when truly no point can take it
            assert all(left < plan.packs for left in room.values())
    assert summary["orders_without_point"] == sum(1 for p in planned if p.point_id is None)
    assert summary["shortfall"] == max(0, summary["packs_wanted"] - summary["capacity"])
    assert [p["packs"] for p in summary["points"]] == [load[point.pk] for point in points]


@settings(max_examples=200, deadline=None)
@given(compounds())
def test_one_pack_orders_lose_nothing_to_rounding(compound):
    """With one-pack orders a building's share is always cut between orders, so the orders
    served are exactly the packs the optimal allocation serves: min(demand, capacity)."""
    orders, buildings, points = compound
    orders = [
        OrderRow(o.order_id, o.household_id, o.building_id, o.unit, o.room, 1, o.vulnerable)
        for o in orders
    ]
    planned, summary = _allocate_compound(orders, buildings, points, ControlledPolicy.PICKUP)
    served = sum(p.packs for p in planned if p.point_id)
    assert served == min(summary["packs_wanted"], summary["capacity"])
    assert sum(point["packs"] for point in summary["points"]) == served
