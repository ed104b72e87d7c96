"""Shared fixtures: a street with two committees, and one user of each role.

`needs_service(name, reason)` skips a test whose real part (PostgreSQL, Redis, a browser) is
absent, and fails it instead under CI=true, so that a green CI never hides a skipped test."""

import os

import pytest
from rest_framework.test import APIClient

from residents.models import Role
from residents.services import membership_grant
from tests.factories import (
    BuildingFactory,
    CommitteeFactory,
    CompoundFactory,
    HouseholdFactory,
    ResidentFactory,
    StreetFactory,
    UserFactory,
)

pytest_plugins = ["tests.worker"]  # the `celery_worker` fixture


def needs_service(available: bool, reason: str) -> None:
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def celery_in_process(request):
    """Tasks run in the test's own process, as on a bare machine, even where CELERY_BROKER_URL
    names a broker: only tests that start a real worker (`celery_worker_factory`) send to it."""
    if "celery_worker_factory" in request.fixturenames:
        yield
        return
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = before


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hashing a password the production way takes about a second; tests need no safety."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def plain_static_files():
    """Static files by their own names, found where they are, without collectstatic (the
    hashed names of production need the manifest collectstatic writes)."""
    from django.test import override_settings

    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        yield


@pytest.fixture(autouse=True)
def fresh_cache():
    """Throttle counts (in the cache) start at zero for every test, as login failures do."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def street(db):
    return StreetFactory(name="长乐街道")


@pytest.fixture
def committee(street):
    return CommitteeFactory(street=street, name="胜利居委会")


@pytest.fixture
def other_committee(street):
    return CommitteeFactory(street=street, name="香樟居委会")


@pytest.fixture
def compound(committee):
    return CompoundFactory(committee=committee, name="胜利花园")


@pytest.fixture
def other_compound(other_committee):
    return CompoundFactory(committee=other_committee, name="香樟苑")


@pytest.fixture
def building(compound):
    return BuildingFactory(compound=compound, label="1", units=2, floors=6)


@pytest.fixture
def other_building(other_compound):
    return BuildingFactory(compound=other_compound, label="1", units=2, floors=6)


@pytest.fixture
def household(building):
    return HouseholdFactory(building=building, unit=1, room="101")


@pytest.fixture
def resident(household):
    return ResidentFactory(household=household, name="张秀英")


@pytest.fixture
def other_household(other_building):
    return HouseholdFactory(building=other_building, unit=1, room="101")


@pytest.fixture
def other_resident(other_household):
    return ResidentFactory(household=other_household, name="陈建国")


@pytest.fixture
def staff(committee):
    """Committee staff of the committee that runs `compound`."""
    user = UserFactory(username="staff")
    membership_grant(user=user, role=Role.COMMITTEE_STAFF, committee=committee)
    return user


@pytest.fixture
def other_staff(other_committee):
    """Committee staff of the other committee: an outsider to `compound`."""
    user = UserFactory(username="other-staff")
    membership_grant(user=user, role=Role.COMMITTEE_STAFF, committee=other_committee)
    return user


@pytest.fixture
def street_staff(street):
    user = UserFactory(username="street-staff")
    membership_grant(user=user, role=Role.STREET_STAFF, street=street)
    return user


@pytest.fixture
def volunteer(committee):
    user = UserFactory(username="volunteer")
    membership_grant(user=user, role=Role.VOLUNTEER, committee=committee)
    return user


@pytest.fixture
def resident_user(household):
    user = UserFactory(username="resident")
    household.account = user
    household.save(update_fields=["account"])
    return user


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_superuser=True, is_staff=True)


@pytest.fixture
def api_client():
    """An API client with no session; call force_authenticate(user) or send a token."""
    return APIClient()
