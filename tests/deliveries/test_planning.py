"""The plan of a closed round (deliveries.services.planning, run by deliveries.tasks):
fulfilment by closure level, allocation of orders to collection points, the door and
unit-entrance deliveries, pickup slots, the notices to households, and the round_closed signal.

The `estate` fixture: building 1 near the north gate (precaution, one vulnerable household),
2 near the south gate (controlled), 3 in the middle (sealed); two units of two households each;
one order of 3 packs per household. Points: 20 packs, 3 people a slot, 09:00–10:00, 15 minutes."""

import datetime
import zoneinfo
from collections import Counter, defaultdict

import pytest
from django.db.models import Count

from core.codes import code_display
from core.exceptions import ApplicationError
from core.jobs import job_create, subject_of
from core.models import Job, JobStatus, Notice
from deliveries import tasks
from deliveries.models import (
    DELIVERED_FULFILMENTS,
    CollectionPoint,
    ControlledPolicy,
    Delivery,
    DeliveryEvent,
    DeliveryStatus,
    Fulfilment,
    FulfilmentReason,
    OrderPlan,
    PickupSlot,
    RoundPlan,
    Unplaced,
)
from deliveries.services import allocating, door_deliveries, planning
from deliveries.services.planning import ALLOCATE, SCHEDULE, fulfilment_for
from deliveries.services.points import policy_set
from residents.models import Building, ClosureLevel, Household
from supplies.models import Channel, Order, OrderLine, OrderStatus
from supplies.services.orders import order_place
from supplies.services.rounds import round_close
from tests.factories import HouseholdFactory, UserFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
ITEMS = "蔬菜包 × 2, 肉蛋包 × 1"


def allocate(supply_round, job: Job | None = None):
    return tasks.allocate_round(
        supply_round.pk, job_id=job.pk if job else None, then_schedule=False
    )


def schedule(supply_round):
    return tasks.schedule_pickups(supply_round.pk)


def last_job(supply_round, kind: str) -> Job:
    return Job.objects.filter(subject=subject_of(supply_round), kind=kind).first()


def plans(supply_round):
    return OrderPlan.objects.filter(round=supply_round).select_related(
        "household", "building", "order", "point", "slot", "delivery"
    )


def address(plan: OrderPlan) -> tuple[str, int, str]:
    return plan.building.label, plan.household.unit, plan.household.room


def snapshot(supply_round) -> dict:
    """Every row the plan of a round is made of, without the times rows were written."""
    return {
        "plans": list(
            OrderPlan.objects.filter(round=supply_round)
            .order_by("pk")
            .values_list(
                "pk",
                "order_id",
                "household_id",
                "building_id",
                "packs",
                "fulfilment",
                "reason",
                "point_id",
                "slot_id",
                "unplaced",
                "delivery_id",
                "handed_over_at",
            )
        ),
        "deliveries": list(
            Delivery.objects.order_by("pk").values_list(
                "pk",
                "key",
                "kind",
                "household_id",
                "destination",
                "from_point_id",
                "items",
                "status",
            )
        ),
        "events": list(
            DeliveryEvent.objects.order_by("pk").values_list(
                "pk", "delivery_id", "from_status", "to_status", "actor_id"
            )
        ),
        "slots": list(
            PickupSlot.objects.filter(round=supply_round)
            .order_by("pk")
            .values_list("pk", "point_id", "index", "start", "end")
        ),
        "notices": list(Notice.objects.order_by("pk").values_list("pk", "key")),
    }


def by_order(supply_round) -> dict:
    """The plan keyed by order, without primary keys: to compare two runs' results."""
    result = {}
    for plan in plans(supply_round):
        delivery = plan.delivery
        result[plan.order_id] = (
            plan.fulfilment,
            plan.reason,
            plan.point_id,
            plan.unplaced,
            plan.packs,
            delivery
            and (delivery.key, delivery.destination, delivery.from_point_id, delivery.items),
            delivery and delivery.status,
            delivery and list(delivery.events.values_list("from_status", "to_status")),
        )
    return result


@pytest.fixture
def allocated(closed_round, points):
    allocate(closed_round)
    return closed_round


@pytest.fixture
def scheduled(allocated):
    schedule(allocated)
    return allocated


# --- fulfilment ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "vulnerable", "controlled", "expected"),
    [
        (ClosureLevel.SEALED, False, ControlledPolicy.PICKUP, ("door", "sealed")),
        (ClosureLevel.SEALED, True, ControlledPolicy.UNIT_ENTRANCE, ("door", "sealed")),
        (ClosureLevel.CONTROLLED, True, ControlledPolicy.PICKUP, ("door", "vulnerable")),
        (ClosureLevel.CONTROLLED, True, ControlledPolicy.UNIT_ENTRANCE, ("door", "vulnerable")),
        (ClosureLevel.PRECAUTION, True, ControlledPolicy.PICKUP, ("door", "vulnerable")),
        (ClosureLevel.CONTROLLED, False, ControlledPolicy.PICKUP, ("pickup", "controlled")),
        (
            ClosureLevel.CONTROLLED,
            False,
            ControlledPolicy.UNIT_ENTRANCE,
            ("unit_entrance", "controlled"),
        ),
        (ClosureLevel.PRECAUTION, False, ControlledPolicy.PICKUP, ("pickup", "precaution")),
        (ClosureLevel.PRECAUTION, False, ControlledPolicy.UNIT_ENTRANCE, ("pickup", "precaution")),
    ],
)
def test_fulfilment_follows_the_level_the_household_and_the_policy(
    level, vulnerable, controlled, expected
):
    assert fulfilment_for(level, vulnerable=vulnerable, controlled=controlled) == expected


# --- allocation ------------------------------------------------------------------------------


def test_it_gives_every_placed_order_exactly_one_plan(closed_round, points):
    result = allocate(closed_round)

    placed = set(
        Order.objects.filter(round=closed_round, status=OrderStatus.PLACED).values_list(
            "pk", flat=True
        )
    )
    planned = list(OrderPlan.objects.filter(round=closed_round).values_list("order_id", flat=True))
    assert len(placed) == 12
    assert sorted(planned) == sorted(placed)
    assert all(plan.packs == 3 and not plan.unplaced for plan in plans(closed_round))
    job = last_job(closed_round, ALLOCATE)
    assert (job.status, job.percent, job.message) == (
        JobStatus.SUCCEEDED,
        100,
        "12 orders planned, 0 without a point.",
    )
    assert result == job.result
    assert result["orders"] == 12
    assert result["packs"] == 36
    assert result["fulfilment"] == {"door": 5, "pickup": 7}
    plan = RoundPlan.objects.get(round=closed_round)
    assert plan.allocated_at is not None
    assert plan.scheduled_at is None
    assert plan.pickup_date == planning.default_pickup_date(closed_round)


def test_a_round_without_orders_is_planned_as_empty(closed_round, points):
    Order.objects.filter(round=closed_round).update(status=OrderStatus.CANCELLED)

    allocate(closed_round)
    schedule(closed_round)

    assert last_job(closed_round, ALLOCATE).message == "0 orders planned, 0 without a point."
    assert last_job(closed_round, SCHEDULE).message == (
        "0 slots at 0 points; 0 households without a slot."
    )
    assert not OrderPlan.objects.exists()
    assert not PickupSlot.objects.exists()


def test_it_plans_no_order_that_is_not_placed(closed_round, points, estate):
    _, households = estate
    Order.objects.filter(household=households[("2", 1, "101")]).update(status=OrderStatus.CANCELLED)

    allocate(closed_round)

    assert OrderPlan.objects.filter(round=closed_round).count() == 11
    assert not OrderPlan.objects.filter(household=households[("2", 1, "101")]).exists()


def test_no_point_takes_more_packs_than_its_capacity(closed_round, points):
    CollectionPoint.objects.filter(pk=points[0].pk).update(capacity=14)

    allocate(closed_round)

    loads = Counter()
    for plan in plans(closed_round):
        loads[plan.point_id] += plan.packs
    assert loads[points[0].pk] <= 14
    assert loads[points[1].pk] <= 20
    # 14 // 3 + 20 // 3 = 10 whole orders of 3 packs fit; two orders are left without a point.
    assert (loads[points[0].pk], loads[points[1].pk], loads[None]) == (12, 18, 6)
    summary = RoundPlan.objects.get(round=closed_round).allocation["compounds"][0]["points"]
    assert {entry["id"]: entry["packs"] for entry in summary} == {
        points[0].pk: loads[points[0].pk],
        points[1].pk: loads[points[1].pk],
    }


def test_it_serves_each_building_from_its_nearest_point_when_there_is_room(closed_round, points):
    allocate(closed_round)

    point_of = {address(plan): plan.point for plan in plans(closed_round)}
    assert {point_of[key].name for key in point_of if key[0] == "1"} == {"北门"}
    assert {point_of[key].name for key in point_of if key[0] == "2"} == {"南门"}


def test_it_decides_fulfilment_by_level_and_vulnerability(closed_round, points):
    allocate(closed_round)

    fulfilment = {address(plan): (plan.fulfilment, plan.reason) for plan in plans(closed_round)}
    pickup = (Fulfilment.PICKUP, FulfilmentReason.PRECAUTION)
    assert {key: value for key, value in fulfilment.items() if key[0] == "1"} == {
        ("1", 1, "101"): pickup,
        ("1", 1, "201"): (Fulfilment.DOOR, FulfilmentReason.VULNERABLE),
        ("1", 2, "101"): pickup,
        ("1", 2, "201"): pickup,
    }
    assert {value for key, value in fulfilment.items() if key[0] == "2"} == {
        (Fulfilment.PICKUP, FulfilmentReason.CONTROLLED)
    }
    assert {value for key, value in fulfilment.items() if key[0] == "3"} == {
        (Fulfilment.DOOR, FulfilmentReason.SEALED)
    }


def test_controlled_buildings_get_what_the_compound_policy_says(
    closed_round, points, compound, staff
):
    policy_set(compound=compound, controlled_fulfilment=ControlledPolicy.UNIT_ENTRANCE, by=staff)

    allocate(closed_round)

    assert {
        (plan.fulfilment, plan.reason) for plan in plans(closed_round) if plan.building.label == "2"
    } == {(Fulfilment.UNIT_ENTRANCE, FulfilmentReason.CONTROLLED)}
    assert last_job(closed_round, ALLOCATE).result["fulfilment"] == {
        "door": 5,
        "pickup": 3,
        "unit_entrance": 4,
    }


def test_door_and_unit_entrance_orders_get_one_delivery_each(closed_round, points, compound, staff):
    policy_set(compound=compound, controlled_fulfilment=ControlledPolicy.UNIT_ENTRANCE, by=staff)
    job = job_create(kind=ALLOCATE, subject=subject_of(closed_round), by=staff)

    allocate(closed_round, job)

    delivered = [plan for plan in plans(closed_round) if plan.fulfilment in DELIVERED_FULFILMENTS]
    assert len(delivered) == 9
    assert Delivery.objects.count() == 9
    for plan in delivered:
        delivery = plan.delivery
        assert delivery is not None
        assert delivery.key == f"supply_order:{plan.order_id}"
        assert delivery.kind == "supply_order"
        assert delivery.household_id == plan.household_id
        assert delivery.destination == plan.fulfilment
        assert delivery.from_point_id == plan.point_id
        assert plan.point_id is not None
        assert delivery.items == ITEMS
        assert delivery.status == DeliveryStatus.PLANNED
        assert delivery.created_by == staff
        [event] = delivery.events.all()
        assert (event.from_status, event.to_status, event.actor) == ("", "planned", staff)
        assert event.at is not None
    assert all(plan.delivery is None for plan in plans(closed_round) if plan.fulfilment == "pickup")


def test_running_the_allocation_twice_changes_nothing(closed_round, points):
    allocate(closed_round)
    before = snapshot(closed_round)

    allocate(closed_round)

    assert snapshot(closed_round) == before
    assert len(before["plans"]) == 12
    assert len(before["deliveries"]) == len(before["events"]) == 5
    assert Job.objects.filter(kind=ALLOCATE, status=JobStatus.SUCCEEDED).count() == 2


def test_it_reports_orders_no_point_has_room_for(closed_round, points):
    CollectionPoint.objects.filter(pk__in=[p.pk for p in points]).update(capacity=10)

    allocate(closed_round)

    unplaced = [plan for plan in plans(closed_round) if plan.point_id is None]
    assert len(unplaced) == 6
    assert {plan.unplaced for plan in unplaced} == {Unplaced.NO_CAPACITY}
    placed = [plan for plan in plans(closed_round) if plan.point_id is not None]
    assert {plan.unplaced for plan in placed} == {""}
    loads = Counter(plan.point_id for plan in placed for _ in range(plan.packs))
    assert max(loads.values()) <= 10
    job = last_job(closed_round, ALLOCATE)
    assert job.message == "12 orders planned, 6 without a point."
    assert job.result["unplaced_orders"] == 6
    [compound] = job.result["compounds"]
    assert (compound["packs_wanted"], compound["capacity"], compound["shortfall"]) == (36, 20, 16)
    assert compound["orders_without_point"] == 6
    assert compound["unserved"] == [
        {"building": "1", "packs": 2},
        {"building": "2", "packs": 2},
        {"building": "3", "packs": 12},
    ]


def test_it_plans_buildings_without_a_position(closed_round, points):
    Building.objects.filter(label="1").update(position_x=None, position_y=None)
    Building.objects.filter(label="3").update(
        position_x=None, position_y=None, closure_level=ClosureLevel.PRECAUTION
    )

    allocate(closed_round)
    schedule(closed_round)

    assert last_job(closed_round, ALLOCATE).status == JobStatus.SUCCEEDED
    assert last_job(closed_round, SCHEDULE).status == JobStatus.SUCCEEDED
    assert all(plan.point_id for plan in plans(closed_round))
    assert all(plan.slot_id for plan in plans(closed_round) if plan.fulfilment == "pickup")


def test_it_refuses_a_round_that_is_not_closed(group_buy, offers, household, staff, points):
    order_place(
        household=household,
        supply_round=group_buy,
        quantities={offers["蔬菜包"].pk: 1},
        placed_by=staff,
        channel=Channel.HOTLINE,
    )

    assert allocate(group_buy) is None

    job = last_job(group_buy, ALLOCATE)
    assert job.status == JobStatus.FAILED
    assert job.message == "Only a closed round can be planned; this one is Open."
    assert job.finished_at is not None
    assert not OrderPlan.objects.exists()
    assert not Delivery.objects.exists()
    assert not RoundPlan.objects.exists()
    with pytest.raises(ApplicationError, match="Only a closed round can be planned"):
        planning.plan_request(supply_round=group_buy, kind=ALLOCATE, by=staff)
    assert Job.objects.count() == 1


def test_it_refuses_to_remake_the_plan_after_a_handover(allocated, compound, staff):
    plan = OrderPlan.objects.filter(round=allocated, fulfilment="pickup").first()
    OrderPlan.objects.filter(pk=plan.pk).update(handed_over_at=datetime.datetime.now(datetime.UTC))
    policy_set(compound=compound, controlled_fulfilment=ControlledPolicy.UNIT_ENTRANCE, by=staff)
    before = snapshot(allocated)

    assert allocate(allocated) is None
    assert schedule(allocated) is None

    message = (
        "Packs of this round have already been handed over, so the plan can no longer be "
        "remade; closure changes still re-plan single buildings."
    )
    assert last_job(allocated, ALLOCATE).status == JobStatus.FAILED
    assert last_job(allocated, ALLOCATE).message == message
    assert last_job(allocated, SCHEDULE).message == message
    assert snapshot(allocated) == before
    with pytest.raises(ApplicationError) as refusal:
        planning.plan_request(supply_round=allocated, kind=ALLOCATE, by=staff)
    assert refusal.value.extra == {"code": "handover_started"}


def test_a_delivered_delivery_also_stops_a_new_plan(allocated):
    Delivery.objects.filter(pk=Delivery.objects.first().pk).update(status=DeliveryStatus.DELIVERED)

    assert allocate(allocated) is None

    assert last_job(allocated, ALLOCATE).status == JobStatus.FAILED


def test_it_refuses_to_schedule_a_round_not_allocated(closed_round, points, staff):
    with pytest.raises(ApplicationError, match="Allocate the round to collection points"):
        planning.plan_request(supply_round=closed_round, kind=SCHEDULE, by=staff)

    assert schedule(closed_round) is None
    assert last_job(closed_round, SCHEDULE).message == (
        "Allocate the round to collection points before scheduling pickups."
    )


def test_a_new_request_abandons_the_unfinished_job_of_the_same_kind(closed_round, points, staff):
    first = planning.plan_request(supply_round=closed_round, kind=ALLOCATE, by=staff)
    second = planning.plan_request(supply_round=closed_round, kind=ALLOCATE, by=staff)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.message) == (JobStatus.ABANDONED, "Superseded by a newer run.")
    assert (second.status, second.message) == (JobStatus.QUEUED, "Waiting for a worker.")
    assert second.created_by == staff


def test_re_allocating_a_scheduled_round_marks_it_unscheduled(scheduled):
    allocate(scheduled)

    plan = RoundPlan.objects.get(round=scheduled)
    assert plan.scheduled_at is None
    assert not OrderPlan.objects.filter(round=scheduled, slot__isnull=False).exists()

    schedule(scheduled)

    assert RoundPlan.objects.get(round=scheduled).scheduled_at is not None


def test_a_level_changed_after_the_plan_was_computed_is_followed_when_it_is_saved(
    closed_round, points
):
    """The re-plan of a change that commits while the allocation job runs sees only the rows
    saved before it; the rows saved after it must follow the new level themselves."""
    computed = allocating.allocation_compute(closed_round)
    Building.objects.filter(label="1").update(closure_level=ClosureLevel.SEALED)

    allocating.allocation_save(closed_round, computed)

    sealed = [plan for plan in plans(closed_round) if plan.building.label == "1"]
    assert {(plan.fulfilment, plan.reason) for plan in sealed} == {("door", "sealed")}
    assert all(plan.delivery and plan.delivery.destination == "door" for plan in sealed)
    summary = RoundPlan.objects.get(round=closed_round).allocation
    assert summary["fulfilment"] == {"door": 8, "pickup": 4}


# --- a run that dies half-way ------------------------------------------------------------------


class WorkerDied(Exception):
    pass


def test_a_run_that_died_half_way_converges_to_the_plan_of_a_whole_run(
    closed_round, points, settings, monkeypatch
):
    settings.DELIVERIES_PLAN_CHUNK = 5
    allocate(closed_round)
    whole = by_order(closed_round)
    OrderPlan.objects.all().delete()
    Delivery.objects.all().delete()
    RoundPlan.objects.all().delete()

    sync = door_deliveries.deliveries_sync
    calls = []

    def dies_after_the_first_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise WorkerDied
        return sync(*args, **kwargs)

    monkeypatch.setattr(door_deliveries, "deliveries_sync", dies_after_the_first_chunk)
    with pytest.raises(WorkerDied):
        allocate(closed_round)

    assert OrderPlan.objects.filter(round=closed_round).count() == 5
    assert not RoundPlan.objects.exists()
    failed = last_job(closed_round, ALLOCATE)
    assert failed.status == JobStatus.FAILED
    assert failed.message.startswith("The job failed")

    monkeypatch.setattr(door_deliveries, "deliveries_sync", sync)
    allocate(closed_round)

    assert by_order(closed_round) == whole
    assert Delivery.objects.count() == DeliveryEvent.objects.count() == 5
    assert RoundPlan.objects.get(round=closed_round).allocated_at is not None


# --- pickup slots ------------------------------------------------------------------------------


def pickups(supply_round):
    return [plan for plan in plans(supply_round) if plan.fulfilment == Fulfilment.PICKUP]


def test_every_pickup_gets_a_slot(allocated):
    result = schedule(allocated)

    assert all(plan.slot_id and not plan.unplaced for plan in pickups(allocated))
    assert all(plan.slot.point_id == plan.point_id for plan in pickups(allocated))
    assert not OrderPlan.objects.filter(round=allocated, slot__isnull=False).exclude(
        fulfilment=Fulfilment.PICKUP
    )
    job = last_job(allocated, SCHEDULE)
    assert job.status == JobStatus.SUCCEEDED
    assert job.message == "3 slots at 2 points; 0 households without a slot."
    assert result["unplaced_households"] == 0
    assert RoundPlan.objects.get(round=allocated).scheduled_at is not None


def test_households_the_window_cannot_hold_are_reported(allocated, points):
    CollectionPoint.objects.filter(pk=points[1].pk).update(closes_at=datetime.time(9, 15))

    schedule(allocated)

    south = [plan for plan in pickups(allocated) if plan.point_id == points[1].pk]
    assert sorted((address(plan), plan.unplaced, bool(plan.slot_id)) for plan in south) == [
        (("2", 1, "101"), "", True),
        (("2", 1, "201"), "", True),
        (("2", 2, "101"), Unplaced.WINDOW_TOO_SHORT, False),
        (("2", 2, "201"), Unplaced.WINDOW_TOO_SHORT, False),
    ]
    job = last_job(allocated, SCHEDULE)
    assert job.message == "2 slots at 2 points; 2 households without a slot."
    [south_summary] = [entry for entry in job.result["points"] if entry["id"] == points[1].pk]
    assert south_summary["unplaced"] == [{"building": "2", "unit": 2, "people": 2}]
    assert south_summary["slots_short"] == 1


@pytest.mark.parametrize("crowd_cap", [1, 2, 3])
def test_no_slot_calls_more_households_than_the_crowd_cap(allocated, points, crowd_cap):
    CollectionPoint.objects.filter(pk__in=[p.pk for p in points]).update(crowd_cap=crowd_cap)

    schedule(allocated)

    called = PickupSlot.objects.filter(round=allocated).annotate(people=Count("order_plans"))
    assert called
    assert all(1 <= slot.people <= crowd_cap for slot in called)
    assert all(plan.slot_id for plan in pickups(allocated))


def test_slots_lie_within_the_point_hours_on_the_pickup_day_in_shanghai(allocated, points):
    RoundPlan.objects.filter(round=allocated).update(pickup_date=datetime.date(2031, 3, 9))
    CollectionPoint.objects.filter(pk=points[0].pk).update(
        opens_at=datetime.time(7, 30), closes_at=datetime.time(8, 30), slot_minutes=20
    )

    schedule(allocated)

    slots = list(PickupSlot.objects.filter(round=allocated).select_related("point"))
    assert slots
    for slot in slots:
        start, end = slot.start.astimezone(SHANGHAI), slot.end.astimezone(SHANGHAI)
        assert start.date() == end.date() == datetime.date(2031, 3, 9)
        assert slot.point.opens_at <= start.time() and end.time() <= slot.point.closes_at
        assert end - start == datetime.timedelta(minutes=slot.point.slot_minutes)
    first = min(slot.start for slot in slots if slot.point_id == points[0].pk)
    assert first == datetime.datetime(2031, 3, 8, 23, 30, tzinfo=datetime.UTC)


def test_a_unit_is_called_together(scheduled):
    slots_of = defaultdict(set)
    for plan in pickups(scheduled):
        slots_of[plan.building.label, plan.household.unit].add(plan.slot_id)

    assert len(slots_of) == 4
    assert all(len(slots) == 1 for slots in slots_of.values())


def test_a_unit_is_split_only_when_the_slot_budget_forces_it_and_it_is_reported(
    closed_round, points, estate, offers
):
    """Three units of two people at a point of 3 a slot with two slots: one unit must split."""
    buildings, _ = estate
    Building.objects.filter(pk=buildings["2"].pk).update(units=3)
    for room, code in (("101", "EXTRA1"), ("201", "EXTRA2")):
        household = HouseholdFactory(building=buildings["2"], unit=3, room=room)
        order = Order.objects.create(
            household=household, round=closed_round, channel=Channel.HOTLINE, pickup_code=code
        )
        OrderLine.objects.create(order=order, offer=offers["蔬菜包"], quantity=1, unit_price=0)
    CollectionPoint.objects.filter(pk=points[1].pk).update(closes_at=datetime.time(9, 30))
    allocate(closed_round)

    schedule(closed_round)

    slots_of = defaultdict(set)
    for plan in pickups(closed_round):
        slots_of[plan.building.label, plan.household.unit].add(plan.slot_id)
    assert all(plan.slot_id for plan in pickups(closed_round))
    split = [unit for unit, slots in slots_of.items() if len(slots) > 1]
    assert len(split) == 1
    assert len(slots_of[split[0]]) == 2
    reported = [
        (entry["name"], split["building"], split["unit"], split["reason"])
        for entry in RoundPlan.objects.get(round=closed_round).schedule["points"]
        for split in entry["splits"]
    ]
    assert reported == [("南门", *split[0], "slot_budget")]


def test_scheduling_twice_keeps_the_same_slots_and_tells_nobody_twice(scheduled):
    before = snapshot(scheduled)

    schedule(scheduled)

    assert snapshot(scheduled) == before
    assert len(before["slots"]) == 3
    assert len(before["notices"]) == 12


def test_every_household_is_told_how_its_packs_reach_it(scheduled, points):
    notices = {notice.link: notice for notice in Notice.objects.all()}

    assert len(notices) == Notice.objects.count() == 12
    for plan in plans(scheduled):
        notice = notices[f"/orders/{plan.order_id}/"]
        assert notice.title_text == "第一批蔬菜团购: how your packs reach you"
        assert notice.phone == plan.household.contact_phone == "+8613800138000"
        assert notice.recipient_id == plan.household.account_id
        if plan.fulfilment == Fulfilment.PICKUP:
            start = plan.slot.start.astimezone(SHANGHAI)
            end = plan.slot.end.astimezone(SHANGHAI)
            assert plan.point.name in notice.body_text
            assert f"between {start:%H:%M} and {end:%H:%M}" in notice.body_text
            assert f"pickup code {code_display(plan.order.pickup_code)}." in notice.body_text
        else:
            assert notice.body_text == (
                "A volunteer will bring your packs to your door. Please stay at home."
            )


def test_a_household_with_a_login_finds_the_notice_in_its_inbox(closed_round, points, estate):
    _, households = estate
    login = UserFactory(username="household-2-1-101")
    Household.objects.filter(pk=households[("2", 1, "101")].pk).update(account=login)
    allocate(closed_round)

    schedule(closed_round)

    [notice] = Notice.objects.filter(recipient=login)
    assert notice.body_text.startswith("Come down to 南门 on ")


def test_a_changed_slot_is_told_again(scheduled, points):
    CollectionPoint.objects.filter(pk=points[1].pk).update(
        opens_at=datetime.time(10), closes_at=datetime.time(11)
    )

    schedule(scheduled)

    south = [plan for plan in pickups(scheduled) if plan.point_id == points[1].pk]
    assert Notice.objects.count() == 12 + len(south) == 16
    for plan in south:
        latest = Notice.objects.filter(link=f"/orders/{plan.order_id}/").order_by("-pk").first()
        assert "between 10:" in latest.body_text


def test_a_household_no_point_has_room_for_is_not_told_to_wait_at_home(closed_round, points):
    CollectionPoint.objects.filter(pk__in=[p.pk for p in points]).update(capacity=10)
    allocate(closed_round)

    schedule(closed_round)

    for plan in plans(closed_round):
        notice = Notice.objects.get(link=f"/orders/{plan.order_id}/")
        if plan.unplaced == Unplaced.NO_CAPACITY:
            assert notice.body_text == (
                "Your packs could not be planned yet (No collection point has room). The "
                "committee will tell you when and where to collect them."
            )
        else:
            assert "could not be planned" not in notice.body_text


# --- round_closed --------------------------------------------------------------------------


@pytest.fixture
def open_round(group_buy, offers, estate, staff):
    _, households = estate
    group_buy.offers.update(stock=100)
    for household in households.values():
        order_place(
            household=household,
            supply_round=group_buy,
            quantities={offers["蔬菜包"].pk: 2, offers["肉蛋包"].pk: 1},
            placed_by=staff,
            channel=Channel.HOTLINE,
        )
    return group_buy


def test_closing_a_round_plans_it_end_to_end(
    open_round, points, staff, settings, django_capture_on_commit_callbacks
):
    settings.NOTICE_SMS_BACKEND = "core.notifications.LocmemSmsBackend"

    with django_capture_on_commit_callbacks(execute=True):
        round_close(supply_round=open_round, by=staff)

    jobs = Job.objects.filter(subject=subject_of(open_round)).order_by("pk")
    assert [(job.kind, job.status, job.created_by) for job in jobs] == [
        (ALLOCATE, JobStatus.SUCCEEDED, staff),
        (SCHEDULE, JobStatus.SUCCEEDED, staff),
    ]
    plan = RoundPlan.objects.get(round=open_round)
    assert plan.allocated_at and plan.scheduled_at
    assert OrderPlan.objects.filter(round=open_round).count() == 12
    assert all(plan.slot_id for plan in pickups(open_round))
    assert Delivery.objects.count() == 5
    assert Notice.objects.count() == 12
    assert not Notice.objects.filter(sent_at__isnull=True).exists()


def test_closing_a_round_whose_compounds_have_no_point_plans_nothing(
    open_round, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        round_close(supply_round=open_round, by=staff)

    assert not Job.objects.exists()
    assert not OrderPlan.objects.exists()


def test_points_out_of_use_do_not_count(
    open_round, points, staff, django_capture_on_commit_callbacks
):
    CollectionPoint.objects.update(active=False)

    with django_capture_on_commit_callbacks(execute=True):
        round_close(supply_round=open_round, by=staff)

    assert not Job.objects.exists()
