from celery import shared_task

from core.notifications import send_pending


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def send_pending_notices() -> int:
    """Send the notices not sent yet; run after each batch is stored and by beat to retry."""
    return send_pending()


@shared_task(ignore_result=True, soft_time_limit=10, time_limit=20)
def beat_heartbeat() -> None:
    """Sent by beat every 30 s; `/health/` reads when it last ran."""
    from core.health import heartbeat_record

    heartbeat_record()


@shared_task(ignore_result=True, soft_time_limit=50, time_limit=60)
def dispatch_waiting_jobs() -> int:
    """Send the jobs asked for while the queue was unreachable (beat, every minute)."""
    from core.jobs import jobs_dispatch_waiting

    return jobs_dispatch_waiting()
