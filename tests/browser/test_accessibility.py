"""Every page a resident, a volunteer and staff use, in zh-hans and in English, checked by
axe-core (the harness in conftest.py checks each page on load and fails on any violation)."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from deliveries.models import Delivery, DeliveryFailure, DeliveryStatus
from deliveries.services.assignment import deliveries_assign
from deliveries.services.meals import meal_enrol, meals_create_for_day
from medical.models import TransportKind
from medical.services import medicine
from medical.services.transports import transport_request
from tests.browser.conftest import axe_wait
from tests.deliveries.conftest import (  # noqa: F401
    closed_round,
    estate,
    on_shift,
    planned_round,
    points,
    supply_shift,
    volunteer_record_of,
)
from tests.factories import ResidentFactory, UserFactory
from tests.medical.conftest import make_volunteer, runner  # noqa: F401
from tests.supplies.conftest import (  # noqa: F401
    closes_at,
    group_buy,
    leader,
    meat,
    offers,
    supplier,
    vegetables,
)

pytestmark = pytest.mark.browser

LANGUAGES = ["zh-hans", "en"]


@pytest.fixture
def everything(request, staff):
    """A planned round with deliveries assigned (one failed), a medicine request assigned to
    a runner, a dialysis trip, and a meal for an elder: every list has something on it."""
    supply_round = request.getfixturevalue("planned_round")
    _, households = request.getfixturevalue("estate")
    household = households[("1", 1, "101")]
    resident_user = UserFactory(username="resident")
    household.account = resident_user
    household.save(update_fields=["account"])
    resident = ResidentFactory(household=household, name="王阿姨")
    request.getfixturevalue("on_shift")
    deliveries_assign(supply_round=supply_round, by=staff)
    Delivery.objects.filter(pk=Delivery.objects.order_by("pk").first().pk).update(
        status=DeliveryStatus.FAILED, failure=DeliveryFailure.choices[0][0]
    )
    errand_runner = request.getfixturevalue("runner")
    errand = medicine.medicine_request_file(
        resident=resident,
        hospital="瑞金医院",
        urgency="red",
        items=[{"medicine": "二甲双胍", "strength": "0.5g", "quantity": 1}],
        by=resident_user,
    )
    medicine.medicine_request_triage(request=errand, by=staff)
    medicine.medicine_request_assign(request=errand, volunteer=errand_runner, by=staff)
    trip = transport_request(
        resident=resident,
        kind=TransportKind.DIALYSIS,
        hospital="瑞金医院",
        appointment_at=timezone.now() + datetime.timedelta(hours=20),
        recurrence="",
        by=staff,
    )
    elder = ResidentFactory(
        household=household,
        name="张奶奶",
        needs=["disabled"],
        birth_date=datetime.date(timezone.localdate().year - 85, 1, 1),
    )
    meal_enrol(resident=elder, meals=["lunch"], by=staff)
    meals_create_for_day(day=timezone.localdate(), by=staff)
    point = request.getfixturevalue("points")[0]
    return {
        "round": supply_round,
        "point": point,
        "errand": errand,
        "trip": trip,
        "runner": errand_runner,
    }


def _walk(page, live_server, paths: list[str]) -> None:
    for language in LANGUAGES:
        page.context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
        )
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, path
            assert page.evaluate("document.documentElement.lang") == language, path
            axe_wait(page)  # checked before the next page replaces it


def test_staff_pages_have_no_axe_violations_in_either_language(
    phone, log_in, live_server, everything, compound
):
    round_pk, point_pk = everything["round"].pk, everything["point"].pk
    log_in(phone, "staff")
    _walk(
        phone,
        live_server,
        [
            "/",
            "/staff/compounds/",
            f"/staff/compounds/{compound.pk}/",
            "/staff/plans/",
            f"/staff/plans/{round_pk}/",
            f"/staff/plans/{round_pk}/deliveries/",
            f"/staff/plans/{round_pk}/progress/",
            f"/staff/plans/{round_pk}/failed/",
            f"/staff/plans/{round_pk}/points/{point_pk}/manifest/",
            f"/staff/plans/{round_pk}/points/{point_pk}/calls/",
            "/staff/meals/",
            "/staff/medicine/",
            "/staff/transports/",
            "/staff/vulnerable/",
            "/staff/volunteers/",
            "/staff/roster/",
            "/staff/relay/",
            "/staff/volunteer-hours/",
            "/hotline/",
            "/inbox/",
        ],
    )


def test_volunteer_pages_have_no_axe_violations_in_either_language(
    phone, log_in, live_server, everything
):
    log_in(phone, "volunteer")
    _walk(phone, live_server, ["/volunteer/", "/volunteer/deliveries/", "/volunteer/gate/"])
    with phone.expect_navigation():
        phone.locator("header form.logout button").click()
    log_in(phone, everything["runner"].user.username, "volunteer-pass-1234")
    _walk(phone, live_server, ["/volunteer/", "/volunteer/medicine/"])


def test_resident_pages_have_no_axe_violations_in_either_language(
    phone, log_in, live_server, everything
):
    log_in(phone, "resident")
    _walk(
        phone,
        live_server,
        [
            "/",
            "/rounds/",
            "/orders/",
            "/medicine/",
            f"/medicine/{everything['errand'].pk}/",
            f"/transports/{everything['trip'].pk}/pass/",
            "/inbox/",
        ],
    )
