"""What each household of a planned round is told: its point, slot and pickup code, or that
its packs come to its door; told once per change (see `deliveries.services.planning`)."""

from __future__ import annotations

import dataclasses

from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from core.codes import code_display
from core.notifications import NoticeSpec, notify
from deliveries import wordings as words
from deliveries.models import (
    Fulfilment,
    OrderPlan,
    Unplaced,
)
from supplies.models import SupplyRound


def plan_notice(plan: OrderPlan) -> NoticeSpec:
    """What a household is told about one order's plan. The key names what it is told (see
    `households_notify`), so the same plan is never told twice and a changed one is."""
    order, household = plan.order, plan.household
    title = plan.round.title
    if plan.unplaced == Unplaced.NO_CAPACITY:
        # No point holds the packs: promising a door delivery or a slot would be false.
        key = f"{order.pk}:unplaced:{plan.unplaced}"
        said = words.PLAN_UNPLACED(round=title, reason=plan.unplaced)
    elif plan.fulfilment == Fulfilment.PICKUP and plan.slot:
        slot = plan.slot
        key = f"{order.pk}:pickup:{slot.point_id}:{slot.start:%Y%m%d%H%M}"
        said = words.PLAN_PICKUP(
            round=title,
            point=plan.point.name if plan.point else "",
            start=slot.start.isoformat(),
            end=slot.end.isoformat(),
            code=code_display(order.pickup_code),
        )
    elif plan.fulfilment == Fulfilment.DOOR:
        key = f"{order.pk}:door"
        said = words.PLAN_DOOR(round=title)
    elif plan.fulfilment == Fulfilment.UNIT_ENTRANCE:
        key = f"{order.pk}:unit_entrance"
        said = words.PLAN_UNIT_ENTRANCE(round=title, unit=household.unit)
    else:
        key = f"{order.pk}:unplaced:{plan.unplaced}"
        said = words.PLAN_UNPLACED(round=title, reason=plan.unplaced)
    return NoticeSpec(
        said=said,
        key=key,
        recipient_id=household.account_id,
        phone=household.contact_phone,
        link=reverse("order-detail", args=[order.pk]),
    )


def households_notify(supply_round: SupplyRound, *, plans: Q | None = None) -> int:
    """Tell the households of the round (or of `plans`) how their packs reach them, when it
    differs from what they were last told (`OrderPlan.notified`).

    Each notice's key counts the times the household was told ("plan:<order>:<n>") and is
    stored with the new `notified` in one transaction: a run that dies and runs again tells
    nobody twice, and a plan that changes and comes back (slot A, B, then A) is told each
    time."""
    queryset = OrderPlan.objects.filter(round=supply_round, handed_over_at__isnull=True)
    if plans is not None:
        queryset = queryset.filter(plans)
    queryset = queryset.select_related("order", "household", "point", "slot", "round").order_by(
        "pk"
    )
    specs, told = [], []
    for plan in queryset.iterator(chunk_size=2000):
        spec = plan_notice(plan)
        if spec.key == plan.notified:
            continue
        plan.notified, plan.times_told = spec.key, plan.times_told + 1
        specs.append(dataclasses.replace(spec, key=f"plan:{plan.order_id}:{plan.times_told}"))
        told.append(plan)
    with transaction.atomic():
        new = notify(specs)
        OrderPlan.objects.bulk_update(told, ["notified", "times_told"], batch_size=1000)
    return new
