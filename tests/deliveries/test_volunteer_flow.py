"""A volunteer at the doors: marking deliveries delivered or failed (also late, from an offline
phone, and twice), staff retrying and reassigning, the API and the "my deliveries" page, each
scoped so that another volunteer's delivery is a 404."""

import datetime

import pytest
from django.utils import timezone

from core.exceptions import ApplicationError
from deliveries.models import Delivery, DeliveryEvent, DeliveryFailure, DeliveryStatus
from deliveries.services.fulfilment import (
    delivery_complete,
    delivery_fail,
    delivery_reassign,
    delivery_retry,
)
from tests.deliveries.test_api import client_for
from tests.factories import HouseholdFactory, UserFactory
from volunteers.models import VolunteerStatus

API = "/api/v1/deliveries/"


@pytest.fixture
def assigned(planned_round, volunteer_record_of, other_volunteer_record):
    """Three of the round's five deliveries for `volunteer`, two for `other_volunteer`."""
    deliveries = list(Delivery.objects.filter(order_plan__round=planned_round).order_by("pk"))
    for index, delivery in enumerate(deliveries):
        delivery.volunteer = volunteer_record_of if index < 3 else other_volunteer_record
        delivery.assigned_at = timezone.now()
        delivery.save()
    return deliveries[:3], deliveries[3:]


def minutes_ago(minutes: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=minutes)


class TestServices:
    def test_it_keeps_the_tap_time_as_done_at(self, assigned, volunteer):
        mine, _theirs = assigned
        tapped = minutes_ago(30)
        delivery = delivery_complete(delivery=mine[0], by=volunteer, tapped_at=tapped)
        assert delivery.status == DeliveryStatus.DELIVERED
        assert delivery.done_at == tapped
        event = DeliveryEvent.objects.filter(delivery=delivery).latest("pk")
        assert (event.actor, event.at, event.to_status) == (volunteer, tapped, "delivered")

    def test_it_treats_the_same_tap_sent_twice_as_a_success(self, assigned, volunteer):
        mine, _theirs = assigned
        tapped = minutes_ago(5)
        delivery_complete(delivery=mine[0], by=volunteer, tapped_at=tapped)
        again = delivery_complete(delivery=mine[0], by=volunteer, tapped_at=minutes_ago(1))
        assert again.done_at == tapped
        assert DeliveryEvent.objects.filter(delivery=mine[0], to_status="delivered").count() == 1
        delivery_fail(
            delivery=mine[1], by=volunteer, tapped_at=tapped, reason=DeliveryFailure.NOT_HOME
        )
        delivery_fail(
            delivery=mine[1], by=volunteer, tapped_at=tapped, reason=DeliveryFailure.NOT_HOME
        )
        assert DeliveryEvent.objects.filter(delivery=mine[1], to_status="failed").count() == 1

    def test_it_refuses_to_fail_a_delivered_one(self, assigned, volunteer, english_messages):
        mine, _theirs = assigned
        delivery_complete(delivery=mine[0], by=volunteer, tapped_at=minutes_ago(5))
        with pytest.raises(ApplicationError) as refusal:
            delivery_fail(
                delivery=mine[0], by=volunteer, tapped_at=minutes_ago(1), reason="not_home"
            )
        assert refusal.value.extra["code"] == "already_delivered"
        assert Delivery.objects.get(pk=mine[0].pk).status == DeliveryStatus.DELIVERED

    @pytest.mark.parametrize(
        "offset, code",
        [
            (datetime.timedelta(minutes=6), "tap_in_future"),
            (-datetime.timedelta(hours=49), "tap_too_old"),
        ],
    )
    def test_it_refuses_a_tap_time_out_of_bounds(self, assigned, volunteer, offset, code):
        mine, _theirs = assigned
        with pytest.raises(ApplicationError) as refusal:
            delivery_complete(delivery=mine[0], by=volunteer, tapped_at=timezone.now() + offset)
        assert refusal.value.extra["code"] == code
        assert Delivery.objects.get(pk=mine[0].pk).status == DeliveryStatus.PLANNED

    def test_it_accepts_a_tap_a_few_minutes_ahead_of_the_server_clock(self, assigned, volunteer):
        mine, _theirs = assigned
        ahead = timezone.now() + datetime.timedelta(minutes=4)
        assert delivery_complete(delivery=mine[0], by=volunteer, tapped_at=ahead).done_at == ahead

    def test_it_refuses_another_volunteers_delivery(self, assigned, volunteer):
        _mine, theirs = assigned
        with pytest.raises(ApplicationError) as refusal:
            delivery_complete(delivery=theirs[0], by=volunteer, tapped_at=minutes_ago(1))
        assert refusal.value.extra["code"] == "not_yours"

    def test_it_lets_staff_record_a_tap(self, assigned, staff):
        mine, _theirs = assigned
        assert delivery_complete(delivery=mine[0], by=staff, tapped_at=minutes_ago(1)).status == (
            DeliveryStatus.DELIVERED
        )

    def test_it_refuses_another_committees_staff(self, assigned, other_staff):
        mine, _theirs = assigned
        with pytest.raises(ApplicationError):
            delivery_complete(delivery=mine[0], by=other_staff, tapped_at=minutes_ago(1))

    def test_it_wants_a_note_for_a_problem(self, assigned, volunteer):
        mine, _theirs = assigned
        with pytest.raises(ApplicationError) as refusal:
            delivery_fail(
                delivery=mine[0], by=volunteer, tapped_at=minutes_ago(1), reason="problem"
            )
        assert refusal.value.extra["code"] == "note_missing"

    def test_it_lets_staff_retry_a_failed_delivery(self, assigned, volunteer, staff):
        mine, _theirs = assigned
        delivery_fail(
            delivery=mine[0],
            by=volunteer,
            tapped_at=minutes_ago(1),
            reason="problem",
            note="Door blocked",
        )
        delivery = delivery_retry(delivery=mine[0], by=staff)
        assert (delivery.status, delivery.done_at, delivery.failure) == ("planned", None, "")
        with pytest.raises(ApplicationError):
            delivery_retry(delivery=mine[0], by=staff)  # not failed any more

    def test_it_refuses_a_retry_by_the_volunteer(self, assigned, volunteer):
        mine, _theirs = assigned
        delivery_fail(delivery=mine[0], by=volunteer, tapped_at=minutes_ago(1), reason="not_home")
        with pytest.raises(ApplicationError) as refusal:
            delivery_retry(delivery=mine[0], by=volunteer)
        assert refusal.value.extra["code"] == "staff_only"

    def test_it_lets_staff_reassign_to_an_approved_volunteer_of_the_committee(
        self, assigned, staff, other_volunteer_record
    ):
        mine, _theirs = assigned
        delivery = delivery_reassign(delivery=mine[0], volunteer=other_volunteer_record, by=staff)
        assert delivery.volunteer == other_volunteer_record
        assert delivery.assigned_by == staff
        other_volunteer_record.status = VolunteerStatus.PENDING
        other_volunteer_record.save()
        with pytest.raises(ApplicationError) as refusal:
            delivery_reassign(delivery=mine[1], volunteer=other_volunteer_record, by=staff)
        assert refusal.value.extra["code"] == "volunteer_not_eligible"


class TestApi:
    def test_it_lists_only_a_volunteers_own_deliveries(self, assigned, volunteer):
        mine, _theirs = assigned
        response = client_for(volunteer).get(API)
        assert response.status_code == 200
        assert {row["id"] for row in response.json()["results"]} == {d.pk for d in mine}

    def test_it_lists_the_committees_deliveries_to_staff_and_filters_mine(
        self, assigned, staff, planned_round
    ):
        client = client_for(staff)
        body = client.get(API, {"round": planned_round.pk}).json()
        assert body["count"] == 5
        assert client.get(API, {"mine": "true"}).json()["count"] == 0

    def test_it_answers_404_for_another_volunteers_delivery(self, assigned, volunteer):
        _mine, theirs = assigned
        client = client_for(volunteer)
        assert client.get(f"{API}{theirs[0].pk}/").status_code == 404
        now = timezone.now().isoformat()
        assert client.post(f"{API}{theirs[0].pk}/complete/", {"tapped_at": now}).status_code == 404
        assert Delivery.objects.get(pk=theirs[0].pk).status == DeliveryStatus.PLANNED

    def test_it_answers_404_to_another_committees_staff(self, assigned, other_staff):
        mine, _theirs = assigned
        assert client_for(other_staff).get(f"{API}{mine[0].pk}/").status_code == 404

    def test_it_completes_and_fails_with_the_tap_time(self, assigned, volunteer):
        mine, _theirs = assigned
        client = client_for(volunteer)
        tapped = minutes_ago(20)
        response = client.post(
            f"{API}{mine[0].pk}/complete/", {"tapped_at": tapped.isoformat()}, format="json"
        )
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "delivered"
        assert Delivery.objects.get(pk=mine[0].pk).done_at == tapped
        response = client.post(
            f"{API}{mine[1].pk}/fail/",
            {"tapped_at": tapped.isoformat(), "reason": "problem", "note": "Dog"},
            format="json",
        )
        assert response.json()["failure_note"] == "Dog"

    def test_it_answers_a_refusal_as_a_json_400_with_a_code(self, assigned, volunteer):
        mine, _theirs = assigned
        future = (timezone.now() + datetime.timedelta(hours=1)).isoformat()
        response = client_for(volunteer).post(
            f"{API}{mine[0].pk}/complete/", {"tapped_at": future}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["code"] == "tap_in_future"
        assert response.json()["detail"]

    def test_it_lets_only_staff_reassign_and_retry(
        self, assigned, volunteer, staff, other_volunteer_record
    ):
        mine, _theirs = assigned
        body = {"volunteer": other_volunteer_record.pk}
        assert client_for(volunteer).post(f"{API}{mine[0].pk}/reassign/", body).status_code == 400
        response = client_for(staff).post(f"{API}{mine[0].pk}/reassign/", body)
        assert response.status_code == 200
        assert response.json()["volunteer"] == other_volunteer_record.pk

    def test_it_answers_404_to_the_resident_it_goes_to(self, assigned):
        mine, _theirs = assigned
        household = mine[0].household
        household.account = UserFactory(username="resident-of-it")
        household.save(update_fields=["account"])
        assert client_for(household.account).get(f"{API}{mine[0].pk}/").status_code == 404


PAGE = "/volunteer/deliveries/"


class TestPage:
    def test_it_groups_a_volunteers_deliveries_by_building_unit_and_floor(
        self, client, assigned, volunteer
    ):
        client.force_login(volunteer)
        response = client.get(PAGE)
        assert response.status_code == 200
        groups = response.context["buildings"]
        shown = [
            d.pk for b in groups for u in b["units"] for f in u["floors"] for d in f["deliveries"]
        ]
        assert sorted(shown) == sorted(d.pk for d in assigned[0])
        assert b"volunteer-deliveries.js" in response.content
        assert b"deliveries-volunteer.css" in response.content

    def test_it_is_a_404_for_someone_who_is_not_a_volunteer(self, client, assigned, staff):
        client.force_login(staff)
        assert client.get(PAGE).status_code == 404

    def test_it_marks_a_delivery_from_the_form_without_javascript(
        self, client, assigned, volunteer
    ):
        mine, _theirs = assigned
        client.force_login(volunteer)
        response = client.post(
            f"/volunteer/deliveries/{mine[0].pk}/mark/", {"outcome": "delivered"}
        )
        assert response.status_code == 302
        assert Delivery.objects.get(pk=mine[0].pk).status == DeliveryStatus.DELIVERED

    def test_it_is_a_404_to_mark_another_volunteers_delivery(self, client, assigned, volunteer):
        _mine, theirs = assigned
        client.force_login(volunteer)
        response = client.post(
            f"/volunteer/deliveries/{theirs[0].pk}/mark/", {"outcome": "delivered"}
        )
        assert response.status_code == 404
        assert Delivery.objects.get(pk=theirs[0].pk).status == DeliveryStatus.PLANNED

    def test_it_keeps_the_number_of_queries_flat(
        self, client, assigned, volunteer, volunteer_record_of, estate, django_assert_num_queries
    ):
        client.force_login(volunteer)
        client.get(PAGE)  # warm the session and the site's caches
        with django_assert_num_queries(_count_queries(client)) as _small:
            client.get(PAGE)
        template = assigned[0][0]
        building = estate[0]["2"]
        for index in range(20):
            household = HouseholdFactory(
                building=building, unit=1 + index % 2, room=f"{index + 3}01"
            )
            Delivery.objects.create(
                key=f"test:{index}",
                kind=template.kind,
                household=household,
                destination=template.destination,
                items="x",
                volunteer=volunteer_record_of,
            )
        with django_assert_num_queries(_count_queries(client)):
            response = client.get(PAGE)
        labels = [group["building"] for group in response.context["buildings"]]
        assert "2" in labels and len(labels) == len(set(labels))

    def test_it_sums_up_each_building_with_a_jump_to_it_and_keeps_the_problem_box_folded(
        self, client, settings, assigned, volunteer
    ):
        mine, _theirs = assigned
        delivery_complete(delivery=mine[0], by=volunteer, tapped_at=minutes_ago(1))
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        client.force_login(volunteer)

        response = client.get(PAGE)

        groups = response.context["buildings"]
        assert sum(group["left"] for group in groups) == 2
        assert sum(group["done"] for group in groups) == 1
        page = response.content.decode()
        assert "2 left · 1 done" in page
        for index, group in enumerate(groups, start=1):
            assert f'href="#building-{index}"' in page
            assert f'id="building-{index}"' in page
            assert f"{group['left']} left · {group['done']} done" in page
        assert page.count('<details class="problem">') == 2  # one per card still to carry
        assert page.count('name="note"') == 2

    def test_the_page_takes_the_same_queries_for_more_deliveries_and_buildings(
        self, client, assigned, volunteer, volunteer_record_of, estate
    ):
        client.force_login(volunteer)
        client.get(PAGE)
        small = _count_queries(client)
        template = assigned[0][0]
        for index in range(12):
            household = HouseholdFactory(
                building=estate[0][str(1 + index % 3)], unit=1, room=f"{index + 3}02"
            )
            Delivery.objects.create(
                key=f"more:{index}",
                kind=template.kind,
                household=household,
                destination=template.destination,
                items="x",
                volunteer=volunteer_record_of,
            )
        assert _count_queries(client) == small

    def test_it_serves_the_service_worker_under_volunteer(self, client):
        response = client.get("/volunteer/sw.js")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/javascript")
        assert b"/volunteer/deliveries/" in response.content


def _count_queries(client) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(PAGE)
    return len(captured)


class TestStaffPages:
    def test_it_shows_each_buildings_progress_in_one_query(
        self, client, assigned, volunteer, staff, planned_round, django_assert_max_num_queries
    ):
        from deliveries.selectors import round_progress

        mine, _theirs = assigned
        delivery_complete(delivery=mine[0], by=volunteer, tapped_at=minutes_ago(1))
        Delivery.objects.filter(pk=mine[1].pk).update(volunteer=None)
        with django_assert_max_num_queries(1):
            rows = round_progress(planned_round)
        totals = {
            key: sum(row[key] for row in rows) for key in ("planned", "out", "delivered", "failed")
        }
        assert totals == {"planned": 1, "out": 3, "delivered": 1, "failed": 0}
        client.force_login(staff)
        assert client.get(f"/staff/plans/{planned_round.pk}/progress/").status_code == 200

    def test_it_retries_a_failed_delivery_with_another_volunteer(
        self, client, assigned, volunteer, staff, planned_round, other_volunteer_record
    ):
        mine, _theirs = assigned
        delivery_fail(delivery=mine[0], by=volunteer, tapped_at=minutes_ago(1), reason="not_home")
        client.force_login(staff)
        url = f"/staff/plans/{planned_round.pk}/failed/"
        assert mine[0].household.room.encode() in client.get(url).content
        client.post(url, {"delivery": mine[0].pk, "volunteer": other_volunteer_record.pk})
        delivery = Delivery.objects.get(pk=mine[0].pk)
        assert (delivery.status, delivery.volunteer) == ("planned", other_volunteer_record)

    def test_a_retry_refused_gives_the_delivery_to_nobody_else(
        self, assigned, volunteer, staff, other_volunteer_record
    ):
        mine, _theirs = assigned  # planned, not failed: a retry is refused
        with pytest.raises(ApplicationError) as refused:
            delivery_retry(delivery=mine[0], volunteer=other_volunteer_record, by=staff)
        assert refused.value.extra["code"] == "not_failed"
        delivery = Delivery.objects.get(pk=mine[0].pk)
        assert (delivery.status, delivery.volunteer) == ("planned", mine[0].volunteer)
        assert not delivery.events.filter(note__contains="王志愿").exists()

    def test_it_hides_the_staff_pages_from_a_volunteer_and_other_committees(
        self, client, assigned, volunteer, other_staff, planned_round
    ):
        for user in (volunteer, other_staff):
            client.force_login(user)
            assert client.get(f"/staff/plans/{planned_round.pk}/progress/").status_code == 404
            assert client.get(f"/staff/plans/{planned_round.pk}/failed/").status_code == 404


class TestQueryCounts:
    def test_it_lists_deliveries_in_the_same_number_of_queries_at_two_sizes(
        self, assigned, volunteer, volunteer_record_of, estate
    ):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client = client_for(volunteer)

        def count() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(API).status_code == 200
            return len(captured)

        small = count()
        template = assigned[0][0]
        for index in range(15):
            household = HouseholdFactory(building=estate[0]["1"], unit=2, room=f"{index + 3}02")
            Delivery.objects.create(
                key=f"count:{index}",
                kind=template.kind,
                household=household,
                destination=template.destination,
                items="x",
                volunteer=volunteer_record_of,
            )
        assert count() == small


def test_it_assigns_from_the_task_without_a_job(planned_round, on_shift):
    from core.models import Job
    from deliveries import tasks

    result = tasks.assign_deliveries(planned_round.pk)
    assert result["assigned"] == 5
    assert Job.objects.get(kind="assign_deliveries").status == "succeeded"
    assert tasks.assign_deliveries(planned_round.pk)["assigned"] == 0  # safe to run twice


def test_it_shows_todays_done_deliveries_but_not_yesterdays(client, assigned, volunteer):
    mine, _theirs = assigned
    delivery_complete(delivery=mine[0], by=volunteer, tapped_at=minutes_ago(1))
    Delivery.objects.filter(pk=mine[1].pk).update(
        status=DeliveryStatus.DELIVERED, done_at=timezone.now() - datetime.timedelta(days=1)
    )
    client.force_login(volunteer)
    groups = client.get(PAGE).context["buildings"]
    shown = {d.pk for b in groups for u in b["units"] for f in u["floors"] for d in f["deliveries"]}
    assert shown == {mine[0].pk, mine[2].pk}


def test_it_orders_floors_up_the_stairs_within_a_unit(estate, volunteer_record_of):
    from deliveries.selectors import deliveries_of_volunteer_today, walk_groups

    building = estate[0]["2"]
    for index, room in enumerate(["1201", "301", "902"]):
        Delivery.objects.create(
            key=f"floors:{index}",
            kind="supply_order",
            household=HouseholdFactory(building=building, unit=1, room=room),
            destination="door",
            items="x",
            volunteer=volunteer_record_of,
        )
    groups = walk_groups(
        deliveries_of_volunteer_today(volunteer_record_of.user, since=timezone.now())
    )
    floors = [f["floor"] for f in groups[0]["units"][0]["floors"]]
    assert floors == [3, 9, 12]
