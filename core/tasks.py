from celery import shared_task

from core.notifications import send_pending


@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def send_pending_notices() -> int:
    """Send the notices not sent yet; run after each batch is stored and by beat to retry."""
    return send_pending()
