"""Pages of volunteers: registering, my shifts and tests; and the staff's volunteer list,
roster, relay moves and hours. Every page starts from a selector scoped to the user, so that
another committee's volunteer or shift is a 404."""

import datetime

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.exceptions import ApplicationError
from core.panels import VOLUNTEER_HOME, panels_for
from core.parsing import parse_id, whole_number
from residents.models import Committee
from residents.selectors import committees_staffed_by, compounds_staffed_by
from volunteers import selectors
from volunteers.forms import RegisterForm, RejectForm, RelayForm, ShiftForm, TestForm
from volunteers.models import ShiftSignup, SignupStatus, VolunteerStatus
from volunteers.services import (
    relay_move,
    shift_cancel,
    shift_create,
    shift_refusal,
    shift_signup,
    shift_signup_cancel,
    test_record,
    test_valid_hours,
    volunteer_approve,
    volunteer_register,
    volunteer_reject,
    volunteer_settings_set,
    volunteer_standing,
)

# Volunteers --------------------------------------------------------------------------------


@require_safe
def register_choose(request: HttpRequest) -> HttpResponse:
    committees = Committee.objects.select_related("street").order_by("street__name", "name")
    return render(request, "volunteers/register_choose.html", {"committees": committees})


def register(request: HttpRequest, committee_id: int) -> HttpResponse:
    committee = get_object_or_404(Committee, pk=committee_id)
    compounds = committee.compounds.order_by("name")
    form = RegisterForm(request.POST or None, compounds=compounds)
    if request.method == "POST" and form.is_valid():
        try:
            volunteer = volunteer_register(committee=committee, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            login(request, volunteer.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _(
                    "Thank you. The committee will look at your sign-up. Your login name is "
                    "%(username)s: write it down, you log in with it and your password."
                )
                % {"username": volunteer.user.username},
            )
            return redirect("volunteers:home")
    return render(request, "volunteers/register.html", {"form": form, "committee": committee})


def _own_volunteer(request: HttpRequest):
    volunteer = selectors.volunteer_of(request.user)
    if volunteer is None:
        raise Http404
    return volunteer


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    volunteer = selectors.volunteer_of(request.user)
    if volunteer is None:
        return redirect("volunteers:register-choose")
    standing = volunteer_standing(volunteer)
    mine = {shift_id for shift_id, _start, _end in standing.active}
    now = timezone.now()
    open_shifts = [
        (shift, shift_refusal(shift=shift, standing=standing, now=now))
        for shift in selectors.shifts_open_for(volunteer=volunteer)
        if shift.pk not in mine
    ]
    signups = list(selectors.signups_upcoming(volunteer=volunteer))
    approved = volunteer.status == VolunteerStatus.APPROVED
    context = {
        "volunteer": volunteer,
        "standing": standing,
        "signups": signups,
        "next_signup": signups[0] if signups else None,  # the current shift, or the next one
        "now": now,
        "panels": panels_for(VOLUNTEER_HOME, volunteer=volunteer, now=now) if approved else [],
        "open_shifts": open_shifts,
        "test_form": TestForm(initial={"taken_at": timezone.localtime(now)}),
    }
    return render(request, "volunteers/home.html", context)


@login_required
@require_POST
def test_new(request: HttpRequest) -> HttpResponse:
    volunteer = _own_volunteer(request)
    form = TestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the kind of test and when you took it."))
        return redirect("volunteers:home")
    try:
        test_record(volunteer=volunteer, by=request.user, **form.cleaned_data)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your test is recorded."))
    return redirect("volunteers:home")


@login_required
@require_POST
def signup(request: HttpRequest, pk: int) -> HttpResponse:
    volunteer = _own_volunteer(request)
    shift = get_object_or_404(selectors.shifts_visible_to(request.user), pk=pk)
    try:
        shift_signup(shift=shift, volunteer=volunteer, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("You are signed up for the shift."))
    return redirect("volunteers:home")


@login_required
@require_POST
def signup_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    volunteer = _own_volunteer(request)
    signups = ShiftSignup.objects.filter(volunteer=volunteer, status=SignupStatus.SIGNED_UP)
    found = get_object_or_404(signups, pk=pk)
    try:
        shift_signup_cancel(signup=found, by=request.user, reason=_("Cancelled by the volunteer."))
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your sign-up is cancelled."))
    return redirect("volunteers:home")


# Staff -------------------------------------------------------------------------------------


def _staff_committees(request: HttpRequest):
    committees = committees_staffed_by(request.user)
    if not committees.exists():
        raise Http404
    return committees


@login_required
@require_safe
def staff_volunteers(request: HttpRequest) -> HttpResponse:
    committees = _staff_committees(request).order_by("name")
    volunteers = (
        selectors.volunteers_managed_by(request.user)
        .prefetch_related("workgroups", "compounds")
        .order_by("status", "name", "pk")
    )
    context = {
        "pending": [v for v in volunteers if v.status == VolunteerStatus.PENDING],
        "others": [v for v in volunteers if v.status != VolunteerStatus.PENDING],
        "reject_form": RejectForm(),
        "windows": [(committee, test_valid_hours(committee.pk)) for committee in committees],
    }
    return render(request, "volunteers/staff_volunteers.html", context)


@login_required
@require_POST
def staff_approve(request: HttpRequest, pk: int) -> HttpResponse:
    volunteer = get_object_or_404(selectors.volunteers_managed_by(request.user), pk=pk)
    try:
        volunteer_approve(volunteer=volunteer, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(name)s is approved.") % {"name": volunteer.name})
    return redirect("volunteers:staff-volunteers")


@login_required
@require_POST
def staff_reject(request: HttpRequest, pk: int) -> HttpResponse:
    volunteer = get_object_or_404(selectors.volunteers_managed_by(request.user), pk=pk)
    form = RejectForm(request.POST)
    try:
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        volunteer_reject(volunteer=volunteer, reason=reason, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(name)s is rejected.") % {"name": volunteer.name})
    return redirect("volunteers:staff-volunteers")


@login_required
@require_POST
def staff_settings(request: HttpRequest, committee_id: int) -> HttpResponse:
    committee = get_object_or_404(committees_staffed_by(request.user), pk=committee_id)
    hours = whole_number(request.POST.get("test_valid_hours"))
    try:
        if hours is None:
            raise ApplicationError(_("Give the test window as a whole number of hours."))
        volunteer_settings_set(committee=committee, test_valid_hours=hours, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The test window is saved."))
    return redirect("volunteers:staff-volunteers")


@login_required
@require_POST
def staff_shift_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    shift = get_object_or_404(selectors.shifts_managed_by(request.user), pk=pk)
    try:
        shift_cancel(shift=shift, by=request.user, reason=request.POST.get("reason", ""))
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The shift is cancelled; its volunteers see it."))
    day = timezone.localtime(shift.start).date().isoformat()
    return redirect(f"{reverse('volunteers:staff-roster')}?day={day}")


def _day(value: str | None) -> datetime.date:
    try:
        return parse_date(value or "") or timezone.localdate()
    except ValueError:
        return timezone.localdate()


@login_required
def staff_roster(request: HttpRequest) -> HttpResponse:
    _staff_committees(request)
    compounds = compounds_staffed_by(request.user).order_by("name")
    day = _day(request.GET.get("day"))
    chosen = request.GET.get("compound", "")
    # An id that is not one of the user's compounds (or not an id) shows no compound.
    shown = compounds.filter(pk=parse_id(chosen)) if chosen else compounds
    form = ShiftForm(request.POST or None, compounds=compounds)
    if request.method == "POST" and form.is_valid():
        try:
            shift = shift_create(by=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The shift is added."))
            day = timezone.localtime(shift.start).date()
            return redirect(f"{request.path}?day={day.isoformat()}&compound={chosen}")
    context = {
        "groups": selectors.roster(compounds=shown, day=day),
        "day": day,
        "previous_day": day - datetime.timedelta(days=1),
        "next_day": day + datetime.timedelta(days=1),
        "compounds": compounds,
        "chosen": chosen,
        "form": form,
    }
    return render(request, "volunteers/staff_roster.html", context)


@login_required
def staff_relay(request: HttpRequest) -> HttpResponse:
    _staff_committees(request)
    volunteers = selectors.volunteers_managed_by(request.user).filter(
        status=VolunteerStatus.APPROVED
    )
    compounds = compounds_staffed_by(request.user).order_by("name")
    form = RelayForm(request.POST or None, volunteers=volunteers, compounds=compounds)
    if request.method == "POST" and form.is_valid():
        try:
            relay = relay_move(by=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
            for problem in error.extra.get("volunteers", []):
                form.add_error(None, problem["detail"])
        else:
            messages.success(request, _("The volunteers are moved."))
            day = timezone.localtime(relay.start).date().isoformat()
            return redirect(f"{reverse('volunteers:staff-roster')}?day={day}")
    return render(request, "volunteers/staff_relay.html", {"form": form})


@login_required
@require_safe
def staff_hours(request: HttpRequest) -> HttpResponse:
    committees = _staff_committees(request).order_by("name")
    day = _day(request.GET.get("week"))
    week_start = day - datetime.timedelta(days=day.weekday())
    tables = [
        (committee, selectors.hours_per_week(committee=committee, week_start=week_start))
        for committee in committees
    ]
    context = {
        "tables": tables,
        "week_start": week_start,
        "week_end": week_start + datetime.timedelta(days=6),
        "previous_week": week_start - datetime.timedelta(days=7),
        "next_week": week_start + datetime.timedelta(days=7),
    }
    return render(request, "volunteers/staff_hours.html", context)
