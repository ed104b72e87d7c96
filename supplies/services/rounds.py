"""A round's life: draft → proposed → approved → open → closed, or cancelled.

Group buys open only after staff approve them; allocation rounds open straight from draft
and create one order per household in scope. Every transition is a compare-and-set on the
status, recorded with who and when, so two people pressing the same button change it once."""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.history import CREATED, history_snapshot
from core.status import status_move
from residents.models import Committee, Compound, Household, Membership, Role
from supplies.models import (
    ESSENTIAL_CATEGORIES,
    AllocationRule,
    Channel,
    Offer,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PackageType,
    PaymentStatus,
    RoundEvent,
    RoundKind,
    RoundStatus,
    SupplyRound,
)
from supplies.services.orders import return_stock, take_stock, unused_pickup_codes
from supplies.signals import round_closed


@dataclass(frozen=True)
class OfferSpec:
    package_type: PackageType
    stock: int
    limit_per_household: int = 1
    limit_per_person: int | None = None
    allocation_quantity: int = 1


def _transition(
    supply_round: SupplyRound, *, to: str, allowed_from: Iterable[str], by: User | None, note=""
) -> None:
    status_move(
        supply_round,
        to=to,
        allowed_from=allowed_from,
        by=by,
        event=(RoundEvent, "round"),
        refusal=_("The round is %(status)s; it cannot become %(next)s."),
        code="bad_transition",
        note=note,
    )


@transaction.atomic
def round_create(
    *,
    committee: Committee,
    title: str,
    kind: str,
    compounds: Sequence[Compound],
    closes_at: datetime.datetime,
    offers: Sequence[OfferSpec],
    by: User,
    leader: User | None = None,
    allocation_rule: str = AllocationRule.PER_HOUSEHOLD,
    notes: str = "",
) -> SupplyRound:
    """A draft round with its offers, for compounds of the committee."""
    if kind not in RoundKind.values:
        raise ApplicationError(_("Unknown kind of round."))
    if not compounds:
        raise ApplicationError(_("Choose at least one compound."))
    if any(compound.committee_id != committee.pk for compound in compounds):
        raise ApplicationError(_("A round can only serve its committee's compounds."))
    if not offers:
        raise ApplicationError(_("Offer at least one package."))
    packages = [spec.package_type.pk for spec in offers]
    if len(set(packages)) != len(packages):
        raise ApplicationError(_("Each package can be offered only once in a round."))
    if (
        leader is not None
        and not Membership.objects.filter(
            user=leader, role=Role.GROUP_LEADER, committee=committee
        ).exists()
    ):
        raise ApplicationError(
            _("%(user)s is not a group leader of %(committee)s.")
            % {"user": leader.get_full_name() or leader.username, "committee": committee.name}
        )
    if closes_at <= timezone.now():
        raise ApplicationError(_("The closing time must be in the future."))
    supply_round = SupplyRound.objects.create(
        committee=committee,
        title=title.strip(),
        kind=kind,
        closes_at=closes_at,
        leader=leader,
        allocation_rule=allocation_rule,
        notes=notes,
        created_by=by,
        updated_by=by,
    )
    supply_round.compounds.set(compounds)
    Offer.objects.bulk_create(
        Offer(
            round=supply_round,
            package_type=spec.package_type,
            stock=spec.stock,
            limit_per_household=spec.limit_per_household,
            limit_per_person=spec.limit_per_person,
            allocation_quantity=spec.allocation_quantity,
        )
        for spec in offers
    )
    RoundEvent.objects.create(
        round=supply_round, from_status=RoundStatus.DRAFT, to_status=RoundStatus.DRAFT, actor=by
    )
    return supply_round


@transaction.atomic
def round_propose(*, supply_round: SupplyRound, by: User) -> SupplyRound:
    """A group buy goes to staff for approval."""
    if supply_round.kind != RoundKind.GROUP_BUY:
        raise ApplicationError(_("Only group buys are proposed for approval."))
    _transition(supply_round, to=RoundStatus.PROPOSED, allowed_from=[RoundStatus.DRAFT], by=by)
    return supply_round


def group_buy_problems(supply_round: SupplyRound) -> list[str]:
    """What keeps a group buy from approval: licence, essential goods, a named leader."""
    problems = []
    if supply_round.leader_id is None:
        problems.append(_("A group buy needs a named group leader."))
    for offer in supply_round.offers.select_related("package_type__supplier"):
        package = offer.package_type
        if not package.supplier.licence_checked:
            problems.append(
                _("The licence of %(supplier)s has not been checked.")
                % {"supplier": package.supplier.name}
            )
        if not package.essential or package.category not in ESSENTIAL_CATEGORIES:
            problems.append(_("%(package)s is not an essential good.") % {"package": package.name})
    return list(dict.fromkeys(problems))


@transaction.atomic
def round_approve(*, supply_round: SupplyRound, by: User) -> SupplyRound:
    problems = group_buy_problems(supply_round)
    if problems:
        raise ApplicationError(" ".join(problems), extra={"problems": problems})
    supply_round.rejection_reason = ""
    supply_round.save(update_fields=["rejection_reason"])
    _transition(supply_round, to=RoundStatus.APPROVED, allowed_from=[RoundStatus.PROPOSED], by=by)
    return supply_round


@transaction.atomic
def round_reject(*, supply_round: SupplyRound, by: User, reason: str) -> SupplyRound:
    """Send a proposed group buy back to its leader as a draft, with the reason."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Give the leader a reason for the rejection."))
    _transition(
        supply_round, to=RoundStatus.DRAFT, allowed_from=[RoundStatus.PROPOSED], by=by, note=reason
    )
    supply_round.rejection_reason = reason
    supply_round.save(update_fields=["rejection_reason"])
    return supply_round


def _household_quantities(supply_round: SupplyRound, offers: list[Offer]):
    households = (
        Household.objects.filter(building__compound__in=supply_round.compounds.all())
        .exclude(orders__round=supply_round)
        .annotate(people=Count("residents"))
        .filter(people__gt=0)
        .order_by("pk")
    )
    per_person = supply_round.allocation_rule == AllocationRule.PER_PERSON
    for household in households:
        factor = household.people if per_person else 1
        yield household, {offer: offer.allocation_quantity * factor for offer in offers}


def _allocate(supply_round: SupplyRound, by: User) -> int:
    """One order per household in scope, stock taken for all of them at once."""
    offers = list(supply_round.offers.select_related("package_type").order_by("pk"))
    plan = list(_household_quantities(supply_round, offers))
    for offer in offers:
        needed = sum(quantities[offer] for _household, quantities in plan)
        if needed:
            try:
                take_stock(offer, needed)
            except ApplicationError as error:
                raise ApplicationError(
                    _("%(package)s: %(needed)d packs are needed but only %(stock)d are in stock.")
                    % {"package": offer.package_type.name, "needed": needed, "stock": offer.stock},
                    extra={"code": "short", "offer": offer.pk, "needed": needed},
                ) from error
    codes = unused_pickup_codes(len(plan))
    orders = Order.objects.bulk_create(
        (
            Order(
                household=household,
                round=supply_round,
                channel=Channel.ALLOCATION,
                pickup_code=code,
                payment_status=PaymentStatus.WAIVED,
                created_by=by,
                updated_by=by,
            )
            for (household, _quantities), code in zip(plan, codes, strict=True)
        ),
        batch_size=1000,
    )
    lines = OrderLine.objects.bulk_create(
        (
            OrderLine(order=order, offer=offer, quantity=quantity, unit_price=0)
            for order, (_household, quantities) in zip(orders, plan, strict=True)
            for offer, quantity in quantities.items()
            if quantity
        ),
        batch_size=2000,
    )
    history_snapshot(OrderLine, [line.pk for line in lines], kind=CREATED, by=by)
    OrderEvent.objects.bulk_create(
        (OrderEvent(order=order, kind=OrderEvent.Kind.PLACED, actor=by) for order in orders),
        batch_size=2000,
    )
    return len(orders)


@transaction.atomic
def round_open(*, supply_round: SupplyRound, by: User) -> SupplyRound:
    """Open a round for orders; an allocation round creates its orders now."""
    if supply_round.closes_at <= timezone.now():
        raise ApplicationError(_("The closing time has passed; set a later one first."))
    if supply_round.kind == RoundKind.GROUP_BUY:
        _transition(supply_round, to=RoundStatus.OPEN, allowed_from=[RoundStatus.APPROVED], by=by)
    else:
        _transition(supply_round, to=RoundStatus.OPEN, allowed_from=[RoundStatus.DRAFT], by=by)
        _allocate(supply_round, by)
    SupplyRound.objects.filter(pk=supply_round.pk).update(opens_at=timezone.now())
    return supply_round


@transaction.atomic
def round_close(*, supply_round: SupplyRound, by: User | None) -> SupplyRound:
    _transition(supply_round, to=RoundStatus.CLOSED, allowed_from=[RoundStatus.OPEN], by=by)
    transaction.on_commit(
        lambda: round_closed.send(sender=SupplyRound, supply_round=supply_round, by=by)
    )
    return supply_round


@transaction.atomic
def round_cancel(*, supply_round: SupplyRound, by: User, reason: str) -> SupplyRound:
    """Cancel a round that has not closed; its orders are cancelled with it."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Give a reason for cancelling the round."))
    _transition(
        supply_round,
        to=RoundStatus.CANCELLED,
        allowed_from=[
            RoundStatus.DRAFT,
            RoundStatus.PROPOSED,
            RoundStatus.APPROVED,
            RoundStatus.OPEN,
        ],
        by=by,
        note=reason,
    )
    placed = list(supply_round.orders.filter(status=OrderStatus.PLACED))
    # The packs go back on the shelf: the supplier may sell them in another round.
    taken = (
        OrderLine.objects.filter(order__in=placed)
        .values("offer")
        .annotate(quantity=Sum("quantity"))
        .order_by("offer")
    )
    offers = {offer.pk: offer for offer in supply_round.offers.all()}
    for row in taken:
        return_stock(offers[row["offer"]], row["quantity"])
    supply_round.orders.filter(pk__in=[o.pk for o in placed]).update(
        status=OrderStatus.CANCELLED, updated_by=by, updated_at=timezone.now()
    )
    OrderEvent.objects.bulk_create(
        OrderEvent(order=order, kind=OrderEvent.Kind.CANCELLED, actor=by, note=reason)
        for order in placed
    )
    return supply_round


def rounds_close_due(*, now: datetime.datetime | None = None) -> int:
    """Close every open round whose closing time has come (run by Celery beat)."""
    now = now or timezone.now()
    closed = 0
    for supply_round in SupplyRound.objects.filter(status=RoundStatus.OPEN, closes_at__lte=now):
        try:
            round_close(supply_round=supply_round, by=None)
        except ApplicationError:
            continue  # closed meanwhile by hand
        closed += 1
    return closed
