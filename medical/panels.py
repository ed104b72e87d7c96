"""The medicine panel of the volunteer's home page (see `volunteers.panels`)."""

from __future__ import annotations

import datetime

from medical.models import FINISHED_STATUSES, MedicineRequest
from medical.selectors import custody_held_by
from volunteers.models import Volunteer


def volunteer_today(volunteer: Volunteer, now: datetime.datetime) -> dict:
    """The volunteer's open medicine errands and the cards and booklets they hold, in two
    queries."""
    errands = MedicineRequest.objects.filter(volunteer=volunteer).exclude(
        status__in=FINISHED_STATUSES
    )
    return {
        "template": "medical/_volunteer_today.html",
        "errands": errands.count(),
        "held": custody_held_by(volunteer).count(),
    }
