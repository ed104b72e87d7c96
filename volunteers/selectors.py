"""Reads of volunteers and shifts, starting from what the asking user may see."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet

from residents.models import Compound
from volunteers.models import SignupStatus, Volunteer, VolunteerStatus


def volunteer_of(user) -> Volunteer | None:
    """The volunteer record of a login, or None."""
    if not user.is_authenticated:
        return None
    return Volunteer.objects.filter(user=user).first()


def volunteers_on_shift(
    *, compound: Compound, workgroup: str, start: datetime.datetime, end: datetime.datetime
) -> QuerySet[Volunteer]:
    """Approved volunteers signed up for a shift of `workgroup` in `compound` that overlaps
    [start, end), each once, in a stable order."""
    return (
        Volunteer.objects.filter(
            status=VolunteerStatus.APPROVED,
            signups__status=SignupStatus.SIGNED_UP,
            signups__shift__compound=compound,
            signups__shift__workgroup=workgroup,
            signups__shift__cancelled_at=None,
            signups__shift__start__lt=end,
            signups__shift__end__gt=start,
        )
        .distinct()
        .order_by("pk")
    )
