"""Transactions that lose a lock conflict are run again, a few times, before giving up.

PostgreSQL aborts one of two transactions that wait for each other (deadlock_detected) or
that it cannot serialise (serialization_failure); running the loser again is the documented
answer. When it keeps losing, the caller gets a LockConflict: a clear, retryable refusal."""

import functools
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import OperationalError, transaction
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError

ATTEMPTS = 3
# SQLSTATEs of a transaction PostgreSQL aborted so that another could go on.
CONFLICT_STATES = {"40P01", "40001"}

P = ParamSpec("P")
R = TypeVar("R")


class LockConflict(ApplicationError):
    """A write that kept losing to concurrent writes; sending it again is safe (API: 409)."""

    status = 409

    def __init__(self) -> None:
        super().__init__(
            _("Someone else changed this at the same moment. Please try again."),
            extra={"code": "lock_conflict", "retryable": True},
        )


def is_lock_conflict(error: BaseException) -> bool:
    cause = error.__cause__
    return getattr(cause, "pgcode", None) in CONFLICT_STATES or (
        getattr(cause, "sqlstate", None) in CONFLICT_STATES
    )


def retried_on_lock_conflict(service: Callable[P, R]) -> Callable[P, R]:
    """Run the (atomic) `service` again when PostgreSQL aborted it for a lock conflict, up to
    ATTEMPTS times, then raise LockConflict. Inside an outer transaction nothing can be rerun,
    so the conflict is raised at once."""

    @functools.wraps(service)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return service(*args, **kwargs)
            except OperationalError as error:
                if not is_lock_conflict(error):
                    raise
                if attempt == ATTEMPTS or transaction.get_connection().in_atomic_block:
                    raise LockConflict() from error
                time.sleep(random.uniform(0, 0.05 * attempt))  # let the winner commit
        raise AssertionError("unreachable")

    return run
