"""Progress rows of background jobs: created with the request, updated by the worker.

Every update is a single UPDATE in autocommit, outside the job's own transactions, so that
staff watching the progress bar see it move while the job works."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from kombu.exceptions import OperationalError

from core.exceptions import ApplicationError
from core.models import UNFINISHED_JOB_STATUSES, Job, JobStatus

logger = logging.getLogger(__name__)


def subject_of(instance) -> str:
    """The `subject` string that names a model instance: "app_label.model:pk"."""
    return f"{instance._meta.label_lower}:{instance.pk}"


def job_create(*, kind: str, subject: str, by=None, message: str = "") -> Job:
    return Job.objects.create(kind=kind, subject=subject, created_by=by, message=message)


def job_start(job_id: int) -> bool:
    """Mark the job running and count the attempt; False when it has already finished.

    A redelivered message (acks_late after a worker died) starts its job again; a message for
    a job that finished, or that a newer run superseded, does nothing."""
    return bool(
        Job.objects.filter(pk=job_id, status__in=UNFINISHED_JOB_STATUSES).update(
            status=JobStatus.RUNNING,
            started_at=timezone.now(),
            attempts=F("attempts") + 1,
            percent=0,
            updated_at=timezone.now(),
        )
    )


def job_progress(job_id: int, percent: int, message: str) -> None:
    Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
        percent=max(0, min(100, int(percent))), message=message[:300], updated_at=timezone.now()
    )


def job_succeed(job_id: int, *, result: dict, message: str) -> None:
    """Record the result; a job already finished (abandoned for a newer run) stays as it is."""
    Job.objects.filter(pk=job_id, status__in=UNFINISHED_JOB_STATUSES).update(
        status=JobStatus.SUCCEEDED,
        percent=100,
        message=message[:300],
        result=result,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )


def job_fail(job_id: int, *, error: str) -> None:
    """Record the error; a job already finished (abandoned for a newer run) stays as it is."""
    Job.objects.filter(pk=job_id, status__in=UNFINISHED_JOB_STATUSES).update(
        status=JobStatus.FAILED,
        message=error[:300],
        error=error,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )


def jobs_abandon(*, kind: str, subject: str, keep: int, note: str) -> int:
    """Close the unfinished jobs of the same kind and subject as a newer run, `keep`.

    A worker killed mid-way leaves its job running for ever; the next run supersedes it."""
    return (
        Job.objects.filter(kind=kind, subject=subject, status__in=UNFINISHED_JOB_STATUSES)
        .exclude(pk=keep)
        .update(
            status=JobStatus.ABANDONED,
            message=note[:300],
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
    )


def job_enqueue(job: Job, task, *args) -> Job:
    """Send `task(*args, job_id=job.pk)` once the current transaction commits.

    The task and its arguments are kept on the job: when the queue cannot be reached, the
    request still succeeds, the job says that background work is paused, and beat sends it
    once the queue is back (`jobs_dispatch_waiting`)."""
    job.task, job.task_args = task.name, list(args)
    job.save(update_fields=["task", "task_args", "updated_at"])
    transaction.on_commit(lambda: job_dispatch(job.pk))
    return job


# What kombu and redis-py raise when the broker does not answer.
QUEUE_UNREACHABLE = (OperationalError, ConnectionError, TimeoutError, OSError)


def job_dispatch(job_id: int) -> bool:
    """Hand a queued job to the queue once; False when it was sent already or cannot be now."""
    from celery import current_app

    job = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED, dispatched_at__isnull=True).first()
    if job is None or not job.task:
        return False
    try:
        current_app.tasks[job.task].apply_async(
            args=job.task_args, kwargs={"job_id": job.pk}, retry=False
        )
    except QUEUE_UNREACHABLE as error:
        logger.warning("job %s not sent, the queue cannot be reached: %s", job.pk, error)
        Job.objects.filter(pk=job.pk, dispatched_at__isnull=True).update(
            message=gettext(
                "Background work is paused: the queue cannot be reached. The job starts by "
                "itself as soon as it is back."
            ),
            updated_at=timezone.now(),
        )
        return False
    Job.objects.filter(pk=job.pk, dispatched_at__isnull=True).update(dispatched_at=timezone.now())
    return True


def jobs_dispatch_waiting(*, older_than: datetime.timedelta = datetime.timedelta(seconds=30)):
    """Send the jobs that could not be sent when they were asked for (run by beat)."""
    waiting = Job.objects.filter(
        status=JobStatus.QUEUED,
        dispatched_at__isnull=True,
        created_at__lte=timezone.now() - older_than,
    ).exclude(task="")
    return sum(job_dispatch(pk) for pk in waiting.values_list("pk", flat=True)[:200])


Progress = Callable[[int, str], None]


def run_job(job_id: int, work: Callable[[Progress], tuple[dict, str]]) -> dict | None:
    """Run `work(progress)` as the job: running, then succeeded with its (result, message).

    A refusal (ApplicationError) fails the job with its message, for staff to read; anything
    else, a time limit included, fails the job and is raised for the worker's log."""
    if not job_start(job_id):
        return None
    try:
        result, message = work(lambda percent, text: job_progress(job_id, percent, text))
    except ApplicationError as error:
        job_fail(job_id, error=str(error.message))
        return None
    except SoftTimeLimitExceeded:
        job_fail(job_id, error=gettext("The job took too long and was stopped."))
        raise
    except Exception as error:
        job_fail(job_id, error=gettext("The job failed: %(error)s") % {"error": error})
        raise
    job_succeed(job_id, result=result, message=message)
    return result
