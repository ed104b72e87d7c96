"""The beat task that closes rounds whose closing time has come."""

import datetime

import pytest
from django.utils import timezone

from supplies.models import RoundEvent, RoundKind, RoundStatus, SupplyRound
from supplies.services.rounds import OfferSpec, round_create
from supplies.tasks import close_due_rounds


def ago(**delta) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(**delta)


@pytest.fixture
def draft(committee, compound, vegetables, staff, closes_at):
    return round_create(
        committee=committee,
        title="还没开的",
        kind=RoundKind.ALLOCATION,
        compounds=[compound],
        closes_at=closes_at,
        offers=[OfferSpec(vegetables, 5)],
        by=staff,
    )


def status(supply_round: SupplyRound) -> str:
    return SupplyRound.objects.get(pk=supply_round.pk).status


def test_it_closes_an_open_round_whose_time_has_come(group_buy):
    SupplyRound.objects.filter(pk=group_buy.pk).update(closes_at=ago(minutes=1))

    closed = close_due_rounds.apply().get()

    assert closed == 1
    assert status(group_buy) == RoundStatus.CLOSED
    event = RoundEvent.objects.filter(round=group_buy).last()
    assert (event.from_status, event.to_status, event.actor) == (
        RoundStatus.OPEN,
        RoundStatus.CLOSED,
        None,
    )


def test_it_leaves_rounds_that_are_not_due_or_not_open(group_buy, draft):
    SupplyRound.objects.filter(pk=draft.pk).update(closes_at=ago(minutes=1))

    assert close_due_rounds.apply().get() == 0

    assert status(group_buy) == RoundStatus.OPEN
    assert status(draft) == RoundStatus.DRAFT


def test_it_is_safe_to_run_twice(group_buy):
    SupplyRound.objects.filter(pk=group_buy.pk).update(closes_at=ago(minutes=1))
    close_due_rounds.apply().get()
    events = RoundEvent.objects.filter(round=group_buy).count()

    assert close_due_rounds.apply().get() == 0

    assert status(group_buy) == RoundStatus.CLOSED
    assert RoundEvent.objects.filter(round=group_buy).count() == events
