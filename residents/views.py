"""Pages of the register: the start page by role, and the staff compound overview."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from core.exceptions import ApplicationError
from core.parsing import parse_ids
from residents import selectors
from residents.forms import ClosureChangeForm
from residents.models import Role
from residents.services import buildings_set_closure


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


def _staff_only(request: HttpRequest) -> None:
    if not selectors.user_is_staff_member(request.user):
        raise Http404


@login_required
@require_safe
def compound_list(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
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
        "form": form,
        "ticked": ticked,
    }
    return render(request, "residents/compound_overview.html", context)
