"""Staff pages of a round's plan: the rounds to plan, a round's plan and its jobs' progress,
the printable outputs (manifests, call lists, deliveries), the progress at the doors and the
failed deliveries; and the volunteers' phone pages: my deliveries and the gate.

Every staff page starts from the rounds the user manages, so another committee's round (or
anything of it) is a 404, as is every staff page for residents, volunteers and group leaders.
A volunteer's pages start from their own deliveries and the points they are on shift at."""

import datetime
import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.exceptions import ApplicationError
from core.parsing import parse_id, parse_moment
from core.spreadsheets import file_response
from deliveries import selectors
from deliveries.exports import manifest_export
from deliveries.forms import MealEnrolForm, PlanForm, UncollectedActionForm
from deliveries.models import (
    DeliveryFailure,
    MealBasis,
    MealStatus,
    PickupSlot,
    RoundPlan,
)
from deliveries.services import meals
from deliveries.services.assignment import ASSIGN, assign_request, deliveries_assign_meals
from deliveries.services.fulfilment import (
    delivery_complete,
    delivery_fail,
    delivery_retry,
)
from deliveries.services.pickups import (
    LATE_REFUSALS,
    pickup_hand_over,
    pickup_hand_over_late,
    pickup_verify,
    points_at_gate,
    staff_at_point,
)
from deliveries.services.planning import ALLOCATE, default_pickup_date, plan_request
from deliveries.services.uncollected import pickup_move, pickup_to_door, uncollected_notify
from residents.scope import require_staff_member, staff_required
from residents.selectors import compounds_staffed_by
from supplies.models import SupplyRound
from supplies.selectors import rounds_managed_by
from volunteers.models import Volunteer, VolunteerStatus
from volunteers.selectors import volunteer_of, volunteers_managed_by

PROGRESS_KEYS = ("planned", "out", "delivered", "failed")


def _managed_round(request: HttpRequest, pk: int) -> SupplyRound:
    require_staff_member(request)
    return get_object_or_404(rounds_managed_by(request.user), pk=pk)


def _round_point(request: HttpRequest, pk: int, point_pk: int):
    supply_round = _managed_round(request, pk)
    points = selectors.points_visible_to(request.user).filter(
        compound__in=supply_round.compounds.values("pk")
    )
    return supply_round, get_object_or_404(points, pk=point_pk)


def _pickup_day(supply_round: SupplyRound, plan: RoundPlan | None) -> datetime.date:
    return plan.pickup_date if plan else default_pickup_date(supply_round)


@staff_required
@require_safe
def plan_list(request: HttpRequest) -> HttpResponse:
    rounds = selectors.rounds_to_plan_with_status(request.user).prefetch_related("compounds")
    page = Paginator(rounds, 30).get_page(request.GET.get("page"))
    return render(request, "deliveries/plan_list.html", {"page": page})


@login_required
def plan_round(request: HttpRequest, pk: int) -> HttpResponse:
    supply_round = _managed_round(request, pk)
    overview = selectors.plan_overview(supply_round)
    form = PlanForm(
        request.POST or None, initial={"pickup_date": _pickup_day(supply_round, overview.plan)}
    )
    if request.method == "POST" and request.POST.get("kind") == ASSIGN:
        try:
            assign_request(supply_round=supply_round, by=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Assigning the deliveries to volunteers on shift."))
        return redirect("plan-round", pk=supply_round.pk)
    if request.method == "POST" and form.is_valid():
        try:
            plan_request(supply_round=supply_round, by=request.user, **form.cleaned_data)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            if form.cleaned_data["kind"] == ALLOCATE:
                messages.success(request, _("Allocation started; pickups are scheduled next."))
            else:
                messages.success(request, _("Scheduling of pickups started."))
            return redirect("plan-round", pk=supply_round.pk)
    context = {
        "round": supply_round,
        "form": form,
        "overview": overview,
        "job": selectors.latest_job_of_round(request.user, supply_round),
    }
    return render(request, "deliveries/plan_round.html", context)


@staff_required
@require_safe
def plan_job(request: HttpRequest, pk: int) -> JsonResponse:
    """A job's progress, polled every second by the plan page's progress bar."""
    job = get_object_or_404(selectors.jobs_visible_to(request.user), pk=pk)
    return JsonResponse(
        {
            "id": job.pk,
            "status": job.status,
            "status_display": job.get_status_display(),
            "percent": job.percent,
            "message": job.message_text,
            "finished": job.finished,
        }
    )


def _manifest_context(request: HttpRequest, pk: int, point_pk: int) -> dict:
    supply_round, point = _round_point(request, pk, point_pk)
    rows = selectors.manifest(supply_round, point)
    return {
        "round": supply_round,
        "point": point,
        "rows": rows,
        "total": sum(packs for _name, packs in rows),
        "load": selectors.point_loads(supply_round).get(pk=point.pk),
        "pickup_day": _pickup_day(supply_round, selectors.round_plan_of(supply_round)),
    }


@login_required
@require_safe
def plan_manifest(request: HttpRequest, pk: int, point_pk: int) -> HttpResponse:
    return render(request, "deliveries/manifest.html", _manifest_context(request, pk, point_pk))


@login_required
@require_safe
def plan_manifest_xlsx(request: HttpRequest, pk: int, point_pk: int) -> HttpResponse:
    supply_round, point = _round_point(request, pk, point_pk)
    return file_response(
        manifest_export(supply_round=supply_round, point=point),
        filename=f"round-{supply_round.pk}-point-{point.pk}-manifest",
        file_format="xlsx",
    )


@login_required
@require_safe
def plan_call_list(request: HttpRequest, pk: int, point_pk: int) -> HttpResponse:
    supply_round, point = _round_point(request, pk, point_pk)
    context = {
        "round": supply_round,
        "point": point,
        "slots": selectors.call_list(supply_round, point),
    }
    return render(request, "deliveries/call_list.html", context)


@login_required
@require_safe
def plan_deliveries(request: HttpRequest, pk: int) -> HttpResponse:
    supply_round = _managed_round(request, pk)
    deliveries = list(selectors.deliveries_to_print(supply_round))
    context = {"round": supply_round, "deliveries": deliveries}
    return render(request, "deliveries/deliveries.html", context)


# --- volunteers: my deliveries, the service worker that keeps them offline, the gate --------


def _tap_time(request: HttpRequest) -> datetime.datetime:
    """The tap's moment from the form (an offline phone sends it late), else now; a moment
    that does not exist is refused (ApplicationError)."""
    return parse_moment(request.POST.get("tapped_at")) or timezone.now()


@login_required
@require_safe
def my_deliveries(request: HttpRequest) -> HttpResponse:
    """The volunteer's open deliveries and today's done ones, by building, unit and floor."""
    if volunteer_of(request.user) is None:
        raise Http404
    since = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    deliveries = selectors.deliveries_of_volunteer_today(request.user, since=since)
    buildings = selectors.walk_groups(deliveries)
    context = {
        "buildings": buildings,
        "total_left": sum(building["left"] for building in buildings),
        "total_done": sum(building["done"] for building in buildings),
        "failures": DeliveryFailure.choices,
    }
    return render(request, "deliveries/my_deliveries.html", context)


@login_required
@require_POST
def my_delivery_mark(request: HttpRequest, pk: int) -> HttpResponse:
    """The page's buttons without JavaScript: delivered, not at home, or a problem."""
    delivery = get_object_or_404(selectors.deliveries_visible_to(request.user), pk=pk)
    outcome = request.POST.get("outcome")
    try:
        if outcome == "delivered":
            delivery_complete(delivery=delivery, by=request.user, tapped_at=_tap_time(request))
        else:
            delivery_fail(
                delivery=delivery,
                by=request.user,
                tapped_at=_tap_time(request),
                reason=outcome or "",
                note=request.POST.get("note", ""),
            )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Saved."))
    return redirect("my-deliveries")


# What the volunteers' service worker keeps for a reload without network.
VOLUNTEER_STATIC_FILES = (
    "css/site.css",
    "css/deliveries-volunteer.css",
    "js/volunteer-deliveries.js",
)


@require_safe
def volunteer_service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served from /volunteer/ so that its scope covers the pages there.

    Its cache is named after the static files' URLs, which carry their content hashes after
    collectstatic: a deploy that changes one changes this file, so phones install the new
    worker, which drops the old cache and fetches the new code."""
    assets = [static(name) for name in VOLUNTEER_STATIC_FILES]
    version = hashlib.sha256("\n".join(assets).encode()).hexdigest()[:12]
    response = render(
        request,
        "deliveries/volunteer-sw.js",
        {"assets": assets, "version": version},
        content_type="application/javascript",
    )
    response["Cache-Control"] = "no-cache"
    return response


@login_required
def gate(request: HttpRequest) -> HttpResponse:
    """Hand packs over at a point: pick the point, type or scan the code, check, confirm.
    Outside the household's slot staff (not volunteers) may hand over late, with a reason."""
    now = timezone.now()
    points = list(points_at_gate(request.user, at=now))
    if not points:  # off shift: say so, with the way back, rather than a bare Not Found
        return render(request, "deliveries/gate_off_shift.html", status=404)
    chosen = request.POST.get("point") or request.GET.get("point")
    point = next(
        (p for p in points if str(p.pk) == chosen), points[0] if len(points) == 1 else None
    )
    code, pickup, refusal = request.POST.get("code", ""), None, None
    if request.method == "POST" and point is not None:
        try:
            if request.POST.get("late"):
                pickup_hand_over_late(
                    code=code,
                    point=point,
                    by=request.user,
                    at=now,
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _("Handed over late; the reason is recorded."))
                return redirect(f"{reverse('gate')}?point={point.pk}")
            if request.POST.get("confirm"):
                pickup_hand_over(code=code, point=point, by=request.user, at=now)
                messages.success(request, _("Handed over."))
                return redirect(f"{reverse('gate')}?point={point.pk}")
            pickup = pickup_verify(code=code, point=point, by=request.user, at=now)
        except ApplicationError as error:
            refusal = error
    may_hand_over_late = (
        refusal is not None
        and refusal.extra.get("code") in LATE_REFUSALS | {"reason_required"}
        and staff_at_point(request.user, point)
    )
    context = {"points": points, "point": point, "code": code, "pickup": pickup}
    context.update(refusal=refusal, may_hand_over_late=may_hand_over_late)
    return render(request, "deliveries/gate.html", context)


# --- staff: a round's progress at the doors, and its failed deliveries ----------------------


@login_required
@require_safe
def plan_progress(request: HttpRequest, pk: int) -> HttpResponse:
    supply_round = _managed_round(request, pk)
    rows = selectors.round_progress(supply_round)
    totals = {key: sum(row[key] for row in rows) for key in PROGRESS_KEYS}
    context = {"round": supply_round, "rows": rows, "totals": totals}
    return render(request, "deliveries/progress.html", context)


@login_required
def plan_failed(request: HttpRequest, pk: int) -> HttpResponse:
    supply_round = _managed_round(request, pk)
    failed = selectors.failed_deliveries_of_round(supply_round)
    if request.method == "POST":
        # A tampered form's id (not one, or not the user's) is a 404, not a 500.
        delivery = get_object_or_404(failed, pk=parse_id(request.POST.get("delivery")))
        volunteer = None
        if request.POST.get("volunteer"):
            volunteer = get_object_or_404(
                volunteers_managed_by(request.user), pk=parse_id(request.POST.get("volunteer"))
            )
        try:
            delivery_retry(delivery=delivery, volunteer=volunteer, by=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The delivery is planned again."))
        return redirect("plan-failed", pk=supply_round.pk)
    volunteers = Volunteer.objects.filter(
        committee__in=supply_round.compounds.values("committee"),
        status=VolunteerStatus.APPROVED,
    ).order_by("name", "pk")
    context = {"round": supply_round, "deliveries": list(failed), "volunteers": volunteers}
    return render(request, "deliveries/failed.html", context)


@login_required
def plan_uncollected(request: HttpRequest, pk: int) -> HttpResponse:
    """Pickups nobody collected in their slot: move each to a later slot with room or to a
    door delivery, tell the households what happens next, and what was done so far."""
    supply_round = _managed_round(request, pk)
    now = timezone.now()
    uncollected = selectors.pickups_uncollected(supply_round, now=now)
    if request.method == "POST":
        try:
            _uncollected_act(request, supply_round, uncollected, now)
        except ApplicationError as error:
            messages.error(request, error.message)
        return redirect("plan-uncollected", pk=supply_round.pk)
    slots = selectors.later_slots_with_room(supply_round, now=now)
    rows = [
        (
            plan,
            [s for s in slots.get(plan.point_id, []) if not plan.slot or s.start > plan.slot.start],
        )
        for plan in uncollected
    ]
    context = {
        "round": supply_round,
        "rows": rows,
        "untold": sum(1 for plan, _slots in rows if plan.uncollected_told_at is None),
        "outcomes": selectors.pickup_outcomes(supply_round, now=now),
        "events": selectors.pickup_events_of_round(supply_round)[:200],
    }
    return render(request, "deliveries/uncollected.html", context)


def _uncollected_act(request: HttpRequest, supply_round: SupplyRound, uncollected, now) -> None:
    action = request.POST.get("action")
    if action == "notify":
        told = uncollected_notify(supply_round=supply_round, by=request.user, now=now)
        messages.success(request, _("%(told)s households told what happens next.") % {"told": told})
        return
    if action not in ("move", "door"):
        raise Http404
    form = UncollectedActionForm(
        request.POST, plans=uncollected, slots=PickupSlot.objects.filter(round=supply_round)
    )
    if not form.is_valid():
        raise ApplicationError(" ".join(" ".join(errors) for errors in form.errors.values()))
    plan, note = form.cleaned_data["plan"], form.cleaned_data["note"]
    if action == "door":
        pickup_to_door(plan=plan, by=request.user, note=note)
        messages.success(request, _("The pickup is now a door delivery; the household is told."))
        return
    if form.cleaned_data["slot"] is None:
        raise ApplicationError(_("Choose a later slot that is not over yet."))
    pickup_move(plan=plan, slot=form.cleaned_data["slot"], by=request.user, note=note)
    messages.success(request, _("The household is moved to the later slot and told."))


# --- meals for the elderly ----------------------------------------------------------------


@staff_required
def meals_page(request: HttpRequest) -> HttpResponse:
    form = MealEnrolForm(
        request.POST or None, residents=selectors.meal_candidates_for(request.user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            meals.meal_enrol(
                resident=form.cleaned_data["resident"],
                meals=form.meals(),
                notes=form.cleaned_data["notes"],
                basis=MealBasis.APPLICATION if form.cleaned_data["application"] else None,
                by=request.user,
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The resident is enrolled."))
            return redirect("meals")
    enrolments = selectors.meal_enrolments_visible_to(request.user)
    context = {
        "form": form,
        "pending": enrolments.filter(status=MealStatus.APPLIED),
        "enrolments": enrolments.exclude(status=MealStatus.APPLIED)[:200],
        "today": selectors.meal_deliveries_of_day(request.user, timezone.localdate()),
    }
    return render(request, "deliveries/meals.html", context)


@staff_required
@require_POST
def meal_decide(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    decide = {"approve": meals.meal_approve, "reject": meals.meal_reject, "end": meals.meal_end}
    if action not in decide:
        raise Http404
    enrolment = get_object_or_404(selectors.meal_enrolments_visible_to(request.user), pk=pk)
    try:
        decide[action](enrolment=enrolment, reason=request.POST.get("reason", ""), by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Saved."))
    return redirect("meals")


@staff_required
@require_POST
def meals_create_today(request: HttpRequest) -> HttpResponse:
    counts = meals.meals_create_for_day(
        day=timezone.localdate(), compounds=compounds_staffed_by(request.user), by=request.user
    )
    if counts["created"]:
        messages.success(
            request,
            _("%(created)s meal deliveries created.") % counts,
        )
    else:
        messages.info(request, _("Nothing new: today's meal deliveries already exist."))
    return redirect("meals")


@staff_required
@require_POST
def meals_assign_today(request: HttpRequest) -> HttpResponse:
    summary = deliveries_assign_meals(
        day=timezone.localdate(), compounds=compounds_staffed_by(request.user), by=request.user
    )
    messages.success(
        request,
        _("%(assigned)s meal deliveries assigned; %(unassigned)s left without a volunteer.")
        % summary,
    )
    return redirect("meals")
