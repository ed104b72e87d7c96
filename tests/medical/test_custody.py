"""Cards and booklets: who holds each now, what a volunteer carries, and the 48 h flag."""

import datetime

import pytest
from django.utils import timezone

from core.exceptions import ApplicationError
from medical import selectors
from medical.models import CustodyItem, Holder
from medical.services.medicine import custody_log


def hours_ago(hours: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=hours)


class TestCustody:
    def test_it_follows_a_card_from_home_to_the_hospital_and_back(self, assigned, runner):
        steps = [Holder.VOLUNTEER, Holder.HOSPITAL, Holder.VOLUNTEER, Holder.RESIDENT]
        for holder in steps:
            custody_log(request=assigned, item=CustodyItem.CARD, to_holder=holder, by=runner.user)
        events = list(assigned.custody_events.values_list("from_holder", "to_holder"))
        assert events == [
            (Holder.RESIDENT, Holder.VOLUNTEER),
            (Holder.VOLUNTEER, Holder.HOSPITAL),
            (Holder.HOSPITAL, Holder.VOLUNTEER),
            (Holder.VOLUNTEER, Holder.RESIDENT),
        ]
        first = assigned.custody_events.first()
        assert (first.to_volunteer, first.logged_by) == (runner, runner.user)

    def test_a_volunteers_list_shows_every_card_they_hold_now(
        self, assigned, runner, file_request, staff
    ):
        other = file_request(hospital="华山医院")
        other = selectors.medicine_requests_staffed_by(staff).get(pk=other.pk)
        from medical.services import medicine

        other = medicine.medicine_request_triage(request=other, by=staff)
        other = medicine.medicine_request_assign(request=other, volunteer=runner, by=staff)
        custody_log(request=assigned, item="card", to_holder="volunteer", by=runner.user)
        custody_log(request=assigned, item="booklet", to_holder="volunteer", by=runner.user)
        custody_log(request=other, item="card", to_holder="volunteer", by=runner.user)
        custody_log(request=other, item="card", to_holder="resident", by=runner.user)
        held = selectors.custody_held_by(runner)
        assert [(event.request_id, event.item) for event in held] == [
            (assigned.pk, "card"),
            (assigned.pk, "booklet"),
        ]

    def test_it_flags_a_card_held_by_a_volunteer_for_more_than_48_hours(
        self, assigned, runner, staff
    ):
        custody_log(
            request=assigned, item="card", to_holder="volunteer", by=runner.user, at=hours_ago(49)
        )
        custody_log(
            request=assigned,
            item="booklet",
            to_holder="volunteer",
            by=runner.user,
            at=hours_ago(47),
        )
        requests = selectors.medicine_requests_staffed_by(staff)
        assert [event.item for event in selectors.custody_overdue(requests)] == ["card"]
        custody_log(request=assigned, item="card", to_holder="resident", by=runner.user)
        assert list(selectors.custody_overdue(requests)) == []

    def test_it_does_not_flag_a_card_at_the_hospital(self, assigned, runner, staff):
        custody_log(
            request=assigned, item="card", to_holder="hospital", by=runner.user, at=hours_ago(60)
        )
        assert not selectors.custody_overdue(selectors.medicine_requests_staffed_by(staff))

    def test_it_refuses_a_handover_to_whoever_already_has_it(self, assigned, runner):
        with pytest.raises(ApplicationError) as error:
            custody_log(request=assigned, item="card", to_holder="resident", by=runner.user)
        assert error.value.extra["code"] == "already_there"
        assert error.value.message == "The Insurance card is already with the resident."

    def test_it_refuses_a_handover_to_a_volunteer_before_one_is_assigned(self, triaged, staff):
        with pytest.raises(ApplicationError) as error:
            custody_log(request=triaged, item="card", to_holder="volunteer", by=staff)
        assert error.value.extra["code"] == "no_volunteer"

    def test_it_refuses_another_volunteer_logging(self, assigned, other_runner):
        with pytest.raises(ApplicationError) as error:
            custody_log(request=assigned, item="card", to_holder="volunteer", by=other_runner.user)
        assert error.value.extra["code"] == "not_allowed"
