"""Real Celery workers on Redis, working on the test's PostgreSQL database.

A worker is a separate process, as in production: it sees only committed rows, so tests that
use one take `transactional_db`. It needs PostgreSQL (an in-memory SQLite test database is
invisible to another process) and a broker in CELERY_BROKER_URL.

`celery_worker` starts one plain worker. `celery_worker_factory` starts as many as a test
needs, each with its own environment and, if asked, its own entry module (a module under
tests/ that patches something before handing over to Celery's command line), and stops them
all at the end; `Worker.kill()` ends one as a crash would."""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app

ROOT = Path(__file__).resolve().parent.parent

# Where kombu's Redis transport keeps the messages a worker took and has not acknowledged.
UNACKED_KEYS = ("unacked", "unacked_index", "unacked_mutex")


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def _broker_empty(url: str) -> None:
    """Drop queued messages, and the unacknowledged ones a killed worker left behind: with
    acks_late the broker would hand those out again an hour later, to a later test."""
    import redis

    app.control.purge()
    redis.Redis.from_url(url, socket_timeout=2).delete(*UNACKED_KEYS)


def _test_database_url() -> str:
    db = connection.settings_dict  # the test database pytest-django created
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class Worker:
    process: subprocess.Popen
    hostname: str
    log: Path

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a lost machine would: no shutdown, no acknowledgement."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=20)


def _needs_worker_services() -> str:
    from tests.conftest import needs_service  # this module is a plugin of that conftest

    needs_service(
        connection.vendor == "postgresql",
        "needs PostgreSQL: a worker process cannot see an in-memory SQLite test database",
    )
    broker = settings.CELERY_BROKER_URL
    needs_service(bool(broker), "needs CELERY_BROKER_URL: a worker needs a broker")
    needs_service(_redis_answers(broker), f"needs the broker at {broker}")
    return broker


@pytest.fixture
def celery_worker_factory(transactional_db, tmp_path):
    """`start(module="celery", env={})` starts `python -m <module> -A config worker` on the
    test database and returns a `Worker` once it answers a ping. The broker is emptied once,
    before the first start; every worker still running is stopped at the end of the test,
    before the test database is flushed."""
    broker = _needs_worker_services()
    _broker_empty(broker)
    started: list[Worker] = []

    def start(*, module: str = "celery", env: dict[str, str] | None = None) -> Worker:
        number = len(started) + 1
        hostname = f"test-{os.getpid()}-{number}@%h"
        log = tmp_path / f"worker-{number}.log"
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                module,
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
            env={
                **os.environ,
                "DATABASE_URL": _test_database_url(),
                "CELERY_BROKER_URL": broker,
                **(env or {}),
            },
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        worker = Worker(process, hostname.replace("%h", os.uname().nodename), log)
        started.append(worker)
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[worker.hostname], timeout=1):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Celery worker did not start:\n{log.read_text()}")
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()
        _broker_empty(broker)


@pytest.fixture
def celery_worker(celery_worker_factory):
    """Start a plain `celery worker` on the test database; yield its process once it answers."""
    return celery_worker_factory().process


def wait_for(
    condition, *, seconds: float = 30, what: str = "the worker", every: float = 0.2
) -> None:
    """Poll until `condition()` holds (it reads the database), or fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not finish within {seconds} s")
        time.sleep(every)
