"""Logins for many households: created by a background job with a progress page, and their
printable password file handed out once, to the committee's own staff only."""

import io

import openpyxl
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.hashers import check_password
from django.urls import reverse
from django.utils.translation import override

from core.jobs import job_create, job_start, subject_of
from core.models import JobStatus
from residents.models import Household, LoginBatch
from residents.services import household_logins_request, household_logins_run
from tests.factories import HouseholdFactory
from tests.worker import wait_for


@pytest.fixture(autouse=True)
def english():
    with override("en"):
        yield


@pytest.fixture
def households(building):
    return [
        HouseholdFactory(building=building, unit=unit, room=room)
        for unit in (1, 2)
        for room in ("101", "=1+1", "301")
    ]


@pytest.fixture
def create_logins(django_capture_on_commit_callbacks):
    """Post the admin action; the job is sent once the request commits (eager Celery)."""

    def post(client, households):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("admin:residents_household_changelist"),
                {"action": "create_logins", ACTION_CHECKBOX_NAME: [h.pk for h in households]},
                HTTP_ACCEPT_LANGUAGE="en",
            )

    return post


def download(client, batch):
    return client.post(reverse("household-logins-file", args=[batch.pk]), HTTP_ACCEPT_LANGUAGE="en")


def sheet_rows(content: bytes) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
    return list(sheet.iter_rows(min_row=2, values_only=True))


class TestTheJob:
    def test_the_action_starts_a_job_and_shows_its_progress_page(
        self, create_logins, client, staff, households
    ):
        client.force_login(staff)

        response = create_logins(client, households)

        batch = LoginBatch.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("household-logins", args=[batch.pk])
        assert batch.job.subject == subject_of(batch)
        assert batch.job.status == JobStatus.SUCCEEDED  # eager Celery ran it already
        assert batch.job.created_by == staff
        assert batch.created_count == 6
        page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
        assert b"6 logins created; download the password file once." in page.content
        assert b"Download the password file (6 logins)" in page.content
        job = client.get(reverse("household-logins-job", args=[batch.pk])).json()
        assert (job["status"], job["percent"], job["finished"]) == ("succeeded", 100, True)

    def test_the_password_file_is_handed_out_once_then_wiped(
        self, create_logins, client, staff, households
    ):
        client.force_login(staff)
        create_logins(client, households)
        batch = LoginBatch.objects.get()

        response = download(client, batch)

        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store"
        rows = sheet_rows(response.content)
        assert len(rows) == 6
        assert "=1+1" in {row[2] for row in rows}  # a room named like a formula is text
        for _building, _unit, room, username, password in rows:
            owner = Household.objects.select_related("account").get(account__username=username)
            assert owner.room == room
            assert check_password(password, owner.account.password)
            assert owner.account.password != password
        batch.refresh_from_db()
        assert batch.pending == []
        assert (batch.downloaded_by, batch.downloaded_at is not None) == (staff, True)

        again = download(client, batch)

        assert again.status_code == 410
        assert b"already downloaded by staff" in again.content
        page = client.get(reverse("household-logins", args=[batch.pk]))
        assert b"Download the password file" not in page.content

    def test_a_run_again_after_a_crash_goes_on_without_new_passwords(self, staff, households):
        batch = household_logins_request(
            households=Household.objects.filter(pk__in=[h.pk for h in households[:2]]), by=staff
        )
        household_logins_run(batch.pk, lambda percent, text: None)
        batch.refresh_from_db()
        assert batch.created_count == 2
        batch.households = [h.pk for h in households]  # as if the worker died after 2
        batch.save()
        first = {row["username"]: row["password"] for row in batch.pending}

        result, _message = household_logins_run(batch.pk, lambda percent, text: None)

        batch.refresh_from_db()
        assert result == {"created": 6}
        assert len({row["username"] for row in batch.pending}) == 6
        assert {
            row["username"]: row["password"] for row in batch.pending if row["username"] in first
        } == first

    def test_the_file_waits_until_the_job_has_finished(
        self, create_logins, client, staff, households
    ):
        batch = LoginBatch.objects.create(
            committee=households[0].building.compound.committee, households=[], created_by=staff
        )
        batch.job = job_create(kind="household_logins", subject=subject_of(batch), by=staff)
        batch.save()
        job_start(batch.job.pk)
        client.force_login(staff)

        response = download(client, batch)

        assert response.status_code == 410
        assert b"still being created" in response.content
        page = client.get(reverse("household-logins", args=[batch.pk]))
        assert b"job-progress.js" in page.content

    def test_households_of_two_committees_are_refused(
        self, create_logins, client, street_staff, household, other_household
    ):
        client.force_login(street_staff)

        response = create_logins(client, [household, other_household])

        assert response.status_code == 302
        assert not LoginBatch.objects.exists()
        household.refresh_from_db()
        assert household.account is None


class TestScope:
    @pytest.fixture
    def batch(self, create_logins, client, staff, households):
        client.force_login(staff)
        create_logins(client, households)
        client.logout()
        return LoginBatch.objects.get()

    @pytest.mark.parametrize("name", ["household-logins", "household-logins-job"])
    def test_another_committees_staff_cannot_see_it(
        self, create_logins, client, other_staff, batch, name
    ):
        client.force_login(other_staff)

        assert client.get(reverse(name, args=[batch.pk])).status_code == 404

    def test_another_committees_staff_cannot_take_the_file(
        self, create_logins, client, other_staff, batch
    ):
        client.force_login(other_staff)

        assert download(client, batch).status_code == 404

        batch.refresh_from_db()
        assert batch.downloaded_at is None and len(batch.pending) == 6

    def test_street_staff_of_the_committee_may_take_it(
        self, create_logins, client, street_staff, batch
    ):
        client.force_login(street_staff)

        assert download(client, batch).status_code == 200

    def test_a_get_does_not_hand_out_the_file(self, create_logins, client, staff, batch):
        client.force_login(staff)

        assert client.get(reverse("household-logins-file", args=[batch.pk])).status_code == 405
        batch.refresh_from_db()
        assert batch.downloaded_at is None


@pytest.mark.postgres
def test_a_real_worker_creates_the_logins(celery_worker, staff, households):
    batch = household_logins_request(households=Household.objects.all(), by=staff)
    job = batch.job

    wait_for(lambda: job.__class__.objects.get(pk=job.pk).finished, seconds=60)

    batch.refresh_from_db()
    batch.job.refresh_from_db()
    assert batch.job.status == JobStatus.SUCCEEDED, batch.job.error
    assert batch.created_count == 6
    assert Household.objects.filter(account__isnull=True).count() == 0
