"""Every API error answers JSON with a `detail`: bugs, unknown paths, bodies too large and
lock conflicts included; pages keep Django's own error pages."""

import json

import pytest
from django.db import OperationalError
from rest_framework.test import APIClient

from core.exceptions import ApplicationError
from core.locking import ATTEMPTS, LockConflict, retried_on_lock_conflict


class DeadlockDetected(Exception):
    pgcode = "40P01"


def deadlock() -> OperationalError:
    error = OperationalError("deadlock detected")
    error.__cause__ = DeadlockDetected()
    return error


@pytest.fixture
def quiet_client(staff):
    """A client that answers a server error as the server would, instead of raising it."""
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(staff)
    return client


def test_it_answers_a_bug_under_the_api_with_a_json_500(quiet_client, monkeypatch):
    def broken(user):
        raise RuntimeError("a bug")

    monkeypatch.setattr("supplies.api.selectors.orders_visible_to", broken)
    response = quiet_client.get("/api/v1/orders/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "server_error"
    assert response.json()["detail"]


def test_it_answers_an_unknown_api_path_with_a_json_404(quiet_client):
    response = quiet_client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response.json()["detail"]


def test_it_keeps_the_html_404_for_pages(quiet_client):
    response = quiet_client.get("/no-such-page/")
    assert response.status_code == 404
    assert "application/json" not in response["Content-Type"]


@pytest.mark.parametrize("path", ["/api/v1/orders/", "/api/v1/auth/token/"])
def test_it_answers_a_json_body_too_large_with_a_json_413(quiet_client, settings, path):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"round": 1, "lines": [{"offer": 1, "quantity": 1}] * 200})
    response = quiet_client.post(path, body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert response.json()["detail"]


def test_it_answers_a_lock_conflict_with_a_retryable_json_409(quiet_client, monkeypatch):
    def conflict(user):
        raise LockConflict()

    monkeypatch.setattr("supplies.api.selectors.orders_visible_to", conflict)
    response = quiet_client.get("/api/v1/orders/")
    assert response.status_code == 409
    assert response["Retry-After"] == "1"
    assert response.json()["code"] == "lock_conflict"
    assert response.json()["retryable"] is True


def test_it_answers_a_deadlock_the_service_did_not_retry_with_a_json_409(quiet_client, monkeypatch):
    def deadlocked(user):
        raise deadlock()

    monkeypatch.setattr("supplies.api.selectors.orders_visible_to", deadlocked)
    response = quiet_client.get("/api/v1/orders/")
    assert response.status_code == 409
    assert response.json()["code"] == "lock_conflict"


def test_it_runs_a_service_that_lost_a_deadlock_again(transactional_db):
    calls = []

    @retried_on_lock_conflict
    def service():
        calls.append(1)
        if len(calls) < ATTEMPTS:
            raise deadlock()
        return "done"

    assert service() == "done"
    assert len(calls) == ATTEMPTS


def test_it_gives_up_after_a_few_attempts_with_a_lock_conflict(transactional_db):
    calls = []

    @retried_on_lock_conflict
    def service():
        calls.append(1)
        raise deadlock()

    with pytest.raises(LockConflict) as refused:
        service()
    assert isinstance(refused.value, ApplicationError)
    assert len(calls) == ATTEMPTS


def test_it_does_not_rerun_inside_an_outer_transaction(db):
    calls = []

    @retried_on_lock_conflict
    def service():
        calls.append(1)
        raise deadlock()

    with pytest.raises(LockConflict):
        service()
    assert len(calls) == 1


def test_it_lets_other_database_errors_through(transactional_db):
    @retried_on_lock_conflict
    def service():
        raise OperationalError("disk full")

    with pytest.raises(OperationalError):
        service()
