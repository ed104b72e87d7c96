"""Pages of medicine errands: a resident's requests, the staff's triage and runs, and the
volunteer's errands and custody list. Every page starts from a selector scoped to the user,
so that a request the user may not see is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from core.codes import code_display, code_svg
from core.exceptions import ApplicationError
from core.parsing import parse_id, parse_ids
from deliveries.services.pickups import points_at_gate
from medical import selectors
from medical.forms import (
    CheckInForm,
    CustodyForm,
    MedicineRequestForm,
    PurchasedForm,
    SubstituteForm,
    TransportForm,
    TripRequestForm,
)
from medical.models import FINISHED_STATUSES, Holder
from medical.services import medicine as services
from medical.services import register, transports
from residents.forms import HouseholdSearchForm
from residents.models import Resident
from residents.scope import staff_required
from residents.selectors import (
    compounds_staffed_by,
    households_staffed_by,
    residents_visible_to,
)
from volunteers.models import VolunteerStatus
from volunteers.selectors import volunteer_of, volunteers_managed_by

# Resident ---------------------------------------------------------------------------------


def _own_residents(request: HttpRequest):
    residents = Resident.objects.filter(household__account=request.user)
    if not request.user.is_authenticated or not residents.exists():
        raise Http404
    return residents


@login_required
def medicine_home(request: HttpRequest) -> HttpResponse:
    residents = _own_residents(request)
    form = MedicineRequestForm(request.POST or None, residents=residents)
    trip_form = TripRequestForm(residents=residents)
    if request.method == "POST" and form.is_valid():
        try:
            row = services.medicine_request_file(by=request.user, **form.service_arguments())
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your medicine request is sent to the committee."))
            return redirect("medical:detail", pk=row.pk)
    context = {
        "form": form,
        "trip_form": trip_form,
        "requests": selectors.by_urgency(selectors.medicine_requests_of_household(request.user)),
        "transports": selectors.transports_upcoming(
            selectors.transports_visible_to(request.user).filter(
                resident__household__account=request.user
            )
        ),
    }
    return render(request, "medical/home.html", context)


@login_required
@require_POST
def trip_request(request: HttpRequest) -> HttpResponse:
    """A household asks for a hospital trip (dialysis, a prenatal check …) from its phone."""
    form = TripRequestForm(request.POST, residents=_own_residents(request))
    if form.is_valid():
        try:
            transport = transports.transport_request(by=request.user, **form.cleaned_data)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Your trip request is sent to the committee."))
            return redirect("medical:transport-pass", pk=transport.pk)
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect("medical:home")


@login_required
@require_safe
def medicine_detail(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(selectors.medicine_requests_visible_to(request.user), pk=pk)
    events, custody = selectors.medicine_history(row)
    context = {
        "row": row,
        "events": events,
        "custody": custody,
        "may_decide": services.is_household_of(row, request.user)
        or services.is_staff_of(row, request.user),
    }
    return render(request, "medical/detail.html", context)


# Steps, shared by the three roles' pages --------------------------------------------------


def _custody(row, post, by):
    form = CustodyForm(post)
    if not form.is_valid():
        raise ApplicationError(_("Choose the item and who has it now."))
    return services.custody_log(request=row, by=by, **form.cleaned_data)


def _managed_volunteer(by, value: str):
    """The chosen volunteer, if `by` manages them; a missing or non-numeric id is refused."""
    volunteer = volunteers_managed_by(by).filter(pk=parse_id(value)).first()
    if volunteer is None:
        raise ApplicationError(_("Choose an approved volunteer of the committee."))
    return volunteer


def _assign(row, post, by):
    volunteer = _managed_volunteer(by, post.get("volunteer", ""))
    return services.medicine_request_assign(request=row, volunteer=volunteer, by=by)


def _substitute(row, post, by):
    form = SubstituteForm(post)
    if not form.is_valid():
        raise ApplicationError(_("Name the substitute."))
    item = get_object_or_404(row.items.all(), pk=form.cleaned_data["item"])
    return services.medicine_substitute_propose(
        request=row,
        item=item,
        substitute=form.cleaned_data["substitute"],
        note=form.cleaned_data["note"],
        by=by,
    )


def _purchased(row, post, by):
    form = PurchasedForm(post)
    if not form.is_valid():
        raise ApplicationError(_("Give the cost as a number, or leave it empty."))
    return services.medicine_request_purchased(request=row, by=by, **form.cleaned_data)


def _noted(service):
    return lambda row, post, by: service(request=row, by=by, note=post.get("note", "")[:300])


STEPS = {
    "triage": (_noted(services.medicine_request_triage), gettext_lazy("The request is triaged.")),
    "assign": (_assign, gettext_lazy("The request is assigned.")),
    "purchasing": (
        lambda row, post, by: services.medicine_request_purchasing(request=row, by=by),
        gettext_lazy("Marked as purchasing."),
    ),
    "propose-substitute": (
        _substitute,
        gettext_lazy("The substitute is proposed; wait for a yes."),
    ),
    "confirm-substitute": (
        _noted(services.medicine_substitute_confirm),
        gettext_lazy("The substitute is confirmed."),
    ),
    "refuse-substitute": (
        _noted(services.medicine_substitute_refuse),
        gettext_lazy("The substitute is refused."),
    ),
    "purchased": (_purchased, gettext_lazy("Marked as purchased; the delivery is on your list.")),
    "delivered": (
        lambda row, post, by: services.medicine_request_delivered(request=row, by=by),
        gettext_lazy("Marked as delivered."),
    ),
    "close": (_noted(services.medicine_request_close), gettext_lazy("The request is closed.")),
    "unavailable": (
        _noted(services.medicine_request_unavailable),
        gettext_lazy("Marked as unavailable."),
    ),
    "cancel": (_noted(services.medicine_request_cancel), gettext_lazy("The request is cancelled.")),
    "custody": (_custody, gettext_lazy("The handover is logged.")),
}


@login_required
@require_POST
def medicine_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    if step not in STEPS:
        raise Http404
    row = get_object_or_404(selectors.medicine_requests_visible_to(request.user), pk=pk)
    service, done = STEPS[step]
    try:
        service(row, request.POST, request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("medical:detail", pk=pk)


# Staff ------------------------------------------------------------------------------------


FINDER_KEYS = ("compound", "building", "unit", "room", "phone")


def _resident_finder(request: HttpRequest) -> tuple[dict, QuerySet[Resident]]:
    """Step 1 of the staff forms, as on the hotline: the household by building, unit and room
    or a phone, in the staff's own compounds (`?household=` of another is a 404); the form
    then offers only that household's residents."""
    households = households_staffed_by(request.user).select_related("building__compound")
    household = None
    if chosen := request.GET.get("household", ""):
        household = get_object_or_404(households, pk=chosen if chosen.isdigit() else None)
    asked = any(request.GET.get(key) for key in FINDER_KEYS)
    compounds = compounds_staffed_by(request.user).order_by("name")
    finder = HouseholdSearchForm(request.GET if asked else None, compounds=compounds)
    found = list(finder.households(households)[:20]) if asked and finder.is_valid() else None
    if household is None and found and len(found) == 1:
        household = found[0]
    residents = Resident.objects.none()
    if household is not None:
        residents = Resident.objects.filter(household=household).order_by("name", "pk")
    return {"finder": finder, "found": found, "household": household}, residents


@staff_required
def staff_medicine(request: HttpRequest) -> HttpResponse:
    requests = selectors.medicine_requests_staffed_by(request.user)
    finder, residents = _resident_finder(request)
    form = MedicineRequestForm(request.POST or None, residents=residents)
    if request.method == "POST" and form.is_valid():
        try:
            services.medicine_request_file(by=request.user, **form.service_arguments())
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The request is filed for the resident."))
            return redirect("medical:staff")
    volunteers = volunteers_managed_by(request.user).filter(status=VolunteerStatus.APPROVED)
    context = {
        "open": selectors.by_urgency(requests.exclude(status__in=FINISHED_STATUSES)),
        "runs": selectors.runs_by_hospital(requests),
        "overdue": selectors.custody_overdue(requests),
        "volunteers": list(volunteers.order_by("name", "pk")),
        "form": form,
        **finder,
    }
    return render(request, "medical/staff_medicine.html", context)


@staff_required
@require_POST
def staff_run(request: HttpRequest) -> HttpResponse:
    chosen = parse_ids(request.POST.getlist("requests"))
    rows = list(selectors.medicine_requests_staffed_by(request.user).filter(pk__in=chosen))
    try:
        volunteer = _managed_volunteer(request.user, request.POST.get("volunteer", ""))
        services.medicine_run_assign(requests=rows, volunteer=volunteer, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The run is assigned."))
    return redirect("medical:staff")


# Volunteer --------------------------------------------------------------------------------


@login_required
@require_safe
def volunteer_medicine(request: HttpRequest) -> HttpResponse:
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        raise Http404
    context = {
        "volunteer": volunteer,
        "requests": selectors.by_urgency(
            selectors.medicine_requests_assigned_to(volunteer).exclude(status__in=FINISHED_STATUSES)
        ),
        "held": selectors.custody_held_by(volunteer),
        "holders": Holder,
        "purchased_form": PurchasedForm(),
    }
    return render(request, "medical/volunteer_medicine.html", context)


# Medical transport ------------------------------------------------------------------------

TRANSPORT_STEPS = {
    "confirm": (transports.transport_confirm, gettext_lazy("The transport is confirmed.")),
    "done": (transports.transport_done, gettext_lazy("The transport is done.")),
    "cancel": (transports.transport_cancel, gettext_lazy("The transport is cancelled.")),
}


@staff_required
def staff_transports(request: HttpRequest) -> HttpResponse:
    volunteers = volunteers_managed_by(request.user).filter(status=VolunteerStatus.APPROVED)
    finder, residents = _resident_finder(request)
    form = TransportForm(
        request.POST or None, residents=residents, volunteers=volunteers.order_by("name", "pk")
    )
    if request.method == "POST" and form.is_valid():
        try:
            transport = transports.transport_request(by=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The transport is booked."))
            return redirect("medical:transport-pass", pk=transport.pk)
    context = {
        "transports": selectors.transports_upcoming(selectors.transports_staffed_by(request.user)),
        "form": form,
        **finder,
    }
    return render(request, "medical/staff_transports.html", context)


@login_required
@require_POST
def staff_transport_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    if step not in TRANSPORT_STEPS:
        raise Http404
    transport = get_object_or_404(selectors.transports_staffed_by(request.user), pk=pk)
    service, done = TRANSPORT_STEPS[step]
    try:
        service(transport=transport, by=request.user, note=request.POST.get("note", "")[:300])
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("medical:staff-transports")


@login_required
@require_safe
def transport_pass(request: HttpRequest, pk: int) -> HttpResponse:
    """The exit pass: valid (code and QR) only for a confirmed trip on its day; otherwise a
    big refusal in words, and no QR to show at the gate."""
    transport = get_object_or_404(selectors.transports_visible_to(request.user), pk=pk)
    refusal = transports.transport_pass_refusal(transport, at=timezone.now())
    context = {
        "transport": transport,
        "refusal": refusal,
        "code": code_display(transport.code),
        "qr": None if refusal else mark_safe(code_svg(transport.code)),  # noqa: S308
    }
    return render(request, "medical/transport_pass.html", context)


@login_required
def gate_pass(request: HttpRequest) -> HttpResponse:
    """Check a resident's exit pass at a point the user serves, like a pickup code."""
    now = timezone.now()
    points = list(points_at_gate(request.user, at=now))
    if not points:
        raise Http404
    chosen = request.POST.get("point") or request.GET.get("point")
    point = next(
        (p for p in points if str(p.pk) == chosen), points[0] if len(points) == 1 else None
    )
    code, transport, refusal = request.POST.get("code", ""), None, None
    if request.method == "POST" and point is not None:
        try:
            transport = transports.transport_pass_check(
                code=code, point=point, by=request.user, at=now
            )
        except ApplicationError as error:
            refusal = error
    context = {
        "points": points,
        "point": point,
        "code": code,
        "transport": transport,
        "refusal": refusal,
    }
    return render(request, "medical/gate_pass.html", context)


# Vulnerable register ----------------------------------------------------------------------


@staff_required
@require_safe
def staff_vulnerable(request: HttpRequest) -> HttpResponse:
    entries = selectors.vulnerable_register(request.user)
    context = {
        "entries": entries,
        "no_contact": selectors.no_contact_48h(entries),
        "check_in_form": CheckInForm(),
    }
    return render(request, "medical/staff_vulnerable.html", context)


@staff_required
@require_POST
def staff_check_in(request: HttpRequest, resident_id: int) -> HttpResponse:
    resident = get_object_or_404(residents_visible_to(request.user), pk=resident_id)
    form = CheckInForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError(_("Say whether you called or visited."))
        register.check_in_log(resident=resident, by=request.user, **form.cleaned_data)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The contact is logged."))
    return redirect("medical:staff-vulnerable")
