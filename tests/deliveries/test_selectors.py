"""Call lists follow the scheduler's walking order, the order the caller walks the compound."""

import datetime

import pytest

from deliveries import selectors
from deliveries.models import CollectionPoint
from deliveries.services.allocating import allocation_run
from deliveries.services.scheduling import schedule_run
from supplies.models import Channel
from supplies.services.orders import order_place
from supplies.services.rounds import round_close
from tests.factories import BuildingFactory, HouseholdFactory


@pytest.mark.django_db
def test_call_list_calls_units_in_walking_order_not_by_label(group_buy, offers, compound, staff):
    point = CollectionPoint.objects.create(
        compound=compound,
        name="北门",
        capacity=100,
        crowd_cap=10,
        opens_at=datetime.time(9),
        closes_at=datetime.time(10),
    )
    # Walking from the gate at (0, 0): 10号楼 (5 m) first, then 2号楼, then 3号楼 beyond it;
    # by label or by creation they would come in another order.
    far = BuildingFactory(compound=compound, label="3", position_x=90, position_y=0)
    middle = BuildingFactory(compound=compound, label="2", position_x=50, position_y=0)
    near = BuildingFactory(compound=compound, label="10", position_x=5, position_y=0)
    for building in (far, middle, near):
        for unit in (2, 1):
            order_place(
                household=HouseholdFactory(building=building, unit=unit, room="101"),
                supply_round=group_buy,
                quantities={offers["蔬菜包"].pk: 1},
                placed_by=staff,
                channel=Channel.HOTLINE,
            )
    round_close(supply_round=group_buy, by=staff)
    allocation_run(group_buy.pk, lambda *args: None)
    schedule_run(group_buy.pk, lambda *args: None)

    [slot] = selectors.call_list(group_buy, point)

    assert [(call["building"], call["unit"]) for call in slot["calls"]] == [
        ("10", 1),
        ("10", 2),
        ("2", 1),
        ("2", 2),
        ("3", 1),
        ("3", 2),
    ]
    assert slot["people"] == 6


@pytest.mark.django_db
def test_rooms_are_called_and_cut_into_slots_by_floor_then_room(group_buy, offers, compound, staff):
    point = CollectionPoint.objects.create(
        compound=compound,
        name="北门",
        capacity=100,
        crowd_cap=3,
        opens_at=datetime.time(9),
        closes_at=datetime.time(11),
        slot_minutes=15,
    )
    building = BuildingFactory(compound=compound, label="1", position_x=5, position_y=0)
    for room in ("101", "1001", "1102", "201", "203", "401", "103", "B2-03"):
        order_place(
            household=HouseholdFactory(building=building, unit=1, room=room),
            supply_round=group_buy,
            quantities={offers["蔬菜包"].pk: 1},
            placed_by=staff,
            channel=Channel.HOTLINE,
        )
    round_close(supply_round=group_buy, by=staff)
    allocation_run(group_buy.pk, lambda *args: None)
    schedule_run(group_buy.pk, lambda *args: None)

    slots = selectors.call_list(group_buy, point)

    # Three a slot, cut in floor order: the first slot calls the first floor.
    assert [[room for call in slot["calls"] for room in call["rooms"]] for slot in slots] == [
        ["101", "103", "201"],
        ["203", "401", "1001"],
        ["1102", "B2-03"],
    ]
