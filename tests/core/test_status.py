"""core.status: one status move with its event for every app. The event records the status the
row really left, a step the row has moved past is refused and changes nothing, and on
PostgreSQL two people moving the same row at once leave events that chain (each one's
"before" is the previous one's "after")."""

import threading

import pytest
from django.db import connection

from core.exceptions import ApplicationError
from medical.models import MedicineEvent, MedicineRequest, MedicineStatus
from medical.services import medicine
from supplies.models import RoundEvent, RoundStatus, SupplyRound
from supplies.services.rounds import round_close
from tests.conftest import needs_service
from tests.medical import conftest as medical_fixtures
from tests.supplies import conftest as supplies_fixtures

S = MedicineStatus
file_request = medical_fixtures.file_request
submitted = medical_fixtures.submitted
supplier = supplies_fixtures.supplier
vegetables = supplies_fixtures.vegetables
meat = supplies_fixtures.meat
leader = supplies_fixtures.leader
closes_at = supplies_fixtures.closes_at
group_buy = supplies_fixtures.group_buy


@pytest.mark.django_db
def test_the_event_records_the_status_the_row_left_even_from_a_stale_copy(submitted, staff):
    stale = MedicineRequest.objects.get(pk=submitted.pk)
    medicine.medicine_request_triage(request=submitted, by=staff)
    assert stale.status == S.SUBMITTED  # the copy in hand has not seen the triage

    medicine.medicine_request_cancel(request=stale, by=staff, note="不需要了")

    last = MedicineEvent.objects.filter(request=submitted).latest("pk")
    assert (last.from_status, last.to_status, last.actor, last.note) == (
        S.TRIAGED,
        S.CANCELLED,
        staff,
        "不需要了",
    )


@pytest.mark.django_db
def test_a_step_the_row_moved_past_is_refused_with_its_status_and_changes_nothing(group_buy, staff):
    round_close(supply_round=group_buy, by=staff)
    events = RoundEvent.objects.filter(round=group_buy).count()
    stale = SupplyRound.objects.get(pk=group_buy.pk)
    stale.status = RoundStatus.OPEN

    with pytest.raises(ApplicationError) as refused:
        round_close(supply_round=stale, by=staff)

    assert refused.value.extra["code"] == "bad_transition"
    assert str(RoundStatus.CLOSED.label) in refused.value.message
    assert RoundEvent.objects.filter(round=group_buy).count() == events
    assert SupplyRound.objects.get(pk=group_buy.pk).status == RoundStatus.CLOSED


REQUESTS = 20


@pytest.mark.postgres
def test_concurrent_moves_of_one_row_leave_a_chain_of_events(transactional_db, file_request, staff):
    needs_service(connection.vendor == "postgresql", "needs PostgreSQL: row locks")
    requests = [file_request() for _ in range(REQUESTS)]
    barrier = threading.Barrier(2 * REQUESTS)
    outcomes: list[str] = []

    def act(step, request):
        barrier.wait()
        try:
            step(request=MedicineRequest.objects.get(pk=request.pk), by=staff)
            outcomes.append("moved")
        except ApplicationError as error:
            outcomes.append(error.extra["code"])
        finally:
            connection.close()

    threads = [
        threading.Thread(target=act, args=(step, request))
        for request in requests
        for step in (medicine.medicine_request_triage, medicine.medicine_request_cancel)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert set(outcomes) <= {"moved", "out_of_order"}
    for request in requests:
        events = list(MedicineEvent.objects.filter(request=request).order_by("pk"))
        chain = [(event.from_status, event.to_status) for event in events]
        assert all(a[1] == b[0] for a, b in zip(chain, chain[1:], strict=False)), chain
        assert MedicineRequest.objects.get(pk=request.pk).status == events[-1].to_status
