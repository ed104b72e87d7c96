"""Reading what a person typed (or a tampered form sent) into a page: ids, whole numbers and
moments, one way everywhere.

`"²".isdigit()` is true and `int("²")` fails, so nothing typed reaches `int()` through
`isdigit`: ids are ASCII digits only, of a length a database key can hold; anything else is
None, and the page answers a clear message or a 404, never a server error."""

import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError

# A bigint key has at most 19 digits; 18 keep every value inside it.
_MAX_DIGITS = 18


def whole_number(value: object) -> int | None:
    """A whole number of ASCII digits ("0", "42"), else None."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > _MAX_DIGITS or not (value.isascii() and value.isdigit()):
        return None
    return int(value)


def parse_id(value: object) -> int | None:
    """A row's id as a form sends it, else None (which no row has, so a lookup is a 404)."""
    number = whole_number(value)
    return number if number else None


def parse_ids(values) -> list[int]:
    """The ids among a list of form values, in order; anything else is left out."""
    return [number for number in map(parse_id, values) if number is not None]


def parse_moment(value: object) -> datetime.datetime | None:
    """A date and time as a form or an offline phone sends it (ISO 8601, in local time when
    it has no offset); None when empty. A moment that does not exist (30 February, 25:00)
    is refused with a message a person can read."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = parse_datetime(value.strip())
    except ValueError:
        moment = None
    if moment is None:
        raise ApplicationError(
            _("“%(value)s” is not a real date and time.") % {"value": value[:40]},
            extra={"code": "invalid_datetime"},
        )
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
