"""Background jobs of the plan. Thin: they take ids and call a service; safe to run twice.

`acks_late`: a worker that dies mid-way leaves the message unacknowledged, so the broker
gives it to another worker (after the visibility timeout), and the job runs again from the
start; the services write by upsert, so a second run converges to the same plan."""

import datetime

from celery import shared_task
from django.utils import timezone

from core.jobs import job_create, run_job, subject_of
from core.models import Job
from deliveries import wordings
from deliveries.services import (
    allocating,
    assignment,
    meals,
    planning,
    replan,
    scheduling,
    uncollected,
)
from supplies.models import SupplyRound

LIMITS = {"acks_late": True, "soft_time_limit": 25 * 60, "time_limit": 30 * 60}


def _job_id(kind: str, round_id: int, job_id: int | None) -> int:
    if job_id is not None:
        return job_id
    supply_round = SupplyRound.objects.get(pk=round_id)
    return job_create(kind=kind, subject=subject_of(supply_round)).pk


@shared_task(**LIMITS)
def allocate_round(round_id: int, job_id: int | None = None, then_schedule: bool = True):
    """Allocate a closed round's orders to collection points; then schedule its pickups."""
    job_id = _job_id(planning.ALLOCATE, round_id, job_id)
    job = Job.objects.select_related("created_by").filter(pk=job_id).first()
    by = job.created_by if job else None  # who asked: the deliveries' events name them
    result = run_job(job_id, lambda progress: allocating.allocation_run(round_id, progress, by=by))
    if result is not None and then_schedule:
        planning.plan_request(
            supply_round=SupplyRound.objects.get(pk=round_id), kind=planning.SCHEDULE, by=by
        )
    return result


@shared_task(**LIMITS)
def schedule_pickups(round_id: int, job_id: int | None = None):
    """Call each point's pickup households down in slots and tell every household."""
    job_id = _job_id(planning.SCHEDULE, round_id, job_id)
    return run_job(job_id, lambda progress: scheduling.schedule_run(round_id, progress))


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def replan_buildings(change_ids: list[int], job_id: int | None = None) -> int:
    """Re-plan the open orders of buildings whose closure level changed."""
    if job_id is None:
        return len(replan.replan_for_changes(change_ids))

    def work(progress):
        replans = replan.replan_for_changes(change_ids)
        return {"replans": [item.pk for item in replans]}, wordings.REPLANNED(count=len(replans))

    result = run_job(job_id, work)
    return len(result["replans"]) if result else 0


@shared_task(**LIMITS)
def assign_deliveries(round_id: int, job_id: int | None = None):
    """Give the round's open deliveries to the supply volunteers on shift now."""
    job_id = _job_id(assignment.ASSIGN, round_id, job_id)
    job = Job.objects.select_related("created_by").filter(pk=job_id).first()
    by = job.created_by if job else None
    return run_job(job_id, lambda progress: assignment.assignment_run(round_id, progress, by=by))


@shared_task(acks_late=True, time_limit=300)
def create_daily_meals(day: str | None = None) -> dict:
    """Create the day's meal deliveries (today by default, an ISO date otherwise); safe to
    run twice: the deliveries are keyed on enrolment and day."""
    meal_day = datetime.date.fromisoformat(day) if day else timezone.localdate()
    return meals.meals_create_for_day(day=meal_day)


@shared_task(acks_late=True, time_limit=300)
def notify_uncollected_pickups() -> int:
    """At the end of the pickup day, tell each household whose packs nobody collected what
    happens next; safe to run twice: a household told is not told again."""
    return uncollected.uncollected_notify_due()
