"""Reads of rounds and orders, scoped to who is asking.

Staff see their committees' rounds and the orders of their compounds' households; a group
leader the rounds they lead and those rounds' orders; a resident the open or closed rounds
serving their compound and their own household's orders."""

from django.db.models import Prefetch, Q, QuerySet

from residents.models import Household, Role
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
    return (
        Order.objects.filter(scope)
        .select_related("round", "household__building__compound")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("offer__package_type"))
        )
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
