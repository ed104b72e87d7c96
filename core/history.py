"""Field history: every edit of a register or settings row keeps the old value, with who and
when (django-simple-history, the one mechanism for it; state changes keep their own events).

`field_history()` is what a model declares; the actor is, in order, the user a service named
(`instance._history_user`), the user of the request (HistoryRequestMiddleware), then the row's
`updated_by`. Writes that bypass the model (the import's COPY, bulk updates) record their
history with `history_snapshot()`, one INSERT … SELECT per batch."""

import datetime

from django.db import connection, models
from django.utils import timezone
from simple_history.models import HistoricalRecords

CREATED, CHANGED, DELETED = "+", "~", "-"


def _actor(instance, request=None, **kwargs):
    if request is not None:
        return request.user
    return getattr(instance, "updated_by", None)


def field_history(**options) -> HistoricalRecords:
    return HistoricalRecords(get_user=_actor, **options)


def history_snapshot(
    model: type[models.Model],
    pks,
    *,
    kind: str,
    by,
    at: datetime.datetime | None = None,
    batch: int = 1000,
) -> None:
    """Record the current state of rows `pks` of `model` as history of `kind` (+, ~ or -; for
    a deletion, call it before deleting), by `by` at `at`."""
    pks = list(pks)
    if not pks:
        return
    historical = model.history.model
    quote = connection.ops.quote_name
    columns = [quote(field.column) for field in model._meta.concrete_fields]
    extra = ["history_date", "history_change_reason", "history_type", "history_user_id"]
    insert = (
        f"INSERT INTO {quote(historical._meta.db_table)} "
        f"({', '.join(columns + [quote(name) for name in extra])}) "
        f"SELECT {', '.join(columns)}, %s, NULL, %s, %s FROM {quote(model._meta.db_table)} "
        f"WHERE {quote(model._meta.pk.column)} IN "
    )
    when = at or timezone.now()
    with connection.cursor() as cursor:
        for start in range(0, len(pks), batch):
            chunk = pks[start : start + batch]
            cursor.execute(
                insert + "(" + ", ".join(["%s"] * len(chunk)) + ")",
                [when, kind, by.pk if by is not None else None, *chunk],
            )
