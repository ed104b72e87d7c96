"""With Redis stopped, residents still order and staff still work; a job asked for meanwhile
says plainly that background work is paused and is sent by itself once Redis is back. Tested
against a real Redis server that the test starts, stops and starts again."""

import datetime
import shutil
import socket
import subprocess
import time

import pytest
from kombu import pools as kombu_pools
from rest_framework.test import APIClient

from config.celery import app
from core.jobs import jobs_dispatch_waiting
from core.models import Job, JobStatus
from residents.services import buildings_set_closure
from supplies.models import Order
from tests.conftest import needs_service

API = "/api/v1/"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    def __init__(self, tmp_path):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tmp_path
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            if _ping(self):
                return
            time.sleep(0.05)
        pytest.fail("redis-server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=1)

    def queued(self) -> int:
        return self.client().llen("celery")


def _ping(server) -> bool:
    import redis

    try:
        return bool(server.client().ping())
    except redis.RedisError:
        return False


def _reset_pools() -> None:
    """Celery keeps its broker connections; a test that moves the broker drops them."""
    app.pool.force_close_all()
    app._pool = None
    if app.amqp._producer_pool is not None:
        app.amqp._producer_pool.force_close_all()
        app.amqp._producer_pool = None
    kombu_pools.reset()  # kombu keeps producer pools per broker URL too


@pytest.fixture
def redis_down(settings, tmp_path):
    """Broker and cache on a Redis of the test's own, stopped; `.start()` brings it back."""
    needs_service(bool(shutil.which("redis-server")), "needs redis-server to start and stop")
    server = RedisServer(tmp_path)
    server.start()
    names = ("broker_url", "broker_write_url", "broker_read_url", "task_always_eager")
    before = {name: app.conf[name] for name in names}
    before_caches = settings.CACHES
    settings.CELERY_BROKER_URL = server.url
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url,
        }
    }
    app.conf.update(
        broker_url=server.url,
        broker_write_url=server.url,
        broker_read_url=server.url,
        task_always_eager=False,
    )
    _reset_pools()
    server.stop()
    assert not _ping(server)
    yield server
    app.conf.update(before)
    _reset_pools()
    settings.CACHES = before_caches
    if server.process.poll() is None:
        server.stop()


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def test_residents_order_and_log_in_while_redis_is_down(
    redis_down, group_buy, offers, resident_user
):
    answer = client_for(resident_user).post(
        API + "orders/",
        {"round": group_buy.pk, "lines": [{"offer": offers["蔬菜包"].pk, "quantity": 1}]},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    assert Order.objects.filter(household=resident_user.household).exists()

    resident_user.set_password("a-good-pass-4821")
    resident_user.save()
    token = APIClient().post(  # throttled through the cache, which is down: let through
        API + "auth/token/",
        {"username": resident_user.username, "password": "a-good-pass-4821"},
        format="json",
    )
    assert token.status_code == 200, token.content


def test_a_plan_asked_for_while_redis_is_down_waits_then_goes_once_it_is_back(
    redis_down, closed_round, points, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff).post(f"{API}rounds/{closed_round.pk}/allocate/")
    assert response.status_code == 202, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert (job.status, job.dispatched_at) == (JobStatus.QUEUED, None)
    assert "Background work is paused" in job.message
    shown = client_for(staff).get(f"{API}jobs/{job.pk}/").json()
    assert "Background work is paused" in shown["message"]

    redis_down.start()
    assert jobs_dispatch_waiting(older_than=datetime.timedelta(0)) == 1
    job.refresh_from_db()
    assert job.dispatched_at is not None
    assert redis_down.queued() == 1  # waiting in Redis for a worker
    assert jobs_dispatch_waiting(older_than=datetime.timedelta(0)) == 0


def test_a_closure_change_succeeds_while_redis_is_down(
    redis_down, closed_round, street_staff, django_capture_on_commit_callbacks
):
    building = closed_round.compounds.get().buildings.first()
    with django_capture_on_commit_callbacks(execute=True):
        buildings_set_closure(buildings=[building], level="sealed", reason="阳性", by=street_staff)
    job = Job.objects.get(kind="replan")
    assert (job.status, job.dispatched_at) == (JobStatus.QUEUED, None)
