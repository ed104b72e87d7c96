"""The gate: a volunteer on a supply shift checks a pickup code and hands the packs over
once; every refusal says why and changes nothing."""

import datetime

import pytest
from django.utils import timezone

from core.exceptions import ApplicationError
from deliveries.models import Fulfilment, OrderPlan
from deliveries.services.pickups import pickup_code_clean, pickup_hand_over, pickup_verify
from supplies.models import OrderStatus
from tests.deliveries.test_api import client_for


@pytest.fixture
def pickup(planned_round):
    """A pickup order with its slot, and the slot moved to now so that pages may use now."""
    plan = (
        OrderPlan.objects.filter(round=planned_round, fulfilment=Fulfilment.PICKUP)
        .exclude(slot=None)
        .select_related("slot", "point", "order")
        .first()
    )
    now = timezone.now()
    plan.slot.start, plan.slot.end = (
        now - datetime.timedelta(minutes=5),
        now + datetime.timedelta(minutes=10),
    )
    plan.slot.save()
    return plan


def refusal_of(**kwargs) -> ApplicationError:
    with pytest.raises(ApplicationError) as refusal:
        pickup_verify(**kwargs)
    return refusal.value


class TestServices:
    def test_it_tolerates_spaces_and_lowercase(self):
        assert pickup_code_clean(" abcd efgh ") == "ABCDEFGH"

    def test_it_shows_the_household_and_items_and_changes_nothing(
        self, pickup, on_shift, volunteer
    ):
        code = pickup.order.pickup_code.lower()
        found = pickup_verify(
            code=f"{code[:4]} {code[4:]}", point=pickup.point, by=volunteer, at=timezone.now()
        )
        assert (found.building, found.unit, found.room) == (
            pickup.household.building.label,
            pickup.household.unit,
            pickup.household.room,
        )
        assert sorted(found.items) == [("肉蛋包", 1), ("蔬菜包", 2)]
        assert OrderPlan.objects.get(pk=pickup.pk).handed_over_at is None

    def test_it_hands_over_once_and_then_says_when_and_by_whom(
        self, pickup, on_shift, volunteer, english_messages
    ):
        now = timezone.now()
        pickup_hand_over(code=pickup.order.pickup_code, point=pickup.point, by=volunteer, at=now)
        plan = OrderPlan.objects.get(pk=pickup.pk)
        assert (plan.handed_over_at, plan.handed_over_by) == (now, volunteer)
        with pytest.raises(ApplicationError) as refusal:
            pickup_hand_over(
                code=pickup.order.pickup_code, point=pickup.point, by=volunteer, at=now
            )
        assert refusal.value.extra["code"] == "already_collected"
        assert "volunteer" in refusal.value.message

    def test_it_refuses_an_unknown_code(self, pickup, on_shift, volunteer):
        refusal = refusal_of(code="ZZZZ2222", point=pickup.point, by=volunteer, at=timezone.now())
        assert refusal.extra["code"] == "unknown_code"

    def test_it_names_the_right_point(self, pickup, points, on_shift, volunteer, english_messages):
        other = next(point for point in points if point != pickup.point)
        refusal = refusal_of(
            code=pickup.order.pickup_code, point=other, by=volunteer, at=timezone.now()
        )
        assert refusal.extra["code"] == "wrong_point"
        assert pickup.point.name in refusal.message

    def test_it_says_when_the_slot_is(self, pickup, on_shift, volunteer, english_messages):
        too_early = pickup.slot.start - datetime.timedelta(minutes=16)
        refusal = refusal_of(
            code=pickup.order.pickup_code, point=pickup.point, by=volunteer, at=too_early
        )
        assert refusal.extra["code"] == "wrong_slot"
        assert timezone.localtime(pickup.slot.start).strftime("%H:%M") in refusal.message

    def test_it_allows_fifteen_minutes_of_grace(self, pickup, on_shift, volunteer):
        late = pickup.slot.end + datetime.timedelta(minutes=14)
        pickup_verify(code=pickup.order.pickup_code, point=pickup.point, by=volunteer, at=late)

    def test_it_refuses_a_door_delivery_order(self, planned_round, pickup, on_shift, volunteer):
        door = (
            OrderPlan.objects.filter(round=planned_round, fulfilment=Fulfilment.DOOR)
            .select_related("order")
            .first()
        )
        refusal = refusal_of(
            code=door.order.pickup_code, point=pickup.point, by=volunteer, at=timezone.now()
        )
        assert refusal.extra["code"] == "not_pickup"

    def test_it_refuses_a_cancelled_order(self, pickup, on_shift, volunteer):
        pickup.order.status = OrderStatus.CANCELLED
        pickup.order.save()
        refusal = refusal_of(
            code=pickup.order.pickup_code, point=pickup.point, by=volunteer, at=timezone.now()
        )
        assert refusal.extra["code"] == "cancelled"

    def test_it_refuses_a_volunteer_not_on_shift(self, pickup, volunteer_record_of, volunteer):
        refusal = refusal_of(
            code=pickup.order.pickup_code, point=pickup.point, by=volunteer, at=timezone.now()
        )
        assert refusal.extra["code"] == "not_on_shift"

    def test_it_lets_staff_hand_over(self, pickup, staff):
        pickup_hand_over(
            code=pickup.order.pickup_code, point=pickup.point, by=staff, at=timezone.now()
        )
        assert OrderPlan.objects.get(pk=pickup.pk).handed_over_by == staff


class TestApi:
    def test_it_verifies_then_hands_over(self, pickup, on_shift, volunteer):
        client = client_for(volunteer)
        body = {"code": pickup.order.pickup_code.lower(), "point": pickup.point.pk}
        response = client.post("/api/v1/pickups/verify/", body)
        assert response.status_code == 200, response.content
        assert response.json()["room"] == pickup.household.room
        assert OrderPlan.objects.get(pk=pickup.pk).handed_over_at is None
        assert client.post("/api/v1/pickups/hand-over/", body).status_code == 200
        again = client.post("/api/v1/pickups/verify/", body)
        assert again.status_code == 400
        assert again.json()["code"] == "already_collected"

    def test_it_is_a_404_at_a_point_the_volunteer_does_not_serve(
        self, pickup, volunteer_record_of, volunteer
    ):
        body = {"code": pickup.order.pickup_code, "point": pickup.point.pk}
        assert client_for(volunteer).post("/api/v1/pickups/verify/", body).status_code == 404

    def test_it_is_a_404_for_another_committees_staff(self, pickup, other_staff):
        body = {"code": pickup.order.pickup_code, "point": pickup.point.pk}
        assert client_for(other_staff).post("/api/v1/pickups/hand-over/", body).status_code == 404
        assert OrderPlan.objects.get(pk=pickup.pk).handed_over_at is None


class TestPage:
    def test_it_checks_and_confirms_a_code(self, client, pickup, on_shift, volunteer):
        client.force_login(volunteer)
        page = client.get("/volunteer/gate/")
        assert page.status_code == 200
        body = {"point": pickup.point.pk, "code": pickup.order.pickup_code}
        checked = client.post("/volunteer/gate/", body)
        assert checked.context["pickup"].room == pickup.household.room
        done = client.post("/volunteer/gate/", {**body, "confirm": "1"})
        assert done.status_code == 302
        assert OrderPlan.objects.get(pk=pickup.pk).handed_over_by == volunteer
        refused = client.post("/volunteer/gate/", body)
        assert refused.context["refusal"].extra["code"] == "already_collected"

    def test_it_is_a_404_for_a_volunteer_off_shift(
        self, client, pickup, volunteer_record_of, volunteer
    ):
        client.force_login(volunteer)
        assert client.get("/volunteer/gate/").status_code == 404


def test_a_volunteer_of_any_compound_works_the_gate(client, pickup, compound, committee, staff):
    """The reported journey: registered leaving compounds empty ("any compound of the
    committee"), approved, signed up for a supply shift, then checking a code at the point."""
    import time_machine
    from django.urls import reverse

    from volunteers.models import Shift, Volunteer, VolunteerStatus, Workgroup

    register = reverse("volunteers:register", args=[committee.pk])
    response = client.post(
        register,
        {
            "name": "周敏",
            "phone": "13900139000",
            "password": "volunteer-pass-1234",
            "affiliation": "resident",
            "workgroups": [Workgroup.SUPPLY],
        },
    )
    assert response.status_code == 302, response.content
    record = Volunteer.objects.get(name="周敏")  # the product gave the login name
    assert not record.compounds.exists()
    client.force_login(staff)
    client.post(reverse("volunteers:staff-approve", args=[record.pk]))
    record.refresh_from_db()
    assert record.status == VolunteerStatus.APPROVED
    now = timezone.now()
    shift = Shift.objects.create(
        compound=compound,
        workgroup=Workgroup.SUPPLY,
        start=now + datetime.timedelta(minutes=2),
        end=now + datetime.timedelta(hours=3),
        needed=2,
        created_by=staff,
    )
    client.force_login(record.user)
    taken = timezone.localtime(now - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    client.post(reverse("volunteers:test-new"), {"kind": "antigen", "taken_at": taken})
    client.post(reverse("volunteers:signup", args=[shift.pk]))
    assert record.signups.filter(shift=shift).exists()
    with time_machine.travel(now + datetime.timedelta(minutes=5), tick=False):
        body = {"code": pickup.order.pickup_code, "point": pickup.point.pk}
        response = client_for(record.user).post("/api/v1/pickups/verify/", body)
    assert response.status_code == 200, response.content
    assert response.json()["room"] == pickup.household.room
