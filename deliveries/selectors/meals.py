"""Reads of meals for the elderly: enrolments, the day's meal deliveries and the residents
who qualify, in the staff's compounds."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import (
    Q,
    QuerySet,
)
from django.utils import timezone

from deliveries.models import (
    OPEN_MEAL_STATUSES,
    REDUCED_MOBILITY_CARE_LEVEL,
    Delivery,
    DeliveryKind,
    MealEnrolment,
)
from residents.models import Resident
from residents.selectors import compounds_staffed_by, residents_vulnerable

AnyUser = User | AnonymousUser


def meal_enrolments_visible_to(user: AnyUser) -> QuerySet[MealEnrolment]:
    """Meal enrolments of the residents of the compounds the user is staff of."""
    return MealEnrolment.objects.filter(
        resident__household__building__compound__in=compounds_staffed_by(user).values("pk")
    ).select_related("resident__household__building__compound", "decided_by")


def meal_deliveries_of_day(user: AnyUser, day) -> QuerySet[Delivery]:
    """The day's meal deliveries in the user's compounds, with their volunteer."""
    return Delivery.objects.filter(
        kind=DeliveryKind.MEAL,
        key__startswith="meal:",
        key__endswith=f":{day.isoformat()}",
        household__building__compound__in=compounds_staffed_by(user).values("pk"),
    ).select_related("household__building__compound", "volunteer")


def meal_candidates_for(user: AnyUser) -> QuerySet[Resident]:
    """The committee's elderly or vulnerable residents without an open enrolment."""
    today = timezone.localdate()
    try:
        eighty = today.replace(year=today.year - 80)
    except ValueError:  # 29 February, and 80 years ago was not a leap year
        eighty = today.replace(year=today.year - 80, day=28)
    residents = Resident.objects.filter(
        household__building__compound__in=compounds_staffed_by(user).values("pk")
    ).select_related("household__building__compound")
    elderly = (
        Q(birth_date__lte=eighty)
        | Q(care_level__gte=REDUCED_MOBILITY_CARE_LEVEL)
        | Q(pk__in=residents_vulnerable(residents).values("pk"))
    )
    return (
        residents.filter(elderly)
        .exclude(meal_enrolments__status__in=OPEN_MEAL_STATUSES)
        .order_by("household__building__label", "household__unit", "household__room", "pk")
    )
