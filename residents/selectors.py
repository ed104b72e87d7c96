"""Reads of the register, always starting from what the asking user may see.

Scope: superusers see everything; street staff their street's compounds; committee staff,
volunteers and group leaders their committee's compounds; residents their own household.
Only staff (street or committee) see households and residents of a compound."""

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Length

from residents.models import (
    STAFF_ROLES,
    VULNERABILITY_NEEDS,
    Building,
    ClosureChange,
    ClosureLevel,
    Committee,
    Compound,
    Household,
    LoginBatch,
    Membership,
    Resident,
    ResidentNeed,
    Role,
)

AnyUser = User | AnonymousUser

# Labels in the order people count them: 2 before 10, and 12号楼 after 9.
BUILDING_ORDER = (Length("label"), "label")


def room_order(room: str = "room") -> tuple:
    """Rooms by floor, then room, numerically: 101 … 104, 201 …, 1001 (a shorter number is a
    lower floor). The volunteer's list, the loudspeaker call list and the pickup slots all
    walk rooms in this order; any text ("B2-03") sorts, after the numbers of its length."""
    return (Length(room), room)


def _committees_for_roles(user: AnyUser, roles) -> QuerySet[Committee]:
    if not user.is_authenticated:
        return Committee.objects.none()
    if user.is_superuser:
        return Committee.objects.all()
    memberships = Membership.objects.filter(user=user, role__in=roles)
    streets = memberships.filter(role=Role.STREET_STAFF).values("street_id")
    committees = memberships.exclude(role=Role.STREET_STAFF).values("committee_id")
    return Committee.objects.filter(Q(street__in=streets) | Q(pk__in=committees))


def _compounds_for_roles(user: AnyUser, roles) -> QuerySet[Compound]:
    if user.is_authenticated and user.is_superuser:
        return Compound.objects.all()
    return Compound.objects.filter(committee__in=_committees_for_roles(user, roles).values("pk"))


def committees_with_role(user: AnyUser, role: str) -> QuerySet[Committee]:
    """Committees in which the user holds `role` (a volunteer's, a group leader's)."""
    return _committees_for_roles(user, [role])


def committees_staffed_by(user: AnyUser) -> QuerySet[Committee]:
    """Committees whose staff the user is, directly or as staff of their street."""
    return _committees_for_roles(user, STAFF_ROLES)


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


def vulnerable_member(household: str = "pk") -> Exists:
    """True when a resident of the household (the outer query's `household` field) is
    vulnerable; annotate with it to avoid a query per household."""
    return Exists(
        ResidentNeed.objects.filter(
            resident__household=OuterRef(household), need__in=VULNERABILITY_NEEDS
        )
    )


def households_staffed_by(user: AnyUser) -> QuerySet[Household]:
    """Households of the compounds the user is staff of, without the list annotations."""
    return Household.objects.filter(building__compound__in=compounds_staffed_by(user).values("pk"))


def households_visible_to(user: AnyUser) -> QuerySet[Household]:
    """Staff see their compounds' households; a resident sees only their own."""
    if not user.is_authenticated:
        return Household.objects.none()
    scope = Q(building__compound__in=compounds_staffed_by(user).values("pk")) | Q(account=user)
    return (
        Household.objects.filter(scope)
        .select_related("building__compound")
        .annotate(is_vulnerable=vulnerable_member())
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
    return households.filter(vulnerable_member())


def buildings_with_counts(buildings: QuerySet[Building]) -> QuerySet[Building]:
    """Each building with its household, resident and vulnerable-household counts, in one query."""
    vulnerable = Household.objects.filter(vulnerable_member()).values("pk")
    return buildings.annotate(
        household_count=Count("households", distinct=True),
        resident_count=Count("households__residents", distinct=True),
        vulnerable_household_count=Count(
            "households", filter=Q(households__in=vulnerable), distinct=True
        ),
    ).order_by(*BUILDING_ORDER)


def closure_changes_recent(*, compound: Compound, limit: int = 20) -> QuerySet[ClosureChange]:
    return (
        ClosureChange.objects.filter(building__compound=compound)
        .select_related("building", "changed_by")
        .order_by("-changed_at", "-pk")[:limit]
    )


@dataclass(frozen=True)
class CompoundOverview:
    buildings: list[Building]
    households: int
    residents: int
    vulnerable_households: int
    levels: list[tuple[str, str, int]]  # (level, label, number of buildings)
    recent_changes: list[ClosureChange]


def compound_overview(*, compound: Compound) -> CompoundOverview:
    """The staff overview of a compound, in a fixed number of queries whatever its size."""
    buildings = list(buildings_with_counts(compound.buildings.all()))
    by_level = dict.fromkeys(ClosureLevel.values, 0)
    for building in buildings:
        by_level[building.closure_level] += 1
    return CompoundOverview(
        buildings=buildings,
        households=sum(b.household_count for b in buildings),
        residents=sum(b.resident_count for b in buildings),
        vulnerable_households=sum(b.vulnerable_household_count for b in buildings),
        levels=[(level, label, by_level[level]) for level, label in ClosureLevel.choices],
        recent_changes=list(closure_changes_recent(compound=compound)),
    )


def login_batches_visible_to(user: AnyUser) -> QuerySet[LoginBatch]:
    """Batches of household logins of the committees the user staffs."""
    return LoginBatch.objects.filter(committee__in=committees_staffed_by(user).values("pk"))
