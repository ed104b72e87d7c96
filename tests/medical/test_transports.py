"""Medical transport: booked, confirmed, done or cancelled, each recorded; the exit pass."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.exceptions import ApplicationError
from medical.models import TransportKind, TransportStatus
from medical.services.transports import (
    transport_cancel,
    transport_confirm,
    transport_done,
    transport_request,
)

T = TransportStatus


@pytest.fixture
def transport(resident, staff):
    return transport_request(
        resident=resident,
        kind=TransportKind.DIALYSIS,
        hospital="瑞金医院",
        appointment_at=timezone.now() + datetime.timedelta(hours=20),
        recurrence="Mon, Wed, Fri",
        by=staff,
    )


class TestTransport:
    def test_it_is_booked_confirmed_and_done_with_events(self, transport, staff, runner):
        assert transport.status == T.REQUESTED
        assert len(transport.code) == 8
        transport = transport_confirm(
            transport=transport, escort=runner, vehicle="沪A12345", by=staff
        )
        assert (transport.status, transport.escort, transport.vehicle) == (
            T.CONFIRMED,
            runner,
            "沪A12345",
        )
        transport = transport_done(transport=transport, by=staff)
        assert transport.status == T.DONE and transport.done_at is not None
        steps = list(transport.events.values_list("from_status", "to_status"))
        assert steps == [("", T.REQUESTED), (T.REQUESTED, T.CONFIRMED), (T.CONFIRMED, T.DONE)]

    def test_it_refuses_done_before_confirmed(self, transport, staff):
        with pytest.raises(ApplicationError) as error:
            transport_done(transport=transport, by=staff)
        assert error.value.extra["code"] == "out_of_order"

    def test_it_refuses_cancelling_a_done_transport(self, transport, staff):
        transport = transport_confirm(transport=transport, by=staff)
        transport = transport_done(transport=transport, by=staff)
        with pytest.raises(ApplicationError):
            transport_cancel(transport=transport, by=staff)

    def test_it_cancels_with_a_note(self, transport, staff):
        transport = transport_cancel(transport=transport, by=staff, note="医院停诊")
        assert transport.status == T.CANCELLED
        assert transport.events.last().note == "医院停诊"

    def test_it_refuses_staff_of_another_committee(self, transport, other_staff):
        with pytest.raises(ApplicationError):
            transport_confirm(transport=transport, by=other_staff)

    def test_it_refuses_an_escort_of_another_committee(self, transport, staff, outside_runner):
        with pytest.raises(ApplicationError) as error:
            transport_confirm(transport=transport, escort=outside_runner, by=staff)
        assert error.value.extra["code"] == "volunteer_not_eligible"


class TestPages:
    def test_staff_book_a_transport_and_see_the_exit_pass(self, client, staff, resident):
        client.force_login(staff)
        response = client.post(
            reverse("medical:staff-transports") + f"?household={resident.household_id}",
            {
                "resident": resident.pk,
                "kind": "prenatal",
                "hospital": "妇幼保健院",
                "appointment_at": "2030-01-02T09:00",
            },
        )
        assert response.status_code == 302
        page = client.get(response.url).content.decode()
        assert "Exit pass" in page and "妇幼保健院" in page
        # Only requested: the pass says it is not valid yet and shows no QR to use.
        assert "NOT VALID" in page and "<svg" not in page

    def test_the_resident_finds_their_pass_on_their_medicine_page(
        self, client, transport, resident_user
    ):
        client.force_login(resident_user)
        page = client.get(reverse("medical:home")).content.decode()
        assert reverse("medical:transport-pass", args=[transport.pk]) in page

    def test_the_resident_sees_their_pass_and_others_get_a_404(
        self, client, transport, resident_user, other_staff, neighbour
    ):
        url = reverse("medical:transport-pass", args=[transport.pk])
        client.force_login(resident_user)
        assert transport.code[:4] in client.get(url).content.decode()
        for outsider in (other_staff, neighbour):
            client.force_login(outsider)
            assert client.get(url).status_code == 404

    def test_staff_confirm_and_finish_from_the_list(self, client, transport, staff):
        client.force_login(staff)
        assert "瑞金医院" in client.get(reverse("medical:staff-transports")).content.decode()
        for step in ("confirm", "done"):
            client.post(reverse("medical:staff-transport-step", args=[transport.pk, step]))
        transport.refresh_from_db()
        assert transport.status == T.DONE

    def test_other_staff_get_a_404_on_a_step(self, client, transport, other_staff):
        client.force_login(other_staff)
        url = reverse("medical:staff-transport-step", args=[transport.pk, "confirm"])
        assert client.post(url).status_code == 404


class TestTripRequestedByTheHousehold:
    def appointment(self) -> str:
        moment = timezone.localtime(timezone.now() + datetime.timedelta(days=1))
        return moment.strftime("%Y-%m-%dT%H:%M")

    def test_it_books_a_trip_from_the_households_page(self, client, resident, resident_user):
        client.force_login(resident_user)
        page = client.get(reverse("medical:home"))
        assert 'data-form="trip"' in page.content.decode()
        response = client.post(
            reverse("medical:trip-request"),
            {
                "resident": resident.pk,
                "kind": TransportKind.PRENATAL,
                "hospital": "国际妇幼保健院",
                "appointment_at": self.appointment(),
            },
        )
        transport = resident.transports.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("medical:transport-pass", args=[transport.pk])
        assert (transport.status, transport.created_by, transport.escort) == (
            T.REQUESTED,
            resident_user,
            None,
        )
        assert transport.events.get().actor == resident_user

    def test_it_changes_nothing_for_a_form_with_errors(self, client, resident, resident_user):
        client.force_login(resident_user)
        response = client.post(
            reverse("medical:trip-request"), {"resident": resident.pk, "kind": "dialysis"}
        )
        assert response.status_code == 302 and response["Location"] == reverse("medical:home")
        assert not resident.transports.exists()

    def test_another_household_cannot_book_for_this_resident(
        self, client, resident, other_household
    ):
        from tests.factories import UserFactory

        other_household.account = UserFactory(username="other-household")
        other_household.save(update_fields=["account"])
        with pytest.raises(ApplicationError) as refusal:
            transport_request(
                resident=resident,
                kind=TransportKind.DIALYSIS,
                hospital="瑞金医院",
                appointment_at=timezone.now() + datetime.timedelta(hours=20),
                by=other_household.account,
            )
        assert refusal.value.extra["code"] == "not_allowed"
        assert not resident.transports.exists()

    def test_a_household_cannot_choose_the_escort_or_the_vehicle(
        self, resident, resident_user, runner
    ):
        with pytest.raises(ApplicationError) as refusal:
            transport_request(
                resident=resident,
                kind=TransportKind.DIALYSIS,
                hospital="瑞金医院",
                appointment_at=timezone.now() + datetime.timedelta(hours=20),
                escort=runner,
                by=resident_user,
            )
        assert refusal.value.extra["code"] == "not_allowed"
