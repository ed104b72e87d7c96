"""Many households ordering the last packs at the same moment, on PostgreSQL.

Every household orders from its own thread with its own database connection; a barrier
releases them together so that they race for the offer's row. Only PostgreSQL's row locks
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


@pytest.fixture
def last_packs(postgres, committee, compound, vegetables, leader, staff):
    """An open group buy of 50 vegetable packs, one per household."""
    supply_round = round_create(
        committee=committee,
        title="最后五十份蔬菜包",
        kind=RoundKind.GROUP_BUY,
        compounds=[compound],
        closes_at=timezone.now() + datetime.timedelta(days=1),
        offers=[OfferSpec(package_type=vegetables, stock=STOCK, limit_per_household=1)],
        leader=leader,
        by=leader,
    )
    round_propose(supply_round=supply_round, by=leader)
    round_approve(supply_round=supply_round, by=staff)
    round_open(supply_round=supply_round, by=staff)
    return supply_round.offers.get()


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
