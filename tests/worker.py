"""A real Celery worker on Redis, working on the test's PostgreSQL database.

The worker is a separate process, as in production: it sees only committed rows, so tests
that use it take `transactional_db`. It needs PostgreSQL (an in-memory SQLite test database
is invisible to another process) and a broker in CELERY_BROKER_URL."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app

ROOT = Path(__file__).resolve().parent.parent


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def _test_database_url() -> str:
    db = connection.settings_dict  # the test database pytest-django created
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def celery_worker(transactional_db, tmp_path):
    """Start `celery worker` on the test database; yield once it answers a ping."""
    from tests.conftest import needs_service  # this module is a plugin of that conftest

    needs_service(
        connection.vendor == "postgresql",
        "needs PostgreSQL: a worker process cannot see an in-memory SQLite test database",
    )
    broker = settings.CELERY_BROKER_URL
    needs_service(bool(broker), "needs CELERY_BROKER_URL: a worker needs a broker")
    needs_service(_redis_answers(broker), f"needs the broker at {broker}")
    app.control.purge()
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "CELERY_BROKER_URL": broker}
    log = tmp_path / "worker.log"
    hostname = f"test-{os.getpid()}@%h"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "--hostname",
            hostname,
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(
            destination=[hostname.replace("%h", os.uname().nodename)], timeout=1
        ):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Celery worker did not start:\n{log.read_text()}")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for(condition, *, seconds: float = 30, what: str = "the worker") -> None:
    """Poll until `condition()` holds (it reads the database), or fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not finish within {seconds} s")
        time.sleep(0.2)
