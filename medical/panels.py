"""The medicine panel of the volunteer's home page and the no-contact box of the compound
overview (see `core.panels`)."""

from __future__ import annotations

import datetime

from medical.models import FINISHED_STATUSES, MedicineRequest
from medical.selectors import custody_held_by, no_contact_48h, vulnerable_register
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


def no_contact(user, compound) -> dict:
    """The vulnerable residents the user may see who had no contact in 48 hours (the same box
    as `{% no_contact_box %}` on any staff page)."""
    return {
        "template": "medical/_no_contact_panel.html",
        "no_contact": no_contact_48h(vulnerable_register(user)),
    }
