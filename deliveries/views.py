"""Staff pages of a round's plan: the rounds to plan, a round's plan and its jobs' progress,
and the printable outputs (manifests, call lists, deliveries).

Every page starts from the rounds the user manages, so another committee's round (or anything
of it) is a 404, as is every page for residents, volunteers and group leaders."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from deliveries import selectors
from deliveries.exports import manifest_export
from deliveries.forms import PlanForm
from deliveries.models import RoundPlan
from deliveries.services.planning import ALLOCATE, default_pickup_date, plan_request
from residents.admin import file_response
from residents.selectors import user_is_staff_member
from supplies.models import SupplyRound
from supplies.selectors import rounds_managed_by


def _staff_only(request: HttpRequest) -> None:
    if not user_is_staff_member(request.user):
        raise Http404


def _managed_round(request: HttpRequest, pk: int) -> SupplyRound:
    _staff_only(request)
    return get_object_or_404(rounds_managed_by(request.user), pk=pk)


def _round_point(request: HttpRequest, pk: int, point_pk: int):
    supply_round = _managed_round(request, pk)
    points = selectors.points_visible_to(request.user).filter(
        compound__in=supply_round.compounds.values("pk")
    )
    return supply_round, get_object_or_404(points, pk=point_pk)


def _pickup_day(supply_round: SupplyRound, plan: RoundPlan | None) -> datetime.date:
    return plan.pickup_date if plan else default_pickup_date(supply_round)


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
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


@login_required
def plan_job(request: HttpRequest, pk: int) -> JsonResponse:
    """A job's progress, polled every second by the plan page's progress bar."""
    _staff_only(request)
    job = get_object_or_404(selectors.jobs_visible_to(request.user), pk=pk)
    return JsonResponse(
        {
            "id": job.pk,
            "status": job.status,
            "status_display": job.get_status_display(),
            "percent": job.percent,
            "message": job.message,
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
def plan_manifest(request: HttpRequest, pk: int, point_pk: int) -> HttpResponse:
    return render(request, "deliveries/manifest.html", _manifest_context(request, pk, point_pk))


@login_required
def plan_manifest_xlsx(request: HttpRequest, pk: int, point_pk: int) -> HttpResponse:
    supply_round, point = _round_point(request, pk, point_pk)
    return file_response(
        manifest_export(supply_round=supply_round, point=point),
        filename=f"round-{supply_round.pk}-point-{point.pk}-manifest",
        file_format="xlsx",
    )


@login_required
def plan_call_list(request: HttpRequest, pk: int, point_pk: int) -> HttpResponse:
    supply_round, point = _round_point(request, pk, point_pk)
    context = {
        "round": supply_round,
        "point": point,
        "slots": selectors.call_list(supply_round, point),
    }
    return render(request, "deliveries/call_list.html", context)


@login_required
def plan_deliveries(request: HttpRequest, pk: int) -> HttpResponse:
    supply_round = _managed_round(request, pk)
    deliveries = list(selectors.deliveries_to_print(supply_round))
    context = {"round": supply_round, "deliveries": deliveries}
    return render(request, "deliveries/deliveries.html", context)
