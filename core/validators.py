"""Dates a person can type that the product can hold: within a sane range of years.

A year 0078 is accepted by every date parser and is shown back with a local-mean-time offset
(+08:05:43 in Shanghai before 1901); a test taken on 0001-01-02 is a typing slip. One
validator, used by the API serializers, the forms and the model fields alike."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _


@deconstructible
class DateRangeValidator:
    """Refuse a date (or the day of a datetime) before `earliest` or after `latest`
    (`latest=None`: no bound after, where the service already says "in the future")."""

    message = _("Enter a date between %(earliest)s and %(latest)s.")
    message_after = _("Enter a date on or after %(earliest)s.")
    code = "date_out_of_range"

    def __init__(self, earliest: datetime.date, latest: datetime.date | None = None) -> None:
        self.earliest = earliest
        self.latest = latest

    def __call__(self, value: datetime.date | datetime.datetime | None) -> None:
        if value is None:
            return
        day = value.date() if isinstance(value, datetime.datetime) else value
        if self.earliest <= day and (self.latest is None or day <= self.latest):
            return
        earliest = formats.date_format(self.earliest, "SHORT_DATE_FORMAT")
        if self.latest is None:
            raise ValidationError(self.message_after, code=self.code, params={"earliest": earliest})
        latest = formats.date_format(self.latest, "SHORT_DATE_FORMAT")
        raise ValidationError(
            self.message, code=self.code, params={"earliest": earliest, "latest": latest}
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DateRangeValidator) and (self.earliest, self.latest) == (
            other.earliest,
            other.latest,
        )


# When something happens in this product: a test, a trip, a shift, a round, a pickup.
validate_event_date = DateRangeValidator(datetime.date(2000, 1, 1), datetime.date(2100, 12, 31))
# When a person was born (the services refuse a day in the future).
validate_birth_date = DateRangeValidator(datetime.date(1900, 1, 1))
