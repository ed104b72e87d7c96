"""The door and unit-entrance deliveries of a round's plan: one per order that is not picked
up, made and kept in step with the plan by key (see `deliveries.services.planning`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from deliveries.models import (
    DELIVERED_FULFILMENTS,
    Delivery,
    DeliveryEvent,
    DeliveryKind,
    DeliveryStatus,
    OrderPlan,
)
from supplies.models import OrderLine


def delivery_key(order_id: int) -> str:
    return f"{DeliveryKind.SUPPLY_ORDER}:{order_id}"


def _items(order_ids: Iterable[int]) -> dict[int, str]:
    items: dict[int, list[str]] = defaultdict(list)
    for order_id, name, quantity in (
        OrderLine.objects.filter(order__in=list(order_ids))
        .order_by("order", "offer")
        .values_list("order_id", "offer__package_type__name", "quantity")
    ):
        items[order_id].append(f"{name} × {quantity}")
    return {order_id: ", ".join(lines) for order_id, lines in items.items()}


def _wants_delivery(row: tuple[int, int, str, int | None]) -> bool:
    """Door and unit-entrance orders whose packs a point holds; without a point there is
    nothing for a volunteer to carry yet."""
    return row[2] in DELIVERED_FULFILMENTS and row[3] is not None


def deliveries_sync(
    orders: Sequence[tuple[int, int, str, int | None]], *, by, note: str
) -> tuple[int, int]:
    """Make the orders' Delivery rows agree with their fulfilment: (order, household,
    fulfilment, point). Door and unit-entrance orders get an open delivery (created, or a
    cancelled one opened again); pickup orders have theirs cancelled. Delivered ones are left
    alone. Returns (opened, cancelled); every change is recorded with who and when."""
    keys = {delivery_key(row[0]): row for row in orders}
    existing = {d.key: d for d in Delivery.objects.filter(key__in=list(keys))}
    wanted = [row for row in keys.values() if _wants_delivery(row)]
    items = _items(row[0] for row in wanted if delivery_key(row[0]) not in existing)
    created, changed, events = [], [], []
    for key, (order_id, household_id, fulfilment, point_id) in keys.items():
        delivery = existing.get(key)
        if _wants_delivery((order_id, household_id, fulfilment, point_id)):
            if delivery is None:
                created.append(
                    Delivery(
                        key=key,
                        kind=DeliveryKind.SUPPLY_ORDER,
                        household_id=household_id,
                        destination=fulfilment,
                        from_point_id=point_id,
                        items=items.get(order_id, ""),
                        created_by=by,
                    )
                )
                continue
            if delivery.status == DeliveryStatus.DELIVERED:
                continue
            before = delivery.status
            if (delivery.destination, delivery.from_point_id, before) == (
                fulfilment,
                point_id,
                DeliveryStatus.PLANNED,
            ):
                continue
            delivery.destination, delivery.from_point_id = fulfilment, point_id
            if before == DeliveryStatus.CANCELLED:
                delivery.status = DeliveryStatus.PLANNED
                events.append(
                    DeliveryEvent(
                        delivery=delivery,
                        from_status=before,
                        to_status=delivery.status,
                        actor=by,
                        note=note,
                    )
                )
            changed.append(delivery)
        elif delivery is not None and delivery.status in (
            DeliveryStatus.PLANNED,
            DeliveryStatus.FAILED,
        ):
            events.append(
                DeliveryEvent(
                    delivery=delivery,
                    from_status=delivery.status,
                    to_status=DeliveryStatus.CANCELLED,
                    actor=by,
                    note=note,
                )
            )
            delivery.status = DeliveryStatus.CANCELLED
            changed.append(delivery)
    Delivery.objects.bulk_create(created)
    events.extend(
        DeliveryEvent(delivery=d, to_status=DeliveryStatus.PLANNED, actor=by, note=note)
        for d in created
    )
    now = timezone.now()
    for delivery in changed:
        delivery.updated_at, delivery.updated_by = now, by
    Delivery.objects.bulk_update(
        changed, ["destination", "from_point", "status", "updated_at", "updated_by"]
    )
    DeliveryEvent.objects.bulk_create(events)
    if created:
        _link_deliveries([row[0] for row in orders])
    opened = sum(1 for event in events if event.to_status == DeliveryStatus.PLANNED)
    return opened, len(events) - opened


def _link_deliveries(order_ids: list[int]) -> None:
    """Point the orders' plans at their deliveries: the app that asks keeps the link."""
    OrderPlan.objects.filter(order__in=order_ids, delivery__isnull=True).update(
        delivery=Subquery(
            Delivery.objects.filter(
                key=Concat(
                    Value(f"{DeliveryKind.SUPPLY_ORDER}:"),
                    Cast(OuterRef("order_id"), CharField()),
                )
            ).values("pk")[:1]
        )
    )
