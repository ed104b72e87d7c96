"""The volunteer's home: today's shift, deliveries left and done, medicine errands and cards
held, the gate only on a gate shift; each one tap away, in a fixed number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deliveries.models import Delivery
from deliveries.services.fulfilment import delivery_complete
from medical.models import Urgency
from medical.services import medicine
from tests.deliveries.conftest import sign_up
from tests.factories import ResidentFactory
from tests.medical.conftest import ITEMS

HOME = "/volunteer/"


def home(client, volunteer) -> str:
    client.force_login(volunteer)
    response = client.get(HOME)
    assert response.status_code == 200
    return response.content.decode()


def give(deliveries, record):
    for delivery in deliveries:
        delivery.volunteer = record
        delivery.assigned_at = timezone.now()
        delivery.save()


def errand(household, staff, record):
    row = medicine.medicine_request_file(
        resident=ResidentFactory(household=household),
        hospital="瑞金医院",
        urgency=Urgency.RED,
        items=ITEMS,
        by=staff,
    )
    row = medicine.medicine_request_triage(request=row, by=staff)
    row = medicine.medicine_request_assign(request=row, volunteer=record, by=staff)
    medicine.custody_log(request=row, item="card", to_holder="volunteer", by=record.user)
    return row


@pytest.mark.django_db
def test_it_shows_today_each_one_tap_away(
    client, settings, planned_round, on_shift, volunteer, staff, estate
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    deliveries = list(Delivery.objects.filter(order_plan__round=planned_round).order_by("pk"))
    give(deliveries[:3], on_shift)
    delivery_complete(delivery=deliveries[0], by=volunteer, tapped_at=timezone.now())
    errand(estate[1][("1", 1, "101")], staff, on_shift)

    page = home(client, volunteer)

    assert "On shift now" in page
    assert "2 left · 1 done today" in page
    assert 'href="/volunteer/deliveries/"' in page
    assert 'href="/volunteer/gate/"' in page
    assert "1 open errand" in page
    assert "you hold 1 card or booklet" in page
    assert 'href="/volunteer/medicine/"' in page


@pytest.mark.django_db
def test_off_shift_the_gate_is_not_offered_and_a_night_shift_shows_its_end_date(
    client, settings, volunteer_record_of, volunteer, staff, compound
):
    from volunteers.models import Shift, Workgroup

    local = timezone.localtime()
    start = (local + datetime.timedelta(days=1)).replace(hour=20, minute=0, second=0)
    shift = Shift.objects.create(
        compound=compound,
        workgroup=Workgroup.SUPPLY,
        start=start,
        end=start + datetime.timedelta(hours=12),
        needed=5,
        created_by=staff,
    )
    sign_up(volunteer_record_of, shift)

    page = home(client, volunteer)

    assert 'href="/volunteer/gate/"' not in page
    assert "下一班次" in page
    assert (start + datetime.timedelta(hours=12)).strftime("%m-%d 08:00") in page


@pytest.mark.django_db
def test_the_home_takes_a_fixed_number_of_queries(
    client, planned_round, on_shift, volunteer, staff, estate
):
    deliveries = list(Delivery.objects.filter(order_plan__round=planned_round).order_by("pk"))
    client.force_login(volunteer)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(HOME).status_code == 200
        return len(queries)

    give(deliveries[:1], on_shift)
    errand(estate[1][("1", 1, "101")], staff, on_shift)
    small = count()
    give(deliveries[1:], on_shift)
    delivery_complete(delivery=deliveries[1], by=volunteer, tapped_at=timezone.now())
    for _ in range(3):
        errand(estate[1][("1", 1, "101")], staff, on_shift)
    assert count() == small
