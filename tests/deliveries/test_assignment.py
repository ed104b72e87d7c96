"""Assigning deliveries to volunteers: the pure algorithm's guarantees (hypothesis and brute
force), then the service, the job and the API that run it."""

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.models import Job, JobStatus
from deliveries.assignment import Carrier, Stop, assign, floor_of
from deliveries.models import Delivery, DeliveryEvent, DeliveryStatus
from deliveries.services.assignment import deliveries_assign
from tests.deliveries.conftest import sign_up
from tests.deliveries.test_api import client_for

# --- the pure module ---------------------------------------------------------------------

stops_strategy = st.lists(
    st.tuples(st.sampled_from("ABCDE"), st.integers(1, 3), st.integers(1, 18)),
    max_size=60,
).map(
    lambda rows: [
        Stop(id=index, building=building, unit=unit, floor=floor)
        for index, (building, unit, floor) in enumerate(rows)
    ]
)
carriers_strategy = st.integers(1, 6).map(lambda n: [Carrier(id=100 + i) for i in range(n)])


def carriers_of_building(result, stops, label) -> set[int]:
    owner = result.volunteer_of()
    return {owner[stop.id] for stop in stops if stop.building == label}


@given(stops_strategy, carriers_strategy)
@settings(max_examples=300, deadline=None)
def test_it_assigns_every_delivery_exactly_once(stops, carriers):
    result = assign(stops, carriers)
    given_out = [stop for load in result.loads.values() for stop in load]
    assert sorted(given_out) == sorted(stop.id for stop in stops)
    assert result.unassigned == []


@given(stops_strategy, carriers_strategy)
@settings(max_examples=300, deadline=None)
def test_it_keeps_every_load_within_the_optimal_bound(stops, carriers):
    result = assign(stops, carriers)
    bound = math.ceil(len(stops) / len(carriers))
    assert result.target == bound
    assert max(len(load) for load in result.loads.values()) <= bound


@given(stops_strategy, carriers_strategy)
@settings(max_examples=300, deadline=None)
def test_it_splits_a_building_only_when_nobody_has_room_for_it_whole(stops, carriers):
    result = assign(stops, carriers)
    split = {entry.building for entry in result.splits if entry.unit is None}
    for entry in result.splits:
        assert entry.size > entry.room  # at its turn no volunteer had room for it whole
    for label in {stop.building for stop in stops} - split:
        assert len(carriers_of_building(result, stops, label)) == 1
    labels = {stop.building for stop in stops}
    sizes = [sum(1 for stop in stops if stop.building == label) for label in labels]
    if len(labels) <= len(carriers) and all(size <= result.target for size in sizes):
        assert result.splits == []  # one building per volunteer fits: nothing is split


@given(stops_strategy)
@settings(max_examples=100, deadline=None)
def test_it_never_splits_anything_for_one_volunteer(stops):
    result = assign(stops, [Carrier(1)])
    assert result.splits == []
    assert len(result.loads[1]) == len(stops)


def brute_force_best_max_load(stops, carriers) -> int:
    best = len(stops)
    for choice in itertools.product(range(len(carriers)), repeat=len(stops)):
        loads = [choice.count(index) for index in range(len(carriers))]
        best = min(best, max(loads))
    return best


@pytest.mark.parametrize(
    "rows, volunteers",
    [
        ([("A", 1), ("A", 1), ("A", 2), ("B", 1), ("C", 1)], 2),
        ([("A", 1)] * 5 + [("B", 1)], 3),
        ([("A", 1), ("A", 2), ("B", 1), ("B", 2), ("C", 1), ("C", 2), ("D", 1)], 3),
        ([("A", 1)] * 7, 2),
    ],
)
def test_it_matches_the_brute_force_optimum_of_the_largest_load(rows, volunteers):
    stops = [Stop(i, building, unit, 1) for i, (building, unit) in enumerate(rows)]
    carriers = [Carrier(i) for i in range(volunteers)]
    result = assign(stops, carriers)
    assert max(len(load) for load in result.loads.values()) == brute_force_best_max_load(
        stops, carriers
    )


def test_it_gives_whole_buildings_largest_first_to_the_least_loaded():
    stops = [Stop(i, "A", 1, 1) for i in range(3)] + [Stop(10 + i, "B", 1, 1) for i in range(3)]
    result = assign(stops, [Carrier(1), Carrier(2)])
    assert sorted(map(sorted, result.loads.values())) == [[0, 1, 2], [10, 11, 12]]
    assert result.splits == []


def test_it_splits_a_building_by_whole_units_before_cutting_a_unit():
    stops = [Stop(i, "A", 1 + i % 2, i) for i in range(4)]  # two units of two
    result = assign(stops, [Carrier(1), Carrier(2)])
    assert [split.unit for split in result.splits] == [None]  # by units, no unit poured
    units = {frozenset(load) for load in result.loads.values()}
    assert units == {frozenset({0, 2}), frozenset({1, 3})}


def test_it_lists_every_delivery_as_unassigned_when_nobody_is_on_shift():
    result = assign([Stop(1, "A", 1), Stop(2, "B", 1)], [])
    assert result.unassigned == [1, 2]
    assert result.loads == {}


def test_it_handles_no_deliveries():
    result = assign([], [Carrier(1)])
    assert result.loads == {1: []}


@pytest.mark.parametrize(
    "room, floor",
    [("1201", 12), ("301", 3), ("101", 1), ("B-502", 5), ("12", None), ("", None)],
)
def test_it_reads_the_floor_from_the_room_number(room, floor):
    assert floor_of(room) == floor


# --- the service, the job and the API ----------------------------------------------------


@pytest.fixture
def two_on_shift(on_shift, other_volunteer_record, supply_shift):
    sign_up(other_volunteer_record, supply_shift)
    return on_shift, other_volunteer_record


def test_it_assigns_the_rounds_open_deliveries_to_the_volunteers_on_shift(
    planned_round, two_on_shift, staff
):
    summary = deliveries_assign(supply_round=planned_round, by=staff)
    deliveries = Delivery.objects.filter(order_plan__round=planned_round)
    assert summary["assigned"] == deliveries.count() == 5
    assert summary["unassigned"] == 0
    loads = sorted(deliveries.filter(volunteer=volunteer).count() for volunteer in two_on_shift)
    assert loads == [2, 3]
    assert all(d.assigned_by == staff and d.assigned_at for d in deliveries)
    assert DeliveryEvent.objects.filter(note__startswith="Assigned to").count() == 5
    # building 3 (4 deliveries) is split by units, since 4 > ceil(5 / 2)
    assert summary["compounds"][0]["split_buildings"] == ["3"]


def test_it_leaves_assigned_ones_alone_when_run_twice(planned_round, two_on_shift, staff):
    deliveries_assign(supply_round=planned_round, by=staff)
    again = deliveries_assign(supply_round=planned_round, by=staff)
    assert again["assigned"] == 0


def test_it_reports_deliveries_left_when_nobody_is_on_shift(planned_round, staff):
    summary = deliveries_assign(supply_round=planned_round, by=staff)
    assert summary["assigned"] == 0
    assert summary["unassigned"] == 5
    assert summary["compounds"][0]["volunteers"] == 0
    assert not Delivery.objects.filter(volunteer__isnull=False).exists()


def test_it_ignores_volunteers_whose_shift_is_another_workgroup(
    planned_round, volunteer_record_of, supply_shift, staff
):
    supply_shift.workgroup = "testing"
    supply_shift.save()
    sign_up(volunteer_record_of, supply_shift)
    assert deliveries_assign(supply_round=planned_round, by=staff)["assigned"] == 0


def test_it_assigns_through_the_api_as_a_job_and_says_what_was_left(
    planned_round, staff, english_messages, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff).post(f"/api/v1/rounds/{planned_round.pk}/assign/")
    assert response.status_code == 202, response.content
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert job.kind == "assign_deliveries"
    assert job.status == JobStatus.SUCCEEDED  # eager on a bare machine
    assert job.result["unassigned"] == 5
    assert "left without a volunteer" in job.message


def test_it_refuses_to_assign_another_committees_round(planned_round, other_staff):
    response = client_for(other_staff).post(f"/api/v1/rounds/{planned_round.pk}/assign/")
    assert response.status_code == 404


def test_it_refuses_to_let_a_volunteer_assign(planned_round, volunteer):
    response = client_for(volunteer).post(f"/api/v1/rounds/{planned_round.pk}/assign/")
    assert response.status_code == 403


def test_it_assigns_from_the_plan_page(
    client, planned_round, two_on_shift, staff, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/staff/plans/{planned_round.pk}/", {"kind": "assign_deliveries"})
    assert response.status_code == 302
    assert Delivery.objects.filter(volunteer__isnull=False).count() == 5
    page = client.get(f"/staff/plans/{planned_round.pk}/")
    assert b"assign_deliveries" in page.content
    assert DeliveryStatus.PLANNED in set(Delivery.objects.values_list("status", flat=True))
