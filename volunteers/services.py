"""Registering and approving volunteers, their tests, shifts, sign-ups and relay moves.

A shift's places are taken by a conditional UPDATE (`taken = taken + 1 WHERE taken < needed`)
in the sign-up's own transaction, so two volunteers cannot take the last place; the shift's
CheckConstraint is the last guard. Nothing is deleted: sign-ups and shifts are cancelled,
with who, when and why."""

import datetime
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from residents.models import Committee, Compound, Role, phone_validator
from residents.services import membership_grant
from volunteers.models import (
    DEFAULT_TEST_VALID_HOURS,
    Affiliation,
    Relay,
    Shift,
    ShiftSignup,
    SignupStatus,
    TestKind,
    TestRecord,
    Volunteer,
    VolunteerEvent,
    VolunteerSettings,
    VolunteerStatus,
    VolunteerWorkgroup,
    Workgroup,
)
from volunteers.selectors import volunteer_compounds


def _when(moment: datetime.datetime) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i")


def _record(volunteer: Volunteer, to_status: str, by: User | None, note: str = "") -> None:
    VolunteerEvent.objects.create(volunteer=volunteer, to_status=to_status, actor=by, note=note)


# Volunteers -------------------------------------------------------------------------------


def _new_login_name() -> str:
    """A login name nobody chose: registration then says nothing about which names exist."""
    while True:
        username = f"v{secrets.randbelow(10**8):08d}"
        if not User.objects.filter(username__iexact=username).exists():
            return username


@transaction.atomic
def volunteer_register(
    *,
    committee: Committee,
    password: str,
    name: str,
    phone: str,
    affiliation: str = Affiliation.RESIDENT,
    employer: str = "",
    workgroups: Iterable[str] = (),
    compounds: Iterable[Compound] = (),
) -> Volunteer:
    """A person registers on their phone: a login and a volunteer waiting for approval.

    The login name is given by the product, not chosen, so that the form cannot be used to find
    out whether a user name exists (the page shows the new name to write down)."""
    if not name.strip():
        raise ApplicationError(_("Give your name."), extra={"code": "required"})
    username = _new_login_name()
    try:
        phone_validator(phone)
        validate_password(password, User(username=username, first_name=name[:150]))
    except ValidationError as error:
        raise ApplicationError(" ".join(error.messages), extra={"code": "invalid"}) from error
    if affiliation not in Affiliation.values:
        raise ApplicationError(_("Choose an affiliation."), extra={"code": "invalid"})
    if affiliation == Affiliation.EMPLOYER and not employer.strip():
        raise ApplicationError(_("Say which employer you work for."), extra={"code": "required"})
    workgroups = sorted(set(workgroups))
    if any(workgroup not in Workgroup.values for workgroup in workgroups):
        raise ApplicationError(_("Choose workgroups from the list."), extra={"code": "invalid"})
    compounds = list(compounds)
    if any(compound.committee_id != committee.pk for compound in compounds):
        raise ApplicationError(
            _("Choose compounds of this committee."), extra={"code": "not_in_committee"}
        )
    user = User.objects.create_user(username=username, password=password, first_name=name[:150])
    volunteer = Volunteer.objects.create(
        user=user,
        committee=committee,
        name=name.strip(),
        phone=phone.strip(),
        affiliation=affiliation,
        employer=employer.strip(),
        created_by=user,
        updated_by=user,
    )
    VolunteerWorkgroup.objects.bulk_create(
        VolunteerWorkgroup(volunteer=volunteer, workgroup=workgroup) for workgroup in workgroups
    )
    volunteer.compounds.set(compounds)
    _record(volunteer, VolunteerStatus.PENDING, user)
    return volunteer


def _locked_volunteer(volunteer: Volunteer) -> Volunteer:
    return Volunteer.objects.select_for_update().get(pk=volunteer.pk)


def _decide(volunteer: Volunteer, *, status: str, by: User, also: tuple[str, ...] = ()) -> None:
    volunteer.status = status
    volunteer.decided_at = timezone.now()
    volunteer.decided_by = by
    volunteer.updated_by = by
    volunteer.save(
        update_fields=["status", "decided_at", "decided_by", *also, "updated_by", "updated_at"]
    )


@transaction.atomic
def volunteer_approve(*, volunteer: Volunteer, by: User) -> Volunteer:
    """Approve a waiting volunteer: they become the committee's volunteer and may sign up."""
    volunteer = _locked_volunteer(volunteer)
    if volunteer.status != VolunteerStatus.PENDING:
        raise ApplicationError(
            _("Only a volunteer waiting for approval can be approved."),
            extra={"code": "already_decided"},
        )
    _decide(volunteer, status=VolunteerStatus.APPROVED, by=by)
    membership_grant(user=volunteer.user, role=Role.VOLUNTEER, committee=volunteer.committee)
    _record(volunteer, VolunteerStatus.APPROVED, by)
    return volunteer


@transaction.atomic
def volunteer_reject(*, volunteer: Volunteer, reason: str, by: User) -> Volunteer:
    """Turn down a waiting volunteer, saying why."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Say why the volunteer is rejected."), extra={"code": "reason"})
    volunteer = _locked_volunteer(volunteer)
    if volunteer.status != VolunteerStatus.PENDING:
        raise ApplicationError(
            _("Only a volunteer waiting for approval can be rejected."),
            extra={"code": "already_decided"},
        )
    volunteer.rejection_reason = reason[:300]
    _decide(volunteer, status=VolunteerStatus.REJECTED, by=by, also=("rejection_reason",))
    _record(volunteer, VolunteerStatus.REJECTED, by, note=reason[:300])
    return volunteer


@transaction.atomic
def test_record(
    *, volunteer: Volunteer, kind: str, taken_at: datetime.datetime, by: User | None
) -> TestRecord:
    """Record a negative test; the volunteer's latest test moves only if this one is newer."""
    if kind not in TestKind.values:
        raise ApplicationError(_("Choose the kind of test."), extra={"code": "invalid"})
    if taken_at > timezone.now():
        raise ApplicationError(
            _("A test cannot be taken in the future."), extra={"code": "test_in_future"}
        )
    volunteer = _locked_volunteer(volunteer)
    record = TestRecord.objects.create(
        volunteer=volunteer, kind=kind, taken_at=taken_at, recorded_by=by
    )
    if volunteer.tested_at is None or taken_at > volunteer.tested_at:
        volunteer.test_kind = kind
        volunteer.tested_at = taken_at
        volunteer.updated_by = by
        volunteer.save(update_fields=["test_kind", "tested_at", "updated_by", "updated_at"])
    return record


def test_valid_hours(committee_id: int) -> int:
    """How long a negative test keeps a volunteer of the committee eligible."""
    hours = (
        VolunteerSettings.objects.filter(committee_id=committee_id)
        .values_list("test_valid_hours", flat=True)
        .first()
    )
    return hours or DEFAULT_TEST_VALID_HOURS


@transaction.atomic
def volunteer_settings_set(
    *, committee: Committee, test_valid_hours: int, by: User
) -> VolunteerSettings:
    """Set how many hours a negative test is valid for the committee's volunteers."""
    if not 1 <= test_valid_hours <= 24 * 14:
        raise ApplicationError(
            _("A test is valid for between 1 hour and 14 days."), extra={"code": "invalid"}
        )
    with transaction.atomic():
        settings = VolunteerSettings.objects.select_for_update().filter(
            committee=committee
        ).first() or VolunteerSettings(committee=committee)
        settings.test_valid_hours = test_valid_hours
        settings._history_user = by  # the field history says who set it
        settings.save()
    return settings


# Eligibility ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """What it takes to judge a volunteer against many shifts without a query per shift."""

    volunteer: Volunteer
    valid_hours: int
    compound_ids: frozenset[int]
    # (shift id, start, end) of the volunteer's active sign-ups of shifts not cancelled
    active: tuple[tuple[int, datetime.datetime, datetime.datetime], ...]

    @property
    def valid_until(self) -> datetime.datetime | None:
        if self.volunteer.tested_at is None:
            return None
        return self.volunteer.tested_at + datetime.timedelta(hours=self.valid_hours)


def volunteer_standing(volunteer: Volunteer) -> Standing:
    active = ShiftSignup.objects.filter(
        volunteer=volunteer, status=SignupStatus.SIGNED_UP, shift__cancelled_at=None
    ).values_list("shift_id", "shift__start", "shift__end")
    return Standing(
        volunteer=volunteer,
        valid_hours=test_valid_hours(volunteer.committee_id),
        compound_ids=frozenset(volunteer_compounds(volunteer).values_list("pk", flat=True)),
        active=tuple(active),
    )


def shift_refusal(
    *,
    shift: Shift,
    standing: Standing,
    now: datetime.datetime | None = None,
    check_overlap: bool = True,
    check_places: bool = True,
    check_own_compounds: bool = True,
) -> ApplicationError | None:
    """Why the volunteer may not take the shift, or None; `shift.compound` must be loaded."""
    now = now or timezone.now()
    volunteer = standing.volunteer
    if shift.cancelled_at is not None:
        return ApplicationError(_("This shift is cancelled."), extra={"code": "shift_cancelled"})
    if shift.start <= now:
        return ApplicationError(
            _("This shift has already started."), extra={"code": "shift_started"}
        )
    if volunteer.status != VolunteerStatus.APPROVED:
        return ApplicationError(
            _("%(name)s is not an approved volunteer.") % {"name": volunteer.name},
            extra={"code": "not_approved"},
        )
    if shift.compound.committee_id != volunteer.committee_id:
        return ApplicationError(
            _("This shift is in a compound of another committee."),
            extra={"code": "not_in_committee"},
        )
    if check_own_compounds and shift.compound_id not in standing.compound_ids:
        return ApplicationError(
            _("%(compound)s is not among the compounds %(name)s volunteers in.")
            % {"compound": shift.compound.name, "name": volunteer.name},
            extra={"code": "not_my_compound"},
        )
    if shift.pk is not None and any(shift_id == shift.pk for shift_id, _s, _e in standing.active):
        return ApplicationError(
            _("%(name)s is already signed up for this shift.") % {"name": volunteer.name},
            extra={"code": "already_signed_up"},
        )
    until = standing.valid_until
    if until is None:
        return ApplicationError(
            _("%(name)s has no negative test recorded.") % {"name": volunteer.name},
            extra={"code": "test_missing"},
        )
    if until < shift.end:
        return ApplicationError(
            _(
                "The negative test of %(name)s is valid until %(until)s, "
                "but the shift ends at %(end)s."
            )
            % {"name": volunteer.name, "until": _when(until), "end": _when(shift.end)},
            extra={"code": "test_expired", "valid_until": until.isoformat()},
        )
    if check_overlap:
        for shift_id, start, end in standing.active:
            if start < shift.end and end > shift.start:
                return ApplicationError(
                    _("%(name)s already has a shift from %(start)s to %(end)s.")
                    % {"name": volunteer.name, "start": _when(start), "end": _when(end)},
                    extra={"code": "overlapping", "shift": shift_id},
                )
    if check_places and shift.taken >= shift.needed:
        return ApplicationError(_("This shift is full."), extra={"code": "shift_full"})
    return None


# Shifts -----------------------------------------------------------------------------------


def _check_time_block(start: datetime.datetime, end: datetime.datetime) -> None:
    if end <= start:
        raise ApplicationError(_("A shift must end after it starts."), extra={"code": "invalid"})
    if end <= timezone.now():
        raise ApplicationError(_("This time is already over."), extra={"code": "in_the_past"})


@transaction.atomic
def shift_create(
    *,
    compound: Compound,
    workgroup: str,
    start: datetime.datetime,
    end: datetime.datetime,
    needed: int,
    notes: str = "",
    by: User,
) -> Shift:
    """Open a shift of a workgroup in a compound for `needed` people."""
    if workgroup not in Workgroup.values:
        raise ApplicationError(_("Choose a workgroup."), extra={"code": "invalid"})
    if not 1 <= needed <= 1000:
        raise ApplicationError(
            _("A shift needs between 1 and 1000 people."), extra={"code": "invalid"}
        )
    _check_time_block(start, end)
    return Shift.objects.create(
        compound=compound,
        workgroup=workgroup,
        start=start,
        end=end,
        needed=needed,
        notes=notes.strip()[:300],
        created_by=by,
        updated_by=by,
    )


def _cancel_signup_row(signup: ShiftSignup, *, by: User | None, reason: str, relay=None) -> None:
    signup.status = SignupStatus.CANCELLED
    signup.cancelled_at = timezone.now()
    signup.cancelled_by = by
    signup.cancel_reason = reason[:300]
    fields = ["status", "cancelled_at", "cancelled_by", "cancel_reason"]
    if relay is not None:
        signup.relay = relay
        fields.append("relay")
    signup.save(update_fields=fields)


@transaction.atomic
def shift_cancel(*, shift: Shift, by: User, reason: str = "") -> Shift:
    """Cancel a shift and each of its sign-ups, saying who, when and why."""
    shift = Shift.objects.select_for_update().get(pk=shift.pk)
    if shift.cancelled_at is not None:
        raise ApplicationError(
            _("This shift is already cancelled."), extra={"code": "shift_cancelled"}
        )
    reason = reason.strip() or _("The shift was cancelled.")
    # One UPDATE for all its sign-ups; the shift's row lock keeps new ones out meanwhile.
    shift.signups.filter(status=SignupStatus.SIGNED_UP).update(
        status=SignupStatus.CANCELLED,
        cancelled_at=timezone.now(),
        cancelled_by=by,
        cancel_reason=reason[:300],
    )
    shift.cancelled_at = timezone.now()
    shift.cancelled_by = by
    shift.updated_by = by
    shift.taken = 0
    shift.save(update_fields=["cancelled_at", "cancelled_by", "updated_by", "taken", "updated_at"])
    return shift


def _take_place(shift: Shift) -> None:
    taken = Shift.objects.filter(pk=shift.pk, taken__lt=F("needed"), cancelled_at=None).update(
        taken=F("taken") + 1
    )
    if not taken:
        raise ApplicationError(_("This shift is full."), extra={"code": "shift_full"})


def _give_place_back(shift_id: int) -> None:
    Shift.objects.filter(pk=shift_id, taken__gt=0).update(taken=F("taken") - 1)


@transaction.atomic
def shift_signup(*, shift: Shift, volunteer: Volunteer, by: User) -> ShiftSignup:
    """Sign a volunteer up for a shift, or say why they cannot take it."""
    # The volunteer's row is the lock that keeps two of their sign-ups from overlapping.
    volunteer = _locked_volunteer(volunteer)
    shift = Shift.objects.select_related("compound").get(pk=shift.pk)
    refusal = shift_refusal(shift=shift, standing=volunteer_standing(volunteer))
    if refusal is not None:
        raise refusal
    _take_place(shift)
    try:
        with transaction.atomic():
            return ShiftSignup.objects.create(shift=shift, volunteer=volunteer, signed_up_by=by)
    except IntegrityError as error:
        raise ApplicationError(
            _("%(name)s is already signed up for this shift.") % {"name": volunteer.name},
            extra={"code": "already_signed_up"},
        ) from error


@transaction.atomic
def shift_signup_cancel(*, signup: ShiftSignup, by: User, reason: str = "") -> ShiftSignup:
    """Cancel a sign-up and give its place back to the shift."""
    signup = ShiftSignup.objects.select_for_update().get(pk=signup.pk)
    if signup.status != SignupStatus.SIGNED_UP:
        raise ApplicationError(
            _("This sign-up is already cancelled."), extra={"code": "not_signed_up"}
        )
    _cancel_signup_row(signup, by=by, reason=reason.strip())
    _give_place_back(signup.shift_id)
    return signup


# Relay moves ------------------------------------------------------------------------------


@transaction.atomic
def relay_move(
    *,
    volunteers: Sequence[Volunteer],
    to_compound: Compound,
    to_workgroup: str,
    start: datetime.datetime,
    end: datetime.datetime,
    reason: str,
    by: User,
) -> Relay:
    """Move volunteers to another compound or workgroup for a time block (接力), all or none.

    Their overlapping sign-ups are cancelled, naming the relay, and each is signed up to the
    relay's new shift. If anyone may not go, nothing changes and the refusal lists who and why.
    Staff choose the compound, so a volunteer's own list of compounds does not stop a move."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Say why the volunteers are moved."), extra={"code": "reason"})
    if not volunteers:
        raise ApplicationError(_("Choose at least one volunteer."), extra={"code": "required"})
    if to_workgroup not in Workgroup.values:
        raise ApplicationError(_("Choose a workgroup."), extra={"code": "invalid"})
    _check_time_block(start, end)
    locked = list(
        Volunteer.objects.select_for_update()
        .filter(pk__in=[volunteer.pk for volunteer in volunteers])
        .order_by("pk")
    )
    planned = Shift(
        compound=to_compound, workgroup=to_workgroup, start=start, end=end, needed=len(locked)
    )
    problems = []
    # The relay's shift is new and skips overlap and compound checks, so a standing needs only
    # the committee's test window: one query per committee, not three per volunteer.
    windows = {
        committee_id: test_valid_hours(committee_id)
        for committee_id in {v.committee_id for v in locked}
    }
    for volunteer in locked:
        standing = Standing(
            volunteer=volunteer,
            valid_hours=windows[volunteer.committee_id],
            compound_ids=frozenset(),
            active=(),
        )
        refusal = shift_refusal(
            shift=planned,
            standing=standing,
            check_overlap=False,
            check_places=False,
            check_own_compounds=False,
        )
        if refusal is not None:
            problems.append((volunteer, refusal))
    if problems:
        raise ApplicationError(
            _("Nobody was moved: %(problems)s")
            % {"problems": " ".join(refusal.message for _v, refusal in problems)},
            extra={
                "code": "volunteers_ineligible",
                "volunteers": [
                    {"id": volunteer.pk, "code": refusal.extra["code"], "detail": refusal.message}
                    for volunteer, refusal in problems
                ],
            },
        )
    shift = shift_create(
        compound=to_compound,
        workgroup=to_workgroup,
        start=start,
        end=end,
        needed=len(locked),
        notes=reason,
        by=by,
    )
    relay = Relay.objects.create(
        to_compound=to_compound,
        to_workgroup=to_workgroup,
        start=start,
        end=end,
        reason=reason[:300],
        shift=shift,
        created_by=by,
        updated_by=by,
    )
    relay.volunteers.set(locked)
    overlapping = (
        ShiftSignup.objects.select_for_update(of=("self",))  # not the shifts it joins
        .filter(
            volunteer__in=locked,
            status=SignupStatus.SIGNED_UP,
            shift__cancelled_at=None,
            shift__start__lt=end,
            shift__end__gt=start,
        )
        .exclude(shift=shift)
        .order_by("pk")
    )
    cancel_reason = _("Moved by a relay to %(compound)s, %(workgroup)s: %(reason)s") % {
        "compound": to_compound.name,
        "workgroup": Workgroup(to_workgroup).label,
        "reason": reason,
    }
    for signup in overlapping:
        _cancel_signup_row(signup, by=by, reason=cancel_reason, relay=relay)
        _give_place_back(signup.shift_id)
    ShiftSignup.objects.bulk_create(
        ShiftSignup(shift=shift, volunteer=volunteer, signed_up_by=by, relay=relay)
        for volunteer in locked
    )
    Shift.objects.filter(pk=shift.pk).update(taken=len(locked))
    shift.taken = len(locked)
    return relay
