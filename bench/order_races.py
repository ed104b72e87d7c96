"""Orders raced through the HTTP API on PostgreSQL behind gunicorn: the two races of issue 10.

Run by hand (not in CI), with PostgreSQL on 127.0.0.1:5432; it creates a scratch database,
serves the app with gunicorn in two shapes (sync workers; gthread workers with threads) and
drops the database at the end:

    .venv/bin/python bench/order_races.py
    .venv/bin/python bench/order_races.py --households 100 --shapes sync

Revive race: H households place one pack each (stock 1,000), cancel, then place again with two
simultaneous requests per household. Edit race: 200 households hold an order of 2 packs; they
edit it (50 of them from two clients at once, 30 cancelling) while 800 others place new orders
(1-5 packs, limit 5, stock 1,600). Each prints the answers by status (and code), dropped
connections, the stock invariant (stock + packs in placed orders = initial stock) and the
orders whose final state differs from the last answer that succeeded.
"""

import argparse
import datetime
import http.client
import json
import os
import random
import signal
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
SCRATCH = "h_orders_bench"
REQUEST_TIMEOUT = 60  # seconds, per HTTP request
IDLE_RECONNECT = 1.0  # seconds a keep-alive connection may idle before the client reconnects
SHAPES = {
    "sync": ["--workers", "4"],
    "gthread": ["--workers", "4", "--worker-class", "gthread", "--threads", "4"],
}


def database_url(server: str, name: str) -> str:
    return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))


def admin(server: str, statement: str) -> None:
    import psycopg2

    conn = psycopg2.connect(server)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(statement)
    finally:
        conn.close()


class Gunicorn:
    """The app under gunicorn on `port`, for the length of a `with` block."""

    def __init__(self, *, url: str, shape: list[str], port: int, log: Path) -> None:
        self.port = port
        self.log = log
        self.command = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi",
            *shape,
            "--bind",
            f"127.0.0.1:{port}",
            "--backlog",
            "2048",
        ]
        self.env = {
            **os.environ,
            "DATABASE_URL": url,
            "DATABASE_CONN_MAX_AGE": "60",
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


def seed(tag: str, households: int, stock: int, limit: int):
    """A compound of `households` households and an open group buy of one pack."""
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

    staff = User.objects.create(username=f"{tag}-staff")
    street = Street.objects.create(name=f"{tag} street")
    committee = Committee.objects.create(street=street, name=f"{tag} committee")
    membership_grant(user=staff, role=Role.COMMITTEE_STAFF, committee=committee)
    leader = User.objects.create(username=f"{tag}-leader")
    membership_grant(user=leader, role=Role.GROUP_LEADER, committee=committee)
    compound = Compound.objects.create(committee=committee, name=f"{tag} compound")
    buildings = Building.objects.bulk_create(
        Building(compound=compound, label=str(n), units=4, floors=30) for n in range(1, 21)
    )
    Household.objects.bulk_create(
        Household(building=buildings[n % 20], unit=n // 20 % 4 + 1, room=f"{n:05d}")
        for n in range(households)
    )
    supplier = Supplier.objects.create(
        street=street,
        name=f"{tag} supplier",
        licence_number=f"JY-{tag}",
        licence_checked_at=timezone.now(),
        licence_checked_by=staff,
    )
    package = PackageType.objects.create(
        supplier=supplier, name="蔬菜包", category=Category.VEGETABLE, unit_price=88
    )
    supply_round = round_create(
        committee=committee,
        title=f"{tag} round",
        kind=RoundKind.GROUP_BUY,
        compounds=[compound],
        closes_at=timezone.now() + datetime.timedelta(days=1),
        offers=[OfferSpec(package_type=package, stock=stock, limit_per_household=limit)],
        leader=leader,
        by=leader,
    )
    round_propose(supply_round=supply_round, by=leader)
    round_approve(supply_round=supply_round, by=staff)
    round_open(supply_round=supply_round, by=staff)
    token = Token.objects.create(user=staff).key
    household_ids = sorted(
        Household.objects.filter(building__compound=compound).values_list("pk", flat=True)
    )
    return supply_round.pk, supply_round.offers.get().pk, token, household_ids


class Client:
    """One keep-alive HTTP connection that answers (status, code or "", JSON body or None)."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Accept-Language": "en",
        }
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
        self.used = time.monotonic()

    def call(self, method: str, path: str, body: dict | None = None):
        if time.monotonic() - self.used > IDLE_RECONNECT:
            # gunicorn closes an idle keep-alive connection after 2 s; a client that sent on
            # it would count the server's close as a dropped request.
            self.conn.close()
        try:
            self.conn.request(method, path, body=json.dumps(body or {}), headers=self.headers)
            response = self.conn.getresponse()
            content = response.read()
        except (http.client.HTTPException, OSError) as error:
            self.conn.close()
            return "dropped", type(error).__name__, None
        finally:
            self.used = time.monotonic()
        try:
            data = json.loads(content)
        except ValueError:
            return response.status, "not JSON", None
        code = ""
        if response.status >= 400:
            code = data.get("code") or str(data.get("detail", ""))[:60] if data else ""
        return response.status, code, data

    def close(self) -> None:
        self.conn.close()


def at_once(calls) -> list:
    """Run `calls` (functions of no argument) each in its own thread, released together."""
    barrier = threading.Barrier(len(calls), timeout=60)
    answers: list = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        answers[index] = call()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT * 2)
    return answers


def run_tasks(tasks: list, clients: int, port: int, token: str) -> list:
    """Hand `tasks` to `clients` threads; a task is a list of (method, path, body) sent at once,
    each request on its own connection. Returns (task index, request index, answer) rows."""
    queue = iter(enumerate(tasks))
    lock = threading.Lock()
    rows: list = []

    def client() -> None:
        connections: list[Client] = []
        while True:
            with lock:
                item = next(queue, None)
            if item is None:
                break
            index, requests = item
            while len(connections) < len(requests):
                connections.append(Client(port, token))
            if len(requests) == 1:
                answers = [connections[0].call(*requests[0])]
            else:
                answers = at_once(
                    [
                        (lambda conn=conn, request=request: conn.call(*request))
                        for conn, request in zip(connections, requests, strict=False)
                    ]
                )
            with lock:
                rows.extend((index, n, answer) for n, answer in enumerate(answers))
        for conn in connections:
            conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=900)
    return rows


def final_states(round_id: int) -> dict[int, tuple]:
    """Each order of the round as (status, packs) keyed by household, read from the database."""
    from django.db.models import Sum

    from supplies.models import Order

    return {
        order["household"]: (order["status"], order["packs"] or 0)
        for order in Order.objects.filter(round_id=round_id)
        .values("household", "status")
        .annotate(packs=Sum("lines__quantity"))
    }


def invariant(round_id: int, offer_id: int, initial: int) -> str:
    from django.db.models import Sum

    from supplies.models import Offer, OrderLine, OrderStatus

    stock = Offer.objects.get(pk=offer_id).stock
    packs = (
        OrderLine.objects.filter(offer_id=offer_id, order__status=OrderStatus.PLACED).aggregate(
            packs=Sum("quantity")
        )["packs"]
        or 0
    )
    held = stock + packs
    verdict = "holds" if held == initial else f"BROKEN: {initial - held} packs lost"
    return f"stock {stock} + packs in placed orders {packs} = {held} of {initial} ({verdict})"


def answer_state(data: dict) -> tuple:
    return (data["status"], sum(line["quantity"] for line in data["lines"]))


def by_status(rows) -> str:
    counted = Counter(f"{status} {code}".strip() for _, _, (status, code, _) in rows)
    return ", ".join(f"{name}: {n}" for name, n in sorted(counted.items(), key=str))


def mismatches(rows, tasks_households: list[int], before: dict, after: dict) -> int:
    """Households whose final order differs from the latest successful answer (by the order's
    updated_at in it), or from the state before when nothing succeeded."""
    latest: dict[int, tuple] = {}
    for index, _, (status, _, data) in rows:
        if status in (200, 201) and data:
            household = tasks_households[index]
            if household not in latest or data["updated_at"] > latest[household][0]:
                latest[household] = (data["updated_at"], answer_state(data))
    wrong = 0
    for household in set(tasks_households):
        expected = latest[household][1] if household in latest else before.get(household)
        if after.get(household) != expected:
            wrong += 1
    return wrong


def revive_race(port: int, token: str, round_id: int, offer_id: int, households, clients):
    from django.db import connection

    place = [("POST", "/api/v1/orders/", order_body(round_id, offer_id, h, 1)) for h in households]
    placed = run_tasks([[request] for request in place], clients, port, token)
    orders = {households[i]: data["id"] for i, _, (status, _, data) in placed if status == 201}
    cancelled = run_tasks(
        [[("POST", f"/api/v1/orders/{orders[h]}/cancel/", {})] for h in households if h in orders],
        clients,
        port,
        token,
    )
    before = final_states(round_id)
    connection.close()
    started = time.perf_counter()
    rows = run_tasks([[request, request] for request in place], clients, port, token)
    elapsed = time.perf_counter() - started
    after = final_states(round_id)
    per_household = Counter(households[i] for i, _, (status, _, _) in rows if status == 201)
    print(f"  setup: place {by_status(placed)}; cancel {by_status(cancelled)}")
    print(f"  place twice at once ({elapsed:.1f} s): {by_status(rows)}")
    print(
        f"  households with exactly one 201: "
        f"{sum(1 for h in households if per_household[h] == 1)} of {len(households)}; "
        f"with two: {sum(1 for h in households if per_household[h] == 2)}"
    )
    print(
        f"  final state differs from the last success: "
        f"{mismatches(rows, [households[i] for i in range(len(place))], before, after)}"
    )


def order_body(round_id: int, offer_id: int, household: int, quantity: int) -> dict:
    return {
        "round": round_id,
        "household": household,
        "lines": [{"offer": offer_id, "quantity": quantity}],
    }


def edit_race(port: int, token: str, round_id: int, offer_id: int, households, clients, seed):
    from django.db import connection

    rng = random.Random(seed)
    editors, placers = households[:200], households[200:1000]
    setup = run_tasks(
        [[("POST", "/api/v1/orders/", order_body(round_id, offer_id, h, 2))] for h in editors],
        clients,
        port,
        token,
    )
    orders = {editors[i]: data["id"] for i, _, (status, _, data) in setup if status == 201}
    before = final_states(round_id)
    connection.close()

    def edit(h):
        lines = [{"offer": offer_id, "quantity": rng.randint(1, 5)}]
        return ("PATCH", f"/api/v1/orders/{orders[h]}/", {"lines": lines})

    def cancel(h):
        return ("POST", f"/api/v1/orders/{orders[h]}/cancel/", {"reason": "bench"})

    tasks, owners = [], []
    for n, h in enumerate(editors):
        if n < 20:  # two clients at once, one cancelling
            tasks.append([cancel(h), edit(h)])
        elif n < 50:  # two clients at once, both editing
            tasks.append([edit(h), edit(h)])
        elif n < 60:
            tasks.append([cancel(h)])
        else:
            tasks.append([edit(h)])
        owners.append(h)
    for h in placers:
        tasks.append(
            [("POST", "/api/v1/orders/", order_body(round_id, offer_id, h, rng.randint(1, 5)))]
        )
        owners.append(h)
    order = list(range(len(tasks)))
    rng.shuffle(order)
    tasks = [tasks[i] for i in order]
    owners = [owners[i] for i in order]
    started = time.perf_counter()
    rows = run_tasks(tasks, clients, port, token)
    elapsed = time.perf_counter() - started
    after = final_states(round_id)
    edit_rows = [row for row in rows if owners[row[0]] in orders]
    place_rows = [row for row in rows if owners[row[0]] not in orders]
    print(f"  setup: place {by_status(setup)}")
    print(f"  edits and cancels ({elapsed:.1f} s, with the places): {by_status(edit_rows)}")
    print(f"  new orders: {by_status(place_rows)}")
    print(f"  final state differs from the last success: {mismatches(rows, owners, before, after)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=200, help="of the revive race")
    parser.add_argument("--clients", type=int, default=16, help="client threads (tasks at once)")
    parser.add_argument("--shapes", default="sync,gthread")
    parser.add_argument("--races", default="revive,edit")
    parser.add_argument("--port", type=int, default=8110)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--server", default=SERVER, help="PostgreSQL URL of a maintenance db")
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
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    print(f"PostgreSQL {url}; {args.clients} client threads; {os.cpu_count()} CPUs")
    for shape in args.shapes.split(","):
        for race in args.races.split(","):
            tag = f"{shape}-{race}"
            if race == "revive":
                initial = 1000
                round_id, offer_id, token, households = seed(tag, args.households, initial, 1)
            else:
                initial = 1600
                round_id, offer_id, token, households = seed(tag, 1000, initial, 5)
            connection.close()
            print(f"{race} race, gunicorn {shape} ({' '.join(SHAPES[shape])}):")
            with Gunicorn(
                url=url, shape=SHAPES[shape], port=args.port, log=out / f"races-{tag}.log"
            ) as server:
                if race == "revive":
                    revive_race(server.port, token, round_id, offer_id, households, args.clients)
                else:
                    edit_race(
                        server.port, token, round_id, offer_id, households, args.clients, args.seed
                    )
            print(f"  {invariant(round_id, offer_id, initial)}")
            connection.close()


if __name__ == "__main__":
    main()
