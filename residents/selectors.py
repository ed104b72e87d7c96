"""Reads of the register, always starting from what the asking user may see.

Scope: superusers see everything; street staff their street's compounds; committee staff,
volunteers and group leaders their committee's compounds; residents their own household.
Only staff (street or committee) see households and residents of a compound."""

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from residents.models import (
    STAFF_ROLES,
    VULNERABILITY_NEEDS,
    Building,
    ClosureChange,
    Compound,
    Household,
    Membership,
    Resident,
    ResidentNeed,
    Role,
)

AnyUser = User | AnonymousUser


def _compounds_for_roles(user: AnyUser, roles) -> QuerySet[Compound]:
    if not user.is_authenticated:
        return Compound.objects.none()
    if user.is_superuser:
        return Compound.objects.all()
    memberships = Membership.objects.filter(user=user, role__in=roles)
    streets = memberships.filter(role=Role.STREET_STAFF).values("street_id")
    committees = memberships.exclude(role=Role.STREET_STAFF).values("committee_id")
    return Compound.objects.filter(Q(committee__street__in=streets) | Q(committee__in=committees))


def compounds_staffed_by(user: AnyUser) -> QuerySet[Compound]:
    """Compounds whose register the user may read and change: street and committee staff."""
    return _compounds_for_roles(user, STAFF_ROLES)


def compounds_visible_to(user: AnyUser) -> QuerySet[Compound]:
    """Compounds the user may see at all: staff, volunteers, leaders, and a resident's own."""
    visible = _compounds_for_roles(user, Role.values)
    if user.is_authenticated and not user.is_superuser:
        own = Household.objects.filter(account=user).values("building__compound_id")
        visible = Compound.objects.filter(Q(pk__in=visible.values("pk")) | Q(pk__in=own))
    return visible.select_related("committee__street")


def user_is_staff_member(user: AnyUser) -> bool:
    return user.is_authenticated and (
        user.is_superuser or Membership.objects.filter(user=user, role__in=STAFF_ROLES).exists()
    )


def buildings_visible_to(user: AnyUser) -> QuerySet[Building]:
    return Building.objects.filter(
        compound__in=compounds_visible_to(user).values("pk")
    ).select_related("compound")


def buildings_staffed_by(user: AnyUser) -> QuerySet[Building]:
    return Building.objects.filter(
        compound__in=compounds_staffed_by(user).values("pk")
    ).select_related("compound")


def _vulnerable_member() -> Exists:
    return Exists(
        ResidentNeed.objects.filter(
            resident__household=OuterRef("pk"), need__in=VULNERABILITY_NEEDS
        )
    )


def households_visible_to(user: AnyUser) -> QuerySet[Household]:
    """Staff see their compounds' households; a resident sees only their own."""
    if not user.is_authenticated:
        return Household.objects.none()
    scope = Q(building__compound__in=compounds_staffed_by(user).values("pk")) | Q(account=user)
    return (
        Household.objects.filter(scope)
        .select_related("building__compound")
        .annotate(is_vulnerable=_vulnerable_member())
    )


def residents_visible_to(user: AnyUser) -> QuerySet[Resident]:
    if not user.is_authenticated:
        return Resident.objects.none()
    scope = Q(household__building__compound__in=compounds_staffed_by(user).values("pk")) | Q(
        household__account=user
    )
    return (
        Resident.objects.filter(scope)
        .select_related("household__building__compound")
        .prefetch_related("needs")
    )


def residents_vulnerable(residents: QuerySet[Resident]) -> QuerySet[Resident]:
    return residents.filter(
        Exists(ResidentNeed.objects.filter(resident=OuterRef("pk"), need__in=VULNERABILITY_NEEDS))
    )


def households_vulnerable(households: QuerySet[Household]) -> QuerySet[Household]:
    return households.filter(_vulnerable_member())


def buildings_with_counts(buildings: QuerySet[Building]) -> QuerySet[Building]:
    """Each building with its household, resident and vulnerable-household counts, in one query."""
    vulnerable = Household.objects.filter(_vulnerable_member()).values("pk")
    return buildings.annotate(
        household_count=Count("households", distinct=True),
        resident_count=Count("households__residents", distinct=True),
        vulnerable_household_count=Count(
            "households", filter=Q(households__in=vulnerable), distinct=True
        ),
    ).order_by("label")


def closure_changes_recent(*, compound: Compound, limit: int = 20) -> QuerySet[ClosureChange]:
    return (
        ClosureChange.objects.filter(building__compound=compound)
        .select_related("building", "changed_by")
        .order_by("-changed_at", "-pk")[:limit]
    )
