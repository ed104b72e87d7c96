"""A building's closure level changes: its open plans are re-planned (deliveries.services.replan,
run on residents' closure_changed after commit).

The `estate`: building 1 (precaution; household 1-201 vulnerable) picks up at the north gate,
2 (controlled) at the south gate, 3 is sealed. Slots: 09:00–10:00 tomorrow, 15 minutes, 3 people."""

import datetime
import threading

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from core.models import Notice
from deliveries import tasks
from deliveries.models import (
    CollectionPoint,
    ControlledPolicy,
    Delivery,
    DeliveryEvent,
    DeliveryStatus,
    Fulfilment,
    FulfilmentReason,
    OrderPlan,
    PickupSlot,
    Replan,
    RoundPlan,
    Unplaced,
)
from deliveries.services import allocating, door_deliveries, replan
from deliveries.services.points import policy_set
from residents.models import Building, ClosureChange, ClosureLevel
from residents.services import building_set_closure, buildings_set_closure
from tests.conftest import needs_service
from tests.deliveries.test_planning import allocate, schedule, snapshot

REASON = "密接者已转运"


@pytest.fixture
def allocated(closed_round, points):
    allocate(closed_round)
    return closed_round


@pytest.fixture
def scheduled(allocated):
    schedule(allocated)
    return allocated


@pytest.fixture
def set_level(staff, django_capture_on_commit_callbacks):
    """Change a building's level as staff do, and run what happens after commit."""

    def set_level(label: str, level: str):
        building = Building.objects.get(label=label)
        with django_capture_on_commit_callbacks(execute=True):
            return building_set_closure(building=building, level=level, reason=REASON, by=staff)

    return set_level


def plans_of(label: str):
    return {
        (plan.household.unit, plan.household.room): plan
        for plan in OrderPlan.objects.filter(building__label=label).select_related(
            "household", "slot", "point", "delivery", "order"
        )
    }


def plan_notices(plan: OrderPlan):
    return list(Notice.objects.filter(link=f"/orders/{plan.order_id}/").order_by("pk"))


def slot_loads(supply_round) -> dict[int, int]:
    return dict(
        PickupSlot.objects.filter(round=supply_round)
        .annotate(people=Count("order_plans"))
        .values_list("pk", "people")
    )


# --- sealing ---------------------------------------------------------------------------------


def test_sealing_a_building_turns_its_pickups_into_door_deliveries(scheduled, set_level, staff):
    before = plans_of("1")
    freed = {plan.slot_id for plan in before.values() if plan.slot_id}
    loads_before = slot_loads(scheduled)

    change = set_level("1", ClosureLevel.SEALED)

    after = plans_of("1")
    assert {key: (plan.fulfilment, plan.reason) for key, plan in after.items()} == dict.fromkeys(
        after, (Fulfilment.DOOR, FulfilmentReason.SEALED)
    )
    assert all(plan.slot_id is None and plan.unplaced == "" for plan in after.values())
    assert all(plan.point_id == before[key].point_id for key, plan in after.items())
    assert all(plan.updated_at > before[key].updated_at for key, plan in after.items())
    loads_after = slot_loads(scheduled)
    assert sum(loads_before[pk] - loads_after.get(pk, 0) for pk in freed) == 3
    replan_row = Replan.objects.get()
    assert (replan_row.round, replan_row.building.label, replan_row.change) == (
        scheduled,
        "1",
        change,
    )
    assert (
        replan_row.to_delivery,
        replan_row.to_pickup,
        replan_row.slots_freed,
        replan_row.unplaced,
    ) == (3, 0, 3, 0)


def test_the_new_door_deliveries_are_created_with_who_and_why(scheduled, set_level, staff):
    pickups = [key for key, plan in plans_of("1").items() if plan.fulfilment == "pickup"]

    set_level("1", ClosureLevel.SEALED)

    after = plans_of("1")
    for key in pickups:
        plan = after[key]
        delivery = plan.delivery
        assert delivery is not None
        assert (delivery.destination, delivery.status) == ("door", DeliveryStatus.PLANNED)
        assert delivery.from_point_id == plan.point_id
        assert delivery.items == "蔬菜包 × 2, 肉蛋包 × 1"
        assert delivery.created_by == staff
        [event] = delivery.events.all()
        assert (event.from_status, event.to_status, event.actor) == ("", "planned", staff)
        assert event.note == "Closure level changed: 胜利花园 1: Precaution → Sealed"
    vulnerable = after[(1, "201")]
    assert vulnerable.delivery.events.count() == 1  # unchanged: it was a door delivery already
    assert Delivery.objects.filter(household__building__label="1").count() == 4


def test_sealing_tells_the_households_and_the_staff_member(scheduled, set_level, staff):
    before = plans_of("1")
    told_before = {key: len(plan_notices(plan)) for key, plan in before.items()}

    set_level("1", ClosureLevel.SEALED)

    for key, plan in before.items():
        notices = plan_notices(plan)
        if plan.fulfilment == "pickup":
            assert len(notices) == told_before[key] + 1
            assert notices[-1].body_text == (
                "A volunteer will bring your packs to your door. Please stay at home."
            )
        else:
            assert len(notices) == told_before[key]
    [summary] = Notice.objects.filter(recipient=staff)
    assert summary.title_text == "Re-planned 胜利花园 1"
    assert summary.body_text == (
        "第一批蔬菜团购: 3 pickups became deliveries, 0 deliveries became pickups, "
        "3 slot places freed, 0 without a slot"
    )


def test_a_controlled_building_gets_unit_entrance_drops_when_the_compound_says_so(
    scheduled, set_level, compound, staff
):
    policy_set(compound=compound, controlled_fulfilment=ControlledPolicy.UNIT_ENTRANCE, by=staff)

    set_level("1", ClosureLevel.CONTROLLED)

    after = plans_of("1")
    vulnerable = after.pop((1, "201"))
    assert (vulnerable.fulfilment, vulnerable.reason) == ("door", "vulnerable")
    for (unit, _room), plan in after.items():
        assert (plan.fulfilment, plan.reason, plan.slot_id) == (
            Fulfilment.UNIT_ENTRANCE,
            FulfilmentReason.CONTROLLED,
            None,
        )
        assert plan.delivery.destination == Fulfilment.UNIT_ENTRANCE
        assert plan_notices(plan)[-1].body_text.startswith(
            f"Your packs will be left at the entrance of unit {unit};"
        )
    replan_row = Replan.objects.get()
    assert (replan_row.to_delivery, replan_row.slots_freed) == (3, 3)


# --- lifting a seal --------------------------------------------------------------------------


def test_lifting_a_seal_turns_door_deliveries_back_into_pickups_in_slots_with_room(
    scheduled, set_level, staff
):
    called = {
        plan.pk: plan.slot_id
        for plan in OrderPlan.objects.filter(round=scheduled, slot__isnull=False)
    }
    slots_before = set(PickupSlot.objects.values_list("pk", "index", "start"))

    change = set_level("3", ClosureLevel.PRECAUTION)

    after = plans_of("3")
    now = timezone.now()
    for plan in after.values():
        assert (plan.fulfilment, plan.reason, plan.unplaced) == (
            Fulfilment.PICKUP,
            FulfilmentReason.PRECAUTION,
            "",
        )
        assert plan.slot.point_id == plan.point_id
        assert plan.slot.start > now
        delivery = plan.delivery
        assert delivery.status == DeliveryStatus.CANCELLED
        last = delivery.events.last()
        assert (last.from_status, last.to_status, last.actor) == ("planned", "cancelled", staff)
    # Nobody already called is moved, and the slots already told are kept.
    assert {
        plan.pk: plan.slot_id for plan in OrderPlan.objects.filter(pk__in=list(called))
    } == called
    assert slots_before <= set(PickupSlot.objects.values_list("pk", "index", "start"))
    for slot in PickupSlot.objects.annotate(people=Count("order_plans")).select_related("point"):
        assert slot.people <= slot.point.crowd_cap
    replan_row = Replan.objects.get(change=change)
    assert (replan_row.to_delivery, replan_row.to_pickup, replan_row.unplaced) == (0, 4, 0)
    for plan in after.values():
        assert plan_notices(plan)[-1].body_text.startswith(f"Come down to {plan.point.name} on ")


def test_lifting_a_seal_keeps_door_delivery_for_vulnerable_households(scheduled, set_level):
    set_level("1", ClosureLevel.SEALED)

    set_level("1", ClosureLevel.PRECAUTION)

    after = plans_of("1")
    vulnerable = after.pop((1, "201"))
    assert (vulnerable.fulfilment, vulnerable.reason) == (
        Fulfilment.DOOR,
        FulfilmentReason.VULNERABLE,
    )
    assert vulnerable.delivery.status == DeliveryStatus.PLANNED
    assert all(plan.fulfilment == Fulfilment.PICKUP and plan.slot_id for plan in after.values())
    assert {plan.delivery.status for plan in after.values()} == {DeliveryStatus.CANCELLED}
    assert Replan.objects.filter(to_pickup=3).count() == 1


def test_a_point_without_slots_gets_them_when_a_seal_is_lifted(closed_round, points, set_level):
    """Building 1 sealed at scheduling time: nobody picks up at the north gate, so it has no
    slots. When the seal is lifted its households must still find a place in the window."""
    set_level("1", ClosureLevel.SEALED)
    allocate(closed_round)
    schedule(closed_round)
    assert not PickupSlot.objects.filter(point=points[0]).exists()

    set_level("1", ClosureLevel.PRECAUTION)

    pickups = [plan for plan in plans_of("1").values() if plan.fulfilment == "pickup"]
    assert len(pickups) == 3
    assert all(plan.unplaced == "" and plan.slot.point == points[0] for plan in pickups)
    first = min(plan.slot.start for plan in pickups)
    day = RoundPlan.objects.get(round=closed_round).pickup_date
    assert timezone.localtime(first) == timezone.make_aware(
        datetime.datetime.combine(day, datetime.time(9))
    )
    assert Replan.objects.get(to_pickup=3).unplaced == 0


def test_a_seal_lifted_during_the_pickup_puts_nobody_in_a_slot_already_begun(
    scheduled, set_level, monkeypatch
):
    day = RoundPlan.objects.get(round=scheduled).pickup_date
    during = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 20)))
    monkeypatch.setattr(replan.timezone, "now", lambda: during)

    set_level("3", ClosureLevel.PRECAUTION)

    for plan in plans_of("3").values():
        assert plan.slot is not None
        assert plan.slot.start >= during


def test_households_the_window_cannot_hold_are_counted(scheduled, set_level, points):
    """The north gate's only slot is full and its window ends with it; the south gate's two
    slots have a place each."""
    north, south = points
    CollectionPoint.objects.filter(pk=north.pk).update(closes_at=datetime.time(9, 15))
    CollectionPoint.objects.filter(pk=south.pk).update(closes_at=datetime.time(9, 30))
    slots = set(PickupSlot.objects.values_list("pk", flat=True))

    set_level("3", ClosureLevel.PRECAUTION)

    after = plans_of("3").values()
    assert {
        (plan.point_id, plan.unplaced, plan.slot_id) for plan in after if plan.point == north
    } == {(north.pk, Unplaced.WINDOW_TOO_SHORT, None)}
    fitted = [plan for plan in after if plan.point == south]
    assert len(fitted) == 2
    assert all(plan.slot.point == south and plan.unplaced == "" for plan in fitted)
    assert set(PickupSlot.objects.values_list("pk", flat=True)) == slots
    assert Replan.objects.get().unplaced == 2
    for slot in PickupSlot.objects.annotate(people=Count("order_plans")).select_related("point"):
        assert slot.people <= slot.point.crowd_cap
    for plan in after:
        if plan.point == north:
            assert plan_notices(plan)[-1].body_text.startswith(
                "Your packs could not be planned yet (The pickup window is too short)."
            )


# --- what is left alone, and running twice ------------------------------------------------------


def test_re_planning_the_same_change_twice_changes_nothing_more(scheduled, set_level):
    change = set_level("1", ClosureLevel.SEALED)
    before = snapshot(scheduled)
    replans = list(Replan.objects.values_list("pk", "to_delivery", "slots_freed"))

    assert replan.replan_for_changes([change.pk]) == []
    assert tasks.replan_buildings([change.pk]) == 0

    assert snapshot(scheduled) == before
    assert list(Replan.objects.values_list("pk", "to_delivery", "slots_freed")) == replans


def test_handed_over_orders_are_left_alone(scheduled, set_level):
    handed = plans_of("1")[(2, "101")]
    OrderPlan.objects.filter(pk=handed.pk).update(handed_over_at=timezone.now())

    set_level("1", ClosureLevel.SEALED)

    after = plans_of("1")[(2, "101")]
    assert (after.fulfilment, after.slot_id, after.delivery_id) == (
        Fulfilment.PICKUP,
        handed.slot_id,
        None,
    )
    assert Replan.objects.get().to_delivery == 2
    assert len(plan_notices(after)) == 1


def test_delivered_orders_are_left_alone(scheduled, set_level, staff):
    delivered = plans_of("3")[(1, "101")].delivery
    Delivery.objects.filter(pk=delivered.pk).update(status=DeliveryStatus.DELIVERED)

    set_level("3", ClosureLevel.PRECAUTION)

    plan = plans_of("3")[(1, "101")]
    assert (plan.fulfilment, plan.slot_id, plan.delivery.status) == (
        Fulfilment.DOOR,
        None,
        DeliveryStatus.DELIVERED,
    )
    assert Replan.objects.get().to_pickup == 3


def test_a_round_not_scheduled_yet_changes_fulfilment_but_gets_no_slots(
    allocated, set_level, staff
):
    set_level("3", ClosureLevel.PRECAUTION)

    after = plans_of("3").values()
    assert {(plan.fulfilment, plan.slot_id, plan.unplaced) for plan in after} == {
        (Fulfilment.PICKUP, None, "")
    }
    assert {plan.delivery.status for plan in after} == {DeliveryStatus.CANCELLED}
    assert not PickupSlot.objects.exists()
    replan_row = Replan.objects.get()
    assert (replan_row.to_pickup, replan_row.unplaced) == (4, 0)
    # The households hear from the schedule; the staff member hears now.
    assert not Notice.objects.filter(key__startswith="plan:").exists()
    assert Notice.objects.filter(recipient=staff).count() == 1


def test_a_building_sealed_again_is_told_again(scheduled, set_level):
    set_level("1", ClosureLevel.SEALED)
    set_level("1", ClosureLevel.PRECAUTION)

    set_level("1", ClosureLevel.SEALED)

    plan = plans_of("1")[(2, "101")]
    bodies = [notice.body_text for notice in plan_notices(plan)]
    assert len(bodies) == 4
    assert bodies[0].startswith("Come down to")
    assert bodies[1].startswith("A volunteer will bring")
    assert bodies[2].startswith("Come down to")
    assert bodies[3].startswith("A volunteer will bring")
    assert plan.delivery.status == DeliveryStatus.PLANNED
    assert list(plan.delivery.events.values_list("from_status", "to_status")) == [
        ("", "planned"),
        ("planned", "cancelled"),
        ("cancelled", "planned"),
    ]


def test_a_change_of_several_buildings_re_plans_each(
    scheduled, staff, django_capture_on_commit_callbacks
):
    buildings = list(Building.objects.filter(label__in=["1", "2"]))

    with django_capture_on_commit_callbacks(execute=True):
        buildings_set_closure(
            buildings=buildings, level=ClosureLevel.SEALED, reason=REASON, by=staff
        )

    assert sorted(Replan.objects.values_list("building__label", "to_delivery")) == [
        ("1", 3),
        ("2", 4),
    ]
    assert not OrderPlan.objects.filter(round=scheduled, fulfilment="pickup").exists()
    assert not OrderPlan.objects.filter(round=scheduled, slot__isnull=False).exists()
    assert Notice.objects.filter(recipient=staff).count() == 2
    assert DeliveryEvent.objects.filter(actor=staff).count() == 7


# --- at the same time, on PostgreSQL -------------------------------------------------------------


@pytest.mark.postgres
def test_a_re_plan_waits_for_the_allocation_being_saved_and_re_plans_its_rows(
    transactional_db, closed_round, staff, settings, monkeypatch
):
    """The allocation job saves building 1 as pickups; before it commits, building 1 is sealed.
    The re-plan must wait for the job's rows and turn them into door deliveries: reading
    without waiting, it would find no rows and leave a sealed building coming down."""
    needs_service(connection.vendor == "postgresql", "needs PostgreSQL: row locks")
    settings.NOTICE_SMS_BACKEND = "core.notifications.LocmemSmsBackend"
    assert not OrderPlan.objects.exists()  # closed before the points existed: not planned
    for name, x in (("北门", 0), ("南门", 100)):
        CollectionPoint.objects.create(
            compound=closed_round.compounds.get(),
            name=name,
            position_x=x,
            capacity=20,
            crowd_cap=3,
            opens_at=datetime.time(9),
            closes_at=datetime.time(10),
        )
    computed = allocating.allocation_compute(closed_round)
    written, go = threading.Event(), threading.Event()
    sync = door_deliveries.deliveries_sync

    def pause_before_commit(*args, **kwargs):
        result = sync(*args, **kwargs)
        written.set()
        assert go.wait(10)
        return result

    monkeypatch.setattr(door_deliveries, "deliveries_sync", pause_before_commit)
    errors = []

    def in_thread(work):
        def run():
            try:
                work()
            except Exception as error:  # reported by the main thread
                errors.append(error)
            finally:
                connection.close()

        return threading.Thread(target=run)

    saving = in_thread(lambda: allocating.allocation_save(closed_round, computed))
    saving.start()
    assert written.wait(10)
    building = Building.objects.get(label="1")
    change = ClosureChange.objects.create(
        building=building,
        from_level=ClosureLevel.PRECAUTION,
        to_level=ClosureLevel.SEALED,
        reason=REASON,
        changed_by=staff,
    )
    Building.objects.filter(pk=building.pk).update(closure_level=ClosureLevel.SEALED)
    replanning = in_thread(lambda: replan.replan_building(change))
    replanning.start()
    replanning.join(1)
    waited = replanning.is_alive()
    go.set()
    saving.join(10)
    replanning.join(10)

    assert errors == []
    assert waited
    assert {(plan.fulfilment, plan.reason) for plan in plans_of("1").values()} == {
        (Fulfilment.DOOR, FulfilmentReason.SEALED)
    }
    assert Replan.objects.get(change=change).to_delivery == 3


# --- through the API -------------------------------------------------------------------------


def test_the_api_tells_what_a_closure_change_re_planned_to_the_rounds_staff_only(
    api_client, scheduled, set_level, staff, other_staff, volunteer
):
    change = set_level("1", ClosureLevel.SEALED)
    api_client.force_authenticate(staff)
    listed = api_client.get("/api/v1/replans/", {"round": scheduled.pk}).json()["results"]
    assert [
        (row["change"], row["building_label"], row["to_level"], row["to_delivery"], row["reason"])
        for row in listed
    ] == [(change.pk, "1", ClosureLevel.SEALED, 3, REASON)]
    assert api_client.get("/api/v1/replans/", {"round": "x"}).status_code == 400

    api_client.force_authenticate(other_staff)
    assert api_client.get("/api/v1/replans/").json()["results"] == []
    assert api_client.get(f"/api/v1/replans/{listed[0]['id']}/").status_code == 404
    api_client.force_authenticate(volunteer)
    assert api_client.get("/api/v1/replans/").status_code == 403
