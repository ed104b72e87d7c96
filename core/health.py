"""`/health/` for a load balancer (django-health-check): the web process answers, the database
and the cache work and, where tasks go to a broker, Redis answers, a Celery worker answers a
ping and beat's heartbeat task ran lately. 200 when every check is green, 500 otherwise;
`?format=json` for machines."""

import dataclasses
import datetime
import time

from django.conf import settings
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

HEARTBEAT_KEY = "lhm:beat:heartbeat"
# Beat sends the heartbeat every 30 s (CELERY_BEAT_SCHEDULE); four missed is a stopped beat.
HEARTBEAT_STALE = datetime.timedelta(minutes=2)


def _broker():
    import redis

    return redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2)


def heartbeat_record() -> None:
    """Run by a worker when beat sends `core.tasks.beat_heartbeat`: both are alive."""
    _broker().set(HEARTBEAT_KEY, str(time.time()), ex=int(HEARTBEAT_STALE.total_seconds()) * 10)


@dataclasses.dataclass
class BeatHeartbeat(HealthCheck):
    """Beat's last heartbeat, run by a worker, is recent."""

    def run(self):
        try:
            value = _broker().get(HEARTBEAT_KEY)
        except Exception as error:  # any Redis failure is "unavailable", never a 500 page
            raise ServiceUnavailable("Redis unavailable") from error
        if value is None:
            raise ServiceUnavailable("No heartbeat from beat yet")
        age = time.time() - float(value)
        if age > HEARTBEAT_STALE.total_seconds():
            raise ServiceUnavailable(f"Beat's last heartbeat ran {int(age)} s ago")


def _async_broker():
    from redis.asyncio import Redis

    return Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2)


class HealthView(HealthCheckView):
    """The checks are read from the settings at each request (no broker: no Celery checks)."""

    def get_checks(self):
        self.checks = ["health_check.checks.Database", "health_check.checks.Cache"]
        if settings.CELERY_BROKER_URL:
            self.checks += [
                ("health_check.contrib.redis.Redis", {"client_factory": _async_broker}),
                (
                    "health_check.contrib.celery.Ping",
                    {"timeout": datetime.timedelta(seconds=2), "limit": 1},
                ),
                BeatHeartbeat,
            ]
        return super().get_checks()
