"""Placing, editing, cancelling and paying for orders, without ever overselling.

Stock is taken in the order's own transaction by a conditional UPDATE
(`stock = stock - n WHERE stock >= n`): on PostgreSQL the row lock makes concurrent takers
queue and re-check, so no offer goes below zero; the offer's CheckConstraint is the last
guard. Offers are always touched in primary-key order so that two orders cannot deadlock."""

from collections.abc import Mapping

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.codes import code_new
from core.exceptions import ApplicationError
from core.history import CREATED, history_snapshot
from core.locking import retried_on_lock_conflict
from residents.models import Household
from supplies.errors import RoundNotOpen, SoldOut
from supplies.models import (
    Offer,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentStatus,
    SupplyRound,
)


def unused_pickup_codes(count: int) -> list[str]:
    """`count` fresh codes that no order has yet (31^8 codes make a clash rare, not impossible)."""
    codes: set[str] = set()
    while len(codes) < count:
        codes |= {code_new() for _ in range(count - len(codes))}
        codes -= set(
            Order.objects.filter(pickup_code__in=codes).values_list("pickup_code", flat=True)
        )
    return list(codes)


def take_stock(offer: Offer, quantity: int) -> None:
    """Take `quantity` packs of `offer` or raise SoldOut; call inside a transaction."""
    taken = Offer.objects.filter(pk=offer.pk, stock__gte=quantity).update(
        stock=F("stock") - quantity
    )
    if not taken:
        raise SoldOut(offer)


def return_stock(offer: Offer, quantity: int) -> None:
    Offer.objects.filter(pk=offer.pk).update(stock=F("stock") + quantity)


def _require_open(supply_round: SupplyRound) -> None:
    if not supply_round.is_open:
        raise RoundNotOpen(supply_round)


def _offers_and_quantities(
    *, supply_round: SupplyRound, household: Household, quantities: Mapping[int, int]
) -> dict[Offer, int]:
    """Check quantities against the round's offers and their limits; keep the non-zero ones."""
    offers = {offer.pk: offer for offer in supply_round.offers.select_related("package_type")}
    people = None
    chosen: dict[Offer, int] = {}
    for offer_id, quantity in quantities.items():
        offer = offers.get(int(offer_id))
        if offer is None:
            raise ApplicationError(_("This pack is not offered in this round."))
        if quantity < 0:
            raise ApplicationError(_("A quantity cannot be negative."))
        if quantity == 0:
            continue
        limit = offer.limit_per_household
        if offer.limit_per_person:
            if people is None:
                people = max(1, household.residents.count())
            limit = min(limit, offer.limit_per_person * people)
        if quantity > limit:
            raise ApplicationError(
                ngettext(
                    "At most %(limit)d pack of %(package)s per household.",
                    "At most %(limit)d packs of %(package)s per household.",
                    limit,
                )
                % {"limit": limit, "package": offer.package_type.name},
                extra={"code": "over_limit", "offer": offer.pk},
            )
        chosen[offer] = quantity
    if not chosen:
        raise ApplicationError(_("Choose at least one pack."))
    return chosen


def _record(order: Order, kind: str, by: User | None, note: str = "") -> None:
    OrderEvent.objects.create(order=order, kind=kind, actor=by, note=note)


@retried_on_lock_conflict
@transaction.atomic
def order_place(
    *,
    household: Household,
    supply_round: SupplyRound,
    quantities: Mapping[int, int],
    placed_by: User,
    channel: str,
) -> Order:
    """Place the household's order in an open round, taking stock in the same transaction."""
    _require_open(supply_round)
    if not supply_round.compounds.filter(buildings=household.building_id).exists():
        raise ApplicationError(
            _("This round does not serve the household's compound."),
            extra={"code": "not_in_scope"},
        )
    chosen = _offers_and_quantities(
        supply_round=supply_round, household=household, quantities=quantities
    )
    # Decide under the order's lock: a second placement after a cancel waits here for the
    # first one to commit, then reads it placed and is refused.
    existing = (
        Order.objects.select_for_update(of=("self",))
        .filter(household=household, round=supply_round)
        .first()
    )
    if existing is not None and existing.status != OrderStatus.CANCELLED:
        raise ApplicationError(
            _("This household already has an order in this round; edit it instead."),
            extra={"code": "already_ordered", "order": existing.pk},
        )
    for offer in sorted(chosen, key=lambda offer: offer.pk):
        take_stock(offer, chosen[offer])
    if existing is not None:  # a cancelled order comes back to life: one per household
        order = existing
        order.status = OrderStatus.PLACED
        order.channel = channel
        order.updated_by = placed_by
        order.save(update_fields=["status", "channel", "updated_by", "updated_at"])
        # The lines of its cancelled state, read under the lock: their stock is back already.
        for line in OrderLine.objects.filter(order=order):
            line._history_user = placed_by
            line.delete()
    else:
        try:
            with transaction.atomic():
                order = Order.objects.create(
                    household=household,
                    round=supply_round,
                    channel=channel,
                    pickup_code=unused_pickup_codes(1)[0],
                    created_by=placed_by,
                    updated_by=placed_by,
                )
        except IntegrityError as error:
            # Two placements for one household at once: the second one is refused.
            raise ApplicationError(
                _("This household already has an order in this round; edit it instead."),
                extra={"code": "already_ordered"},
            ) from error
    lines = OrderLine.objects.bulk_create(
        OrderLine(
            order=order, offer=offer, quantity=quantity, unit_price=offer.package_type.unit_price
        )
        for offer, quantity in chosen.items()
    )
    history_snapshot(OrderLine, [line.pk for line in lines], kind=CREATED, by=placed_by)
    _record(order, OrderEvent.Kind.PLACED, placed_by)
    return order


def _locked(order: Order) -> Order:
    """The order, locked alone: a lock on its round would queue (and deadlock against) the
    COMMIT of every new order in the round, whose foreign-key checks share-lock that row."""
    return Order.objects.select_for_update(of=("self",)).select_related("round").get(pk=order.pk)


@retried_on_lock_conflict
@transaction.atomic
def order_update(*, order: Order, quantities: Mapping[int, int], by: User) -> Order:
    """Change an order's quantities while its round is open; stock follows the difference."""
    order = _locked(order)
    _require_open(order.round)
    if order.status != OrderStatus.PLACED:
        raise ApplicationError(
            _("A cancelled order cannot be edited; place a new one."),
            extra={"code": "order_cancelled"},
        )
    chosen = _offers_and_quantities(
        supply_round=order.round, household=order.household, quantities=quantities
    )
    lines = {line.offer_id: line for line in order.lines.select_related("offer__package_type")}
    wanted = {offer.pk: (offer, quantity) for offer, quantity in chosen.items()}
    for offer_id in sorted(set(lines) | set(wanted)):
        line = lines.get(offer_id)
        before = line.quantity if line else 0
        offer, after = wanted.get(offer_id, (line.offer if line else None, 0))
        if after > before:
            take_stock(offer, after - before)
        elif after < before:
            return_stock(offer, before - after)
        # The field history keeps each line's old quantity, and who changed it.
        if line is None:
            line = OrderLine(
                order=order, offer=offer, quantity=after, unit_price=offer.package_type.unit_price
            )
            line._history_user = by
            line.save()
        elif after == 0:
            line._history_user = by
            line.delete()
        elif after != before:
            line.quantity = after
            line._history_user = by
            line.save(update_fields=["quantity"])
    order.updated_by = by
    order.save(update_fields=["updated_by", "updated_at"])
    _record(order, OrderEvent.Kind.EDITED, by)
    return order


@retried_on_lock_conflict
@transaction.atomic
def order_cancel(*, order: Order, by: User, reason: str = "") -> Order:
    """Cancel an order while its round is open, returning its packs to stock."""
    order = _locked(order)
    _require_open(order.round)
    if order.status == OrderStatus.CANCELLED:
        raise ApplicationError(
            _("This order is already cancelled."), extra={"code": "already_cancelled"}
        )
    for line in order.lines.select_related("offer").order_by("offer_id"):
        return_stock(line.offer, line.quantity)
    order.status = OrderStatus.CANCELLED
    order.updated_by = by
    order.save(update_fields=["status", "updated_by", "updated_at"])
    _record(order, OrderEvent.Kind.CANCELLED, by, reason)
    return order


@retried_on_lock_conflict
@transaction.atomic
def order_record_payment(
    *, order: Order, status: str, by: User, method: str = "", reference: str = ""
) -> Order:
    """Record how an order was paid (or waived for hardship), by staff or the group leader."""
    if status not in PaymentStatus.values:
        raise ApplicationError(_("Unknown payment status."))
    if status == PaymentStatus.PAID and not method.strip():
        raise ApplicationError(_("Say how it was paid."))
    order = _locked(order)
    order.payment_status = status
    order.payment_method = method.strip()
    order.payment_reference = reference.strip()
    order.payment_recorded_by = by
    order.payment_recorded_at = timezone.now()
    order.updated_by = by
    order.save()
    _record(order, OrderEvent.Kind.PAYMENT, by, f"{status} {method} {reference}".strip())
    return order
