"""A household that comes down late: volunteers still refuse it, staff hand over late with a
reason, move it to a later slot with room or turn it into a door delivery; at the end of the
day every uncollected pickup is listed and its household told once; the plan API counts it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.exceptions import ApplicationError
from core.models import Notice
from deliveries.models import (
    CollectionPoint,
    Delivery,
    DeliveryStatus,
    Fulfilment,
    FulfilmentReason,
    OrderPlan,
    PickupEvent,
    PickupEventKind,
    PickupSlot,
)
from deliveries.selectors import uncollected_filter
from deliveries.services.pickups import pickup_hand_over, pickup_hand_over_late
from deliveries.services.planning import ALLOCATE, SCHEDULE, plan_request
from deliveries.services.uncollected import (
    pickup_move,
    pickup_to_door,
    uncollected_notify,
    uncollected_notify_due,
)
from deliveries.tasks import notify_uncollected_pickups
from tests.deliveries.test_api import client_for

HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def missed(planned_round):
    """A pickup whose slot ended over an hour ago; nobody came (nor did its slot-mates)."""
    plan = (
        OrderPlan.objects.filter(round=planned_round, fulfilment=Fulfilment.PICKUP)
        .exclude(slot=None)
        .order_by("pk")
        .first()
    )
    now = timezone.now()
    PickupSlot.objects.filter(pk=plan.slot_id).update(start=now - 2 * HOUR, end=now - 1.5 * HOUR)
    return OrderPlan.objects.select_related("slot", "point", "order", "household").get(pk=plan.pk)


@pytest.fixture
def later_slot(missed):
    """An empty slot of the missed pickup's point, in an hour."""
    now = timezone.now()
    return PickupSlot.objects.create(
        round=missed.round, point=missed.point, index=90, start=now + HOUR, end=now + 1.25 * HOUR
    )


def refusal(call, **kwargs) -> str:
    with pytest.raises(ApplicationError) as error:
        call(**kwargs)
    return error.value.extra["code"]


def late(missed, by, reason="迟到：在做核酸"):
    return pickup_hand_over_late(
        code=missed.order.pickup_code, point=missed.point, by=by, at=timezone.now(), reason=reason
    )


class TestLateHandover:
    def test_a_volunteer_is_still_refused_wrong_slot(self, missed, on_shift, volunteer):
        code = missed.order.pickup_code
        at = timezone.now()
        assert (
            refusal(pickup_hand_over, code=code, point=missed.point, by=volunteer, at=at)
            == "wrong_slot"
        )
        with pytest.raises(ApplicationError) as error:
            late(missed, volunteer)
        assert error.value.extra["code"] == "staff_only"
        assert OrderPlan.objects.get(pk=missed.pk).handed_over_at is None

    def test_staff_hand_over_late_with_a_reason_recorded_with_who_and_when(self, missed, staff):
        late(missed, staff, reason="  迟到：在做核酸  ")
        plan = OrderPlan.objects.get(pk=missed.pk)
        assert plan.handed_over_by == staff and plan.handed_over_at is not None
        assert plan.late_reason == "迟到：在做核酸"
        event = PickupEvent.objects.get(plan=plan)
        assert (event.kind, event.actor, event.note) == (
            PickupEventKind.LATE_HANDOVER,
            staff,
            "迟到：在做核酸",
        )

    def test_it_needs_a_reason(self, missed, staff):
        with pytest.raises(ApplicationError) as error:
            late(missed, staff, reason="   ")
        assert error.value.extra["code"] == "reason_required"
        assert OrderPlan.objects.get(pk=missed.pk).handed_over_at is None

    def test_every_other_refusal_still_holds(self, missed, staff):
        late(missed, staff)
        with pytest.raises(ApplicationError) as error:
            late(missed, staff)
        assert error.value.extra["code"] == "already_collected"

    def test_rerunning_allocate_or_schedule_is_still_refused(self, missed, staff):
        late(missed, staff)
        for kind in (ALLOCATE, SCHEDULE):
            with pytest.raises(ApplicationError) as error:
                plan_request(supply_round=missed.round, kind=kind, by=staff)
            assert error.value.extra["code"] == "handover_started"


class TestLateHandoverAtTheGate:
    def test_staff_see_the_late_form_and_hand_over(self, client, missed, staff):
        client.force_login(staff)
        body = {"point": missed.point.pk, "code": missed.order.pickup_code}
        checked = client.post(reverse("gate"), body)
        assert checked.context["refusal"].extra["code"] == "wrong_slot"
        assert checked.context["may_hand_over_late"] and b"data-late" in checked.content
        done = client.post(reverse("gate"), {**body, "late": "1", "reason": "排队太长"})
        assert done.status_code == 302
        assert OrderPlan.objects.get(pk=missed.pk).late_reason == "排队太长"

    def test_a_volunteer_gets_no_late_form(self, client, missed, on_shift, volunteer):
        client.force_login(volunteer)
        body = {"point": missed.point.pk, "code": missed.order.pickup_code}
        checked = client.post(reverse("gate"), body)
        assert checked.context["refusal"].extra["code"] == "wrong_slot"
        assert not checked.context["may_hand_over_late"]
        forced = client.post(reverse("gate"), {**body, "late": "1", "reason": "x"})
        assert forced.context["refusal"].extra["code"] == "staff_only"
        assert OrderPlan.objects.get(pk=missed.pk).handed_over_at is None

    def test_the_api_hands_over_late_for_staff_only(
        self, missed, staff, on_shift, volunteer, other_staff
    ):
        body = {"code": missed.order.pickup_code, "point": missed.point.pk, "reason": "迟到"}
        url = "/api/v1/pickups/hand-over-late/"
        refused = client_for(volunteer).post(url, body)
        assert refused.status_code == 400 and refused.json()["code"] == "staff_only"
        assert client_for(other_staff).post(url, body).status_code == 404
        no_reason = client_for(staff).post(url, {**body, "reason": ""})
        assert no_reason.status_code == 400
        assert client_for(staff).post(url, body).status_code == 200
        assert OrderPlan.objects.get(pk=missed.pk).handed_over_by == staff


class TestMove:
    def test_it_moves_to_a_later_slot_with_room_and_tells_the_household(
        self, missed, later_slot, staff
    ):
        before = missed.slot
        pickup_move(plan=missed, slot=later_slot, by=staff)
        plan = OrderPlan.objects.get(pk=missed.pk)
        assert plan.slot == later_slot
        event = PickupEvent.objects.get(plan=plan)
        assert (event.kind, event.from_slot, event.to_slot, event.actor) == (
            PickupEventKind.MOVED,
            before,
            later_slot,
            staff,
        )
        assert plan.notified.endswith(f"{later_slot.start:%Y%m%d%H%M}")

    def test_it_refuses_a_full_slot(self, missed, later_slot, staff, planned_round):
        CollectionPoint.objects.filter(pk=missed.point_id).update(crowd_cap=1)
        other = (
            OrderPlan.objects.filter(round=planned_round, point=missed.point_id)
            .exclude(pk=missed.pk)
            .first()
        )
        OrderPlan.objects.filter(pk=other.pk).update(slot=later_slot)
        assert refusal(pickup_move, plan=missed, slot=later_slot, by=staff) == "slot_full"
        assert OrderPlan.objects.get(pk=missed.pk).slot_id == missed.slot_id

    def test_it_refuses_a_slot_that_is_over_or_not_later(self, missed, staff):
        now = timezone.now()
        over = PickupSlot.objects.create(
            round=missed.round, point=missed.point, index=91, start=now - HOUR, end=now - 0.5 * HOUR
        )
        assert refusal(pickup_move, plan=missed, slot=over, by=staff) == "slot_over"

    def test_it_refuses_another_point_and_another_committees_staff(
        self, missed, later_slot, points, staff, other_staff
    ):
        other_point = next(point for point in points if point != missed.point)
        elsewhere = PickupSlot.objects.create(
            round=missed.round,
            point=other_point,
            index=92,
            start=later_slot.start,
            end=later_slot.end,
        )
        assert refusal(pickup_move, plan=missed, slot=elsewhere, by=staff) == "wrong_point"
        assert refusal(pickup_move, plan=missed, slot=later_slot, by=other_staff) == "staff_only"


class TestDoorDelivery:
    def test_it_turns_the_pickup_into_a_door_delivery(self, missed, staff):
        pickup_to_door(plan=missed, by=staff, note="行动不便")
        plan = OrderPlan.objects.select_related("delivery").get(pk=missed.pk)
        assert (plan.fulfilment, plan.reason, plan.slot) == (
            Fulfilment.DOOR,
            FulfilmentReason.MISSED_PICKUP,
            None,
        )
        delivery = Delivery.objects.get(key=f"supply_order:{plan.order_id}")
        assert (delivery.status, delivery.destination, delivery.from_point_id) == (
            DeliveryStatus.PLANNED,
            Fulfilment.DOOR,
            missed.point_id,
        )
        assert plan.delivery == delivery
        assert delivery.events.get().actor == staff
        assert PickupEvent.objects.get(plan=plan).kind == PickupEventKind.TO_DOOR
        assert plan.notified.endswith(":door")

    def test_a_collected_pickup_cannot_become_a_delivery(self, missed, staff):
        late(missed, staff)
        assert refusal(pickup_to_door, plan=missed, by=staff) == "already_collected"


class TestEndOfDay:
    def test_the_list_has_only_uncollected_pickups_whose_slot_is_over(
        self, client, missed, staff, planned_round
    ):
        client.force_login(staff)
        page = client.get(reverse("plan-uncollected", args=[planned_round.pk]))
        assert page.status_code == 200
        listed = {plan.pk for plan, _slots in page.context["rows"]}
        expected = set(
            OrderPlan.objects.filter(slot=missed.slot_id, handed_over_at=None).values_list(
                "pk", flat=True
            )
        )
        assert listed == expected and missed.pk in listed

    def test_each_household_is_told_once(self, client, missed, staff, planned_round):
        url = reverse("plan-uncollected", args=[planned_round.pk])
        client.force_login(staff)
        client.post(url, {"action": "notify"})
        keys = set(
            Notice.objects.filter(key__startswith="uncollected:").values_list("key", flat=True)
        )
        uncollected = OrderPlan.objects.filter(slot=missed.slot_id).count()
        assert len(keys) == uncollected and f"uncollected:{missed.pk}:{missed.slot_id}" in keys
        client.post(url, {"action": "notify"})
        assert uncollected_notify(supply_round=planned_round) == 0
        assert Notice.objects.filter(key__startswith="uncollected:").count() == uncollected
        told = PickupEvent.objects.filter(kind=PickupEventKind.TOLD_UNCOLLECTED)
        assert told.count() == uncollected and told.first().actor == staff

    def test_the_evening_task_tells_the_households_once(self, missed, planned_round):
        tomorrow = timezone.now() + datetime.timedelta(days=1)  # the pickup day is tomorrow
        assert uncollected_notify_due() == 0  # the round's pickup day has not come yet
        # Tomorrow every pickup whose slot is over by then is told, whatever the hour now.
        due = OrderPlan.objects.filter(uncollected_filter(tomorrow), round=planned_round)
        assert due.filter(pk=missed.pk).exists()
        expected = due.count()
        told = uncollected_notify_due(now=tomorrow)
        assert told == expected
        assert not OrderPlan.objects.filter(pk=missed.pk, uncollected_told_at=None).exists()
        assert uncollected_notify_due(now=tomorrow) == 0
        assert notify_uncollected_pickups() == 0

    def test_staff_move_and_deliver_from_the_page_and_see_the_history(
        self, client, missed, later_slot, staff, planned_round
    ):
        url = reverse("plan-uncollected", args=[planned_round.pk])
        client.force_login(staff)
        client.post(url, {"action": "move", "plan": missed.pk, "slot": later_slot.pk})
        assert OrderPlan.objects.get(pk=missed.pk).slot == later_slot
        mate = OrderPlan.objects.filter(slot=missed.slot_id).first()
        client.post(url, {"action": "door", "plan": mate.pk})
        assert OrderPlan.objects.get(pk=mate.pk).fulfilment == Fulfilment.DOOR
        page = client.get(url)
        kinds = [event.kind for event in page.context["events"]]
        assert PickupEventKind.MOVED in kinds and PickupEventKind.TO_DOOR in kinds
        assert b"data-history" in page.content

    def test_bad_input_changes_nothing(self, client, missed, staff, planned_round):
        url = reverse("plan-uncollected", args=[planned_round.pk])
        client.force_login(staff)
        for body in (
            {"action": "move", "plan": "²", "slot": "x"},
            {"action": "move", "plan": missed.pk},
            {"action": "door", "plan": ""},
        ):
            assert client.post(url, body).status_code == 302
        assert OrderPlan.objects.get(pk=missed.pk).slot_id == missed.slot_id
        assert client.post(url, {"action": "nonsense"}).status_code == 404

    def test_another_committees_staff_get_a_404(
        self, client, missed, later_slot, other_staff, planned_round
    ):
        url = reverse("plan-uncollected", args=[planned_round.pk])
        client.force_login(other_staff)
        assert client.get(url).status_code == 404
        assert client.post(url, {"action": "notify"}).status_code == 404
        move = {"action": "move", "plan": missed.pk, "slot": later_slot.pk}
        assert client.post(url, move).status_code == 404
        assert OrderPlan.objects.get(pk=missed.pk).slot_id == missed.slot_id
        assert not Notice.objects.filter(key__startswith="uncollected:").exists()


class TestPlanApiCounts:
    def test_it_counts_collected_late_uncollected_moved_and_to_door(
        self, missed, later_slot, staff, planned_round
    ):
        mates = list(OrderPlan.objects.filter(slot=missed.slot_id).exclude(pk=missed.pk))
        assert len(mates) >= 2, "the fixture's first slot calls three households"
        late(missed, staff)
        pickup_move(plan=mates[0], slot=later_slot, by=staff)
        pickup_to_door(plan=mates[1], by=staff)
        response = client_for(staff).get(f"/api/v1/rounds/{planned_round.pk}/plan/")
        assert response.status_code == 200
        pickups = response.json()["pickups"]
        left = len(mates) - 2  # the slot-mates nobody acted on
        pickup_total = OrderPlan.objects.filter(
            round=planned_round, fulfilment=Fulfilment.PICKUP
        ).count()
        assert pickups == {
            "collected": 0,
            "late_handed": 1,
            "uncollected": left,
            "moved": 1,
            "to_door": 1,
            "waiting": pickup_total - 1 - left,
        }

    def test_another_committees_staff_get_a_404(self, missed, other_staff, planned_round):
        response = client_for(other_staff).get(f"/api/v1/rounds/{planned_round.pk}/plan/")
        assert response.status_code == 404


class TestClosureChangesKeepTheDoor:
    def test_a_lighter_level_does_not_call_a_missed_pickup_down_again(
        self, missed, staff, django_capture_on_commit_callbacks
    ):
        from residents.models import ClosureLevel
        from residents.services import building_set_closure

        pickup_to_door(plan=missed, by=staff)
        building = missed.building
        lighter = (
            ClosureLevel.CONTROLLED
            if building.closure_level == ClosureLevel.PRECAUTION
            else ClosureLevel.PRECAUTION
        )
        with django_capture_on_commit_callbacks(execute=True):
            building_set_closure(building=building, level=lighter, reason="调整", by=staff)
        plan = OrderPlan.objects.get(pk=missed.pk)
        assert (plan.fulfilment, plan.reason) == (Fulfilment.DOOR, FulfilmentReason.MISSED_PICKUP)


class TestQueries:
    def test_the_list_reads_a_fixed_number_of_queries(
        self, client, missed, staff, planned_round, django_assert_max_num_queries
    ):
        client.force_login(staff)
        url = reverse("plan-uncollected", args=[planned_round.pk])
        client.get(url)  # sessions and caches warmed
        with django_assert_max_num_queries(16):
            page = client.get(url)
        assert len(page.context["rows"]) >= 3


# --- at the same time, on PostgreSQL -------------------------------------------------------------


@pytest.mark.postgres
def test_two_staff_moving_into_the_last_place_of_a_slot_move_one(
    transactional_db, missed, later_slot, staff
):
    """Two missed households, one place left: both moves race; the round's lock makes the
    second one count the first one's household and refuse, so the crowd cap holds."""
    import threading

    from django.db import connection

    from tests.conftest import needs_service

    needs_service(connection.vendor == "postgresql", "needs PostgreSQL: row locks")
    CollectionPoint.objects.filter(pk=missed.point_id).update(crowd_cap=1)
    plans = list(OrderPlan.objects.filter(slot=missed.slot_id).order_by("pk")[:2])
    barrier, outcomes = threading.Barrier(2), []

    def move(plan):
        try:
            barrier.wait(5)
            pickup_move(plan=plan, slot=later_slot, by=staff)
            outcomes.append("moved")
        except ApplicationError as error:
            outcomes.append(error.extra["code"])
        finally:
            connection.close()

    threads = [threading.Thread(target=move, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert sorted(outcomes) == ["moved", "slot_full"]
    assert OrderPlan.objects.filter(slot=later_slot).count() == 1


class TestAdmin:
    def test_staff_read_the_history_on_the_order_plan(self, client, missed, staff, other_staff):
        late(missed, staff, reason="排队太长")
        url = reverse("admin:deliveries_orderplan_change", args=[missed.pk])
        client.force_login(staff)
        page = client.get(url)
        assert page.status_code == 200 and "排队太长" in page.content.decode()
        client.force_login(other_staff)
        assert client.get(url).status_code in (302, 404)


class TestUncollectedApi:
    def url(self, supply_round, tail=""):
        return f"/api/v1/rounds/{supply_round.pk}/uncollected/{tail}"

    def test_staff_list_move_deliver_and_tell(self, missed, later_slot, staff, planned_round):
        client = client_for(staff)
        listed = client.get(self.url(planned_round))
        assert listed.status_code == 200, listed.content
        rows = {row["plan"]: row for row in listed.json()}
        assert missed.pk in rows
        assert later_slot.pk in [slot["id"] for slot in rows[missed.pk]["later_slots"]]
        moved = client.post(
            self.url(planned_round, "move/"), {"plan": missed.pk, "slot": later_slot.pk}
        )
        assert moved.status_code == 200, moved.content
        assert moved.json()["slot"] == later_slot.pk
        mate = OrderPlan.objects.filter(slot=missed.slot_id).first()
        door = client.post(self.url(planned_round, "door/"), {"plan": mate.pk})
        assert door.status_code == 200 and door.json()["fulfilment"] == "door"
        assert door.json()["delivery"] is not None
        told = client.post(self.url(planned_round, "notify/"))
        assert told.status_code == 200
        left = OrderPlan.objects.filter(slot=missed.slot_id).count()
        assert told.json() == {"told": left}
        assert client.post(self.url(planned_round, "notify/")).json() == {"told": 0}

    def test_bad_input_is_a_400_and_a_full_slot_says_why(
        self, missed, later_slot, staff, planned_round
    ):
        client = client_for(staff)
        assert client.post(self.url(planned_round, "move/"), {"plan": "²"}).status_code == 400
        nowhere = client.post(self.url(planned_round, "move/"), {"plan": missed.pk, "slot": 0})
        assert nowhere.status_code == 400 and "slot" in nowhere.json()
        CollectionPoint.objects.filter(pk=missed.point_id).update(crowd_cap=1)
        other = OrderPlan.objects.filter(point=missed.point_id).exclude(pk=missed.pk).first()
        OrderPlan.objects.filter(pk=other.pk).update(slot=later_slot)
        full = client.post(
            self.url(planned_round, "move/"), {"plan": missed.pk, "slot": later_slot.pk}
        )
        assert full.status_code == 400 and full.json()["code"] == "slot_full"

    def test_volunteers_get_a_403_and_another_committees_staff_a_404(
        self, missed, later_slot, on_shift, volunteer, other_staff, planned_round
    ):
        assert client_for(volunteer).get(self.url(planned_round)).status_code == 403
        outsider = client_for(other_staff)
        assert outsider.get(self.url(planned_round)).status_code == 404
        body = {"plan": missed.pk, "slot": later_slot.pk}
        assert outsider.post(self.url(planned_round, "move/"), body).status_code == 404
        assert outsider.post(self.url(planned_round, "door/"), body).status_code == 404
        assert outsider.post(self.url(planned_round, "notify/")).status_code == 404
        assert OrderPlan.objects.get(pk=missed.pk).slot_id == missed.slot_id
