from celery import shared_task

from supplies.services.rounds import rounds_close_due


@shared_task(acks_late=True, time_limit=300)
def close_due_rounds() -> int:
    """Close the open rounds whose closing time has come; safe to run twice."""
    return rounds_close_due()
