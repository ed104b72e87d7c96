"""Every list page and endpoint of medical errands takes the same number of queries for one
row as for five."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from medical.services import medicine
from medical.services.medicine import custody_log
from medical.services.transports import transport_request
from tests.factories import HouseholdFactory, ResidentFactory


@pytest.fixture
def add_rows(building, resident, staff, runner, resident_user):
    """add_rows(n): n more assigned requests with a card handed over, and n transports, for
    the household of `resident` and for n new vulnerable residents."""

    def add(count: int) -> None:
        for _ in range(count):
            row = medicine.medicine_request_file(
                resident=resident,
                hospital="瑞金医院",
                urgency="red",
                items=[{"medicine": "A"}, {"medicine": "B"}],
                by=resident_user,
            )
            row = medicine.medicine_request_triage(request=row, by=staff)
            row = medicine.medicine_request_assign(request=row, volunteer=runner, by=staff)
            custody_log(request=row, item="card", to_holder="volunteer", by=runner.user)
            other = ResidentFactory(household=HouseholdFactory(building=building), needs=["infant"])
            transport_request(
                resident=other,
                kind="prenatal",
                hospital="妇幼",
                appointment_at=timezone.now() + datetime.timedelta(days=1),
                escort=runner,
                by=staff,
            )

    return add


def _count(get) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert get().status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("resident_user", "/medicine/"),
        ("staff", "/staff/medicine/"),
        ("staff", "/staff/transports/"),
        ("staff", "/staff/vulnerable/"),
        ("runner", "/volunteer/medicine/"),
    ],
)
def test_a_page_takes_a_fixed_number_of_queries(client, request, add_rows, who, url):
    user = request.getfixturevalue(who)
    client.force_login(getattr(user, "user", user))
    add_rows(1)
    small = _count(lambda: client.get(url))
    add_rows(4)
    assert _count(lambda: client.get(url)) == small


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("resident_user", "/api/v1/medicine-requests/"),
        ("runner", "/api/v1/medicine-requests/"),
        ("staff", "/api/v1/custody-events/"),
        ("runner", "/api/v1/custody-events/"),
        ("staff", "/api/v1/transports/"),
        ("staff", "/api/v1/vulnerable-residents/"),
    ],
)
def test_an_endpoint_takes_a_fixed_number_of_queries(api_client, request, add_rows, who, url):
    user = request.getfixturevalue(who)
    api_client.force_authenticate(getattr(user, "user", user))
    add_rows(1)
    small = _count(lambda: api_client.get(url))
    add_rows(4)
    assert _count(lambda: api_client.get(url)) == small
