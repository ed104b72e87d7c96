"""A round's spreadsheets (XLSX): packs by building, orders by household, and payments.

Only placed orders count; cancelled ones are left out. Each export reads the round in a fixed
number of queries however many orders it has, and writes its headers in the active language.
"""

from collections import Counter
from decimal import Decimal

import tablib
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Sum
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _

from core.spreadsheets import spreadsheet_xlsx
from supplies.models import Order, OrderLine, OrderStatus, PaymentStatus, SupplyRound

ZERO = Decimal("0.00")


def _placed_orders(supply_round: SupplyRound):
    """The round's placed orders in the order people walk the compound: building, unit, room."""
    return (
        Order.objects.filter(round=supply_round, status=OrderStatus.PLACED)
        .select_related("household__building__compound")
        .order_by(
            "household__building__compound__name",
            Length("household__building__label"),
            "household__building__label",
            "household__unit",
            "household__room",
            "pk",
        )
    )


def _address(order: Order) -> tuple:
    household = order.household
    return (
        household.building.compound.name,
        household.building.label,
        household.unit,
        household.room,
    )


def _address_headers() -> list[str]:
    return [_("Compound"), _("Building"), _("Unit"), _("Room")]


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def round_export_by_building(*, supply_round: SupplyRound) -> bytes:
    """One row per building and package type: packs ordered and households ordering them."""
    rows = (
        OrderLine.objects.filter(order__round=supply_round, order__status=OrderStatus.PLACED)
        .values(
            compound=F("order__household__building__compound__name"),
            building=F("order__household__building__label"),
            package=F("offer__package_type__name"),
        )
        .annotate(
            packs=Sum("quantity"),
            households=Count("order__household", distinct=True),
            label_length=Length("order__household__building__label"),
        )
        .order_by("compound", "label_length", "building", "offer_id")
    )
    dataset = tablib.Dataset(
        headers=[_("Compound"), _("Building"), _("Package"), _("Packs"), _("Households")],
        title=_("By building"),
    )
    for row in rows:
        dataset.append(
            (row["compound"], row["building"], row["package"], row["packs"], row["households"])
        )
    return spreadsheet_xlsx(dataset)


def round_export_by_household(*, supply_round: SupplyRound) -> bytes:
    """One row per placed order, with each package's quantity in a column of its own."""
    offers = list(supply_round.offers.select_related("package_type").order_by("pk"))
    orders = _placed_orders(supply_round).prefetch_related("lines")
    dataset = tablib.Dataset(
        headers=[
            *_address_headers(),
            _("Contact phone"),
            _("Pickup code"),
            *(offer.package_type.name for offer in offers),
            _("Total price"),
            _("Payment"),
            _("Payment method"),
            _("Payment reference"),
        ],
        title=_("By household"),
    )
    for order in orders:
        quantities = {line.offer_id: line.quantity for line in order.lines.all()}
        total = order.total
        dataset.append(
            (
                *_address(order),
                order.household.contact_phone,
                order.pickup_code,
                *(quantities.get(offer.pk, 0) for offer in offers),
                total,
                order.get_payment_status_display(),
                order.payment_method,
                order.payment_reference,
            )
        )
    return spreadsheet_xlsx(dataset)


def round_export_reconciliation(*, supply_round: SupplyRound) -> bytes:
    """Every placed order's payment with who recorded it and when, and a summary sheet of
    orders paid, unpaid and waived, the amount paid and the amount still outstanding."""
    amount = ExpressionWrapper(
        F("lines__quantity") * F("lines__unit_price"),
        output_field=DecimalField(max_digits=12, decimal_places=2),
    )
    orders = (
        _placed_orders(supply_round)
        .select_related("payment_recorded_by")
        .annotate(amount_due=Sum(amount))
    )
    payments = tablib.Dataset(
        headers=[
            *_address_headers(),
            _("Pickup code"),
            _("Payment"),
            _("Amount due"),
            _("Payment method"),
            _("Payment reference"),
            _("Recorded by"),
            _("Recorded at"),
        ],
        title=_("Payments"),
    )
    counts: Counter = Counter()
    amounts: Counter = Counter()
    for order in orders:
        due = order.amount_due or ZERO
        counts[order.payment_status] += 1
        amounts[order.payment_status] += due
        recorder = order.payment_recorded_by
        payments.append(
            (
                *_address(order),
                order.pickup_code,
                order.get_payment_status_display(),
                due,
                order.payment_method,
                order.payment_reference,
                recorder.get_username() if recorder else "",
                _when(order.payment_recorded_at),
            )
        )
    summary = tablib.Dataset(
        headers=[
            _("Orders"),
            _("Paid"),
            _("Unpaid"),
            _("Waived"),
            _("Amount paid"),
            _("Amount outstanding"),
        ],
        title=_("Summary"),
    )
    summary.append(
        (
            sum(counts.values()),
            counts[PaymentStatus.PAID],
            counts[PaymentStatus.UNPAID],
            counts[PaymentStatus.WAIVED],
            amounts[PaymentStatus.PAID] or ZERO,
            amounts[PaymentStatus.UNPAID] or ZERO,
        )
    )
    return spreadsheet_xlsx(payments, summary)
