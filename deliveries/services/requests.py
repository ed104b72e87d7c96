"""Asking for a delivery to a door: the one way another app (medicine bought for a resident,
the day's meals for the elderly) gets packs carried, idempotent by the asker's key.

The asking app names what it asks for in `key` ("medicine:12", "meal:4:2022-04-12"); asking
twice, or from two workers at once, makes one delivery with one "planned" event. How it ends
comes back through `deliveries.signals.delivery_finished`, so that `deliveries` never needs to
know why a delivery exists. (A round's plan makes its own deliveries with their order plans,
in `planning`.)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from deliveries.models import Delivery, DeliveryEvent, DeliveryStatus, Fulfilment
from volunteers.models import Volunteer


@dataclass(frozen=True)
class DeliveryAsk:
    key: str
    kind: str
    household_id: int
    items: str
    items_wording: dict | None = None  # how to say `items` in the reader's language
    notes: str = ""
    volunteer: Volunteer | None = None  # given to this volunteer at once


@transaction.atomic
def deliveries_request(
    asks: Sequence[DeliveryAsk], *, by: User | None, note: str = ""
) -> list[Delivery]:
    """A door delivery for each ask whose key has none yet, each with its "planned" event
    (`note`). Returns the deliveries made now; an ask whose key exists changes nothing."""
    now = timezone.now()
    fresh = [
        Delivery(
            key=ask.key,
            kind=ask.kind,
            household_id=ask.household_id,
            destination=Fulfilment.DOOR,
            items=ask.items,
            items_wording=ask.items_wording or {},
            notes=ask.notes[:300],
            volunteer=ask.volunteer,
            assigned_at=now if ask.volunteer else None,
            assigned_by=by if ask.volunteer else None,
            created_by=by,
            updated_by=by,
        )
        for ask in asks
    ]
    Delivery.objects.bulk_create(fresh, ignore_conflicts=True)
    # ignore_conflicts leaves no pks: read back the ones this call made (still without events).
    made = list(
        Delivery.objects.filter(key__in=[ask.key for ask in asks], events__isnull=True).order_by(
            "pk"
        )
    )
    DeliveryEvent.objects.bulk_create(
        DeliveryEvent(delivery=d, to_status=DeliveryStatus.PLANNED, actor=by, at=now, note=note)
        for d in made
    )
    return made


def delivery_request(ask: DeliveryAsk, *, by: User | None, note: str = "") -> Delivery:
    """The one delivery of `ask.key`, made now or before."""
    deliveries_request([ask], by=by, note=note)
    return Delivery.objects.get(key=ask.key)
