"""The vulnerable register: one line a person, their last contact, and who had none in 48 h."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from deliveries.models import Delivery, DeliveryKind, DeliveryStatus
from medical import selectors
from medical.models import CheckIn, MedicalTransport, TransportStatus
from medical.services.register import check_in_log
from tests.factories import HouseholdFactory, ResidentFactory


def hours_ago(hours: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=hours)


@pytest.fixture
def elders(building):
    """Three vulnerable residents in three households, and one who is not vulnerable."""
    rows = [
        ResidentFactory(household=HouseholdFactory(building=building), name=name, needs=[need])
        for name, need in (("甲", "elderly_alone"), ("乙", "dialysis"), ("丙", "pregnant"))
    ]
    ResidentFactory(household=rows[0].household, name="丁")
    return rows


def by_name(user):
    return {entry.resident.name: entry for entry in selectors.vulnerable_register(user)}


class TestRegister:
    def test_it_lists_only_vulnerable_residents_with_no_contact_yet(self, elders, staff):
        entries = by_name(staff)
        assert set(entries) == {"甲", "乙", "丙"}
        assert all(e.last_contact is None and e.no_contact_48h for e in entries.values())

    def test_the_last_contact_is_the_latest_of_every_source(self, elders, staff, delivered):
        first, second, third = elders
        Delivery.objects.create(
            key="supply_order:x",
            kind=DeliveryKind.SUPPLY_ORDER,
            household=first.household,
            destination="door",
            items="蔬菜包",
            status=DeliveryStatus.DELIVERED,
            done_at=hours_ago(50),
        )
        check_in_log(resident=first, kind="call", by=staff, at=hours_ago(10))
        MedicalTransport.objects.create(
            resident=second,
            kind="dialysis",
            hospital="瑞金医院",
            appointment_at=hours_ago(30),
            status=TransportStatus.DONE,
            done_at=hours_ago(28),
            code="ABCDEFGH",
        )
        entries = by_name(staff)
        assert abs(entries["甲"].last_contact - hours_ago(10)) < datetime.timedelta(minutes=1)
        assert not entries["甲"].no_contact_48h
        assert abs(entries["乙"].last_contact - hours_ago(28)) < datetime.timedelta(minutes=1)
        assert entries["丙"].no_contact_48h
        assert [e.resident.name for e in selectors.no_contact_48h(list(entries.values()))] == ["丙"]

    def test_a_delivered_medicine_request_counts_as_contact(self, delivered, staff, resident):
        resident.needs.create(need="elderly_alone")
        entry = by_name(staff)[resident.name]
        assert not entry.no_contact_48h

    def test_an_old_contact_is_no_contact(self, elders, staff):
        check_in_log(resident=elders[0], kind="visit", by=staff, at=hours_ago(49))
        assert by_name(staff)["甲"].no_contact_48h

    def test_it_takes_a_fixed_number_of_queries(self, building, staff):
        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                selectors.vulnerable_register(staff)
            return len(queries)

        ResidentFactory(household=HouseholdFactory(building=building), needs=["disabled"])
        small = count()
        for _ in range(5):
            resident = ResidentFactory(
                household=HouseholdFactory(building=building), needs=["infant"]
            )
            CheckIn.objects.create(resident=resident, kind="call", by=staff, at=hours_ago(1))
        assert count() == small

    def test_other_staff_see_none_of_them(self, elders, other_staff):
        assert selectors.vulnerable_register(other_staff) == []

    def test_it_refuses_a_check_in_by_other_staff(self, elders, other_staff):
        from core.exceptions import ApplicationError

        with pytest.raises(ApplicationError):
            check_in_log(resident=elders[0], kind="call", by=other_staff)


class TestPage:
    def test_it_shows_the_no_contact_box_and_logs_a_call(self, client, elders, staff):
        client.force_login(staff)
        page = client.get(reverse("medical:staff-vulnerable")).content.decode()
        assert "No contact in 48 h: 3 residents" in page
        url = reverse("medical:staff-check-in", args=[elders[0].pk])
        client.post(url, {"kind": "call", "note": "身体还好"})
        page = client.get(reverse("medical:staff-vulnerable")).content.decode()
        assert "No contact in 48 h: 2 residents" in page
        assert CheckIn.objects.get().note == "身体还好"

    def test_the_compound_overview_shows_the_box_through_its_panel(
        self, client, elders, staff, compound
    ):
        client.force_login(staff)
        page = client.get(reverse("compound-overview", args=[compound.pk])).content.decode()
        assert 'data-box="no-contact"' in page and "No contact in 48 h: 3 residents" in page

    def test_it_is_a_404_for_a_resident_and_a_volunteer(self, client, resident_user, runner):
        for user in (resident_user, runner.user):
            client.force_login(user)
            assert client.get(reverse("medical:staff-vulnerable")).status_code == 404

    def test_other_staff_cannot_log_a_contact(self, client, elders, other_staff):
        client.force_login(other_staff)
        url = reverse("medical:staff-check-in", args=[elders[0].pk])
        assert client.post(url, {"kind": "call"}).status_code == 404

    def test_the_page_takes_a_fixed_number_of_queries(self, client, building, staff):
        client.force_login(staff)
        url = reverse("medical:staff-vulnerable")

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            return len(queries)

        ResidentFactory(household=HouseholdFactory(building=building), needs=["disabled"])
        small = count()
        for _ in range(4):
            ResidentFactory(household=HouseholdFactory(building=building), needs=["infant"])
        assert count() == small


def test_the_no_contact_box_renders_on_any_page(rf, elders, staff):
    from django.template import Context, Template

    request = rf.get("/")
    request.user = staff
    html = Template("{% load medical %}{% no_contact_box %}").render(Context({"request": request}))
    assert 'data-box="no-contact"' in html
    assert "No contact in 48 h: 3 residents" in html
