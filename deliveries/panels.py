"""The deliveries panel of the volunteer's home page (see `core.panels`)."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q
from django.utils import timezone

from deliveries.models import Delivery, DeliveryStatus
from deliveries.services.pickups import points_at_gate
from volunteers.models import Volunteer


def volunteer_today(volunteer: Volunteer, now: datetime.datetime) -> dict:
    """Deliveries left and done today, in one query, and the points the volunteer may hand
    packs over at now (on a supply shift at a compound with points), in three."""
    since = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    done = Q(status__in=(DeliveryStatus.DELIVERED, DeliveryStatus.FAILED), done_at__gte=since)
    counts = Delivery.objects.filter(volunteer=volunteer).aggregate(
        left=Count("pk", filter=Q(status=DeliveryStatus.PLANNED)), done=Count("pk", filter=done)
    )
    return {
        "template": "deliveries/_volunteer_today.html",
        "left": counts["left"],
        "done": counts["done"],
        "gate_points": list(points_at_gate(volunteer.user, at=now)),
    }
