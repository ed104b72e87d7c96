"""`/health/` for a load balancer: green with the database and the cache on a bare machine;
where tasks go to Redis, green only while a real worker answers and beat's heartbeat is recent,
red (500) once the worker is stopped."""

import json
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings

from core.health import HEARTBEAT_KEY, _broker
from core.tasks import beat_heartbeat
from tests.worker import wait_for


class Answer:
    """/health/ asked over HTTP, as a load balancer does (the view is async: through a real
    server thread, not the test client, whose thread may hold the browser tests' event loop)."""

    def __init__(self, server):
        try:
            with urllib.request.urlopen(f"{server.url}/health/?format=json", timeout=30) as r:
                self.status_code, self.body = r.status, json.load(r)
        except urllib.error.HTTPError as error:
            self.status_code, self.body = error.code, json.load(error)

    def json(self) -> dict:
        return self.body


def statuses(response) -> dict[str, bool]:
    return {name: status == "OK" for name, status in response.json().items()}


def test_a_bare_machine_checks_the_database_and_the_cache(live_server, settings):
    settings.CELERY_BROKER_URL = ""
    response = Answer(live_server)
    assert response.status_code == 200
    assert len(response.json()) == 2
    assert all(statuses(response).values()), response.json()


def test_it_is_red_when_the_broker_does_not_answer(live_server, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = Answer(live_server)
    assert response.status_code == 500
    failing = [name for name, ok in statuses(response).items() if not ok]
    assert any("Redis" in name for name in failing), response.json()
    assert any("Ping" in name for name in failing), response.json()


@pytest.mark.postgres
def test_green_with_a_real_worker_and_beat_then_red_when_the_worker_stops(
    live_server, celery_worker_factory
):
    worker = celery_worker_factory()
    _broker().delete(HEARTBEAT_KEY)
    before = Answer(live_server)
    assert before.status_code == 500  # no heartbeat from beat yet
    assert [n for n, ok in statuses(before).items() if not ok] == ["BeatHeartbeat()"]

    beat_heartbeat.apply_async()  # what beat sends every minute, run by the worker
    wait_for(lambda: _broker().get(HEARTBEAT_KEY) is not None, what="the heartbeat")
    green = Answer(live_server)
    assert green.status_code == 200, green.json()
    assert len(green.json()) == 5

    worker.stop()
    red = Answer(live_server)
    assert red.status_code == 500
    assert [n for n, ok in statuses(red).items() if not ok] == [
        next(n for n in red.json() if "Ping" in n)
    ]


@pytest.mark.postgres
def test_a_stale_heartbeat_is_red(live_server, celery_worker_factory):
    celery_worker_factory()
    _broker().set(HEARTBEAT_KEY, str(time.time() - 10 * 60))
    response = Answer(live_server)
    assert response.status_code == 500
    assert "BeatHeartbeat()" in [n for n, ok in statuses(response).items() if not ok]
    assert settings.CELERY_BROKER_URL
