"""The beat task under a real Celery worker on Redis, as production runs it."""

import datetime

import pytest
from django.utils import timezone

from supplies.models import RoundEvent, RoundStatus, SupplyRound
from supplies.tasks import close_due_rounds
from tests.worker import wait_for

pytestmark = pytest.mark.postgres


def test_a_real_worker_closes_the_rounds_whose_time_has_come(celery_worker, group_buy, compound):
    due = group_buy
    SupplyRound.objects.filter(pk=due.pk).update(
        closes_at=timezone.now() - datetime.timedelta(minutes=1)
    )

    close_due_rounds.delay()

    def closed() -> bool:
        return SupplyRound.objects.get(pk=due.pk).status == RoundStatus.CLOSED

    wait_for(closed, what="closing the due round")
    event = RoundEvent.objects.filter(round=due).last()
    assert (event.from_status, event.to_status, event.actor) == (
        RoundStatus.OPEN,
        RoundStatus.CLOSED,
        None,
    )
