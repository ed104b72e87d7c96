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


# --- volunteers at the doors and the gate -------------------------------------------------


def _no_progress(percent: int, message: str) -> None:
    pass


@pytest.fixture
def planned_round(closed_round, points, staff):
    """The closed round allocated and scheduled: 5 door deliveries (building 3 sealed, and
    the vulnerable household of building 1) and 7 pickups with slots."""
    from deliveries.services import allocating, scheduling

    allocating.allocation_run(closed_round.pk, _no_progress, by=staff)
    scheduling.schedule_run(closed_round.pk, _no_progress)
    return closed_round


def volunteer_record(user, committee, compound, name: str):
    from volunteers.models import Volunteer, VolunteerStatus

    record = Volunteer.objects.create(
        user=user,
        committee=committee,
        name=name,
        phone="13800138001",
        status=VolunteerStatus.APPROVED,
    )
    record.compounds.add(compound)
    return record


@pytest.fixture
def volunteer_record_of(volunteer, committee, compound):
    """The `volunteer` login's Volunteer row: approved, serving `compound`."""
    return volunteer_record(volunteer, committee, compound, "李志愿")


@pytest.fixture
def other_volunteer(committee):
    from residents.models import Role
    from residents.services import membership_grant
    from tests.factories import UserFactory

    user = UserFactory(username="other-volunteer")
    membership_grant(user=user, role=Role.VOLUNTEER, committee=committee)
    return user


@pytest.fixture
def other_volunteer_record(other_volunteer, committee, compound):
    return volunteer_record(other_volunteer, committee, compound, "王志愿")


def sign_up(volunteer_row, shift):
    from volunteers.models import ShiftSignup

    ShiftSignup.objects.create(shift=shift, volunteer=volunteer_row)
    shift.taken += 1
    shift.save(update_fields=["taken"])


@pytest.fixture
def supply_shift(compound, staff):
    """A supply-distribution shift in `compound` from an hour ago to three hours from now."""
    from volunteers.models import Shift, Workgroup

    now = timezone.now()
    return Shift.objects.create(
        compound=compound,
        workgroup=Workgroup.SUPPLY,
        start=now - datetime.timedelta(hours=1),
        end=now + datetime.timedelta(hours=3),
        needed=5,
        created_by=staff,
    )


@pytest.fixture
def on_shift(volunteer_record_of, supply_shift):
    """The `volunteer` login, signed up for the supply shift now."""
    sign_up(volunteer_record_of, supply_shift)
    return volunteer_record_of
