"""Registering, approving, tests, shifts, sign-ups and relay moves as committees meet them."""

import datetime
import re

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from core.exceptions import ApplicationError
from residents.models import Membership, Role
from tests.factories import CompoundFactory
from tests.volunteers.conftest import soon
from volunteers.models import (
    Relay,
    Shift,
    ShiftSignup,
    SignupStatus,
    Volunteer,
    VolunteerEvent,
    VolunteerSettings,
    VolunteerStatus,
    Workgroup,
)
from volunteers.models import TestKind as Kind
from volunteers.models import TestRecord as Record
from volunteers.services import (
    relay_move,
    shift_cancel,
    shift_create,
    shift_signup,
    shift_signup_cancel,
    volunteer_approve,
    volunteer_register,
    volunteer_reject,
    volunteer_settings_set,
)
from volunteers.services import test_record as record_test


def refusal_code(call) -> str:
    with pytest.raises(ApplicationError) as caught:
        call()
    return caught.value.extra["code"]


def taken(shift: Shift) -> int:
    return Shift.objects.get(pk=shift.pk).taken


class TestRegistration:
    def test_it_registers_a_pending_volunteer_with_a_login(self, committee, compound):
        volunteer = volunteer_register(
            committee=committee,
            password="a-good-pass-9876",
            name="小王",
            phone="139 0013 9000",
            affiliation="employer",
            employer="上海电力",
            workgroups=[Workgroup.SUPPLY, Workgroup.TESTING],
            compounds=[compound],
        )
        assert volunteer.status == VolunteerStatus.PENDING
        assert re.fullmatch(r"v\d{8}", volunteer.user.username)
        assert volunteer.user.check_password("a-good-pass-9876")
        assert sorted(volunteer.workgroups.values_list("workgroup", flat=True)) == [
            "supply",
            "testing",
        ]
        assert list(volunteer.compounds.all()) == [compound]
        assert volunteer.events.get().to_status == VolunteerStatus.PENDING

    def test_it_refuses_a_compound_of_another_committee(self, committee, other_compound):
        code = refusal_code(
            lambda: volunteer_register(
                committee=committee,
                password="a-good-pass-9876",
                name="小王",
                phone="13900139000",
                compounds=[other_compound],
            )
        )
        assert code == "not_in_committee"
        assert not Volunteer.objects.exists()
        assert not User.objects.filter(first_name="小王").exists()

    def test_it_gives_new_login_names_and_refuses_a_bad_phone_or_password(self, committee, staff):
        """Nobody chooses a login name, so registering cannot tell which names exist."""
        fields = {"committee": committee, "name": "小王", "phone": "13900139000"}
        first = volunteer_register(password="a-good-pass-9876", **fields)
        second = volunteer_register(password="a-good-pass-9876", **fields)
        assert first.user.username != second.user.username
        assert staff.username not in {first.user.username, second.user.username}
        before = User.objects.count()
        assert (
            refusal_code(
                lambda: volunteer_register(password="a-good-pass-9876", **fields | {"phone": "abc"})
            )
            == "invalid"
        )
        assert refusal_code(lambda: volunteer_register(password="password", **fields)) == "invalid"
        assert (
            refusal_code(
                lambda: volunteer_register(password="xiaowang-9876", **fields | {"name": " "})
            )
            == "required"
        )
        assert User.objects.count() == before

    def test_it_approves_and_grants_the_volunteer_role(self, committee, staff, make_volunteer):
        volunteer = make_volunteer(committee, "甲", approved=False)
        volunteer_approve(volunteer=volunteer, by=staff)
        volunteer.refresh_from_db()
        assert (volunteer.status, volunteer.decided_by) == (VolunteerStatus.APPROVED, staff)
        assert Membership.objects.filter(
            user=volunteer.user, role=Role.VOLUNTEER, committee=committee
        ).exists()
        assert VolunteerEvent.objects.filter(
            volunteer=volunteer, to_status=VolunteerStatus.APPROVED, actor=staff
        ).exists()
        assert refusal_code(lambda: volunteer_approve(volunteer=volunteer, by=staff)) == (
            "already_decided"
        )

    def test_it_rejects_with_a_reason_only(self, committee, staff, make_volunteer):
        volunteer = make_volunteer(committee, "乙", approved=False)
        assert refusal_code(
            lambda: volunteer_reject(volunteer=volunteer, reason=" ", by=staff)
        ) == ("reason")
        volunteer_reject(volunteer=volunteer, reason="不在本小区", by=staff)
        volunteer.refresh_from_db()
        assert (volunteer.status, volunteer.rejection_reason) == (
            VolunteerStatus.REJECTED,
            "不在本小区",
        )
        assert not Membership.objects.filter(user=volunteer.user).exists()


class TestTests:
    def test_it_keeps_history_and_moves_the_latest_only_forward(self, committee, make_volunteer):
        volunteer = make_volunteer(committee, "丙", tested_hours_ago=2)
        latest = volunteer.tested_at
        record_test(
            volunteer=volunteer,
            kind=Kind.PCR,
            taken_at=timezone.now() - datetime.timedelta(hours=10),
            by=volunteer.user,
        )
        volunteer.refresh_from_db()
        assert (volunteer.tested_at, volunteer.test_kind) == (latest, Kind.ANTIGEN)
        assert Record.objects.filter(volunteer=volunteer).count() == 2

    def test_it_refuses_a_test_in_the_future(self, committee, make_volunteer):
        volunteer = make_volunteer(committee, "丁", tested_hours_ago=None)
        code = refusal_code(
            lambda: record_test(
                volunteer=volunteer, kind=Kind.PCR, taken_at=soon(1), by=volunteer.user
            )
        )
        assert code == "test_in_future"
        assert not Record.objects.filter(volunteer=volunteer).exists()

    def test_it_sets_the_committee_window(self, committee, staff):
        volunteer_settings_set(committee=committee, test_valid_hours=24, by=staff)
        assert VolunteerSettings.objects.get(committee=committee).test_valid_hours == 24
        assert refusal_code(
            lambda: volunteer_settings_set(committee=committee, test_valid_hours=0, by=staff)
        ) == ("invalid")


class TestSignup:
    def test_it_signs_up_and_takes_a_place(self, helper, shift):
        signup = shift_signup(shift=shift, volunteer=helper, by=helper.user)
        assert (signup.status, signup.signed_up_by) == (SignupStatus.SIGNED_UP, helper.user)
        assert taken(shift) == 1

    def test_it_keeps_a_volunteer_with_an_expired_test_off_a_shift(
        self, committee, make_volunteer, make_shift, compound
    ):
        # Tested 46 h ago: valid for 2 more hours, but the shift ends in 5.
        volunteer = make_volunteer(committee, "过期", tested_hours_ago=46)
        shift = make_shift(compound, start_in=2, hours=3)
        with pytest.raises(ApplicationError) as caught:
            shift_signup(shift=shift, volunteer=volunteer, by=volunteer.user)
        assert caught.value.extra["code"] == "test_expired"
        assert "valid until" in caught.value.message
        assert taken(shift) == 0
        assert not ShiftSignup.objects.exists()

    def test_it_uses_the_committee_window(self, committee, staff, make_volunteer, shift):
        volunteer = make_volunteer(committee, "窗口", tested_hours_ago=20)
        volunteer_settings_set(committee=committee, test_valid_hours=24, by=staff)
        assert (
            refusal_code(lambda: shift_signup(shift=shift, volunteer=volunteer, by=staff))
            == "test_expired"
        )
        volunteer_settings_set(committee=committee, test_valid_hours=72, by=staff)
        shift_signup(shift=shift, volunteer=volunteer, by=staff)

    def test_it_refuses_a_volunteer_without_a_test(self, committee, make_volunteer, shift):
        volunteer = make_volunteer(committee, "无检", tested_hours_ago=None)
        code = refusal_code(lambda: shift_signup(shift=shift, volunteer=volunteer, by=None))
        assert code == "test_missing"

    def test_it_refuses_a_full_shift(self, committee, make_volunteer, make_shift, compound):
        shift = make_shift(compound, needed=1)
        first, second = make_volunteer(committee, "一"), make_volunteer(committee, "二")
        shift_signup(shift=shift, volunteer=first, by=first.user)
        code = refusal_code(lambda: shift_signup(shift=shift, volunteer=second, by=second.user))
        assert code == "shift_full"
        assert taken(shift) == 1
        assert ShiftSignup.objects.filter(shift=shift).count() == 1

    def test_it_refuses_an_overlapping_shift(self, helper, make_shift, compound):
        morning = make_shift(compound, start_in=2, hours=3)
        overlapping = make_shift(compound, start_in=4, hours=3, workgroup=Workgroup.TESTING)
        after = make_shift(compound, start_in=5, hours=2)
        shift_signup(shift=morning, volunteer=helper, by=helper.user)
        code = refusal_code(lambda: shift_signup(shift=overlapping, volunteer=helper, by=None))
        assert code == "overlapping"
        assert taken(overlapping) == 0
        shift_signup(shift=after, volunteer=helper, by=helper.user)  # touching is not overlapping

    def test_it_refuses_twice_the_same_shift(self, helper, shift):
        shift_signup(shift=shift, volunteer=helper, by=helper.user)
        code = refusal_code(lambda: shift_signup(shift=shift, volunteer=helper, by=None))
        assert code == "already_signed_up"
        assert taken(shift) == 1

    def test_it_refuses_a_pending_or_rejected_volunteer(self, committee, make_volunteer, shift):
        pending = make_volunteer(committee, "待", approved=False)
        assert refusal_code(lambda: shift_signup(shift=shift, volunteer=pending, by=None)) == (
            "not_approved"
        )

    def test_it_refuses_a_cancelled_or_started_shift(self, helper, make_shift, compound, staff):
        cancelled = make_shift(compound)
        shift_cancel(shift=cancelled, by=staff, reason="雨")
        assert refusal_code(lambda: shift_signup(shift=cancelled, volunteer=helper, by=None)) == (
            "shift_cancelled"
        )
        started = make_shift(compound, start_in=-1, hours=3)
        assert refusal_code(lambda: shift_signup(shift=started, volunteer=helper, by=None)) == (
            "shift_started"
        )

    def test_it_refuses_a_compound_outside_the_volunteers_own(
        self, committee, compound, make_volunteer, make_shift, other_compound, other_staff
    ):
        second = CompoundFactory(committee=committee, name="第二小区")
        volunteer = make_volunteer(committee, "限", compounds=[compound])
        elsewhere = make_shift(second)
        code = refusal_code(lambda: shift_signup(shift=elsewhere, volunteer=volunteer, by=None))
        assert code == "not_my_compound"
        foreign = make_shift(other_compound, by=other_staff)
        code = refusal_code(lambda: shift_signup(shift=foreign, volunteer=volunteer, by=None))
        assert code == "not_in_committee"

    def test_it_gives_the_place_back_on_cancel(self, helper, shift):
        signup = shift_signup(shift=shift, volunteer=helper, by=helper.user)
        shift_signup_cancel(signup=signup, by=helper.user, reason="生病")
        signup.refresh_from_db()
        assert (signup.status, signup.cancelled_by, signup.cancel_reason) == (
            SignupStatus.CANCELLED,
            helper.user,
            "生病",
        )
        assert taken(shift) == 0
        assert refusal_code(lambda: shift_signup_cancel(signup=signup, by=helper.user)) == (
            "not_signed_up"
        )
        shift_signup(shift=shift, volunteer=helper, by=helper.user)  # and may sign up again

    def test_it_cancels_a_shift_and_its_signups(self, helper, shift, staff):
        signup = shift_signup(shift=shift, volunteer=helper, by=helper.user)
        shift_cancel(shift=shift, by=staff, reason="封控升级")
        signup.refresh_from_db()
        shift.refresh_from_db()
        assert (shift.cancelled_by, shift.taken) == (staff, 0)
        assert (signup.status, signup.cancel_reason, signup.cancelled_by) == (
            SignupStatus.CANCELLED,
            "封控升级",
            staff,
        )
        assert Shift.objects.filter(pk=shift.pk).exists()  # nothing is deleted


class TestShiftCreate:
    def test_it_refuses_a_shift_that_ends_before_it_starts_or_is_over(self, compound, staff):
        fields = {"compound": compound, "workgroup": Workgroup.SUPPLY, "needed": 1, "by": staff}
        assert refusal_code(lambda: shift_create(start=soon(3), end=soon(2), **fields)) == (
            "invalid"
        )
        assert refusal_code(lambda: shift_create(start=soon(-3), end=soon(-2), **fields)) == (
            "in_the_past"
        )
        assert not Shift.objects.exists()


class TestRelay:
    def test_it_moves_volunteers_cancelling_their_overlapping_signups(
        self, committee, compound, make_volunteer, make_shift, staff
    ):
        target = CompoundFactory(committee=committee, name="阳光小区")
        first, second = make_volunteer(committee, "甲"), make_volunteer(committee, "乙")
        old = make_shift(compound, start_in=2, hours=3)
        later = make_shift(compound, start_in=10, hours=2)
        old_signup = shift_signup(shift=old, volunteer=first, by=staff)
        later_signup = shift_signup(shift=later, volunteer=first, by=staff)

        relay = relay_move(
            volunteers=[first, second],
            to_compound=target,
            to_workgroup=Workgroup.DISINFECTION,
            start=soon(3),
            end=soon(6),
            reason="阳光小区消杀缺人",
            by=staff,
        )

        assert set(relay.volunteers.all()) == {first, second}
        new_shift = relay.shift
        assert (new_shift.compound, new_shift.workgroup, new_shift.needed) == (
            target,
            Workgroup.DISINFECTION,
            2,
        )
        assert taken(new_shift) == 2
        assert set(
            ShiftSignup.objects.filter(
                shift=new_shift, status=SignupStatus.SIGNED_UP, relay=relay
            ).values_list("volunteer", flat=True)
        ) == {first.pk, second.pk}
        old_signup.refresh_from_db()
        assert old_signup.status == SignupStatus.CANCELLED
        assert old_signup.relay == relay
        assert "阳光小区" in old_signup.cancel_reason
        assert taken(old) == 0
        later_signup.refresh_from_db()
        assert later_signup.status == SignupStatus.SIGNED_UP

    def test_it_refuses_the_whole_move_if_anyone_is_ineligible(
        self, committee, compound, make_volunteer, make_shift, staff
    ):
        fit = make_volunteer(committee, "合格")
        expired = make_volunteer(committee, "过期", tested_hours_ago=47)
        old = make_shift(compound, start_in=2, hours=3)
        signup = shift_signup(shift=old, volunteer=fit, by=staff)
        with pytest.raises(ApplicationError) as caught:
            relay_move(
                volunteers=[fit, expired],
                to_compound=compound,
                to_workgroup=Workgroup.TESTING,
                start=soon(3),
                end=soon(6),
                reason="核酸",
                by=staff,
            )
        error = caught.value
        assert error.extra["code"] == "volunteers_ineligible"
        assert [(row["id"], row["code"]) for row in error.extra["volunteers"]] == [
            (expired.pk, "test_expired")
        ]
        assert "过期" in error.message
        assert not Relay.objects.exists()
        assert Shift.objects.count() == 1
        signup.refresh_from_db()
        assert signup.status == SignupStatus.SIGNED_UP
        assert taken(old) == 1

    def test_it_needs_a_reason(self, committee, compound, make_volunteer, staff):
        volunteer = make_volunteer(committee, "甲")
        code = refusal_code(
            lambda: relay_move(
                volunteers=[volunteer],
                to_compound=compound,
                to_workgroup=Workgroup.TESTING,
                start=soon(3),
                end=soon(6),
                reason="",
                by=staff,
            )
        )
        assert code == "reason"
        assert Volunteer.objects.count() == 1


class TestPlacesUnderRace:
    def test_it_refuses_the_last_place_in_the_update_even_past_a_stale_check(
        self, committee, compound, make_volunteer, make_shift, monkeypatch
    ):
        # As if two sign-ups read the shift before either took the place: only the
        # conditional UPDATE stands between them and an overfull shift.
        shift = make_shift(compound, needed=1)
        first, second = make_volunteer(committee, "一"), make_volunteer(committee, "二")
        shift_signup(shift=shift, volunteer=first, by=first.user)
        monkeypatch.setattr("volunteers.services.shift_refusal", lambda **kwargs: None)
        code = refusal_code(lambda: shift_signup(shift=shift, volunteer=second, by=second.user))
        assert code == "shift_full"
        assert taken(shift) == 1
        assert ShiftSignup.objects.filter(shift=shift, status=SignupStatus.SIGNED_UP).count() == 1
