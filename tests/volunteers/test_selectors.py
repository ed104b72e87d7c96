"""Who sees which volunteers and shifts; the roster and the weekly hours."""

import datetime

from django.utils import timezone

from tests.factories import UserFactory
from tests.volunteers.conftest import soon
from volunteers.models import Workgroup
from volunteers.selectors import (
    hours_per_week,
    roster,
    shifts_visible_to,
    signups_upcoming,
    volunteer_of,
    volunteers_on_shift,
    volunteers_visible_to,
)
from volunteers.services import (
    shift_cancel,
    shift_create,
    shift_signup,
    shift_signup_cancel,
    volunteer_settings_set,
)


class TestVolunteersVisibleTo:
    def test_it_scopes_by_role(
        self, helper, other_helper, staff, other_staff, street_staff, superuser
    ):
        assert set(volunteers_visible_to(staff)) == {helper}
        assert set(volunteers_visible_to(other_staff)) == {other_helper}
        assert set(volunteers_visible_to(street_staff)) == {helper, other_helper}
        assert set(volunteers_visible_to(superuser)) == {helper, other_helper}
        assert set(volunteers_visible_to(helper.user)) == {helper}
        assert set(volunteers_visible_to(UserFactory())) == set()
        assert volunteer_of(helper.user) == helper


class TestShiftsVisibleTo:
    def test_it_scopes_by_committee(
        self, helper, other_helper, staff, other_staff, compound, other_compound, make_shift
    ):
        mine = make_shift(compound)
        theirs = make_shift(other_compound, by=other_staff)
        assert set(shifts_visible_to(staff)) == {mine}
        assert set(shifts_visible_to(helper.user)) == {mine}
        assert set(shifts_visible_to(other_helper.user)) == {theirs}
        assert set(shifts_visible_to(UserFactory())) == set()


class TestUpcoming:
    def test_it_lists_active_signups_of_shifts_not_over(self, helper, compound, make_shift, staff):
        first = make_shift(compound, start_in=2)
        second = make_shift(compound, start_in=8)
        third = make_shift(compound, start_in=20)
        shift_signup(shift=first, volunteer=helper, by=helper.user)
        cancelled = shift_signup(shift=second, volunteer=helper, by=helper.user)
        shift_signup_cancel(signup=cancelled, by=helper.user)
        shift_signup(shift=third, volunteer=helper, by=helper.user)
        shift_cancel(shift=third, by=staff)
        assert [signup.shift for signup in signups_upcoming(volunteer=helper)] == [first]


class TestRoster:
    def test_it_groups_the_days_shifts_by_workgroup_with_gaps(
        self, committee, compound, make_volunteer, make_shift, staff
    ):
        start = timezone.localtime(soon(24)).replace(hour=9, minute=0)
        day = start.date()
        supply = shift_create(
            compound=compound,
            workgroup=Workgroup.SUPPLY,
            start=start,
            end=start + datetime.timedelta(hours=3),
            needed=3,
            by=staff,
        )
        testing = shift_create(
            compound=compound,
            workgroup=Workgroup.TESTING,
            start=start,
            end=start + datetime.timedelta(hours=2),
            needed=1,
            by=staff,
        )
        a, b = make_volunteer(committee, "甲", tested_hours_ago=1), make_volunteer(committee, "乙")
        # Tested an hour ago with a 48 h window: valid for a shift ending tomorrow noon.
        shift_signup(shift=supply, volunteer=a, by=staff)
        shift_signup(shift=testing, volunteer=b, by=staff)
        groups = roster(compounds=compound.committee.compounds.all(), day=day)
        # In the order of the workgroups' list: testing before supply.
        assert [group.workgroup for group in groups] == [Workgroup.TESTING, Workgroup.SUPPLY]
        assert [(g.needed, g.taken, g.gap) for g in groups] == [(1, 1, 0), (3, 1, 2)]
        assert groups[1].shifts[0].names == ["甲"]
        other_day = day + datetime.timedelta(days=1)
        assert roster(compounds=compound.committee.compounds.all(), day=other_day) == []
        assert list(
            volunteers_on_shift(
                compound=compound,
                workgroup=Workgroup.SUPPLY,
                start=start,
                end=start + datetime.timedelta(hours=1),
            )
        ) == [a]


def next_monday_at(hour: int) -> datetime.datetime:
    today = timezone.localdate()
    monday = today + datetime.timedelta(days=7 - today.weekday())
    return timezone.make_aware(datetime.datetime.combine(monday, datetime.time(hour)))


class TestHours:
    def test_it_sums_hours_of_active_signups_in_the_week(
        self, committee, compound, make_volunteer, staff
    ):
        volunteer_settings_set(committee=committee, test_valid_hours=24 * 14, by=staff)
        a, _b = make_volunteer(committee, "甲"), make_volunteer(committee, "乙")
        monday = next_monday_at(9)

        def shift_at(days: int, hours: float):
            start = monday + datetime.timedelta(days=days)
            return shift_create(
                compound=compound,
                workgroup=Workgroup.SUPPLY,
                start=start,
                end=start + datetime.timedelta(hours=hours),
                needed=2,
                by=staff,
            )

        first, second, dropped, next_week = (
            shift_at(0, 3),
            shift_at(1, 1.5),
            shift_at(2, 4),
            shift_at(7, 2),
        )
        for shift in (first, second, dropped, next_week):
            shift_signup(shift=shift, volunteer=a, by=staff)
        shift_cancel(shift=dropped, by=staff)
        rows = hours_per_week(committee=committee, week_start=monday.date())
        assert [(row.volunteer.name, row.shifts, row.hours) for row in rows] == [
            ("乙", 0, 0),
            ("甲", 2, 4.5),
        ]


class TestVolunteerCompounds:
    def test_it_means_every_compound_of_the_committee_when_none_is_chosen(
        self, committee, compound, other_compound, staff, make_volunteer
    ):
        from tests.factories import CompoundFactory
        from volunteers.selectors import volunteer_compounds

        second = CompoundFactory(committee=committee, name="胜利二村")
        anyone = make_volunteer(committee, "任意", approver=staff)
        assert set(volunteer_compounds(anyone)) == {compound, second}
        chosen = make_volunteer(committee, "选定", approver=staff, compounds=[second])
        assert list(volunteer_compounds(chosen)) == [second]
