"""Deliveries fixtures: a closed round in `compound` with orders in three buildings, and two
collection points at its gates."""

import datetime

import pytest
from django.utils import timezone

from deliveries.models import CollectionPoint
from residents.models import ClosureLevel
from supplies.models import Channel
from supplies.services.orders import order_place
from supplies.services.rounds import round_close
from tests.factories import BuildingFactory, HouseholdFactory, ResidentFactory
from tests.supplies import conftest as supplies_fixtures

# The supplies fixtures, shared: a licensed supplier, two packages, an open group buy.
supplier = supplies_fixtures.supplier
vegetables = supplies_fixtures.vegetables
meat = supplies_fixtures.meat
leader = supplies_fixtures.leader
closes_at = supplies_fixtures.closes_at
group_buy = supplies_fixtures.group_buy
offers = supplies_fixtures.offers
english_messages = supplies_fixtures.english_messages


@pytest.fixture
def points(compound):
    """North gate at (0, 0) and south gate at (100, 0): 20 packs each, 3 people a slot,
    09:00–10:00 in 15-minute slots."""
    return [
        CollectionPoint.objects.create(
            compound=compound,
            name=name,
            position_x=x,
            position_y=0,
            capacity=20,
            crowd_cap=3,
            opens_at=datetime.time(9),
            closes_at=datetime.time(10),
            slot_minutes=15,
        )
        for name, x in (("北门", 0), ("南门", 100))
    ]


@pytest.fixture
def estate(compound):
    """Three buildings of two units with two households each: 1 near the north gate
    (precaution, one vulnerable household), 2 near the south gate (controlled), 3 in the
    middle (sealed)."""
    buildings = {
        "1": BuildingFactory(compound=compound, label="1", position_x=10, position_y=0),
        "2": BuildingFactory(
            compound=compound,
            label="2",
            position_x=90,
            position_y=0,
            closure_level=ClosureLevel.CONTROLLED,
        ),
        "3": BuildingFactory(
            compound=compound,
            label="3",
            position_x=50,
            position_y=10,
            closure_level=ClosureLevel.SEALED,
        ),
    }
    households = {
        (label, unit, room): HouseholdFactory(building=building, unit=unit, room=room)
        for label, building in buildings.items()
        for unit in (1, 2)
        for room in ("101", "201")
    }
    ResidentFactory(household=households[("1", 1, "201")], needs=["elderly_alone"])
    return buildings, households


@pytest.fixture
def closed_round(group_buy, offers, estate, staff):
    """The group buy with one order per household (2 vegetables + 1 meat = 3 packs), closed
    without planning (the round_closed signal's job is run by the tests that want it)."""
    _, households = estate
    group_buy.offers.update(stock=100)
    for household in households.values():
        order_place(
            household=household,
            supply_round=group_buy,
            quantities={offers["蔬菜包"].pk: 2, offers["肉蛋包"].pk: 1},
            placed_by=staff,
            channel=Channel.HOTLINE,
        )
    group_buy.closes_at = timezone.now()
    group_buy.save(update_fields=["closes_at"])
    round_close(supply_round=group_buy, by=staff)
    return group_buy
