"""Many households ordering the last packs at the same moment, on PostgreSQL; orders placed
again after a cancel twice at once; edits and cancels racing new orders of their round.

Every request runs in its own thread with its own database connection; a barrier releases
them together so that they race for the offer's and the orders' rows. Only PostgreSQL's row locks
make this a real race (SQLite serialises whole transactions), so the test needs it."""

import datetime
import threading
from collections import Counter

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Sum
from django.utils import timezone
from rest_framework.test import APIClient

from residents.models import Household
from supplies.models import Offer, Order, OrderLine, OrderStatus, RoundKind
from supplies.services.orders import order_cancel, order_place
from supplies.services.rounds import (
    OfferSpec,
    round_approve,
    round_create,
    round_open,
    round_propose,
)
from tests.conftest import needs_service

HOUSEHOLDS = 200
STOCK = 50
CONNECTIONS_NEEDED = HOUSEHOLDS + 10
PLENTY = 1000

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres(transactional_db):
    needs_service(
        connection.vendor == "postgresql",
        "needs PostgreSQL: row locks decide who gets the last pack",
    )
    with connection.cursor() as cursor:
        cursor.execute("show max_connections")
        max_connections = int(cursor.fetchone()[0])
    needs_service(
        max_connections >= CONNECTIONS_NEEDED,
        f"PostgreSQL max_connections is {max_connections}; "
        f"the test needs {CONNECTIONS_NEEDED} (.ci/run raises it)",
    )


def open_offer(*, committee, compound, package_type, leader, staff, stock: int, limit: int):
    """The offer of an open group buy of one pack."""
    supply_round = round_create(
        committee=committee,
        title="蔬菜包团购",
        kind=RoundKind.GROUP_BUY,
        compounds=[compound],
        closes_at=timezone.now() + datetime.timedelta(days=1),
        offers=[OfferSpec(package_type=package_type, stock=stock, limit_per_household=limit)],
        leader=leader,
        by=leader,
    )
    round_propose(supply_round=supply_round, by=leader)
    round_approve(supply_round=supply_round, by=staff)
    round_open(supply_round=supply_round, by=staff)
    return supply_round.offers.get()


@pytest.fixture
def last_packs(postgres, committee, compound, vegetables, leader, staff):
    """An open group buy of 50 vegetable packs, one per household."""
    return open_offer(
        committee=committee,
        compound=compound,
        package_type=vegetables,
        leader=leader,
        staff=staff,
        stock=STOCK,
        limit=1,
    )


@pytest.fixture
def plenty(postgres, committee, compound, vegetables, leader, staff):
    """An open group buy of 1,000 vegetable packs, up to 5 per household."""
    return open_offer(
        committee=committee,
        compound=compound,
        package_type=vegetables,
        leader=leader,
        staff=staff,
        stock=PLENTY,
        limit=5,
    )


@pytest.fixture
def many_households(building):
    return Household.objects.bulk_create(
        Household(building=building, unit=n % 2 + 1, room=f"{n:04d}") for n in range(HOUSEHOLDS)
    )


def order_one_pack(*, staff: User, offer: Offer, household: Household) -> str:
    """One hotline order through the API; says "placed", "sold_out" or what went wrong."""
    client = APIClient()
    client.force_authenticate(staff)
    response = client.post(
        "/api/v1/orders/",
        {
            "round": offer.round_id,
            "household": household.pk,
            "lines": [{"offer": offer.pk, "quantity": 1}],
        },
        format="json",
    )
    if response.status_code == 201:
        return "placed"
    if response.status_code == 400 and response.json().get("code") == "sold_out":
        return "sold_out"
    return f"{response.status_code} {response.content[:300]!r}"


def order_at_once(*, staff: User, offer: Offer, households: list[Household]) -> Counter:
    """Each household orders one pack from its own thread and connection, all released at once."""
    barrier = threading.Barrier(len(households), timeout=60)
    outcomes: list[str] = []

    def order(household: Household) -> None:
        try:
            # Connect and load the user first, so that only the orders race.
            own_staff = User.objects.get(pk=staff.pk)
            barrier.wait()
            outcome = order_one_pack(staff=own_staff, offer=offer, household=household)
        except Exception as error:  # anything but the two answers is what the test looks for
            outcome = repr(error)
        finally:
            connection.close()
        outcomes.append(outcome)

    threads = [threading.Thread(target=order, args=(household,)) for household in households]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "some orders never finished"
    return Counter(outcomes)


def test_it_sells_the_last_50_packs_to_exactly_50_of_200_households_ordering_at_once(
    last_packs, many_households, staff
):
    outcomes = order_at_once(staff=staff, offer=last_packs, households=many_households)

    last_packs.refresh_from_db()
    orders = Order.objects.filter(round=last_packs.round, status=OrderStatus.PLACED)
    packs = OrderLine.objects.filter(offer=last_packs).aggregate(packs=Sum("quantity"))["packs"]
    assert {
        "answers": dict(outcomes),
        "orders placed": orders.count(),
        "packs in order lines": packs,
        "stock left": last_packs.stock,
    } == {
        "answers": {"placed": STOCK, "sold_out": HOUSEHOLDS - STOCK},
        "orders placed": STOCK,
        "packs in order lines": STOCK,
        "stock left": 0,
    }


def api_call(staff: User, method: str, path: str, body: dict) -> tuple[int, dict]:
    """One API request as `staff`; answers (status, JSON body), or (0, {"error": ...})."""
    client = APIClient()
    client.force_authenticate(staff)
    try:
        response = getattr(client, method)(path, body, format="json")
    except Exception as error:  # a 500 raised through the test client is what we look for
        return 0, {"error": repr(error)[:300]}
    return response.status_code, response.json()


def all_at_once(staff: User, requests: list[tuple[str, str, dict]]) -> list[tuple[int, dict]]:
    """Every request from its own thread and connection, released together by a barrier."""
    barrier = threading.Barrier(len(requests), timeout=60)
    answers: list = [None] * len(requests)

    def send(index: int, request: tuple[str, str, dict]) -> None:
        try:
            own_staff = User.objects.get(pk=staff.pk)  # connect first, so that only writes race
            barrier.wait()
            answers[index] = api_call(own_staff, *request)
        except Exception as error:
            answers[index] = (0, {"error": repr(error)[:300]})
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=pair) for pair in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "some requests never finished"
    return answers


def deadlocks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("select deadlocks from pg_stat_database where datname = current_database()")
        return cursor.fetchone()[0]


def packs_held(offer: Offer) -> int:
    """Stock left plus packs in placed orders: always the stock the offer started with."""
    offer.refresh_from_db()
    placed = OrderLine.objects.filter(offer=offer, order__status=OrderStatus.PLACED)
    return offer.stock + (placed.aggregate(packs=Sum("quantity"))["packs"] or 0)


def order_body(offer: Offer, household: Household, quantity: int = 1) -> dict:
    return {
        "round": offer.round_id,
        "household": household.pk,
        "lines": [{"offer": offer.pk, "quantity": quantity}],
    }


REVIVED = HOUSEHOLDS // 2  # two requests each: as many threads as the first test


def test_it_places_a_cancelled_order_again_once_when_asked_twice_at_once(
    plenty, many_households, staff
):
    households = many_households[:REVIVED]
    for household in households:
        order = order_place(
            household=household,
            supply_round=plenty.round,
            quantities={plenty.pk: 1},
            placed_by=staff,
            channel="hotline",
        )
        order_cancel(order=order, by=staff)
    assert packs_held(plenty) == PLENTY

    body = [order_body(plenty, household) for household in households for _ in range(2)]
    answers = all_at_once(staff, [("post", "/api/v1/orders/", one) for one in body])

    placed = Counter(
        one["household"] for one, (code, _) in zip(body, answers, strict=True) if code == 201
    )
    refused = Counter(reply.get("code") for code, reply in answers if code != 201)
    lines = OrderLine.objects.filter(order__round=plenty.round, order__status=OrderStatus.PLACED)
    assert {
        "households placed once": sum(1 for n in placed.values() if n == 1),
        "refusals": dict(refused),
        "placed orders": Order.objects.filter(status=OrderStatus.PLACED).count(),
        "packs in placed orders": lines.aggregate(packs=Sum("quantity"))["packs"],
        "stock + packs in placed orders": packs_held(plenty),
    } == {
        "households placed once": REVIVED,
        "refusals": {"already_ordered": REVIVED},
        "placed orders": REVIVED,
        "packs in placed orders": REVIVED,
        "stock + packs in placed orders": PLENTY,
    }


def test_edits_and_cancels_racing_new_orders_of_their_round_all_commit_as_answered(
    plenty, many_households, staff
):
    editors, placers = many_households[:50], many_households[50:100]
    orders = [
        order_place(
            household=household,
            supply_round=plenty.round,
            quantities={plenty.pk: 2},
            placed_by=staff,
            channel="hotline",
        )
        for household in editors
    ]
    requests = []
    for n, order in enumerate(orders):
        if n % 5 == 0:
            requests.append(("post", f"/api/v1/orders/{order.pk}/cancel/", {}))
        else:
            lines = [{"offer": plenty.pk, "quantity": n % 5}]
            requests.append(("patch", f"/api/v1/orders/{order.pk}/", {"lines": lines}))
    requests += [("post", "/api/v1/orders/", order_body(plenty, h, 3)) for h in placers]
    deadlocks_before = deadlocks()

    answers = all_at_once(staff, requests)

    answered = Counter(code for code, _ in answers)
    wrong = []
    for code, reply in answers:
        if code in (200, 201):
            order = Order.objects.get(pk=reply["id"])
            final = (order.status, sum(line.quantity for line in order.lines.all()))
            said = (reply["status"], sum(line["quantity"] for line in reply["lines"]))
            if final != said:
                wrong.append((order.pk, said, final))
    assert {
        "answers": dict(answered),
        "deadlocks": deadlocks() - deadlocks_before,
        "orders not as answered": wrong,
        "stock + packs in placed orders": packs_held(plenty),
    } == {
        "answers": {200: 50, 201: 50},
        "deadlocks": 0,
        "orders not as answered": [],
        "stock + packs in placed orders": PLENTY,
    }
