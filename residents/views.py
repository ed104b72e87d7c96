"""Pages of the register: the start page by role, and the staff compound overview."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from core.exceptions import ApplicationError
from core.panels import COMPOUND_OVERVIEW, panels_for
from core.parsing import parse_ids
from core.spreadsheets import XLSX_CONTENT_TYPE
from residents import selectors
from residents.forms import ClosureChangeForm
from residents.importing import household_logins_sheet
from residents.models import Role
from residents.scope import staff_required
from residents.services import buildings_set_closure, household_logins_take


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    if selectors.user_is_staff_member(request.user):
        return redirect("staff-compounds")
    household = selectors.households_visible_to(request.user).filter(account=request.user).first()
    leads = selectors.committees_with_role(request.user, Role.GROUP_LEADER).exists()
    volunteers = selectors.committees_with_role(request.user, Role.VOLUNTEER).exists()
    context = {"household": household, "leads": leads, "volunteers": volunteers}
    return render(request, "residents/home.html", context)


@staff_required
@require_safe
def compound_list(request: HttpRequest) -> HttpResponse:
    compounds = selectors.compounds_staffed_by(request.user).select_related("committee")
    compounds = list(compounds.order_by("committee__name", "name"))
    if len(compounds) == 1:
        return redirect("compound-overview", pk=compounds[0].pk)
    return render(request, "residents/compound_list.html", {"compounds": compounds})


@login_required
def compound_overview(request: HttpRequest, pk: int) -> HttpResponse:
    compound = get_object_or_404(
        selectors.compounds_staffed_by(request.user).select_related("committee"), pk=pk
    )
    form = ClosureChangeForm(request.POST or None)
    ticked = parse_ids(request.POST.getlist("building"))
    if request.method == "POST" and form.is_valid():
        chosen = list(compound.buildings.filter(pk__in=ticked))
        try:
            if not chosen:
                raise ApplicationError(_("Choose at least one building."))
            changes = buildings_set_closure(buildings=chosen, by=request.user, **form.cleaned_data)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            count = len(changes)
            messages.success(
                request,
                ngettext(
                    "%(count)d building changed closure level.",
                    "%(count)d buildings changed closure level.",
                    count,
                )
                % {"count": count},
            )
            return redirect("compound-overview", pk=compound.pk)
    context = {
        "compound": compound,
        "overview": selectors.compound_overview(compound=compound),
        "panels": panels_for(COMPOUND_OVERVIEW, user=request.user, compound=compound),
        "form": form,
        "ticked": ticked,
    }
    return render(request, "residents/compound_overview.html", context)


def _login_batch(request: HttpRequest, pk: int):
    return get_object_or_404(
        selectors.login_batches_visible_to(request.user).select_related("job", "downloaded_by"),
        pk=pk,
    )


@login_required
@require_safe
def household_logins(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress of a batch of household logins and, once done, its password file."""
    batch = _login_batch(request, pk)
    return render(request, "residents/household_logins.html", {"batch": batch, "job": batch.job})


@login_required
@require_safe
def household_logins_job(request: HttpRequest, pk: int) -> JsonResponse:
    """The batch's job, polled every second by the page's progress bar."""
    job = _login_batch(request, pk).job
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


@login_required
@require_POST
def household_logins_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable password file, handed out once: a POST, since taking it wipes it."""
    batch = _login_batch(request, pk)
    try:
        logins = household_logins_take(batch=batch, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        batch.refresh_from_db()
        context = {"batch": batch, "job": batch.job}
        return render(request, "residents/household_logins.html", context, status=410)
    response = HttpResponse(household_logins_sheet(logins), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="household-logins-{batch.pk}.xlsx"'
    response["Cache-Control"] = "no-store"
    return response
