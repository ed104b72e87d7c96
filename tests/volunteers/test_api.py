"""The volunteers API, per role: each sees only their own, and refusals are JSON 400s."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from tests.volunteers.conftest import soon
from volunteers.models import Shift, ShiftSignup, SignupStatus, VolunteerStatus
from volunteers.services import shift_signup

API = "/api/v1/"


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def assert_json_400(response, code: str) -> dict:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == code, body
    assert body["detail"]
    return body


class TestVolunteers:
    def test_it_lists_by_scope(self, helper, other_helper, staff, other_staff):
        assert ids(client_for(staff).get(f"{API}volunteers/")) == {helper.pk}
        assert ids(client_for(other_staff).get(f"{API}volunteers/")) == {other_helper.pk}
        assert ids(client_for(helper.user).get(f"{API}volunteers/")) == {helper.pk}
        response = client_for(staff).get(f"{API}volunteers/{other_helper.pk}/")
        assert response.status_code == 404
        response = client_for(helper.user).get(f"{API}volunteers/{other_helper.pk}/")
        assert response.status_code == 404

    def test_it_approves_and_rejects(self, staff, committee, make_volunteer):
        first = make_volunteer(committee, "甲", approved=False)
        second = make_volunteer(committee, "乙", approved=False)
        response = client_for(staff).post(f"{API}volunteers/{first.pk}/approve/")
        assert response.json()["status"] == VolunteerStatus.APPROVED
        assert_json_400(
            client_for(staff).post(f"{API}volunteers/{first.pk}/approve/"), "already_decided"
        )
        response = client_for(staff).post(
            f"{API}volunteers/{second.pk}/reject/", {"reason": "重复"}
        )
        assert response.json()["rejection_reason"] == "重复"
        response = client_for(staff).post(f"{API}volunteers/{second.pk}/reject/", {})
        assert response.status_code == 400 and "reason" in response.json()

    def test_it_keeps_others_from_deciding(self, other_staff, committee, make_volunteer):
        pending = make_volunteer(committee, "甲", approved=False)
        response = client_for(other_staff).post(f"{API}volunteers/{pending.pk}/approve/")
        assert response.status_code == 404
        response = client_for(pending.user).post(f"{API}volunteers/{pending.pk}/approve/")
        assert response.status_code == 403
        pending.refresh_from_db()
        assert pending.status == VolunteerStatus.PENDING

    def test_it_records_a_test_and_refuses_the_future(self, helper, other_helper):
        client = client_for(helper.user)
        taken_at = (timezone.now() - datetime.timedelta(minutes=10)).isoformat()
        response = client.post(
            f"{API}volunteers/{helper.pk}/tests/", {"kind": "pcr", "taken_at": taken_at}
        )
        assert response.status_code == 201, response.content
        helper.refresh_from_db()
        assert helper.test_kind == "pcr"
        assert_json_400(
            client.post(
                f"{API}volunteers/{helper.pk}/tests/",
                {"kind": "pcr", "taken_at": soon(2).isoformat()},
            ),
            "test_in_future",
        )
        response = client.post(
            f"{API}volunteers/{other_helper.pk}/tests/", {"kind": "pcr", "taken_at": taken_at}
        )
        assert response.status_code == 404

    def test_it_refuses_a_test_taken_in_the_year_1(self, helper):
        response = client_for(helper.user).post(
            f"{API}volunteers/{helper.pk}/tests/", {"kind": "pcr", "taken_at": "0001-01-02"}
        )
        assert response.status_code == 400
        assert "taken_at" in response.json()
        helper.refresh_from_db()
        assert helper.tested_at is None or helper.tested_at.year > 1


class TestShifts:
    def test_it_lists_and_filters_by_scope(
        self, helper, other_helper, staff, other_staff, compound, other_compound, make_shift
    ):
        mine = make_shift(compound)
        later = make_shift(compound, start_in=30, workgroup="testing")
        theirs = make_shift(other_compound, by=other_staff)
        assert ids(client_for(staff).get(f"{API}shifts/")) == {mine.pk, later.pk}
        assert ids(client_for(helper.user).get(f"{API}shifts/")) == {mine.pk, later.pk}
        assert ids(client_for(other_helper.user).get(f"{API}shifts/")) == {theirs.pk}
        assert ids(client_for(staff).get(f"{API}shifts/?workgroup=testing")) == {later.pk}
        assert ids(client_for(staff).get(f"{API}shifts/?compound={other_compound.pk}")) == set()
        day = timezone.localtime(later.start).date().isoformat()
        assert later.pk in ids(client_for(staff).get(f"{API}shifts/?day={day}"))
        assert client_for(staff).get(f"{API}shifts/{theirs.pk}/").status_code == 404

    def test_it_lets_staff_create_a_shift(self, staff, helper, compound, other_compound):
        body = {
            "compound": compound.pk,
            "workgroup": "supply",
            "start": soon(5).isoformat(),
            "end": soon(8).isoformat(),
            "needed": 2,
        }
        response = client_for(staff).post(f"{API}shifts/", body, format="json")
        assert response.status_code == 201, response.content
        assert response.json()["needed"] == 2
        foreign = client_for(staff).post(
            f"{API}shifts/", {**body, "compound": other_compound.pk}, format="json"
        )
        assert foreign.status_code == 400 and "compound" in foreign.json()
        assert client_for(helper.user).post(f"{API}shifts/", body, format="json").status_code == 403
        assert_json_400(
            client_for(staff).post(
                f"{API}shifts/", {**body, "end": soon(4).isoformat()}, format="json"
            ),
            "invalid",
        )
        assert Shift.objects.count() == 1

    def test_it_signs_up_the_caller_and_cancels(self, helper, shift):
        client = client_for(helper.user)
        response = client.post(f"{API}shifts/{shift.pk}/signup/")
        assert response.status_code == 201, response.content
        assert response.json()["volunteer"] == helper.pk
        assert_json_400(client.post(f"{API}shifts/{shift.pk}/signup/"), "already_signed_up")
        response = client.post(f"{API}shifts/{shift.pk}/cancel/")
        assert response.json()["status"] == SignupStatus.CANCELLED
        assert Shift.objects.get(pk=shift.pk).taken == 0
        assert client.post(f"{API}shifts/{shift.pk}/cancel/").status_code == 404

    def test_it_refuses_a_full_shift_and_an_expired_test(
        self, committee, compound, make_volunteer, make_shift, staff
    ):
        full = make_shift(compound, needed=1)
        first, second = make_volunteer(committee, "甲"), make_volunteer(committee, "乙")
        shift_signup(shift=full, volunteer=first, by=staff)
        assert_json_400(
            client_for(second.user).post(f"{API}shifts/{full.pk}/signup/"), "shift_full"
        )
        expired = make_volunteer(committee, "过期", tested_hours_ago=47)
        later = make_shift(compound, start_in=10)
        body = assert_json_400(
            client_for(expired.user).post(f"{API}shifts/{later.pk}/signup/"), "test_expired"
        )
        assert "valid until" in body["detail"]

    def test_it_lets_staff_sign_up_their_volunteer_only(self, staff, helper, other_helper, shift):
        client = client_for(staff)
        response = client.post(f"{API}shifts/{shift.pk}/signup/", {"volunteer": helper.pk})
        assert response.status_code == 201
        response = client.post(f"{API}shifts/{shift.pk}/signup/", {"volunteer": other_helper.pk})
        assert response.status_code == 400 and "volunteer" in response.json()
        assert ShiftSignup.objects.filter(shift=shift).count() == 1

    def test_it_gives_404_for_another_committees_shift(
        self, helper, other_compound, other_staff, make_shift
    ):
        foreign = make_shift(other_compound, by=other_staff)
        assert client_for(helper.user).post(f"{API}shifts/{foreign.pk}/signup/").status_code == 404


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


class TestQueryCounts:
    def test_it_keeps_the_lists_flat(self, staff, committee, compound, make_volunteer, make_shift):
        def grow(count):
            for _ in range(count):
                make_volunteer(
                    committee, f"志愿者{ShiftSignup.objects.count()}{Shift.objects.count()}"
                )
                make_shift(compound, start_in=2 + Shift.objects.count())

        client = client_for(staff)
        grow(1)
        volunteers, shifts = (
            count_queries(client, f"{API}volunteers/"),
            count_queries(client, f"{API}shifts/"),
        )
        grow(4)
        assert count_queries(client, f"{API}volunteers/") == volunteers
        assert count_queries(client, f"{API}shifts/") == shifts
