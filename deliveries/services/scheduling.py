"""Pickup slots, the second step of planning a round (see `deliveries.services.planning`):
each point's pickup households called down in slots under its crowd cap (`deliveries.slots`),
saved point by point, then every household told how its packs reach it."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.jobs import Progress
from deliveries import wordings as words
from deliveries.models import (
    CollectionPoint,
    Fulfilment,
    OrderPlan,
    PickupSlot,
    RoundPlan,
    Unplaced,
)
from deliveries.services.plan_notices import households_notify
from deliveries.services.planning import (
    in_chunks,
    require_plannable,
    round_lock,
)
from deliveries.slots import PickupUnit, PointPickups, Schedule, plan_pickup_slots
from residents.selectors import room_order
from supplies.models import SupplyRound


@dataclass(frozen=True)
class PointSchedule:
    point: CollectionPoint
    schedule: Schedule
    slot_plans: list[list[int]]  # per slot index: the OrderPlan ids called in it
    unplaced_plans: list[int]


def window_of(
    point: CollectionPoint, day: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_default_timezone()
    return (
        timezone.make_aware(datetime.datetime.combine(day, point.opens_at), zone),
        timezone.make_aware(datetime.datetime.combine(day, point.closes_at), zone),
    )


def schedule_compute(supply_round: SupplyRound, day: datetime.date) -> list[PointSchedule]:
    """Schedule the pickup households of every point of the round; reads only."""
    rows = (
        OrderPlan.objects.filter(
            round=supply_round, fulfilment=Fulfilment.PICKUP, point__isnull=False
        )
        .order_by(
            "point_id", "building__label", "household__unit", *room_order("household__room"), "pk"
        )
        .values_list(
            "pk",
            "point_id",
            "building__label",
            "building__position_x",
            "building__position_y",
            "household__unit",
        )
    )
    by_point: dict[int, dict[tuple[str, int], list[int]]] = defaultdict(dict)
    where: dict[str, tuple[float | None, float | None]] = {}
    for plan_id, point_id, label, x, y, unit in rows:
        by_point[point_id].setdefault((label, unit), []).append(plan_id)
        where[label] = (x, y)
    points = CollectionPoint.objects.in_bulk(list(by_point))
    schedules = []
    for point_id in sorted(by_point):
        point, units = points[point_id], by_point[point_id]
        # A building not placed on the plan is called as if it stood at the point.
        position = {
            label: (x, y)
            if x is not None and y is not None
            else (point.position_x, point.position_y)
            for label, (x, y) in where.items()
        }
        start, end = window_of(point, day)
        schedule = plan_pickup_slots(
            PointPickups(
                x=point.position_x,
                y=point.position_y,
                window_start=start,
                window_end=end,
                slot_length=datetime.timedelta(minutes=point.slot_minutes),
                cap=point.crowd_cap,
                units=[
                    PickupUnit(label, unit, *position[label], people=len(plans))
                    for (label, unit), plans in units.items()
                ],
            )
        )
        waiting = {key: list(plans) for key, plans in units.items()}
        slot_plans = []
        for slot in schedule.slots:
            called = []
            for call in slot.calls:
                queue = waiting[(call.building, call.unit)]
                called.extend(queue[: call.people])
                del queue[: call.people]
            slot_plans.append(called)
        unplaced = [plan for queue in waiting.values() for plan in queue]
        schedules.append(PointSchedule(point, schedule, slot_plans, unplaced))
    return schedules


def schedule_run(round_id: int, progress: Progress) -> tuple[dict, str]:
    supply_round = SupplyRound.objects.get(pk=round_id)
    require_plannable(supply_round)
    plan = RoundPlan.objects.filter(round=supply_round, allocated_at__isnull=False).first()
    if plan is None:
        raise ApplicationError(
            _("Allocate the round to collection points before scheduling pickups.")
        )
    progress(5, words.SCHEDULING())
    schedules = schedule_compute(supply_round, plan.pickup_date)
    progress(30, words.SAVING_SLOTS())
    summary = schedule_save(supply_round, plan, schedules, progress=progress)
    progress(95, words.SENDING_NOTICES())
    households_notify(supply_round)
    message = words.SCHEDULE_DONE(
        slots=summary["slots"],
        points=len(summary["points"]),
        unplaced=summary["unplaced_households"],
    )
    return summary, message


def schedule_save(
    supply_round: SupplyRound,
    plan: RoundPlan,
    schedules: list[PointSchedule],
    *,
    progress: Progress | None = None,
) -> dict:
    points = []
    for number, entry in enumerate(schedules, 1):
        with transaction.atomic():
            round_lock(supply_round)
            _save_point(supply_round, entry)
        points.append(_point_summary(entry))
        if progress:
            progress(30 + 65 * number // len(schedules), entry.point.name)
    with transaction.atomic():
        round_lock(supply_round)
        scheduled = [entry.point.pk for entry in schedules]
        # Points that no longer have anyone to call lose their slots.
        OrderPlan.objects.filter(round=supply_round).exclude(fulfilment=Fulfilment.PICKUP).exclude(
            slot=None
        ).update(slot=None)
        PickupSlot.objects.filter(round=supply_round).exclude(point__in=scheduled).delete()
        summary = {
            "pickup_date": plan.pickup_date.isoformat(),
            "slots": sum(len(entry.schedule.slots) for entry in schedules),
            "unplaced_households": sum(len(entry.unplaced_plans) for entry in schedules),
            "points": points,
        }
        RoundPlan.objects.filter(pk=plan.pk).update(
            scheduled_at=timezone.now(), schedule=summary, updated_at=timezone.now()
        )
    return summary


def _save_point(supply_round: SupplyRound, entry: PointSchedule) -> None:
    point, schedule = entry.point, entry.schedule
    PickupSlot.objects.bulk_create(
        [
            PickupSlot(
                round=supply_round, point=point, index=slot.index, start=slot.start, end=slot.end
            )
            for slot in schedule.slots
        ],
        update_conflicts=True,
        unique_fields=["round", "point", "index"],
        update_fields=["start", "end"],
    )
    slot_ids = dict(
        PickupSlot.objects.filter(round=supply_round, point=point).values_list("index", "pk")
    )
    for index, plans in enumerate(entry.slot_plans):
        OrderPlan.objects.filter(pk__in=plans).exclude(slot_id=slot_ids[index], unplaced="").update(
            slot_id=slot_ids[index], unplaced="", updated_at=timezone.now()
        )
    for plans in in_chunks(entry.unplaced_plans, 1000):
        OrderPlan.objects.filter(pk__in=plans).update(
            slot=None, unplaced=Unplaced.WINDOW_TOO_SHORT, updated_at=timezone.now()
        )
    PickupSlot.objects.filter(
        round=supply_round, point=point, index__gte=len(schedule.slots)
    ).delete()


def _point_summary(entry: PointSchedule) -> dict:
    schedule = entry.schedule
    return {
        "id": entry.point.pk,
        "name": entry.point.name,
        "people": schedule.people,
        "slots": len(schedule.slots),
        "lower_bound": schedule.lower_bound,
        "window_slots": schedule.window_slots,
        "splits": [
            {"building": s.building, "unit": s.unit, "people": s.people, "reason": s.reason}
            for s in schedule.splits
        ],
        "unplaced": [
            {"building": u.building, "unit": u.unit, "people": u.people} for u in schedule.unplaced
        ],
        "slots_short": schedule.slots_short,
        "minutes_short": int(schedule.time_short.total_seconds() // 60),
    }
