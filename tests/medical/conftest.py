"""Medical fixtures: a resident with a household login, approved volunteers of both
committees, and medicine requests at each step."""

from decimal import Decimal

import pytest

from medical.models import Urgency
from medical.services import medicine
from tests.factories import HouseholdFactory, ResidentFactory, UserFactory
from tests.volunteers import conftest as volunteer_fixtures

# The volunteers' fixtures, shared: English messages and pages, and make_volunteer.
english_messages = volunteer_fixtures.english_messages
english_pages = volunteer_fixtures.english_pages
make_volunteer = volunteer_fixtures.make_volunteer


@pytest.fixture
def runner(committee, staff, make_volunteer):
    """An approved volunteer of `committee` who runs medicine errands."""
    return make_volunteer(committee, "李明", approver=staff)


@pytest.fixture
def other_runner(committee, staff, make_volunteer):
    """Another approved volunteer of the same committee."""
    return make_volunteer(committee, "赵强", approver=staff)


@pytest.fixture
def outside_runner(other_committee, other_staff, make_volunteer):
    """An approved volunteer of the other committee."""
    return make_volunteer(other_committee, "王芳", approver=other_staff)


@pytest.fixture
def neighbour(building):
    """Another household of the same building, with its own login and resident."""
    household = HouseholdFactory(building=building, unit=1, room="102")
    household.account = UserFactory(username="neighbour")
    household.save(update_fields=["account"])
    ResidentFactory(household=household, name="邻居")
    return household.account


ITEMS = [
    {"medicine": "硝苯地平控释片", "strength": "30mg", "quantity": 2},
    {"medicine": "二甲双胍", "strength": "0.5g", "quantity": 1},
]


@pytest.fixture
def file_request(resident, resident_user):
    def file(*, hospital="瑞金医院", urgency=Urgency.RED, by=None, for_resident=None, **kwargs):
        return medicine.medicine_request_file(
            resident=for_resident or resident,
            hospital=hospital,
            urgency=urgency,
            items=kwargs.pop("items", ITEMS),
            by=by or resident_user,
            **kwargs,
        )

    return file


@pytest.fixture
def submitted(file_request):
    return file_request()


@pytest.fixture
def triaged(submitted, staff):
    return medicine.medicine_request_triage(request=submitted, by=staff)


@pytest.fixture
def assigned(triaged, runner, staff):
    return medicine.medicine_request_assign(request=triaged, volunteer=runner, by=staff)


@pytest.fixture
def purchasing(assigned, runner):
    return medicine.medicine_request_purchasing(request=assigned, by=runner.user)


@pytest.fixture
def purchased(purchasing, runner):
    return medicine.medicine_request_purchased(
        request=purchasing, by=runner.user, cost=Decimal("36.50"), receipt="R-001"
    )


@pytest.fixture
def delivered(purchased, runner):
    return medicine.medicine_request_delivered(request=purchased, by=runner.user)
