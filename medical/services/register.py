"""The vulnerable register's one write: a call or a visit to a resident."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from medical.models import CheckIn, CheckInKind
from medical.services.access import require_staff_of
from residents.models import Resident


@transaction.atomic
def check_in_log(
    *,
    resident: Resident,
    kind: str,
    by: User,
    note: str = "",
    at: datetime.datetime | None = None,
) -> CheckIn:
    """Staff record that they called or visited a resident; it counts as contact."""
    if kind not in CheckInKind.values:
        raise ApplicationError(_("Say whether you called or visited."), extra={"code": "invalid"})
    require_staff_of(resident, by)
    at = at or timezone.now()
    if at > timezone.now() + datetime.timedelta(minutes=5):
        raise ApplicationError(_("A contact cannot be in the future."), extra={"code": "invalid"})
    return CheckIn.objects.create(
        resident=resident, kind=kind, note=note.strip()[:300], by=by, at=at
    )
