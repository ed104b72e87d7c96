"""The exit pass: valid only for a confirmed trip on its day, said plainly on the pass in every
other state (no QR to show), and checked at the gate like a pickup code."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.exceptions import ApplicationError
from deliveries.models import CollectionPoint
from medical.models import TransportKind
from medical.services.transports import (
    transport_cancel,
    transport_confirm,
    transport_done,
    transport_pass_check,
    transport_pass_refusal,
    transport_request,
)
from tests.deliveries.conftest import sign_up, supply_shift, volunteer_record

supply_shift = supply_shift  # the deliveries' fixture: a supply shift in `compound` now
DAY = datetime.timedelta(days=1)


def book(resident, staff, *, at=None):
    return transport_request(
        resident=resident,
        kind=TransportKind.DIALYSIS,
        hospital="瑞金医院",
        appointment_at=at or timezone.now(),
        by=staff,
    )


@pytest.fixture
def requested(resident, staff):
    return book(resident, staff)


@pytest.fixture
def confirmed(requested, staff):
    return transport_confirm(transport=requested, by=staff, vehicle="沪A12345")


@pytest.fixture
def gate_point(compound):
    return CollectionPoint.objects.create(
        compound=compound,
        name="北门",
        capacity=20,
        crowd_cap=3,
        opens_at=datetime.time(8),
        closes_at=datetime.time(18),
    )


@pytest.fixture
def other_point(other_compound):
    return CollectionPoint.objects.create(
        compound=other_compound,
        name="东门",
        capacity=20,
        crowd_cap=3,
        opens_at=datetime.time(8),
        closes_at=datetime.time(18),
    )


def code_of(refusal: ApplicationError | None) -> str | None:
    return None if refusal is None else refusal.extra["code"]


class TestValidity:
    def test_it_is_valid_only_when_confirmed_on_its_day(self, confirmed):
        assert transport_pass_refusal(confirmed, at=timezone.now()) is None

    def test_it_is_not_valid_while_only_requested(self, requested, english_messages):
        refusal = transport_pass_refusal(requested, at=timezone.now())
        assert code_of(refusal) == "not_confirmed"
        assert "not valid until the committee confirms" in refusal.message

    def test_it_is_not_valid_after_cancellation(self, confirmed, staff):
        cancelled = transport_cancel(transport=confirmed, by=staff, note="医院停诊")
        assert code_of(transport_pass_refusal(cancelled, at=timezone.now())) == "cancelled"

    def test_it_is_not_valid_once_the_trip_is_done(self, confirmed, staff):
        done = transport_done(transport=confirmed, by=staff)
        assert code_of(transport_pass_refusal(done, at=timezone.now())) == "already_done"

    def test_it_is_not_valid_before_its_day(self, confirmed):
        assert code_of(transport_pass_refusal(confirmed, at=timezone.now() - DAY)) == "wrong_day"

    def test_it_is_not_valid_once_its_day_has_passed(self, confirmed, english_messages):
        refusal = transport_pass_refusal(confirmed, at=timezone.now() + DAY)
        assert code_of(refusal) == "wrong_day"
        assert "has passed" in refusal.message


class TestPassPage:
    def page(self, client, user, transport) -> str:
        client.force_login(user)
        response = client.get(reverse("medical:transport-pass", args=[transport.pk]))
        assert response.status_code == 200
        return response.content.decode()

    def test_a_confirmed_trip_today_shows_the_code_and_qr(self, client, confirmed, resident_user):
        page = self.page(client, resident_user, confirmed)
        assert 'data-valid="yes"' in page and "VALID TODAY" in page
        assert "<svg" in page

    def test_a_requested_trip_says_not_valid_and_hides_the_qr(
        self, client, requested, resident_user
    ):
        page = self.page(client, resident_user, requested)
        assert 'data-valid="no"' in page and 'data-pass-state="not_confirmed"' in page
        assert "NOT VALID" in page and "<svg" not in page
        assert "med-code-void" in page

    def test_a_cancelled_trip_says_not_valid(self, client, confirmed, staff, resident_user):
        transport_cancel(transport=confirmed, by=staff)
        page = self.page(client, resident_user, confirmed)
        assert 'data-pass-state="cancelled"' in page and "<svg" not in page

    def test_a_trip_whose_day_has_passed_says_not_valid(self, client, resident, staff):
        past = transport_confirm(transport=book(resident, staff, at=timezone.now() - DAY), by=staff)
        page = self.page(client, staff, past)
        assert 'data-pass-state="wrong_day"' in page and "<svg" not in page

    def test_it_says_it_in_chinese_by_default(self, client, requested, resident_user, settings):
        client.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)
        page = self.page(client, resident_user, requested)
        assert "无效" in page


class TestGateCheck:
    def test_staff_let_a_confirmed_trip_out(self, confirmed, gate_point, staff):
        assert (
            transport_pass_check(
                code=confirmed.code.lower(), point=gate_point, by=staff, at=timezone.now()
            )
            == confirmed
        )

    @pytest.mark.parametrize(
        "step,code",
        [("none", "not_confirmed"), ("cancel", "cancelled"), ("done", "already_done")],
    )
    def test_it_refuses_a_pass_that_is_not_valid(self, requested, gate_point, staff, step, code):
        if step != "none":
            transport = transport_confirm(transport=requested, by=staff)
            finish = transport_cancel if step == "cancel" else transport_done
            finish(transport=transport, by=staff)
        with pytest.raises(ApplicationError) as refusal:
            transport_pass_check(code=requested.code, point=gate_point, by=staff, at=timezone.now())
        assert refusal.value.extra["code"] == code

    def test_it_refuses_another_committees_pass(
        self, other_resident, other_staff, gate_point, staff
    ):
        theirs = transport_confirm(transport=book(other_resident, other_staff), by=other_staff)
        with pytest.raises(ApplicationError) as refusal:
            transport_pass_check(code=theirs.code, point=gate_point, by=staff, at=timezone.now())
        assert refusal.value.extra["code"] == "unknown_code"

    def test_it_refuses_someone_not_at_the_gate(self, confirmed, gate_point, other_staff):
        with pytest.raises(ApplicationError) as refusal:
            transport_pass_check(
                code=confirmed.code, point=gate_point, by=other_staff, at=timezone.now()
            )
        assert refusal.value.extra["code"] == "not_on_shift"


class TestGateApi:
    def post(self, user, body):
        client = APIClient()
        client.force_authenticate(user)
        return client.post("/api/v1/exit-passes/verify/", body, format="json")

    def test_a_volunteer_on_shift_checks_a_valid_pass(
        self, confirmed, gate_point, volunteer, committee, compound, supply_shift
    ):
        sign_up(volunteer_record(volunteer, committee, compound, "李志愿"), supply_shift)
        response = self.post(volunteer, {"code": confirmed.code, "point": gate_point.pk})
        assert response.status_code == 200, response.content
        assert response.json()["transport"] == confirmed.pk
        assert response.json()["vehicle"] == "沪A12345"

    def test_a_requested_trip_is_a_400_that_says_why(self, requested, gate_point, staff):
        response = self.post(staff, {"code": requested.code, "point": gate_point.pk})
        assert response.status_code == 400
        assert response.json()["code"] == "not_confirmed" and response.json()["detail"]

    def test_another_committees_pass_is_refused(
        self, other_resident, other_staff, gate_point, staff
    ):
        theirs = transport_confirm(transport=book(other_resident, other_staff), by=other_staff)
        response = self.post(staff, {"code": theirs.code, "point": gate_point.pk})
        assert response.status_code == 400 and response.json()["code"] == "unknown_code"

    def test_another_committees_staff_get_a_404_at_our_point(
        self, confirmed, gate_point, other_point, other_staff
    ):
        response = self.post(other_staff, {"code": confirmed.code, "point": gate_point.pk})
        assert response.status_code == 404
        at_their_gate = self.post(other_staff, {"code": confirmed.code, "point": other_point.pk})
        assert at_their_gate.status_code == 400
        assert at_their_gate.json()["code"] == "unknown_code"

    def test_a_bad_body_is_a_400(self, gate_point, staff):
        assert self.post(staff, {"point": "x"}).status_code == 400


class TestGatePage:
    def test_staff_check_a_pass_on_the_page(self, client, confirmed, gate_point, staff):
        client.force_login(staff)
        page = client.post(
            reverse("medical:gate-pass"), {"point": gate_point.pk, "code": confirmed.code}
        )
        assert page.context["transport"] == confirmed
        assert "VALID TODAY" in page.content.decode()

    def test_the_page_says_why_a_pass_is_refused(self, client, requested, gate_point, staff):
        client.force_login(staff)
        page = client.post(
            reverse("medical:gate-pass"), {"point": gate_point.pk, "code": requested.code}
        )
        assert page.context["refusal"].extra["code"] == "not_confirmed"
        assert 'data-refusal="not_confirmed"' in page.content.decode()

    def test_the_gate_page_links_to_it(self, client, gate_point, staff):
        client.force_login(staff)
        assert reverse("medical:gate-pass") in client.get(reverse("gate")).content.decode()

    def test_it_is_a_404_for_a_resident_and_another_committees_staff_at_our_point(
        self, client, confirmed, gate_point, resident_user, other_staff, other_point
    ):
        client.force_login(resident_user)
        assert client.get(reverse("medical:gate-pass")).status_code == 404
        client.force_login(other_staff)
        page = client.post(
            reverse("medical:gate-pass"), {"point": gate_point.pk, "code": confirmed.code}
        )
        # Their only point is their own gate, where our pass is not one of theirs.
        assert page.context["transport"] is None
        assert page.context["refusal"].extra["code"] == "unknown_code"
