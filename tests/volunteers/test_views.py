"""The volunteers' pages: a volunteer registers, records a test and signs up on a phone;
staff approve, plan the roster, move volunteers and see hours. Others' objects are 404s."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from tests.volunteers.conftest import soon
from volunteers.models import (
    Relay,
    Shift,
    ShiftSignup,
    SignupStatus,
    Volunteer,
    VolunteerStatus,
    Workgroup,
)
from volunteers.services import shift_signup


def logged_in(client, user):
    client.force_login(user)
    return client


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


class TestRegister:
    def test_it_lists_committees_and_registers_a_pending_volunteer(
        self, client, committee, compound
    ):
        response = client.get(reverse("volunteers:register-choose"))
        assert committee.name in response.content.decode()
        url = reverse("volunteers:register", args=[committee.pk])
        response = client.post(
            url,
            {
                "name": "小张",
                "phone": "13900139001",
                "password": "a-good-pass-9876",
                "affiliation": "resident",
                "workgroups": ["supply"],
                "compounds": [compound.pk],
            },
        )
        assert response.status_code == 302
        volunteer = Volunteer.objects.get(name="小张")
        assert (volunteer.status, volunteer.committee) == (VolunteerStatus.PENDING, committee)
        assert volunteer.user.username in " ".join(message_texts(response))
        page = client.get(reverse("volunteers:home"))  # logged in as the new volunteer
        assert "Waiting for approval" in page.content.decode()

    def test_it_shows_a_refusal_on_the_form(self, client, committee, staff):
        url = reverse("volunteers:register", args=[committee.pk])
        response = client.post(
            url,
            {
                "name": "小张",
                "phone": "13900139001",
                "password": "password",
                "affiliation": "resident",
            },
        )
        assert response.status_code == 200
        assert "too common" in response.content.decode()
        assert not Volunteer.objects.filter(name="小张").exists()

    def test_it_sends_someone_without_a_record_to_register(self, client, resident_user):
        response = logged_in(client, resident_user).get(reverse("volunteers:home"))
        assert response.url == reverse("volunteers:register-choose")


class TestVolunteerHome:
    def test_it_shows_why_a_shift_cannot_be_taken(
        self, client, committee, compound, make_volunteer, make_shift
    ):
        volunteer = make_volunteer(committee, "过期", tested_hours_ago=46)
        shift = make_shift(compound)
        page = logged_in(client, volunteer.user).get(reverse("volunteers:home")).content.decode()
        assert f'data-shift="{shift.pk}"' in page
        assert 'data-code="test_expired"' in page
        assert "valid until" in page

    def test_it_signs_up_and_cancels(self, client, helper, shift):
        client = logged_in(client, helper.user)
        response = client.post(reverse("volunteers:signup", args=[shift.pk]))
        assert response.status_code == 302
        assert message_texts(response) == ["You are signed up for the shift."]
        signup = ShiftSignup.objects.get(shift=shift, volunteer=helper)
        page = client.get(reverse("volunteers:home")).content.decode()
        assert reverse("volunteers:signup-cancel", args=[signup.pk]) in page
        client.post(reverse("volunteers:signup-cancel", args=[signup.pk]))
        signup.refresh_from_db()
        assert signup.status == SignupStatus.CANCELLED
        assert Shift.objects.get(pk=shift.pk).taken == 0

    def test_it_shows_a_refusal_as_a_message(self, client, committee, make_volunteer, shift):
        volunteer = make_volunteer(committee, "无检", tested_hours_ago=None)
        response = logged_in(client, volunteer.user).post(
            reverse("volunteers:signup", args=[shift.pk])
        )
        assert message_texts(response) == ["无检 has no negative test recorded."]
        assert not ShiftSignup.objects.exists()

    def test_it_records_a_test(self, client, committee, make_volunteer):
        volunteer = make_volunteer(committee, "新", tested_hours_ago=None)
        taken_at = timezone.localtime(timezone.now() - datetime.timedelta(hours=2))
        logged_in(client, volunteer.user).post(
            reverse("volunteers:test-new"),
            {"kind": "pcr", "taken_at": taken_at.strftime("%Y-%m-%dT%H:%M")},
        )
        volunteer.refresh_from_db()
        assert volunteer.test_kind == "pcr"

    def test_it_gives_404_for_another_committees_shift_and_anothers_signup(
        self, client, helper, other_helper, other_compound, other_staff, make_shift, shift
    ):
        foreign = make_shift(other_compound, by=other_staff)
        client = logged_in(client, helper.user)
        assert client.post(reverse("volunteers:signup", args=[foreign.pk])).status_code == 404
        theirs = shift_signup(shift=foreign, volunteer=other_helper, by=other_staff)
        response = client.post(reverse("volunteers:signup-cancel", args=[theirs.pk]))
        assert response.status_code == 404
        assert ShiftSignup.objects.get(pk=theirs.pk).status == SignupStatus.SIGNED_UP


class TestStaffPages:
    def test_it_approves_and_rejects(self, client, staff, committee, make_volunteer):
        first = make_volunteer(committee, "甲", approved=False)
        second = make_volunteer(committee, "乙", approved=False)
        client = logged_in(client, staff)
        page = client.get(reverse("volunteers:staff-volunteers")).content.decode()
        assert reverse("volunteers:staff-approve", args=[first.pk]) in page
        client.post(reverse("volunteers:staff-approve", args=[first.pk]))
        client.post(reverse("volunteers:staff-reject", args=[second.pk]), {"reason": "重复报名"})
        first.refresh_from_db()
        second.refresh_from_db()
        assert (first.status, second.status, second.rejection_reason) == (
            VolunteerStatus.APPROVED,
            VolunteerStatus.REJECTED,
            "重复报名",
        )

    def test_it_adds_a_shift_from_the_roster(self, client, staff, compound):
        start = soon(30)
        response = logged_in(client, staff).post(
            reverse("volunteers:staff-roster"),
            {
                "compound": compound.pk,
                "workgroup": "supply",
                "start": timezone.localtime(start).strftime("%Y-%m-%dT%H:%M"),
                "end": timezone.localtime(start + datetime.timedelta(hours=2)).strftime(
                    "%Y-%m-%dT%H:%M"
                ),
                "needed": 4,
            },
        )
        assert response.status_code == 302
        shift = Shift.objects.get()
        assert (shift.needed, shift.created_by) == (4, staff)
        page = client.get(response.url).content.decode()
        assert f'data-shift="{shift.pk}"' in page
        assert "4 missing" in page

    def test_it_moves_volunteers_with_the_relay_form(
        self, client, staff, committee, compound, make_volunteer
    ):
        first = make_volunteer(committee, "甲")
        start = soon(3)
        response = logged_in(client, staff).post(
            reverse("volunteers:staff-relay"),
            {
                "volunteers": [first.pk],
                "to_compound": compound.pk,
                "to_workgroup": "disinfection",
                "start": timezone.localtime(start).strftime("%Y-%m-%dT%H:%M"),
                "end": timezone.localtime(start + datetime.timedelta(hours=2)).strftime(
                    "%Y-%m-%dT%H:%M"
                ),
                "reason": "消杀",
            },
        )
        assert response.status_code == 302
        relay = Relay.objects.get()
        assert relay.shift.workgroup == Workgroup.DISINFECTION
        assert list(relay.volunteers.all()) == [first]

    def test_it_shows_hours(self, client, staff, helper, shift):
        shift_signup(shift=shift, volunteer=helper, by=staff)
        week = timezone.localtime(shift.start).date().isoformat()
        page = (
            logged_in(client, staff)
            .get(reverse("volunteers:staff-hours") + f"?week={week}")
            .content.decode()
        )
        assert f'data-volunteer="{helper.pk}"' in page
        assert "<td data-hours>3</td>" in page

    @pytest.mark.parametrize(
        "name", ["staff-volunteers", "staff-roster", "staff-relay", "staff-hours"]
    )
    def test_it_hides_staff_pages_from_volunteers(self, client, helper, name):
        assert logged_in(client, helper.user).get(reverse(f"volunteers:{name}")).status_code == 404

    def test_it_gives_404_for_another_committees_volunteer(
        self, client, other_staff, committee, make_volunteer
    ):
        pending = make_volunteer(committee, "甲", approved=False)
        client = logged_in(client, other_staff)
        assert (
            client.post(reverse("volunteers:staff-approve", args=[pending.pk])).status_code == 404
        )
        assert (
            client.post(
                reverse("volunteers:staff-reject", args=[pending.pk]), {"reason": "x"}
            ).status_code
            == 404
        )
        assert "甲" not in client.get(reverse("volunteers:staff-volunteers")).content.decode()
        pending.refresh_from_db()
        assert pending.status == VolunteerStatus.PENDING


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


class TestQueryCounts:
    def _fill(self, numbers, *, committee, compound, make_volunteer, make_shift, staff, me):
        for number in numbers:
            shift = make_shift(compound, start_in=2 + number * 4, hours=3, needed=3)
            other = make_volunteer(committee, f"志愿者{Volunteer.objects.count()}")
            shift_signup(shift=shift, volunteer=other, by=staff)
            shift_signup(shift=shift, volunteer=me, by=staff)
            make_shift(compound, start_in=2 + number * 4 + 1, hours=1)

    @time_machine.travel(
        datetime.datetime(2022, 4, 12, 1, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True
    )
    def test_it_keeps_the_volunteer_page_and_the_roster_flat(
        self, client, staff, committee, compound, make_volunteer, make_shift
    ):
        """At 01:00 every shift of the fill (up to 19 h later) falls today, so the roster
        compares full pages; at the clock's time, after 22:00 they fell tomorrow and an empty
        roster was compared with an empty one."""
        from volunteers.services import volunteer_settings_set

        volunteer_settings_set(committee=committee, test_valid_hours=24 * 14, by=staff)
        me = make_volunteer(committee, "我")
        fill = {
            "committee": committee,
            "compound": compound,
            "make_volunteer": make_volunteer,
            "make_shift": make_shift,
            "staff": staff,
            "me": me,
        }
        mine, roster = logged_in(client, me.user), None
        day = timezone.localdate().isoformat()
        self._fill(range(1), **fill)
        home_before = count_queries(mine, reverse("volunteers:home"))
        staff_client = type(client)()
        staff_client.force_login(staff)
        roster = reverse("volunteers:staff-roster") + f"?day={day}"
        roster_before = count_queries(staff_client, roster)
        volunteers_before = count_queries(staff_client, reverse("volunteers:staff-volunteers"))
        hours_before = count_queries(staff_client, reverse("volunteers:staff-hours"))
        self._fill(range(1, 5), **fill)
        assert Shift.objects.filter(start__date=timezone.localdate()).count() == 10
        assert count_queries(mine, reverse("volunteers:home")) == home_before
        assert count_queries(staff_client, roster) == roster_before
        assert count_queries(staff_client, reverse("volunteers:staff-volunteers")) == (
            volunteers_before
        )
        assert count_queries(staff_client, reverse("volunteers:staff-hours")) == hours_before


class TestHomeLink:
    def test_it_links_the_volunteer_page_from_home(self, client, helper):
        page = logged_in(client, helper.user).get(reverse("home")).content.decode()
        assert reverse("volunteers:home") in page

    def test_it_invites_others_to_volunteer(self, client, db):
        user = UserFactory()
        page = logged_in(client, user).get(reverse("home")).content.decode()
        assert reverse("volunteers:home") in page


class TestStaffSettingsAndCancel:
    def test_it_sets_the_test_window_of_the_own_committee_only(
        self, client, staff, committee, other_committee
    ):
        from volunteers.models import VolunteerSettings

        client = logged_in(client, staff)
        url = reverse("volunteers:staff-settings", args=[committee.pk])
        client.post(url, {"test_valid_hours": "24"})
        assert VolunteerSettings.objects.get(committee=committee).test_valid_hours == 24
        foreign = reverse("volunteers:staff-settings", args=[other_committee.pk])
        assert client.post(foreign, {"test_valid_hours": "24"}).status_code == 404
        response = client.post(url, {"test_valid_hours": "0"})
        assert message_texts(response)[-1] == "A test is valid for between 1 hour and 14 days."

    def test_it_cancels_a_shift_from_the_roster(self, client, staff, other_staff, helper, shift):
        signup = shift_signup(shift=shift, volunteer=helper, by=staff)
        url = reverse("volunteers:staff-shift-cancel", args=[shift.pk])
        assert logged_in(client, other_staff).post(url).status_code == 404
        logged_in(client, staff).post(url, {"reason": "下雨"})
        signup.refresh_from_db()
        assert (signup.status, signup.cancel_reason) == (SignupStatus.CANCELLED, "下雨")
