"""Background jobs of the register. Thin: they take ids and call a service; safe to run twice."""

from celery import shared_task

from core.jobs import run_job
from residents import services


@shared_task(acks_late=True, soft_time_limit=25 * 60, time_limit=30 * 60)
def create_household_logins(batch_id: int, job_id: int):
    """Create the batch's household logins; a run again skips the households done."""
    return run_job(job_id, lambda progress: services.household_logins_run(batch_id, progress))
