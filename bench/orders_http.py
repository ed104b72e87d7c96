"""Orders per second through the HTTP API on PostgreSQL, beside the same transaction in raw SQL.

Run by hand (not in CI), with PostgreSQL on 127.0.0.1:5432; it creates a scratch database,
serves the app with gunicorn, and drops the database at the end:

    .venv/bin/python bench/orders_http.py                      # 5,000 households, 32 clients
    .venv/bin/python bench/orders_http.py --households 1000 --clients 16 --workers 2

Phase 1: every household orders one pack with POST /api/v1/orders/ (token auth, as the
committee's hotline staff) from C client threads; gunicorn serves with W sync workers.
Phase 2: the orders are removed and the stock restored, then the same rows are written by C
threads over their own psycopg2 connections in one short transaction each: take the stock
with a conditional UPDATE, insert the order, its line and its event. Prints both rates,
latency p50/p95 and the ratio. Only loopback traffic; every wait has a deadline.
"""

import argparse
import datetime
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
SCRATCH = "lhm_bench"
REQUEST_TIMEOUT = 30  # seconds, per HTTP request or SQL statement


def database_url(server: str, name: str) -> str:
    parts = urlsplit(server)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin(server: str, statement: str) -> None:
    import psycopg2

    conn = psycopg2.connect(server)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(statement)
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def seed(households: int):
    """A committee's compound of `households` households and an open round with enough stock."""
    from django.contrib.auth.models import User
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from residents.models import Building, Committee, Compound, Household, Role, Street
    from residents.services import membership_grant
    from supplies.models import Category, PackageType, RoundKind, Supplier
    from supplies.services.rounds import (
        OfferSpec,
        round_approve,
        round_create,
        round_open,
        round_propose,
    )

    staff = User.objects.create(username="bench-staff")
    street = Street.objects.create(name="bench street")
    committee = Committee.objects.create(street=street, name="bench committee")
    membership_grant(user=staff, role=Role.COMMITTEE_STAFF, committee=committee)
    leader = User.objects.create(username="bench-leader")
    membership_grant(user=leader, role=Role.GROUP_LEADER, committee=committee)
    compound = Compound.objects.create(committee=committee, name="bench compound")
    buildings = Building.objects.bulk_create(
        Building(compound=compound, label=str(n), units=4, floors=30) for n in range(1, 51)
    )
    Household.objects.bulk_create(
        (
            Household(building=buildings[n % 50], unit=n // 50 % 4 + 1, room=f"{n:05d}")
            for n in range(households)
        ),
        batch_size=1000,
    )
    supplier = Supplier.objects.create(
        street=street,
        name="bench supplier",
        licence_number="JY-BENCH",
        licence_checked_at=timezone.now(),
        licence_checked_by=staff,
    )
    package = PackageType.objects.create(
        supplier=supplier, name="蔬菜包", category=Category.VEGETABLE, unit_price=88
    )
    supply_round = round_create(
        committee=committee,
        title="bench round",
        kind=RoundKind.GROUP_BUY,
        compounds=[compound],
        closes_at=timezone.now() + datetime.timedelta(days=1),
        offers=[OfferSpec(package_type=package, stock=households, limit_per_household=1)],
        leader=leader,
        by=leader,
    )
    round_propose(supply_round=supply_round, by=leader)
    round_approve(supply_round=supply_round, by=staff)
    round_open(supply_round=supply_round, by=staff)
    token = Token.objects.create(user=staff).key
    household_ids = list(
        Household.objects.filter(building__compound=compound).values_list("pk", flat=True)
    )
    return staff, supply_round, supply_round.offers.get(), token, household_ids


class Gunicorn:
    """The app under gunicorn on a free loopback port, for the length of a `with` block."""

    def __init__(self, *, url: str, workers: int, conn_max_age: int, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.command = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--backlog",
            "2048",
        ]
        self.env = {
            **os.environ,
            "DATABASE_URL": url,
            "DATABASE_CONN_MAX_AGE": str(conn_max_age),
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "CELERY_BROKER_URL": "",
            "LOG_LEVEL": "WARNING",
        }

    def __enter__(self) -> "Gunicorn":
        self.out = self.log.open("w")
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdout=self.out, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/api/v1/")
                conn.getresponse().read()
                conn.close()
                return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"gunicorn did not answer within 30 s; see {self.log}")

    def __exit__(self, *exc) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.out.close()


def run_clients(household_ids: list[int], clients: int, order, deadline: float):
    """Hand households to `clients` threads that call `order(state, household_id)` each.

    `order` returns (ok, outcome); `state` is the thread's own connection, made by
    `order(None, None)`. Returns elapsed seconds, latencies and a count of outcomes."""
    queue = iter(household_ids)
    lock = threading.Lock()
    latencies: list[float] = []
    outcomes: Counter = Counter()
    ready = threading.Barrier(clients + 1, timeout=60)

    def client() -> None:
        state = order(None, None)
        mine: list[float] = []
        counted: Counter = Counter()
        try:
            ready.wait()
            while time.monotonic() < deadline:
                with lock:
                    household_id = next(queue, None)
                if household_id is None:
                    break
                started = time.perf_counter()
                try:
                    outcome = order(state, household_id)
                except Exception as error:  # counted and shown, never fatal to the others
                    outcome = f"{type(error).__name__}: {error}"[:200]
                mine.append(time.perf_counter() - started)
                counted[outcome] += 1
        finally:
            state.close()
            with lock:
                latencies.extend(mine)
                outcomes.update(counted)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=max(1, deadline - time.monotonic() + REQUEST_TIMEOUT))
    return time.perf_counter() - started, latencies, outcomes


def http_order(port: int, token: str, round_id: int, offer_id: int):
    headers = {
        "Authorization": f"Token {token}",
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Accept-Language": "en",
    }

    def order(conn, household_id):
        if conn is None:
            # Keep-alive when the server allows it; gunicorn's sync workers close after each
            # response and http.client then reconnects on its own.
            return http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
        body = json.dumps(
            {
                "round": round_id,
                "household": household_id,
                "lines": [{"offer": offer_id, "quantity": 1}],
            }
        )
        try:
            conn.request("POST", "/api/v1/orders/", body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
        except (http.client.HTTPException, OSError):
            conn.close()
            raise
        if response.status == 201:
            return "201 placed"
        return f"{response.status} {' '.join(content[:300].decode(errors='replace').split())}"

    return order


def sql_order(url: str, *, staff_id: int, round_id: int, offer_id: int, unit_price):
    import psycopg2

    from core.codes import code_new
    from supplies.models import Offer, Order, OrderEvent, OrderLine

    offers, orders = Offer._meta.db_table, Order._meta.db_table
    lines, events = OrderLine._meta.db_table, OrderEvent._meta.db_table

    def order(conn, household_id):
        if conn is None:
            conn = psycopg2.connect(url, options=f"-c statement_timeout={REQUEST_TIMEOUT}s")
            return conn
        with conn, conn.cursor() as cursor:  # BEGIN … COMMIT, ROLLBACK on error
            cursor.execute(
                f"UPDATE {offers} SET stock = stock - 1 WHERE id = %s AND stock >= 1", [offer_id]
            )
            if cursor.rowcount != 1:
                conn.rollback()
                return "sold out"
            cursor.execute(
                f"INSERT INTO {orders} (household_id, round_id, status, channel, pickup_code,"
                " payment_status, payment_method, payment_reference, created_at, updated_at,"
                " created_by_id, updated_by_id)"
                " VALUES (%s, %s, 'placed', 'api', %s, 'unpaid', '', '', now(), now(), %s, %s)"
                " RETURNING id",
                [household_id, round_id, code_new(), staff_id, staff_id],
            )
            order_id = cursor.fetchone()[0]
            cursor.execute(
                f"INSERT INTO {lines} (order_id, offer_id, quantity, unit_price)"
                " VALUES (%s, %s, 1, %s)",
                [order_id, offer_id, unit_price],
            )
            cursor.execute(
                f"INSERT INTO {events} (order_id, kind, actor_id, at, note)"
                " VALUES (%s, 'placed', %s, now(), '')",
                [order_id, staff_id],
            )
        return "placed"

    return order


def check_and_reset(supply_round, offer, households: int, *, reset: bool) -> str:
    """Count what the phase wrote; then remove it and restore the stock for the next phase."""
    from django.db import transaction
    from django.db.models import Sum

    from supplies.models import Order, OrderEvent, OrderLine

    offer.refresh_from_db()
    orders = Order.objects.filter(round=supply_round)
    packs = OrderLine.objects.filter(offer=offer).aggregate(packs=Sum("quantity"))["packs"] or 0
    summary = f"orders {orders.count()}, packs in lines {packs}, stock left {offer.stock}"
    if reset:
        with transaction.atomic():
            OrderEvent.objects.filter(order__round=supply_round).delete()
            OrderLine.objects.filter(order__round=supply_round).delete()
            orders.delete()
            offer.stock = households
            offer.save(update_fields=["stock"])
    return summary


def report(name: str, elapsed: float, latencies: list[float], outcomes) -> float:
    rate = outcomes.get("201 placed", 0) + outcomes.get("placed", 0)
    rate /= elapsed
    print(
        f"{name}: {sum(outcomes.values())} orders in {elapsed:.2f} s = {rate:,.0f} orders/s; "
        f"latency p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1000:.1f} ms; answers {dict(outcomes)}"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=5_000)
    parser.add_argument("--clients", type=int, default=32, help="concurrent client threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument(
        "--conn-max-age", type=int, default=60, help="DATABASE_CONN_MAX_AGE of the app"
    )
    parser.add_argument("--server", default=SERVER, help="PostgreSQL URL of a maintenance db")
    parser.add_argument("--time-limit", type=int, default=600, help="seconds per phase at most")
    args = parser.parse_args()

    url = database_url(args.server, SCRATCH)
    os.environ["DATABASE_URL"] = url
    os.environ["DATABASE_CONN_MAX_AGE"] = "0"
    admin(args.server, f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")
    admin(args.server, f"CREATE DATABASE {SCRATCH}")
    try:
        run(args, url)
    finally:
        from django.db import connections

        connections.close_all()
        admin(args.server, f"DROP DATABASE IF EXISTS {SCRATCH} WITH (FORCE)")


def run(args, url: str) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    staff, supply_round, offer, token, household_ids = seed(args.households)
    connection.close()  # the scratch database stays quiet while the phases run
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    print(
        f"PostgreSQL {url}; {len(household_ids)} households, {args.clients} clients, "
        f"{args.workers} gunicorn workers (sync), DATABASE_CONN_MAX_AGE={args.conn_max_age}, "
        f"{os.cpu_count()} CPUs"
    )

    with Gunicorn(
        url=url, workers=args.workers, conn_max_age=args.conn_max_age, log=out / "gunicorn.log"
    ) as server:
        order = http_order(server.port, token, supply_round.pk, offer.pk)
        warm = Counter()
        for _ in range(args.workers * 4):  # every worker loads the app before the clock starts
            conn = order(None, None)
            conn.request("GET", "/api/v1/", headers={"Authorization": f"Token {token}"})
            warm[conn.getresponse().status] += 1
            conn.close()
        deadline = time.monotonic() + args.time_limit
        http_result = run_clients(household_ids, args.clients, order, deadline)
    http_rate = report("HTTP API (gunicorn)", *http_result)
    print(f"  in the database: {check_and_reset(supply_round, offer, args.households, reset=True)}")

    order = sql_order(
        url,
        staff_id=staff.pk,
        round_id=supply_round.pk,
        offer_id=offer.pk,
        unit_price=offer.package_type.unit_price,
    )
    deadline = time.monotonic() + args.time_limit
    sql_result = run_clients(household_ids, args.clients, order, deadline)
    sql_rate = report("raw SQL (psycopg2)", *sql_result)
    print(
        f"  in the database: {check_and_reset(supply_round, offer, args.households, reset=False)}"
    )
    print(f"ratio raw SQL / HTTP API: {sql_rate / http_rate:.1f}x" if http_rate else "no HTTP rate")
    failed = sum(n for outcome, n in http_result[2].items() if outcome != "201 placed")
    failed += sum(n for outcome, n in sql_result[2].items() if outcome != "placed")
    if failed or sum(http_result[2].values()) != args.households:
        sys.exit(f"{failed} orders failed or were not sent; see above and bench/out/gunicorn.log")


if __name__ == "__main__":
    main()
