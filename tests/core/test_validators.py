"""Dates outside a sane range are refused with a clear message, in forms and the API alike."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from core.validators import validate_birth_date, validate_event_date
from medical.forms import TransportForm, TripRequestForm
from residents.models import Resident
from volunteers.forms import TestForm as VolunteerTestForm
from volunteers.models import Volunteer


@pytest.mark.parametrize(
    "day", [datetime.date(78, 12, 13), datetime.date(1, 1, 2), datetime.date(2999, 1, 1)]
)
def test_it_refuses_an_event_date_outside_the_range(day):
    with pytest.raises(ValidationError) as refused:
        validate_event_date(day)
    assert refused.value.code == "date_out_of_range"


def test_it_accepts_an_event_date_of_these_years():
    validate_event_date(datetime.date(2022, 4, 1))
    validate_event_date(datetime.datetime(2022, 4, 1, 10, tzinfo=datetime.UTC))
    validate_event_date(None)


def test_it_says_the_range_in_the_readers_language():
    for validate in (validate_event_date, validate_birth_date):
        with pytest.raises(ValidationError) as refused:
            validate(datetime.date(1, 1, 1))
        with translation.override("en"):
            assert refused.value.messages[0].startswith("Enter a date")
        with translation.override("zh-hans"):
            assert refused.value.messages[0].startswith("请输入")


def test_a_birth_date_may_be_long_ago_but_not_before_1900():
    validate_birth_date(datetime.date(1921, 3, 8))
    with pytest.raises(ValidationError):
        validate_birth_date(datetime.date(1899, 12, 31))


def test_the_forms_refuse_a_year_78_appointment_and_a_year_1_test(db):
    appointment = {"kind": "dialysis", "hospital": "瑞金医院", "appointment_at": "0078-12-13T00:00"}
    transport = TransportForm(
        appointment, residents=Resident.objects.none(), volunteers=Volunteer.objects.none()
    )
    trip = TripRequestForm(appointment, residents=Resident.objects.none())
    test = VolunteerTestForm({"kind": "pcr", "taken_at": "0001-01-02T08:00"})
    for form in (transport, trip, test):
        assert not form.is_valid()
    assert "appointment_at" in transport.errors
    assert "appointment_at" in trip.errors
    assert "taken_at" in test.errors
