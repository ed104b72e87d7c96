"""Pages of supplies: a resident's ordering, the staff hotline, and a group leader's group buys.

Every page starts from a selector scoped to the user, so that another household's order,
a household outside a staff member's compounds or a round led by someone else is a 404."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.codes import code_display, code_svg
from core.exceptions import ApplicationError
from residents.forms import HouseholdSearchForm
from residents.models import Household, Role
from residents.selectors import (
    committees_with_role,
    compounds_staffed_by,
    compounds_visible_to,
    households_visible_to,
    user_is_staff_member,
)
from supplies import selectors
from supplies.forms import (
    GroupBuyForm,
    OfferFormSet,
    OrderForm,
    PaymentForm,
)
from supplies.models import Channel, Order, OrderStatus, RoundKind, SupplyRound
from supplies.services.orders import order_cancel, order_place, order_record_payment, order_update
from supplies.services.rounds import round_create, round_propose


def _code_context(order: Order) -> dict:
    return {
        "code": code_display(order.pickup_code),
        # The SVG is built by the qrcode library from our own code alphabet, never from input.
        "qr": mark_safe(code_svg(order.pickup_code)),
    }


def _placed_orders_by_round(user, household: Household, rounds) -> dict[int, Order]:
    orders = selectors.orders_visible_to(user).filter(
        household=household, round__in=[r.pk for r in rounds], status=OrderStatus.PLACED
    )
    return {order.round_id: order for order in orders}


def _placed_order(user, household: Household, supply_round: SupplyRound) -> Order | None:
    return _placed_orders_by_round(user, household, [supply_round]).get(supply_round.pk)


def _open_rounds(household: Household) -> list[SupplyRound]:
    return list(selectors.rounds_open_for(household).filter(closes_at__gt=timezone.now()))


def _order_form(request, *, household, supply_round, order, channel) -> tuple[OrderForm, Order]:
    """Bind the order form and, on a valid POST, place or update the order.

    Returns the form and the saved order (None unless saved); a refusal of the service is
    added to the form, so the page shows it with what was entered, and nothing changes."""
    offers = list(supply_round.offers.select_related("package_type").order_by("pk"))
    current = {line.offer_id: line.quantity for line in order.lines.all()} if order else {}
    form = OrderForm(request.POST or None, offers=offers, current=current)
    if request.method != "POST" or not form.is_valid():
        return form, None
    try:
        if order is None:
            saved = order_place(
                household=household,
                supply_round=supply_round,
                quantities=form.quantities(),
                placed_by=request.user,
                channel=channel,
            )
        else:
            saved = order_update(order=order, quantities=form.quantities(), by=request.user)
    except ApplicationError as error:
        form.add_error(None, error.message)
        return form, None
    return form, saved


# Residents ---------------------------------------------------------------------------------


def _own_household(request: HttpRequest) -> Household:
    household = households_visible_to(request.user).filter(account=request.user).first()
    if household is None:
        raise Http404
    return household


def _own_orders(request: HttpRequest):
    return selectors.orders_visible_to(request.user).filter(household__account=request.user)


@login_required
@require_safe
def rounds_open(request: HttpRequest) -> HttpResponse:
    household = _own_household(request)
    rounds = _open_rounds(household)
    orders = _placed_orders_by_round(request.user, household, rounds)
    rows = [(supply_round, orders.get(supply_round.pk)) for supply_round in rounds]
    return render(request, "supplies/rounds_open.html", {"household": household, "rows": rows})


@login_required
def round_order(request: HttpRequest, pk: int) -> HttpResponse:
    household = _own_household(request)
    rounds = selectors.rounds_visible_to(request.user).filter(
        compounds=household.building.compound_id
    )
    supply_round = get_object_or_404(rounds, pk=pk)
    order = _placed_order(request.user, household, supply_round)
    if order is not None:
        return redirect("order-edit", pk=order.pk)
    form, saved = _order_form(
        request,
        household=household,
        supply_round=supply_round,
        order=None,
        channel=Channel.RESIDENT,
    )
    if saved:
        messages.success(request, _("Your order is placed."))
        return redirect("order-detail", pk=saved.pk)
    context = {"round": supply_round, "form": form, "household": household}
    return render(request, "supplies/order_form.html", context)


@login_required
@require_safe
def order_list(request: HttpRequest) -> HttpResponse:
    orders = _own_orders(request).order_by("-round__closes_at", "-pk")
    return render(request, "supplies/order_list.html", {"orders": orders})


@login_required
@require_safe
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(_own_orders(request), pk=pk)
    context = {"order": order, "total": order.total, **_code_context(order)}
    context["changeable"] = order.status == OrderStatus.PLACED and order.round.is_open
    return render(request, "supplies/order_detail.html", context)


@login_required
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(_own_orders(request).filter(status=OrderStatus.PLACED), pk=pk)
    form, saved = _order_form(
        request,
        household=order.household,
        supply_round=order.round,
        order=order,
        channel=Channel.RESIDENT,
    )
    if saved:
        messages.success(request, _("Your order is changed."))
        return redirect("order-detail", pk=order.pk)
    context = {"round": order.round, "form": form, "order": order, "household": order.household}
    return render(request, "supplies/order_form.html", context)


@login_required
def order_cancel_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(_own_orders(request).filter(status=OrderStatus.PLACED), pk=pk)
    if request.method == "POST":
        try:
            order_cancel(order=order, by=request.user, reason=_("Cancelled by the household."))
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Your order is cancelled; its packs are back in stock."))
            return redirect("order-detail", pk=order.pk)
    context = {"order": order, "total": order.total}
    return render(request, "supplies/order_cancel.html", context)


# Staff hotline -----------------------------------------------------------------------------


def _hotline_households(request: HttpRequest):
    if not user_is_staff_member(request.user):
        raise Http404
    staffed = compounds_staffed_by(request.user).values("pk")
    return households_visible_to(request.user).filter(building__compound__in=staffed)


@login_required
@require_safe
def hotline(request: HttpRequest) -> HttpResponse:
    scope = _hotline_households(request)
    compounds = compounds_staffed_by(request.user).order_by("name")
    form = HouseholdSearchForm(request.GET or None, compounds=compounds)
    found = None
    if form.is_valid():
        found = list(form.households(scope).prefetch_related("residents")[:50])
    return render(request, "supplies/hotline_search.html", {"form": form, "households": found})


@login_required
@require_safe
def hotline_household(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_object_or_404(_hotline_households(request).prefetch_related("residents"), pk=pk)
    rounds = _open_rounds(household)
    orders = _placed_orders_by_round(request.user, household, rounds)
    rows = [(supply_round, orders.get(supply_round.pk)) for supply_round in rounds]
    context = {"household": household, "rows": rows}
    return render(request, "supplies/hotline_household.html", context)


@login_required
def hotline_order(request: HttpRequest, pk: int, round_pk: int) -> HttpResponse:
    household = get_object_or_404(_hotline_households(request), pk=pk)
    rounds = selectors.rounds_visible_to(request.user).filter(
        compounds=household.building.compound_id
    )
    supply_round = get_object_or_404(rounds, pk=round_pk)
    order = _placed_order(request.user, household, supply_round)
    form, saved = _order_form(
        request,
        household=household,
        supply_round=supply_round,
        order=order,
        channel=Channel.HOTLINE,
    )
    if saved:
        code = code_display(saved.pickup_code)
        messages.success(
            request, _("Order saved. Read out the pickup code: %(code)s") % {"code": code}
        )
        return redirect("hotline-order", pk=household.pk, round_pk=supply_round.pk)
    context = {"household": household, "round": supply_round, "form": form, "order": order}
    if order is not None:
        context.update(total=order.total, **_code_context(order))
    return render(request, "supplies/hotline_order.html", context)


# Group leaders -----------------------------------------------------------------------------


def _leader_committees(request: HttpRequest):
    committees = committees_with_role(request.user, Role.GROUP_LEADER)
    if not committees.exists():
        raise Http404
    return committees


def _led_rounds(request: HttpRequest):
    _leader_committees(request)
    return selectors.rounds_visible_to(request.user).filter(leader=request.user)


@login_required
@require_safe
def leader_rounds(request: HttpRequest) -> HttpResponse:
    placed = Q(orders__status=OrderStatus.PLACED)
    rounds = _led_rounds(request).annotate(order_count=Count("orders", filter=placed))
    return render(request, "supplies/leader_rounds.html", {"rounds": rounds})


@login_required
def leader_round_new(request: HttpRequest) -> HttpResponse:
    committees = _leader_committees(request)
    compounds = compounds_visible_to(request.user).filter(committee__in=committees.values("pk"))
    compounds = compounds.order_by("name")
    package_types = selectors.package_types_visible_to(request.user).order_by("name")
    form = GroupBuyForm(request.POST or None, compounds=compounds)
    offers = OfferFormSet(
        request.POST or None, prefix="offers", form_kwargs={"package_types": package_types}
    )
    if request.method == "POST" and form.is_valid() and offers.is_valid():
        chosen = list(form.cleaned_data["compounds"])
        try:
            with transaction.atomic():
                supply_round = round_create(
                    committee=chosen[0].committee,
                    title=form.cleaned_data["title"],
                    kind=RoundKind.GROUP_BUY,
                    compounds=chosen,
                    closes_at=form.cleaned_data["closes_at"],
                    offers=offers.offer_specs(),
                    by=request.user,
                    leader=request.user,
                    notes=form.cleaned_data["notes"],
                )
                round_propose(supply_round=supply_round, by=request.user)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your group buy is sent to the committee for approval."))
            return redirect("leader-round", pk=supply_round.pk)
    return render(request, "supplies/leader_round_new.html", {"form": form, "offers": offers})


def _payment_initial(order: Order) -> dict:
    return {
        "status": order.payment_status,
        "method": order.payment_method,
        "reference": order.payment_reference,
    }


@login_required
@require_safe
def leader_round(request: HttpRequest, pk: int) -> HttpResponse:
    supply_round = get_object_or_404(_led_rounds(request), pk=pk)
    orders = selectors.orders_visible_to(request.user).filter(
        round=supply_round, status=OrderStatus.PLACED
    )
    orders = orders.order_by("household__building__label", "household__unit", "household__room")
    rows = [
        (order, PaymentForm(prefix=f"pay-{order.pk}", initial=_payment_initial(order)))
        for order in orders
    ]
    offers = supply_round.offers.select_related("package_type").order_by("pk")
    context = {
        "round": supply_round,
        "rows": rows,
        "offers": offers,
        "sum": sum((order.total for order, _form in rows), Decimal("0")),
    }
    return render(request, "supplies/leader_round.html", context)


@login_required
@require_POST
def leader_round_propose(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a group buy that staff sent back (or never sent) to the committee again."""
    supply_round = get_object_or_404(_led_rounds(request), pk=pk)
    try:
        round_propose(supply_round=supply_round, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your group buy is sent to the committee for approval."))
    return redirect("leader-round", pk=supply_round.pk)


@login_required
@require_POST
def leader_order_payment(request: HttpRequest, pk: int) -> HttpResponse:
    _leader_committees(request)
    orders = selectors.orders_visible_to(request.user).filter(round__leader=request.user)
    order = get_object_or_404(orders, pk=pk)
    form = PaymentForm(request.POST, prefix=f"pay-{order.pk}")
    if not form.is_valid():
        errors = [error for field_errors in form.errors.values() for error in field_errors]
        messages.error(request, " ".join(errors))
    else:
        try:
            order_record_payment(order=order, by=request.user, **form.cleaned_data)
        except ApplicationError as error:
            messages.error(request, f"{order.household}: {error.message}")
        else:
            messages.success(
                request,
                _("Payment of %(household)s recorded.") % {"household": order.household},
            )
    return redirect(f"{reverse('leader-round', args=[order.round_id])}#order-{order.pk}")
