"""Reads of rounds and orders, scoped to who is asking.

Staff see their committees' rounds and the orders of their compounds' households; a group
leader the rounds they lead and those rounds' orders; a resident the open or closed rounds
serving their compound and their own household's orders."""

from django.contrib.auth.models import User
from django.db.models import Prefetch, Q, QuerySet

from residents.models import Committee, Compound, Household, Role, Street
from residents.selectors import (
    AnyUser,
    committees_staffed_by,
    committees_with_role,
    compounds_staffed_by,
)
from supplies.models import Offer, Order, OrderLine, PackageType, RoundStatus, Supplier, SupplyRound

VISIBLE_TO_RESIDENTS = (RoundStatus.OPEN, RoundStatus.CLOSED)


def rounds_visible_to(user: AnyUser) -> QuerySet[SupplyRound]:
    if not user.is_authenticated:
        return SupplyRound.objects.none()
    own_compounds = Household.objects.filter(account=user).values("building__compound")
    scope = (
        Q(committee__in=committees_staffed_by(user).values("pk"))
        | Q(leader=user)
        | Q(created_by=user)
        | Q(compounds__in=own_compounds, status__in=VISIBLE_TO_RESIDENTS)
    )
    visible = SupplyRound.objects.filter(scope).values("pk")
    return SupplyRound.objects.filter(pk__in=visible).select_related("committee", "leader")


def rounds_managed_by(user: AnyUser) -> QuerySet[SupplyRound]:
    """Rounds the user may approve, open, close or cancel: their committees' staff."""
    return SupplyRound.objects.filter(committee__in=committees_staffed_by(user).values("pk"))


def rounds_open_for(household: Household) -> QuerySet[SupplyRound]:
    return (
        SupplyRound.objects.filter(
            status=RoundStatus.OPEN, compounds=household.building.compound_id
        )
        .order_by("closes_at", "pk")
        .prefetch_related(
            Prefetch("offers", queryset=Offer.objects.select_related("package_type").order_by("pk"))
        )
    )


def orders_visible_to(user: AnyUser) -> QuerySet[Order]:
    if not user.is_authenticated:
        return Order.objects.none()
    scope = (
        Q(household__building__compound__in=compounds_staffed_by(user).values("pk"))
        | Q(round__leader=user)
        | Q(household__account=user)
    )
    return orders_with_lines(Order.objects.filter(scope))


def orders_with_lines(orders: QuerySet[Order]) -> QuerySet[Order]:
    """Orders with their round, household and lines, in fixed queries however many."""
    return orders.select_related("round", "household__building__compound").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.select_related("offer__package_type"))
    )


def suppliers_visible_to(user: AnyUser) -> QuerySet[Supplier]:
    """Staff and group leaders see the suppliers registered in their street."""
    if not user.is_authenticated:
        return Supplier.objects.none()
    committees = committees_staffed_by(user) | committees_with_role(user, Role.GROUP_LEADER)
    return Supplier.objects.filter(street__in=committees.values("street"))


def package_types_visible_to(user: AnyUser) -> QuerySet[PackageType]:
    return PackageType.objects.filter(
        supplier__in=suppliers_visible_to(user).values("pk")
    ).select_related("supplier")


def suppliers_managed_by(user: AnyUser) -> QuerySet[Supplier]:
    """Suppliers the user may change and licence-check: staff of the supplier's street."""
    return Supplier.objects.filter(street__in=committees_staffed_by(user).values("street"))


def package_types_managed_by(user: AnyUser) -> QuerySet[PackageType]:
    return PackageType.objects.filter(
        supplier__in=suppliers_managed_by(user).values("pk")
    ).select_related("supplier")


def streets_for_suppliers(user: AnyUser) -> QuerySet[Street]:
    """Streets in which the user may register a supplier: those they are staff of."""
    return Street.objects.filter(pk__in=committees_staffed_by(user).values("street"))


def compounds_for_rounds(user: AnyUser) -> QuerySet[Compound]:
    """Compounds a new round may serve: their committee's staff, or one of its group leaders."""
    committees = committees_staffed_by(user) | committees_with_role(user, Role.GROUP_LEADER)
    return Compound.objects.filter(committee__in=committees.values("pk")).select_related(
        "committee"
    )


def group_leaders_of(committee: Committee) -> QuerySet[User]:
    return User.objects.filter(
        memberships__role=Role.GROUP_LEADER, memberships__committee=committee
    ).distinct()


def orders_managed_by(user: AnyUser) -> QuerySet[Order]:
    """Orders whose payment the user may record: staff of the household, or the round's leader."""
    if not user.is_authenticated:
        return Order.objects.none()
    return Order.objects.filter(
        Q(household__building__compound__in=compounds_staffed_by(user).values("pk"))
        | Q(round__leader=user)
    )


def rounds_with_offers(rounds: QuerySet[SupplyRound]) -> QuerySet[SupplyRound]:
    """Rounds with their compounds and offers (and the offers' packages) in fixed queries."""
    return rounds.select_related("committee", "leader").prefetch_related(
        "compounds",
        Prefetch("offers", queryset=Offer.objects.select_related("package_type").order_by("pk")),
    )


def households_served_by(supply_round: SupplyRound) -> QuerySet[Household]:
    """Households of the compounds a round serves: those its leader may order for."""
    return Household.objects.filter(
        building__compound__in=supply_round.compounds.values("pk")
    ).select_related("building__compound")
