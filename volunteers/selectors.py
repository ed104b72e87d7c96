"""Reads of volunteers and shifts, starting from what the asking user may see."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Exists, Prefetch, Q, QuerySet
from django.utils import timezone

from residents.models import Committee, Compound
from residents.selectors import AnyUser, committees_staffed_by, compounds_staffed_by
from volunteers.models import (
    Shift,
    ShiftSignup,
    SignupStatus,
    Volunteer,
    VolunteerStatus,
    Workgroup,
)


def volunteer_of(user) -> Volunteer | None:
    """The volunteer record of a login, or None."""
    if not user.is_authenticated:
        return None
    return Volunteer.objects.filter(user=user).first()


def volunteer_compounds(volunteer: Volunteer) -> QuerySet[Compound]:
    """The compounds a volunteer serves: those they chose, or, when they chose none ("any
    compound", as the sign-up form says), every compound of their committee. The one meaning
    of a volunteer's compounds: sign-up, assignment and the gate all read it from here."""
    chosen = Volunteer.compounds.through.objects.filter(volunteer=volunteer.pk)
    return Compound.objects.filter(committee=volunteer.committee_id).filter(
        Q(pk__in=chosen.values("compound_id")) | ~Exists(chosen)
    )


def volunteers_on_shift(
    *, compound: Compound, workgroup: str, start: datetime.datetime, end: datetime.datetime
) -> QuerySet[Volunteer]:
    """Approved volunteers signed up for a shift of `workgroup` in `compound` that overlaps
    [start, end), each once, in a stable order."""
    return (
        Volunteer.objects.filter(
            status=VolunteerStatus.APPROVED,
            signups__status=SignupStatus.SIGNED_UP,
            signups__shift__compound=compound,
            signups__shift__workgroup=workgroup,
            signups__shift__cancelled_at=None,
            signups__shift__start__lt=end,
            signups__shift__end__gt=start,
        )
        .distinct()
        .order_by("pk")
    )


def volunteers_on_shift_by_compound(
    *,
    compound_ids: list[int],
    workgroup: str,
    start: datetime.datetime,
    end: datetime.datetime,
) -> dict[int, list[Volunteer]]:
    """`volunteers_on_shift` for many compounds in one query: compound id → volunteers, each
    once, by pk; a compound with nobody on shift is left out."""
    signups = (
        ShiftSignup.objects.filter(
            status=SignupStatus.SIGNED_UP,
            volunteer__status=VolunteerStatus.APPROVED,
            shift__compound__in=compound_ids,
            shift__workgroup=workgroup,
            shift__cancelled_at=None,
            shift__start__lt=end,
            shift__end__gt=start,
        )
        .select_related("volunteer", "shift")
        .order_by("volunteer_id", "pk")
    )
    found: dict[int, dict[int, Volunteer]] = {}
    for signup in signups:
        named = found.setdefault(signup.shift.compound_id, {})
        named.setdefault(signup.volunteer_id, signup.volunteer)
    return {compound_id: list(named.values()) for compound_id, named in found.items()}


def volunteers_visible_to(user: AnyUser) -> QuerySet[Volunteer]:
    """Superusers see every volunteer; staff their committees'; a volunteer only themselves."""
    if not user.is_authenticated:
        return Volunteer.objects.none()
    if user.is_superuser:
        scope = Q()
    else:
        scope = Q(committee__in=committees_staffed_by(user).values("pk")) | Q(user=user)
    return Volunteer.objects.filter(scope).select_related("committee", "user")


def volunteers_managed_by(user: AnyUser) -> QuerySet[Volunteer]:
    """Volunteers the user may approve, reject, test, move and sign up: their staff."""
    return Volunteer.objects.filter(
        committee__in=committees_staffed_by(user).values("pk")
    ).select_related("committee", "user")


def shifts_visible_to(user: AnyUser) -> QuerySet[Shift]:
    """Staff see the shifts of their compounds; a volunteer those of their committee's."""
    if not user.is_authenticated:
        return Shift.objects.none()
    own_committee = Volunteer.objects.filter(user=user).values("committee")
    scope = Q(compound__in=compounds_staffed_by(user).values("pk")) | Q(
        compound__committee__in=own_committee
    )
    return Shift.objects.filter(scope).select_related("compound")


def shifts_managed_by(user: AnyUser) -> QuerySet[Shift]:
    return Shift.objects.filter(
        compound__in=compounds_staffed_by(user).values("pk")
    ).select_related("compound")


def signups_upcoming(*, volunteer: Volunteer) -> QuerySet[ShiftSignup]:
    """The volunteer's active sign-ups of shifts not cancelled and not yet over."""
    return (
        ShiftSignup.objects.filter(
            volunteer=volunteer,
            status=SignupStatus.SIGNED_UP,
            shift__cancelled_at=None,
            shift__end__gt=timezone.now(),
        )
        .select_related("shift__compound")
        .order_by("shift__start", "pk")
    )


def shifts_open_for(*, volunteer: Volunteer, limit: int = 50) -> list[Shift]:
    """Shifts not yet started, not cancelled, in the volunteer's committee's compounds."""
    shifts = Shift.objects.filter(
        compound__committee=volunteer.committee_id,
        cancelled_at=None,
        start__gt=timezone.now(),
    ).select_related("compound")
    return list(shifts.order_by("start", "pk")[:limit])


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    end = timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )
    return start, end


@dataclass(frozen=True)
class RosterShift:
    shift: Shift
    names: list[str]

    @property
    def gap(self) -> int:
        return max(0, self.shift.needed - len(self.names))


@dataclass(frozen=True)
class RosterGroup:
    workgroup: str
    label: str
    shifts: list[RosterShift]

    @property
    def needed(self) -> int:
        return sum(row.shift.needed for row in self.shifts)

    @property
    def taken(self) -> int:
        return sum(len(row.names) for row in self.shifts)

    @property
    def gap(self) -> int:
        return sum(row.gap for row in self.shifts)


def roster(*, compounds: QuerySet[Compound], day: datetime.date) -> list[RosterGroup]:
    """The day's shifts (not cancelled) in the compounds, by workgroup, with who is on each;
    two queries however many shifts and people."""
    start, end = day_bounds(day)
    active = ShiftSignup.objects.filter(status=SignupStatus.SIGNED_UP).select_related("volunteer")
    shifts = (
        Shift.objects.filter(
            compound__in=compounds.values("pk"), cancelled_at=None, start__lt=end, end__gt=start
        )
        .select_related("compound")
        .prefetch_related(Prefetch("signups", queryset=active.order_by("volunteer__name", "pk")))
        .order_by("start", "compound__name", "pk")
    )
    groups: dict[str, list[RosterShift]] = {}
    for shift in shifts:
        names = [signup.volunteer.name for signup in shift.signups.all()]
        groups.setdefault(shift.workgroup, []).append(RosterShift(shift=shift, names=names))
    return [
        RosterGroup(workgroup=workgroup, label=label, shifts=groups[workgroup])
        for workgroup, label in Workgroup.choices
        if workgroup in groups
    ]


@dataclass(frozen=True)
class VolunteerHours:
    volunteer: Volunteer
    shifts: int
    hours: float


def hours_per_week(*, committee: Committee, week_start: datetime.date) -> list[VolunteerHours]:
    """Hours each approved volunteer of the committee signed up for in shifts (not cancelled)
    that start in the seven days from `week_start`; two queries."""
    start, _end = day_bounds(week_start)
    end = start + datetime.timedelta(days=7)
    signups = ShiftSignup.objects.filter(
        volunteer__committee=committee,
        status=SignupStatus.SIGNED_UP,
        shift__cancelled_at=None,
        shift__start__gte=start,
        shift__start__lt=end,
    ).values_list("volunteer_id", "shift__start", "shift__end")
    totals: dict[int, list] = {}
    for volunteer_id, shift_start, shift_end in signups:
        total = totals.setdefault(volunteer_id, [0, 0.0])
        total[0] += 1
        total[1] += (shift_end - shift_start).total_seconds() / 3600
    volunteers = Volunteer.objects.filter(
        Q(committee=committee) & (Q(status=VolunteerStatus.APPROVED) | Q(pk__in=list(totals)))
    ).order_by("name", "pk")
    rows = []
    for volunteer in volunteers:
        count, hours = totals.get(volunteer.pk, (0, 0.0))
        rows.append(VolunteerHours(volunteer=volunteer, shifts=count, hours=round(hours, 2)))
    return rows
