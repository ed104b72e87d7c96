"""DRF throttles that let a request through when the cache (Redis) cannot be reached: a
throttle protects the service, it must not be the reason residents cannot order."""

import logging

from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle

logger = logging.getLogger(__name__)


class FailOpen:
    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception as error:  # redis-py's errors are not builtin ConnectionErrors
            logger.warning("throttle skipped, the cache cannot be reached: %s", error)
            return True


class AnonThrottle(FailOpen, AnonRateThrottle):
    pass


class LoginThrottle(FailOpen, ScopedRateThrottle):
    pass
