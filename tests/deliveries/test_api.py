"""The deliveries API, per role: staff plan their committees' rounds and see only their own;
everyone else is refused, and bad input gets a JSON 400 that changes nothing.

The `estate` fixture: building 1 near the north gate (precaution, one vulnerable household),
2 near the south gate (controlled), 3 in the middle (sealed); two units of two households each;
one order of 3 packs per household. Points: 20 packs, 3 people a slot, 09:00–10:00, 15 minutes."""

import datetime

import pytest
import yaml
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django.utils import timezone
from rest_framework.test import APIClient

from core.jobs import job_create, job_fail, subject_of
from core.models import Job, JobStatus
from deliveries import api_plans, tasks
from deliveries.models import (
    CollectionPoint,
    CompoundPolicy,
    ControlledPolicy,
    Delivery,
    OrderPlan,
    PickupSlot,
    RoundPlan,
)
from deliveries.services.planning import ALLOCATE, SCHEDULE
from deliveries.services.points import point_create, policy_set
from supplies import api as supplies_api
from supplies.models import Channel
from supplies.services.orders import order_place
from tests.factories import CompoundFactory, HouseholdFactory, UserFactory

API = "/api/v1/"


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")  # refusals are asserted in English
    client.force_authenticate(user)
    return client


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def assert_json_400(response, *fields: str) -> dict:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    for name in fields:
        assert body.get(name), body
    return body


def north_gate(compound, **changes) -> dict:
    return {
        "compound": compound.pk,
        "name": "东门",
        "position_x": 50,
        "position_y": 40,
        "capacity": 200,
        "crowd_cap": 10,
        "opens_at": "08:00",
        "closes_at": "11:00",
        "slot_minutes": 20,
    } | changes


def stored(point: CollectionPoint) -> tuple:
    return tuple(
        CollectionPoint.objects.filter(pk=point.pk).values_list(
            "compound", "name", "capacity", "crowd_cap", "opens_at", "closes_at", "active"
        )[0]
    )


@pytest.fixture
def other_point(other_compound, other_staff):
    return point_create(
        compound=other_compound,
        by=other_staff,
        name="西门",
        capacity=30,
        crowd_cap=5,
        opens_at=datetime.time(9),
        closes_at=datetime.time(11),
    )


@pytest.fixture
def estate_resident(estate):
    """A resident with a login, in building 1 of the estate."""
    _, households = estate
    user = UserFactory(username="resident")
    households[("1", 1, "101")].account = user
    households[("1", 1, "101")].save(update_fields=["account"])
    return user


@pytest.fixture
def planned(closed_round, points, django_capture_on_commit_callbacks):
    """The closed round allocated and scheduled by the worker, as after `allocate/`."""
    with django_capture_on_commit_callbacks(execute=True):
        tasks.allocate_round.delay(closed_round.pk)
    return closed_round


def plan_url(supply_round) -> str:
    return f"{API}rounds/{supply_round.pk}/plan/"


class TestWhoMayUseIt:
    URLS = ["collection-points/", "compound-policies/", "jobs/"]

    @pytest.mark.parametrize("url", URLS)
    def test_it_refuses_anonymous_reads(self, api_client, points, url):
        response = api_client.get(API + url)

        assert response.status_code in (401, 403)
        assert "results" not in response.json()

    @pytest.mark.parametrize("who", ["estate_resident", "volunteer", "leader"])
    def test_residents_volunteers_and_leaders_get_a_403_everywhere(
        self, request, closed_round, points, who
    ):
        client = client_for(request.getfixturevalue(who))
        point = points[0]

        urls = [*self.URLS, f"collection-points/{point.pk}/", f"rounds/{closed_round.pk}/plan/"]
        for url in urls:
            response = client.get(API + url)
            assert response.status_code == 403, url
            assert response.json() == {"detail": "Only the committee's staff may do this."}
        for url in ["collection-points/", f"rounds/{closed_round.pk}/allocate/"]:
            assert client.post(API + url, {}, format="json").status_code == 403
        assert not Job.objects.exists()

    def test_street_staff_see_the_points_of_every_committee_of_their_street(
        self, points, other_point, street_staff
    ):
        assert ids(client_for(street_staff).get(API + "collection-points/")) == {
            *(point.pk for point in points),
            other_point.pk,
        }


class TestCollectionPoints:
    def test_staff_see_their_compounds_points_and_filter_by_compound(
        self, points, other_point, compound, other_compound, staff
    ):
        client = client_for(staff)
        north, south = points

        assert ids(client.get(API + "collection-points/")) == {north.pk, south.pk}
        assert ids(client.get(API + "collection-points/", {"compound": compound.pk})) == {
            north.pk,
            south.pk,
        }
        # Another committee's compound filters to nothing, as an unknown one does.
        for other in (other_compound.pk, 999_999):
            assert ids(client.get(API + "collection-points/", {"compound": other})) == set()

    def test_a_point_shows_its_compound_capacity_and_hours(self, points, compound, staff):
        response = client_for(staff).get(f"{API}collection-points/{points[0].pk}/")

        assert response.status_code == 200
        body = response.json()
        assert {key: body[key] for key in ("compound", "compound_name", "name")} == {
            "compound": compound.pk,
            "compound_name": compound.name,
            "name": "北门",
        }
        assert (body["capacity"], body["crowd_cap"], body["slot_minutes"]) == (20, 3, 15)
        assert (body["opens_at"], body["closes_at"], body["active"]) == (
            "09:00:00",
            "10:00:00",
            True,
        )

    def test_another_committees_point_is_a_404(self, points, other_point, staff, other_staff):
        client = client_for(other_staff)

        assert client.get(f"{API}collection-points/{points[0].pk}/").status_code == 404
        response = client.patch(
            f"{API}collection-points/{points[0].pk}/", {"capacity": 1}, format="json"
        )
        assert response.status_code == 404
        assert CollectionPoint.objects.get(pk=points[0].pk).capacity == 20
        assert client_for(staff).get(f"{API}collection-points/{other_point.pk}/").status_code == 404

    def test_staff_add_a_point_to_their_compound(self, compound, staff):
        response = client_for(staff).post(
            API + "collection-points/", north_gate(compound), format="json"
        )

        assert response.status_code == 201, response.content
        point = CollectionPoint.objects.get()
        assert response.json()["id"] == point.pk
        assert response.json()["compound_name"] == compound.name
        assert (point.compound, point.name, point.capacity, point.slot_minutes) == (
            compound,
            "东门",
            200,
            20,
        )
        assert point.created_by == point.updated_by == staff

    def test_staff_cannot_add_a_point_to_another_committees_compound(self, other_compound, staff):
        response = client_for(staff).post(
            API + "collection-points/", north_gate(other_compound), format="json"
        )

        assert_json_400(response, "compound")
        assert not CollectionPoint.objects.exists()

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"closes_at": "07:00"}, "The point must close after it opens."),
            ({"crowd_cap": 0}, "The crowd cap must be at least one person."),
            ({"slot_minutes": 0}, "A slot must last at least one minute."),
            ({"name": "北门"}, "The compound already has a point of this name."),
        ],
    )
    def test_a_point_that_cannot_work_is_a_json_400_with_the_reason(
        self, points, compound, staff, changes, message
    ):
        response = client_for(staff).post(
            API + "collection-points/", north_gate(compound, **changes), format="json"
        )

        assert assert_json_400(response, "detail")["detail"] == message
        assert CollectionPoint.objects.count() == 2

    def test_malformed_fields_are_json_field_errors(self, compound, staff):
        response = client_for(staff).post(
            API + "collection-points/",
            north_gate(compound, capacity=-1, opens_at="noon", name=""),
            format="json",
        )

        body = assert_json_400(response, "capacity", "opens_at", "name")
        assert body["capacity"] == ["Ensure this value is greater than or equal to 0."]
        assert not CollectionPoint.objects.exists()

    def test_staff_change_a_point_and_take_it_out_of_use(self, points, staff, volunteer):
        north = points[0]

        response = client_for(staff).patch(
            f"{API}collection-points/{north.pk}/", {"crowd_cap": 5, "active": False}, format="json"
        )

        assert response.status_code == 200, response.content
        assert (response.json()["crowd_cap"], response.json()["active"]) == (5, False)
        north.refresh_from_db()
        assert (north.crowd_cap, north.active, north.updated_by) == (5, False, staff)

    def test_a_full_update_keeps_the_point_in_its_compound(self, points, compound, staff):
        north = points[0]
        elsewhere = CompoundFactory(committee=compound.committee)
        client = client_for(staff)
        before = stored(north)

        moved = client.put(
            f"{API}collection-points/{north.pk}/", north_gate(elsewhere, name="北门"), format="json"
        )
        kept = client.put(
            f"{API}collection-points/{north.pk}/", north_gate(compound, name="北门"), format="json"
        )

        body = assert_json_400(moved, "compound")
        assert body["compound"] == ["A point cannot move to another compound."]
        assert kept.status_code == 200, kept.content
        assert stored(north) != before
        assert CollectionPoint.objects.get(pk=north.pk).compound == compound

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"opens_at": "12:00"}, "The point must close after it opens."),
            ({"name": "南门"}, "The compound already has a point of this name."),
        ],
    )
    def test_a_bad_change_is_a_json_400_and_changes_nothing(self, points, staff, changes, message):
        north = points[0]
        before = stored(north)

        response = client_for(staff).patch(
            f"{API}collection-points/{north.pk}/", changes, format="json"
        )

        assert assert_json_400(response, "detail")["detail"] == message
        assert stored(north) == before

    def test_a_point_is_never_deleted(self, points, staff):
        response = client_for(staff).delete(f"{API}collection-points/{points[0].pk}/")

        assert response.status_code == 405
        assert CollectionPoint.objects.count() == 2


class TestCompoundPolicies:
    def test_staff_set_then_change_a_compounds_policy(self, compound, staff):
        client = client_for(staff)

        created = client.post(
            API + "compound-policies/",
            {"compound": compound.pk, "controlled_fulfilment": "unit_entrance"},
            format="json",
        )
        changed = client.post(
            API + "compound-policies/",
            {"compound": compound.pk, "controlled_fulfilment": "pickup"},
            format="json",
        )

        assert created.status_code == 201, created.content
        assert changed.status_code == 200, changed.content
        assert changed.json()["id"] == created.json()["id"]
        policy = CompoundPolicy.objects.get()
        assert (policy.compound, policy.controlled_fulfilment) == (
            compound,
            ControlledPolicy.PICKUP,
        )
        assert ids(client.get(API + "compound-policies/")) == {policy.pk}
        retrieved = client.get(f"{API}compound-policies/{policy.pk}/").json()
        assert (retrieved["compound_name"], retrieved["controlled_fulfilment"]) == (
            compound.name,
            "pickup",
        )

    def test_another_committees_staff_neither_see_nor_set_it(self, compound, staff, other_staff):
        client_for(staff).post(
            API + "compound-policies/",
            {"compound": compound.pk, "controlled_fulfilment": "unit_entrance"},
            format="json",
        )
        policy = CompoundPolicy.objects.get()
        client = client_for(other_staff)

        assert client.get(f"{API}compound-policies/{policy.pk}/").status_code == 404
        assert ids(client.get(API + "compound-policies/")) == set()
        response = client.post(
            API + "compound-policies/",
            {"compound": compound.pk, "controlled_fulfilment": "pickup"},
            format="json",
        )
        assert_json_400(response, "compound")
        assert CompoundPolicy.objects.get().controlled_fulfilment == "unit_entrance"

    def test_an_unknown_policy_is_a_json_400(self, compound, staff):
        response = client_for(staff).post(
            API + "compound-policies/",
            {"compound": compound.pk, "controlled_fulfilment": "door"},
            format="json",
        )

        body = assert_json_400(response, "controlled_fulfilment")
        assert body["controlled_fulfilment"] == ['"door" is not a valid choice.']
        assert not CompoundPolicy.objects.exists()


class TestPlanningRequests:
    def test_allocating_answers_202_and_the_job_then_succeeds(
        self, closed_round, points, staff, django_capture_on_commit_callbacks
    ):
        client = client_for(staff)

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = client.post(f"{API}rounds/{closed_round.pk}/allocate/")

        assert response.status_code == 202, response.content
        body = response.json()
        job = Job.objects.get(pk=body["id"])
        assert (body["kind"], body["status"], body["percent"]) == (ALLOCATE, "queued", 0)
        assert body["message"] == "Waiting for a worker."
        assert body["round"] == closed_round.pk
        assert body["url"] == f"http://testserver{API}jobs/{job.pk}/"
        assert response["Location"] == body["url"]
        assert callbacks  # the job went to the worker only once the request committed

        polled = client.get(body["url"]).json()
        assert (polled["status"], polled["percent"], polled["attempts"]) == ("succeeded", 100, 1)
        assert polled["result"]["orders"] == 12
        assert polled["error"] == ""
        assert polled["created_by"] == "staff"
        assert polled["started_at"] and polled["finished_at"]
        # The allocation asks for the schedule, which ran too.
        schedule = Job.objects.get(kind=SCHEDULE)
        assert (schedule.status, schedule.created_by) == (JobStatus.SUCCEEDED, staff)
        assert OrderPlan.objects.filter(round=closed_round).count() == 12
        assert RoundPlan.objects.get(round=closed_round).scheduled_at is not None

    def test_allocating_keeps_the_pickup_day_asked_for(
        self, closed_round, points, staff, django_capture_on_commit_callbacks
    ):
        day = timezone.localdate() + datetime.timedelta(days=3)

        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(staff).post(
                f"{API}rounds/{closed_round.pk}/allocate/",
                {"pickup_date": day.isoformat()},
                format="json",
            )

        assert response.status_code == 202, response.content
        assert RoundPlan.objects.get(round=closed_round).pickup_date == day
        starts = PickupSlot.objects.filter(round=closed_round).values_list("start", flat=True)
        assert starts and {timezone.localtime(start).date() for start in starts} == {day}

    @pytest.mark.parametrize(
        ("pickup_date", "message"),
        [
            (
                (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
                "The pickup day cannot be before today.",
            ),
            (
                "tomorrow",
                "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
            ),
        ],
    )
    def test_a_bad_pickup_day_is_a_json_400_and_starts_nothing(
        self, closed_round, points, staff, pickup_date, message
    ):
        Job.objects.all().delete()  # the round_closed signal's, when the points came first

        response = client_for(staff).post(
            f"{API}rounds/{closed_round.pk}/allocate/", {"pickup_date": pickup_date}, format="json"
        )

        assert assert_json_400(response, "pickup_date")["pickup_date"] == [message]
        assert not Job.objects.exists()
        assert not RoundPlan.objects.exists()

    def test_a_round_that_is_not_closed_is_a_json_400_with_the_reason(
        self, group_buy, points, staff
    ):
        response = client_for(staff).post(f"{API}rounds/{group_buy.pk}/allocate/")

        body = assert_json_400(response, "detail")
        assert body == {
            "detail": "Only a closed round can be planned; this one is Open.",
            "code": "round_not_closed",
        }
        assert not Job.objects.exists()

    def test_scheduling_before_allocating_is_a_json_400(self, closed_round, points, staff):
        response = client_for(staff).post(f"{API}rounds/{closed_round.pk}/schedule/")

        assert assert_json_400(response, "detail")["code"] == "not_allocated"
        assert not Job.objects.filter(kind=SCHEDULE).exists()

    def test_staff_schedule_an_allocated_round_again_for_another_day(
        self, planned, staff, django_capture_on_commit_callbacks
    ):
        day = timezone.localdate() + datetime.timedelta(days=5)

        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(staff).post(
                f"{API}rounds/{planned.pk}/schedule/",
                {"pickup_date": day.isoformat()},
                format="json",
            )

        assert response.status_code == 202, response.content
        assert response.json()["kind"] == SCHEDULE
        assert Job.objects.get(pk=response.json()["id"]).status == JobStatus.SUCCEEDED
        starts = PickupSlot.objects.filter(round=planned).values_list("start", flat=True)
        assert {timezone.localtime(start).date() for start in starts} == {day}

    @pytest.mark.parametrize("step", ["allocate", "schedule"])
    def test_another_committees_round_is_a_404(self, closed_round, points, other_staff, step):
        Job.objects.all().delete()

        response = client_for(other_staff).post(f"{API}rounds/{closed_round.pk}/{step}/")

        assert response.status_code == 404
        assert not Job.objects.exists()

    @pytest.mark.parametrize("pk", ["999999", "abc"])
    def test_an_unknown_round_is_a_404(self, staff, pk):
        assert client_for(staff).post(f"{API}rounds/{pk}/allocate/").status_code == 404


class TestJobs:
    def test_staff_see_the_jobs_of_their_rounds_and_filter_them(
        self, planned, other_committee, other_staff, staff
    ):
        stranger = job_create(kind=ALLOCATE, subject="supplies.supplyround:999999")
        client = client_for(staff)
        mine = set(Job.objects.filter(subject=subject_of(planned)).values_list("pk", flat=True))

        assert len(mine) == 2
        assert ids(client.get(API + "jobs/")) == mine
        assert ids(client.get(API + "jobs/", {"round": planned.pk})) == mine
        assert ids(client.get(API + "jobs/", {"round": 999_999})) == set()
        assert ids(client.get(API + "jobs/", {"kind": SCHEDULE})) == set(
            Job.objects.filter(kind=SCHEDULE).values_list("pk", flat=True)
        )
        assert ids(client.get(API + "jobs/", {"status": "failed"})) == set()
        assert client.get(f"{API}jobs/{stranger.pk}/").status_code == 404

    def test_another_committees_staff_get_a_404(self, planned, other_staff):
        job = Job.objects.filter(subject=subject_of(planned)).first()
        client = client_for(other_staff)

        assert client.get(f"{API}jobs/{job.pk}/").status_code == 404
        assert ids(client.get(API + "jobs/")) == set()

    def test_a_failed_job_shows_its_error(self, closed_round, staff):
        job = job_create(kind=ALLOCATE, subject=subject_of(closed_round), by=staff)
        job_fail(job.pk, error="No collection point is in use.")

        body = client_for(staff).get(f"{API}jobs/{job.pk}/").json()

        assert (body["status"], body["finished"]) == ("failed", True)
        assert body["error"] == body["message"] == "No collection point is in use."
        assert body["finished_at"] and body["started_at"] is None


class TestPlan:
    def test_it_shows_each_points_load_slots_and_calls(self, planned, points, staff):
        response = client_for(staff).get(plan_url(planned))

        assert response.status_code == 200, response.content
        body = response.json()
        plan = RoundPlan.objects.get(round=planned)
        assert (body["round"], body["status"], body["pickup_date"]) == (
            planned.pk,
            "closed",
            plan.pickup_date.isoformat(),
        )
        assert body["allocated_at"] and body["scheduled_at"]
        assert body["allocation"]["orders"] == 12
        assert body["schedule"]["slots"] == PickupSlot.objects.filter(round=planned).count()
        assert (body["orders"], body["packs"]) == (12, 36)
        assert {row["fulfilment"]: row["orders"] for row in body["fulfilments"]} == {
            "door": 5,  # building 3 sealed, and the vulnerable household of building 1
            "unit_entrance": 0,
            "pickup": 7,
        }
        assert (body["unplaced_orders"], body["without_point"], body["without_slot"]) == (0, 0, 0)
        assert body["waiting_for_slot"] == 0
        assert body["deliveries"] == [
            {"destination": "door", "label": "Door delivery", "open": 5},
            {"destination": "unit_entrance", "label": "Drop at the unit entrance", "open": 0},
        ]
        assert body["latest_job"]["kind"] == SCHEDULE

        by_name = {point["name"]: point for point in body["points"]}
        assert set(by_name) == {"北门", "南门"}
        assert sum(point["packs"] for point in by_name.values()) == 36
        for point in points:
            shown = by_name[point.name]
            plans = OrderPlan.objects.filter(round=planned, point=point)
            assert (shown["id"], shown["capacity"], shown["crowd_cap"]) == (point.pk, 20, 3)
            assert shown["orders"] == plans.count()
            assert shown["orders_by_fulfilment"] == {
                kind: plans.filter(fulfilment=kind).count()
                for kind in ("pickup", "door", "unit_entrance")
            }
            called = [call for slot in shown["slots"] for call in slot["calls"]]
            assert (
                sum(call["households"] for call in called)
                == shown["orders_by_fulfilment"]["pickup"]
            )
            for slot in shown["slots"]:
                assert 0 < slot["people"] <= 3
                assert slot["people"] == sum(len(call["rooms"]) for call in slot["calls"])
                assert slot["start"] < slot["end"]
        # Building 1, near the north gate: its unit 1 minus the vulnerable household at 201
        # (a door delivery), then unit 2.
        north_calls = [call for slot in by_name["北门"]["slots"] for call in slot["calls"]]
        assert {"building": "1", "unit": 1, "households": 1, "rooms": ["101"]} in north_calls
        assert {"building": "1", "unit": 2, "households": 2, "rooms": ["101", "201"]} in north_calls

    def test_a_round_not_planned_yet_shows_its_points_empty_and_the_day_it_would_use(
        self, closed_round, points, staff
    ):
        body = client_for(staff).get(plan_url(closed_round)).json()

        expected_day = timezone.localdate(closed_round.closes_at) + datetime.timedelta(days=1)
        assert body["pickup_date"] == expected_day.isoformat()
        assert (body["allocated_at"], body["scheduled_at"]) == (None, None)
        assert (body["allocation"], body["schedule"], body["orders"]) == ({}, {}, 0)
        assert [(point["name"], point["packs"], point["slots"]) for point in body["points"]] == [
            ("北门", 0, []),
            ("南门", 0, []),
        ]

    def test_orders_no_point_has_room_for_are_counted(
        self, closed_round, points, staff, django_capture_on_commit_callbacks
    ):
        CollectionPoint.objects.filter(pk=points[1].pk).update(active=False)
        with django_capture_on_commit_callbacks(execute=True):
            tasks.allocate_round.delay(closed_round.pk)

        body = client_for(staff).get(plan_url(closed_round)).json()

        unplaced = OrderPlan.objects.filter(round=closed_round).exclude(unplaced="").count()
        assert unplaced == 12 - 20 // 3
        assert body["unplaced_orders"] == body["without_point"] == unplaced
        south = next(point for point in body["points"] if point["name"] == "南门")
        assert (south["active"], south["packs"], south["slots"]) == (False, 0, [])

    def test_another_committees_staff_get_a_404(self, planned, other_staff):
        assert client_for(other_staff).get(plan_url(planned)).status_code == 404

    PLAN_QUERIES = 13  # the pickups' outcomes add one aggregate

    @pytest.mark.parametrize("more_households", [0, 30])
    def test_it_reads_a_fixed_number_of_queries_whatever_the_size_of_the_plan(
        self,
        request,
        group_buy,
        offers,
        estate,
        points,
        staff,
        more_households,
        django_capture_on_commit_callbacks,
        django_assert_max_num_queries,
    ):
        buildings, _households = estate
        for number in range(more_households):
            household = HouseholdFactory(
                building=buildings["12"[number % 2]], unit=3 + number % 4, room=f"{number}01"
            )
            order_place(
                household=household,
                supply_round=group_buy,
                quantities={offers["蔬菜包"].pk: 1},
                placed_by=staff,
                channel=Channel.HOTLINE,
            )
        CollectionPoint.objects.update(capacity=500, closes_at=datetime.time(18))
        supply_round = request.getfixturevalue("closed_round")
        with django_capture_on_commit_callbacks(execute=True):
            tasks.allocate_round.delay(supply_round.pk)
        client = client_for(staff)

        with django_assert_max_num_queries(self.PLAN_QUERIES):
            response = client.get(plan_url(supply_round))

        assert response.status_code == 200
        slots = sum(len(point["slots"]) for point in response.json()["points"])
        assert response.json()["orders"] == 12 + more_households
        assert slots == PickupSlot.objects.filter(round=supply_round).count()
        assert slots >= 2 + more_households // 3  # 3 people a slot
        assert Delivery.objects.count() == 5


class TestListQueryCounts:
    """A list reads the same number of queries for 2 rows as for 20."""

    def queries(self, client, url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        return len(captured.captured_queries)

    def more(self, closed_round, staff, count: int) -> None:
        for _number in range(count):
            compound = CompoundFactory(committee=closed_round.committee)
            point_create(
                compound=compound,
                by=staff,
                name="北门",
                capacity=10,
                crowd_cap=2,
                opens_at=datetime.time(9),
                closes_at=datetime.time(10),
            )
            policy_set(compound=compound, controlled_fulfilment="unit_entrance", by=staff)
            job_create(kind=ALLOCATE, subject=subject_of(closed_round), by=staff)

    def test_the_lists_do_not_grow_with_their_rows(self, closed_round, staff):
        urls = [API + url for url in ("collection-points/", "compound-policies/", "jobs/")]
        client = client_for(staff)
        self.more(closed_round, staff, 2)
        few = [self.queries(client, url) for url in urls]

        self.more(closed_round, staff, 18)

        assert [self.queries(client, url) for url in urls] == few
        assert [len(client.get(url).json()["results"]) for url in urls] == [20, 20, 20]


class TestRoutes:
    def test_supplies_rounds_and_the_plan_actions_live_side_by_side(self, planned, staff):
        client = client_for(staff)

        assert resolve(f"{API}rounds/{planned.pk}/").func.cls is supplies_api.RoundViewSet
        assert resolve(f"{API}rounds/").func.cls is supplies_api.RoundViewSet
        assert resolve(f"{API}rounds/{planned.pk}/close/").func.cls is supplies_api.RoundViewSet
        for step in ("plan", "allocate", "schedule"):
            assert (
                resolve(f"{API}rounds/{planned.pk}/{step}/").func.cls is api_plans.RoundPlanViewSet
            )
        assert client.get(f"{API}rounds/{planned.pk}/").json()["title"] == planned.title
        assert planned.pk in ids(client.get(API + "rounds/"))
        assert client.get(plan_url(planned)).json()["round"] == planned.pk

    def test_the_openapi_document_generates_without_warnings(self, tmp_path):
        schema = tmp_path / "schema.yml"

        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(schema))

        paths = yaml.safe_load(schema.read_text())["paths"]
        for path in (
            "/api/v1/collection-points/",
            "/api/v1/collection-points/{id}/",
            "/api/v1/compound-policies/",
            "/api/v1/jobs/{id}/",
            "/api/v1/rounds/{id}/",
            "/api/v1/rounds/{id}/allocate/",
            "/api/v1/rounds/{id}/schedule/",
            "/api/v1/rounds/{id}/plan/",
        ):
            assert path in paths, path
        assert "delete" not in paths["/api/v1/collection-points/{id}/"]
        assert set(paths["/api/v1/rounds/{id}/plan/"]) == {"get"}
