"""Asking for a delivery (deliveries.services.requests): one delivery and one "planned" event
per key however often, or however many at once, it is asked for."""

import threading

import pytest
from django.db import connection

from deliveries.models import Delivery, DeliveryEvent, DeliveryKind, DeliveryStatus, Fulfilment
from deliveries.services.requests import DeliveryAsk, deliveries_request, delivery_request
from tests.conftest import needs_service


def ask(household, key="medicine:1", **fields) -> DeliveryAsk:
    return DeliveryAsk(
        key=key,
        kind=DeliveryKind.MEDICINE,
        household_id=household.pk,
        items="二甲双胍 × 1",
        **fields,
    )


@pytest.mark.django_db
def test_asking_twice_makes_one_door_delivery_with_one_event(household, staff):
    first = delivery_request(ask(household, notes="x" * 400), by=staff, note="买到了")
    again = delivery_request(ask(household, notes="changed"), by=staff)

    assert first == again
    assert (first.destination, first.status, first.notes) == (
        Fulfilment.DOOR,
        DeliveryStatus.PLANNED,
        "x" * 300,
    )
    event = DeliveryEvent.objects.get(delivery=first)
    assert (event.to_status, event.actor, event.note) == (DeliveryStatus.PLANNED, staff, "买到了")


@pytest.mark.django_db
def test_a_volunteer_named_in_the_ask_has_it_at_once(household, staff, volunteer_record_of):
    delivery = delivery_request(ask(household, volunteer=volunteer_record_of), by=staff)
    assert delivery.volunteer == volunteer_record_of
    assert delivery.assigned_by == staff and delivery.assigned_at is not None


@pytest.mark.django_db
def test_many_asks_make_only_the_missing_ones(household, staff):
    delivery_request(ask(household, key="meal:1:2022-04-12"), by=staff)
    made = deliveries_request(
        [ask(household, key=f"meal:{n}:2022-04-12") for n in (1, 2, 3)], by=staff
    )
    assert [d.key for d in made] == ["meal:2:2022-04-12", "meal:3:2022-04-12"]
    assert Delivery.objects.count() == DeliveryEvent.objects.count() == 3


ASKERS = 12


@pytest.mark.postgres
def test_asking_at_once_from_many_connections_makes_one(transactional_db, household, staff):
    needs_service(connection.vendor == "postgresql", "needs PostgreSQL: concurrent inserts")
    barrier = threading.Barrier(ASKERS)
    errors: list[BaseException] = []

    def asker():
        barrier.wait()
        try:
            delivery_request(ask(household, key="medicine:race"), by=staff)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=asker) for _ in range(ASKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Delivery.objects.filter(key="medicine:race").count() == 1
    assert DeliveryEvent.objects.filter(delivery__key="medicine:race").count() == 1


@pytest.mark.postgres
def test_the_days_meals_made_twice_at_once_start_each_enrolment_once(
    transactional_db, household, staff
):
    import datetime

    from django.utils import timezone

    from deliveries.models import MealEnrolmentEvent, MealStatus
    from deliveries.services.meals import meal_enrol, meals_create_for_day
    from tests.factories import ResidentFactory

    needs_service(connection.vendor == "postgresql", "needs PostgreSQL: row locks")
    born = datetime.date(timezone.localdate().year - 70, 1, 1)
    enrolments = [
        meal_enrol(
            resident=ResidentFactory(household=household, birth_date=born, care_level=6),
            meals=["lunch"],
            by=staff,
        )
        for _ in range(5)
    ]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run():
        barrier.wait()
        try:
            meals_create_for_day(day=timezone.localdate(), by=staff)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Delivery.objects.filter(kind=DeliveryKind.MEAL).count() == 5
    started = MealEnrolmentEvent.objects.filter(to_status=MealStatus.ACTIVE)
    assert sorted(started.values_list("enrolment_id", flat=True)) == sorted(
        e.pk for e in enrolments
    )
