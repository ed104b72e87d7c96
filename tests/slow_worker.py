"""A Celery worker whose plan saving is slow, so that a test can kill it half-way.

Run as `python -m tests.slow_worker -A config worker ...` (the arguments of `celery`). Before
handing over to Celery's command line it wraps
`deliveries.services.door_deliveries.deliveries_sync`, which `allocation_save` calls once per
chunk inside the chunk's transaction, so that every chunk waits SLOW_WORKER_CHUNK_SECONDS
(default 0.4) before it commits. With a small
DELIVERIES_PLAN_CHUNK the allocation job then spends seconds between its first and its last
chunk: a window to kill it in. Production code has no hook for this; the wrapper lives here."""

import os
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from deliveries.services import door_deliveries  # noqa: E402

CHUNK_SECONDS = float(os.environ.get("SLOW_WORKER_CHUNK_SECONDS", "0.4"))
_deliveries_sync = door_deliveries.deliveries_sync


def _slow_deliveries_sync(*args, **kwargs):
    time.sleep(CHUNK_SECONDS)
    return _deliveries_sync(*args, **kwargs)


door_deliveries.deliveries_sync = _slow_deliveries_sync

if __name__ == "__main__":
    from celery.__main__ import main

    main()
