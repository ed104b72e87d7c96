"""Logins for N households (default 800) in one click: the request, and the job on a real worker.

Needs PostgreSQL (a worker process must see the rows) and a Redis broker:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_export \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/4 .venv/bin/python bench/household_logins.py

It creates the scratch database test_<name> of DATABASE_URL (dropped at the end), N households
in one compound and their committee's staff, starts one `celery worker --pool solo` on it, then
POSTs the admin action "Create logins for the selected households" with Django's test client,
as the staff member. It prints the request's time (it only enqueues the job), the job's time on
the worker with the production password hasher (settings.PASSWORD_HASHERS, not MD5), the
per-login figure, and the hasher's own time for one password, the floor: N of those in a row.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=800)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL:
        sys.exit("needs DATABASE_URL on PostgreSQL and CELERY_BROKER_URL")
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host; eager Celery stays off
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    worker = None
    try:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo"]
            + ["--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": _url(connection.settings_dict)},
        )
        run(args.households)
    finally:
        if worker:
            worker.terminate()
            worker.wait(timeout=30)
        connection.creation.destroy_test_db(name, verbosity=0)


def _url(db: dict) -> str:
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def run(count: int) -> None:
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
    from django.contrib.auth.hashers import get_hasher, make_password
    from django.contrib.auth.models import User
    from django.test import Client
    from django.urls import reverse

    from config.celery import app
    from core.models import Job
    from residents.models import Building, Committee, Compound, Household, LoginBatch, Role, Street
    from residents.services import membership_grant

    app.control.purge()
    street = Street.objects.create(name="bench")
    committee = Committee.objects.create(street=street, name="bench")
    compound = Compound.objects.create(committee=committee, name="bench")
    buildings = [
        Building.objects.create(compound=compound, label=str(n), units=4, floors=30)
        for n in range(1, count // 100 + 2)
    ]
    Household.objects.bulk_create(
        Household(building=buildings[n // 100], unit=n % 4 + 1, room=f"{n % 100 + 101}")
        for n in range(count)
    )
    staff = User.objects.create(username="bench-staff")
    membership_grant(user=staff, role=Role.COMMITTEE_STAFF, committee=committee)
    client = Client()
    client.force_login(staff)
    while not app.control.ping(timeout=1):
        time.sleep(0.5)

    pks = list(Household.objects.values_list("pk", flat=True))
    started = time.perf_counter()
    response = client.post(
        reverse("admin:residents_household_changelist"),
        {"action": "create_logins", ACTION_CHECKBOX_NAME: pks},
    )
    request_seconds = time.perf_counter() - started
    assert response.status_code == 302, response.status_code
    batch = LoginBatch.objects.get()
    while not Job.objects.get(pk=batch.job_id).finished:
        time.sleep(0.2)
    total = time.perf_counter() - started
    job = Job.objects.get(pk=batch.job_id)
    batch.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert Household.objects.filter(account__isnull=True).count() == 0
    on_worker = (job.finished_at - job.started_at).total_seconds()

    hash_started = time.perf_counter()
    for _ in range(5):
        make_password("abcdefghjk")
    one_hash = (time.perf_counter() - hash_started) / 5
    print(f"hasher: {get_hasher().algorithm} ({get_hasher().iterations} iterations)")
    print(f"households: {count}, logins created: {batch.created_count}")
    print(
        f"request (enqueue only): {request_seconds * 1000:.0f} ms, answered {response.status_code}"
    )
    print(f"job on the worker: {on_worker:.1f} s ({on_worker / count * 1000:.0f} ms a login)")
    print(f"click to file ready: {total:.1f} s")
    print(
        f"floor, one hash in this process: {one_hash * 1000:.0f} ms;"
        f" x{count} = {one_hash * count:.1f} s"
    )
    print(f"job / floor: {on_worker / (one_hash * count):.2f}")


if __name__ == "__main__":
    main()
