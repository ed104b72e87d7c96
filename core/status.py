"""A row's status moves from one of the statuses a step allows to the next, with its event row,
in one transaction, for every app: rounds, medicine requests, hospital trips.

The row is locked while its status is read, and the update is made only where the status is
still the one read, so that the event records the status the row really left, and two people
moving the same row at once never both succeed (on SQLite, without row locks, the second one's
update finds the status moved on and is refused)."""

from collections.abc import Iterable

from django.db import models, transaction
from django.utils import timezone

from core.exceptions import ApplicationError


def status_move(
    row: models.Model,
    *,
    to: str,
    allowed_from: Iterable[str],
    by,
    event: tuple[type[models.Model], str],
    refusal: str,
    code: str,
    note: str = "",
    **fields,
) -> str:
    """Move `row` to `to` if its status now is one of `allowed_from`, setting `fields` and who
    and when (`updated_by`, `updated_at`), and record the event (`event`: its model and the
    name of its link to the row). Otherwise raise the `refusal` (a message naming the
    `%(status)s` now and the `%(next)s` one) with `code`. Returns the status it left;
    `row.status` is `to` afterwards."""
    model = type(row)
    event_model, link = event
    with transaction.atomic():
        rows = model.objects.filter(pk=row.pk)
        before = rows.select_for_update().values_list("status", flat=True).get()
        moved = before in set(allowed_from) and rows.filter(status=before).update(
            status=to, updated_by=by, updated_at=timezone.now(), **fields
        )
        if not moved:
            raise _refused(model, rows.values_list("status", flat=True).get(), to, refusal, code)
        event_model.objects.create(
            **{link: row}, from_status=before, to_status=to, actor=by, note=note[:300]
        )
    row.status = to
    return before


def _refused(model, status: str, to: str, refusal: str, code: str) -> ApplicationError:
    labels = dict(model._meta.get_field("status").flatchoices)
    return ApplicationError(
        refusal % {"status": labels.get(status, status), "next": labels.get(to, to)},
        extra={"code": code, "status": status},
    )
