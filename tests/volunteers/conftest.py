"""Volunteers fixtures: registered volunteers in each state, tests and shifts relative to now."""

import datetime

import pytest
from django.utils import timezone
from django.utils.translation import override

from volunteers.models import TestKind, Workgroup
from volunteers.services import shift_create, test_record, volunteer_approve, volunteer_register

HOUR = datetime.timedelta(hours=1)


def soon(hours: float) -> datetime.datetime:
    """`hours` from now, to the minute."""
    return (timezone.now() + datetime.timedelta(hours=hours)).replace(second=0, microsecond=0)


@pytest.fixture(autouse=True)
def english_messages():
    """Refusals are asserted in English here; the catalogue is checked in test_translations."""
    with override("en"):
        yield


@pytest.fixture(autouse=True)
def english_pages(client, settings):
    """The pages in English too, as the language button would leave them; zh is the default."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def make_volunteer(db):
    """make_volunteer(committee, "name", approved=True, tested_hours_ago=1, compounds=[])."""

    def make(
        committee,
        name: str,
        *,
        approved: bool = True,
        tested_hours_ago: float | None = 1,
        compounds=(),
        approver=None,
        workgroups=(Workgroup.SUPPLY,),
    ):
        volunteer = volunteer_register(
            committee=committee,
            password="volunteer-pass-1234",
            name=name,
            phone="13900139000",
            workgroups=workgroups,
            compounds=compounds,
        )
        if approved:
            volunteer = volunteer_approve(volunteer=volunteer, by=approver or volunteer.user)
        if tested_hours_ago is not None:
            test_record(
                volunteer=volunteer,
                kind=TestKind.ANTIGEN,
                taken_at=timezone.now() - datetime.timedelta(hours=tested_hours_ago),
                by=volunteer.user,
            )
            volunteer.refresh_from_db()
        return volunteer

    return make


@pytest.fixture
def make_shift(staff):
    def make(compound, *, start_in: float = 2, hours: float = 3, needed: int = 2, **kwargs):
        return shift_create(
            compound=compound,
            workgroup=kwargs.pop("workgroup", Workgroup.SUPPLY),
            start=soon(start_in),
            end=soon(start_in + hours),
            needed=needed,
            notes=kwargs.pop("notes", ""),
            by=kwargs.pop("by", staff),
        )

    return make


@pytest.fixture
def helper(committee, staff, make_volunteer):
    """An approved volunteer of `committee`, tested an hour ago."""
    return make_volunteer(committee, "李明", approver=staff)


@pytest.fixture
def other_helper(other_committee, other_staff, make_volunteer):
    """An approved volunteer of the other committee."""
    return make_volunteer(other_committee, "王芳", approver=other_staff)


@pytest.fixture
def shift(compound, make_shift):
    """A supply shift in `compound` from 2 h to 5 h from now, for 2 people."""
    return make_shift(compound)
