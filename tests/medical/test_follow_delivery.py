"""A medicine request follows its door delivery: when the volunteer marks the delivery
delivered (page or API), deliveries' `delivery_finished` signal moves the request on after
commit, with the tapper as actor and the tap's moment, without anyone opening a page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from deliveries.models import DeliveryStatus
from deliveries.services.fulfilment import delivery_fail, delivery_retry
from medical.models import MedicineEvent
from medical.models import MedicineStatus as S

pytestmark = pytest.mark.django_db


def tap(minutes_ago: int = 3) -> datetime.datetime:
    return (timezone.now() - datetime.timedelta(minutes=minutes_ago)).replace(microsecond=0)


def status_in_api(api_client, user, request_id: int) -> str:
    api_client.force_authenticate(user)
    response = api_client.get(f"/api/v1/medicine-requests/{request_id}/")
    assert response.status_code == 200
    return response.json()["status"]


def test_a_delivery_marked_delivered_on_the_page_moves_the_request(
    client, api_client, purchased, runner, resident_user, django_capture_on_commit_callbacks
):
    client.force_login(runner.user)
    at = tap()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("my-delivery-mark", args=[purchased.delivery_id]),
            {"outcome": "delivered", "tapped_at": at.isoformat()},
        )
    assert response.status_code == 302
    assert status_in_api(api_client, resident_user, purchased.pk) == S.DELIVERED
    event = MedicineEvent.objects.filter(request=purchased).latest("pk")
    assert (event.from_status, event.to_status) == (S.PURCHASED, S.DELIVERED)
    assert (event.actor, event.at) == (runner.user, at)


def test_a_delivery_marked_delivered_in_the_api_moves_the_request(
    api_client, purchased, runner, staff, django_capture_on_commit_callbacks
):
    api_client.force_authenticate(runner.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            f"/api/v1/deliveries/{purchased.delivery_id}/complete/",
            {"tapped_at": tap().isoformat()},
            format="json",
        )
    assert response.status_code == 200, response.json()
    assert status_in_api(api_client, staff, purchased.pk) == S.DELIVERED


def test_a_failed_delivery_keeps_the_request_purchased_and_says_so(
    purchased, runner, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        delivery_fail(
            delivery=purchased.delivery, by=runner.user, tapped_at=tap(), reason="not_home"
        )
    purchased.refresh_from_db()
    assert purchased.status == S.PURCHASED
    event = MedicineEvent.objects.filter(request=purchased).latest("pk")
    assert event.note.startswith("The delivery failed")
    assert event.actor == runner.user
    with django_capture_on_commit_callbacks(execute=True):
        delivery_retry(delivery=purchased.delivery, by=staff)
    purchased.refresh_from_db()
    assert purchased.status == S.PURCHASED


def test_the_request_marked_delivered_itself_is_moved_once(
    client, purchased, runner, django_capture_on_commit_callbacks
):
    client.force_login(runner.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("medical:step", args=[purchased.pk, "delivered"]))
    purchased.refresh_from_db()
    assert purchased.status == S.DELIVERED
    assert purchased.delivery.status == DeliveryStatus.DELIVERED
    assert MedicineEvent.objects.filter(request=purchased, to_status=S.DELIVERED).count() == 1
