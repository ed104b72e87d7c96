"""Collection points and compound policies (deliveries.services.points): staff create and
change them; bad input is refused with a clear message and changes nothing."""

import datetime

import pytest

from core.exceptions import ApplicationError
from deliveries.models import CollectionPoint, CompoundPolicy, ControlledPolicy
from deliveries.services.points import point_create, point_update, policy_set


def north_gate(**changes) -> dict:
    fields = {
        "name": "北门",
        "position_x": 0,
        "position_y": 0,
        "capacity": 200,
        "crowd_cap": 10,
        "opens_at": datetime.time(8),
        "closes_at": datetime.time(11),
        "slot_minutes": 15,
    }
    return fields | changes


@pytest.fixture
def point(compound, staff):
    return point_create(compound=compound, by=staff, **north_gate())


def stored(point: CollectionPoint) -> tuple:
    return tuple(
        CollectionPoint.objects.filter(pk=point.pk).values_list(
            "name", "capacity", "crowd_cap", "opens_at", "closes_at", "slot_minutes", "active"
        )[0]
    )


def test_it_creates_a_point_with_who_made_it(compound, staff):
    point = point_create(compound=compound, by=staff, **north_gate())

    point.refresh_from_db()
    assert (point.compound, point.name, point.capacity, point.crowd_cap) == (
        compound,
        "北门",
        200,
        10,
    )
    assert point.created_by == point.updated_by == staff
    assert point.active


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"closes_at": datetime.time(7)}, "The point must close after it opens."),
        ({"closes_at": datetime.time(8)}, "The point must close after it opens."),
        ({"crowd_cap": 0}, "The crowd cap must be at least one person."),
        ({"slot_minutes": 0}, "A slot must last at least one minute."),
        ({"name": ""}, "This field cannot be blank."),
        ({"capacity": -1}, "Ensure this value is greater than or equal to 0."),
    ],
)
def test_it_refuses_a_point_that_cannot_work(compound, staff, changes, message):
    with pytest.raises(ApplicationError) as refusal:
        point_create(compound=compound, by=staff, **north_gate(**changes))

    assert message in refusal.value.message
    assert not CollectionPoint.objects.exists()


def test_it_refuses_a_second_point_of_the_same_name_in_a_compound(point, compound, staff):
    with pytest.raises(ApplicationError) as refusal:
        point_create(compound=compound, by=staff, **north_gate(capacity=50))

    assert refusal.value.message == "The compound already has a point of this name."
    assert CollectionPoint.objects.count() == 1


def test_the_same_name_is_fine_in_another_compound(point, other_compound, staff):
    other = point_create(compound=other_compound, by=staff, **north_gate())

    assert other.pk != point.pk
    assert CollectionPoint.objects.filter(name="北门").count() == 2


def test_it_updates_a_point(point, other_staff):
    point_update(point=point, by=other_staff, crowd_cap=4, active=False)

    point.refresh_from_db()
    assert (point.crowd_cap, point.active, point.updated_by) == (4, False, other_staff)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"opens_at": datetime.time(12)}, "The point must close after it opens."),
        ({"crowd_cap": 0}, "The crowd cap must be at least one person."),
        ({"slot_minutes": 0}, "A slot must last at least one minute."),
        ({"name": "南门"}, "The compound already has a point of this name."),
        ({"compound": None}, "Unknown field compound."),
    ],
)
def test_it_refuses_a_bad_update_and_changes_nothing(point, compound, staff, changes, message):
    point_create(compound=compound, by=staff, **north_gate(name="南门"))
    before = stored(point)

    with pytest.raises(ApplicationError) as refusal:
        point_update(point=point, by=staff, **changes)

    assert refusal.value.message == message
    assert stored(point) == before


def test_it_sets_the_policy_for_controlled_buildings(compound, staff, other_staff):
    policy = policy_set(
        compound=compound, controlled_fulfilment=ControlledPolicy.UNIT_ENTRANCE, by=staff
    )
    assert (policy.controlled_fulfilment, policy.created_by, policy.updated_by) == (
        ControlledPolicy.UNIT_ENTRANCE,
        staff,
        staff,
    )

    again = policy_set(
        compound=compound, controlled_fulfilment=ControlledPolicy.PICKUP, by=other_staff
    )

    assert again.pk == policy.pk
    again.refresh_from_db()
    assert (again.controlled_fulfilment, again.created_by, again.updated_by) == (
        ControlledPolicy.PICKUP,
        staff,
        other_staff,
    )
    assert CompoundPolicy.objects.count() == 1


def test_it_refuses_an_unknown_policy(compound, staff):
    policy_set(compound=compound, controlled_fulfilment=ControlledPolicy.PICKUP, by=staff)

    with pytest.raises(ApplicationError, match="Unknown policy for controlled buildings."):
        policy_set(compound=compound, controlled_fulfilment="door", by=staff)

    assert CompoundPolicy.objects.get().controlled_fulfilment == ControlledPolicy.PICKUP
