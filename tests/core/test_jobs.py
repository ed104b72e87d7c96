"""Progress rows of background jobs (core.jobs): each step a compare-and-set, so that a
redelivered message or a superseded run cannot rewrite a job that has finished."""

import pytest
from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.utils.translation import override

from core.exceptions import ApplicationError
from core.jobs import (
    job_create,
    job_dispatch,
    job_enqueue,
    job_fail,
    job_progress,
    job_start,
    job_succeed,
    jobs_abandon,
    run_job,
    subject_of,
)
from core.models import Job, JobStatus
from residents.models import Street

SUBJECT = "supplies.supplyround:7"


@pytest.fixture(autouse=True)
def english_messages():
    with override("en"):
        yield


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create(username="staff")


@pytest.fixture
def job(db, user):
    return job_create(kind="allocate_round", subject=SUBJECT, by=user, message="Waiting.")


def reloaded(job: Job) -> Job:
    return Job.objects.get(pk=job.pk)


def finished(status: str) -> Job:
    return Job.objects.create(kind="allocate_round", subject=SUBJECT, status=status)


def test_subject_names_a_row_by_its_model_and_key(db):
    street = Street.objects.create(name="长乐街道")

    assert subject_of(street) == f"residents.street:{street.pk}"


def test_a_new_job_waits_with_who_asked(job, user):
    assert (job.status, job.percent, job.attempts, job.message) == (
        JobStatus.QUEUED,
        0,
        0,
        "Waiting.",
    )
    assert job.created_by == user
    assert job.started_at is None and job.finished_at is None
    assert not job.finished


def test_starting_marks_it_running_and_counts_the_attempt(job):
    assert job_start(job.pk) is True

    job = reloaded(job)
    assert (job.status, job.attempts) == (JobStatus.RUNNING, 1)
    assert job.started_at is not None


def test_a_redelivered_message_starts_a_running_job_again_from_zero(job):
    job_start(job.pk)
    job_progress(job.pk, 60, "Half-way.")

    assert job_start(job.pk) is True

    job = reloaded(job)
    assert (job.status, job.attempts, job.percent) == (JobStatus.RUNNING, 2, 0)


@pytest.mark.parametrize("status", [JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.ABANDONED])
def test_a_finished_job_does_not_start_again(db, status):
    job = finished(status)

    assert job_start(job.pk) is False

    job = reloaded(job)
    assert (job.status, job.attempts, job.started_at) == (status, 0, None)


def test_progress_moves_a_running_job_within_0_to_100(job):
    job_start(job.pk)

    job_progress(job.pk, 42, "Saving.")
    assert (reloaded(job).percent, reloaded(job).message) == (42, "Saving.")

    job_progress(job.pk, 250, "x" * 400)
    assert reloaded(job).percent == 100
    assert reloaded(job).message == "x" * 300

    job_progress(job.pk, -5, "Back.")
    assert reloaded(job).percent == 0


def test_progress_does_not_touch_a_job_that_is_not_running(job):
    job_progress(job.pk, 50, "Too early.")

    assert (reloaded(job).percent, reloaded(job).message) == (0, "Waiting.")


def test_success_records_the_result(job):
    job_start(job.pk)

    job_succeed(job.pk, result={"orders": 3}, message="3 orders planned.")

    job = reloaded(job)
    assert (job.status, job.percent, job.result, job.message) == (
        JobStatus.SUCCEEDED,
        100,
        {"orders": 3},
        "3 orders planned.",
    )
    assert job.finished and job.finished_at is not None


def test_failure_keeps_the_whole_error_and_shows_its_start(job):
    job_start(job.pk)

    job_fail(job.pk, error="e" * 500)

    job = reloaded(job)
    assert (job.status, job.error, job.message) == (JobStatus.FAILED, "e" * 500, "e" * 300)
    assert job.finished_at is not None


def test_a_job_abandoned_for_a_newer_run_stays_abandoned(job):
    job_start(job.pk)
    jobs_abandon(kind=job.kind, subject=job.subject, keep=0, note="Superseded.")

    job_succeed(job.pk, result={"late": True}, message="Done late.")
    job_fail(job.pk, error="Failed late.")

    job = reloaded(job)
    assert (job.status, job.message, job.result) == (JobStatus.ABANDONED, "Superseded.", {})


def test_abandoning_closes_only_the_unfinished_jobs_of_the_same_kind_and_subject(job, user):
    running = job_create(kind="allocate_round", subject=SUBJECT)
    job_start(running.pk)
    newer = job_create(kind="allocate_round", subject=SUBJECT)
    other_kind = job_create(kind="schedule_pickups", subject=SUBJECT)
    other_subject = job_create(kind="allocate_round", subject="supplies.supplyround:8")
    done = finished(JobStatus.SUCCEEDED)

    count = jobs_abandon(kind="allocate_round", subject=SUBJECT, keep=newer.pk, note="n" * 400)

    assert count == 2
    for abandoned in (job, running):
        abandoned = reloaded(abandoned)
        assert (abandoned.status, abandoned.message) == (JobStatus.ABANDONED, "n" * 300)
        assert abandoned.finished_at is not None
    assert reloaded(newer).status == JobStatus.QUEUED
    assert reloaded(other_kind).status == JobStatus.QUEUED
    assert reloaded(other_subject).status == JobStatus.QUEUED
    assert reloaded(done).status == JobStatus.SUCCEEDED


CALLS: list = []


@shared_task(name="tests.core.record_call")
def record_call(*args, **kwargs):
    CALLS.append((args, kwargs))


def test_a_job_is_enqueued_only_once_the_transaction_commits(
    job, django_capture_on_commit_callbacks
):
    CALLS.clear()
    with django_capture_on_commit_callbacks() as callbacks:
        assert job_enqueue(job, record_call, 12) is job
        assert CALLS == []
    for callback in callbacks:
        callback()

    assert [((12,), {"job_id": job.pk})] == CALLS
    assert reloaded(job).dispatched_at is not None
    assert job_dispatch(job.pk) is False  # sent once only


def test_run_job_runs_the_work_and_records_its_result(job):
    seen = []

    def work(progress):
        progress(50, "Half-way.")
        seen.append((reloaded(job).status, reloaded(job).percent, reloaded(job).message))
        return {"orders": 5}, "5 orders planned."

    assert run_job(job.pk, work) == {"orders": 5}

    assert seen == [(JobStatus.RUNNING, 50, "Half-way.")]
    job = reloaded(job)
    assert (job.status, job.percent, job.message, job.result, job.attempts) == (
        JobStatus.SUCCEEDED,
        100,
        "5 orders planned.",
        {"orders": 5},
        1,
    )


def test_run_job_fails_a_refused_job_with_its_message(job):
    def work(progress):
        raise ApplicationError("Only a closed round can be planned.")

    assert run_job(job.pk, work) is None

    job = reloaded(job)
    assert (job.status, job.message, job.error) == (
        JobStatus.FAILED,
        "Only a closed round can be planned.",
        "Only a closed round can be planned.",
    )


def test_run_job_fails_on_any_other_error_and_raises_it(job):
    def work(progress):
        raise ZeroDivisionError("division by zero")

    with pytest.raises(ZeroDivisionError):
        run_job(job.pk, work)

    job = reloaded(job)
    assert (job.status, job.message) == (JobStatus.FAILED, "The job failed: division by zero")
    assert job.finished_at is not None


def test_run_job_says_when_a_job_took_too_long(job):
    def work(progress):
        raise SoftTimeLimitExceeded()

    with pytest.raises(SoftTimeLimitExceeded):
        run_job(job.pk, work)

    assert reloaded(job).message == "The job took too long and was stopped."
    assert reloaded(job).status == JobStatus.FAILED


def test_run_job_does_not_run_a_finished_job_again(db):
    job = finished(JobStatus.SUCCEEDED)
    ran = []

    assert run_job(job.pk, lambda progress: ran.append(1) or ({}, "")) is None

    assert ran == []
    assert reloaded(job).status == JobStatus.SUCCEEDED
