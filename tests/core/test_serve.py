"""`make serve`'s script on PostgreSQL and Redis: gunicorn, a Celery worker and beat come up,
`/health/` turns green with every check (beat's heartbeat included), and stopping the script
stops all three."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests.worker import ROOT, _needs_worker_services, _test_database_url


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _health(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/health/?format=json", timeout=10
        ) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, {}


@pytest.mark.postgres
def test_make_serve_comes_up_green_and_stops_as_one(transactional_db, tmp_path):
    broker = _needs_worker_services()
    port = _free_port()
    log = tmp_path / "serve.log"
    process = subprocess.Popen(
        ["bash", "config/serve.sh"],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": _test_database_url(),
            "CELERY_BROKER_URL": broker,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WEB_CONCURRENCY": "2",
            "CELERY_CONCURRENCY": "1",
            "BEAT_SCHEDULE": str(tmp_path / "beat-schedule"),
        },
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline, answer = time.monotonic() + 120, (0, {})
        while time.monotonic() < deadline and process.poll() is None:
            answer = _health(port)
            if answer[0] == 200:
                break
            time.sleep(2)
        assert answer[0] == 200, f"{answer}\n{log.read_text()[-3000:]}"
        assert len(answer[1]) == 5 and set(answer[1].values()) == {"OK"}

        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        time.sleep(1)
        leftover = subprocess.run(
            ["pgrep", "-g", str(process.pid)], capture_output=True, text=True
        ).stdout.split()
        assert leftover == [], f"still running after SIGTERM: {leftover}"
        assert _health(port)[0] == 0  # nobody answers any more
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
