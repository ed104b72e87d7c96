"""Phone numbers in one place: stored in E.164 (region China) however they are typed, found
by any way of writing them, shown in the national format, old rows normalised by the
migration (an invalid number kept as it was and logged)."""

import importlib
import logging

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from core.phones import phone_display, phone_normalise, phones_normalise_rows
from residents.forms import ResidentAdminForm
from residents.models import Household, Resident
from supplies.models import Supplier
from tests.factories import HouseholdFactory, UserFactory
from volunteers.models import Volunteer

pytestmark = pytest.mark.django_db

MOBILE = "+8613912345678"
WAYS_OF_WRITING = ["13912345678", "139 1234 5678", "139-1234-5678", "+86 139 1234 5678"]


def raw_set(model, pk: int, column: str, value: str) -> None:
    """Write a phone as an older release stored it, past the field's normalising."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {model._meta.db_table} SET {column} = %s WHERE id = %s", [value, pk]
        )


PHONE_MIGRATION = {
    "residents": "0005_phones_e164",
    "supplies": "0003_phones_e164",
    "volunteers": "0003_phones_e164",
}


class TestNormalising:
    @pytest.mark.parametrize("typed", WAYS_OF_WRITING + ["8613912345678", " +8613912345678 "])
    def test_it_writes_a_mobile_in_e164(self, typed):
        assert phone_normalise(typed) == MOBILE

    @pytest.mark.parametrize("typed", ["(021) 6234 5678", "021-62345678", "+86 21 6234 5678"])
    def test_it_accepts_a_landline_with_its_area_code(self, typed):
        assert phone_normalise(typed) == "+862162345678"

    def test_it_keeps_what_is_not_a_phone_as_typed(self):
        assert phone_normalise(" call me ") == "call me"
        assert phone_normalise("") == ""

    def test_it_shows_the_national_format(self):
        assert phone_display(MOBILE) == "139 1234 5678"
        assert phone_display("+862162345678") == "021 6234 5678"
        assert phone_display("+16502530000") == "+1 650-253-0000"
        assert phone_display("call me") == "call me"


class TestStorage:
    @pytest.mark.parametrize("typed", WAYS_OF_WRITING)
    def test_every_model_stores_e164(self, building, committee, street, typed):
        household = HouseholdFactory(building=building, room="301", contact_phone=typed)
        resident = Resident.objects.create(household=household, name="张三", phone=typed)
        volunteer = Volunteer.objects.create(
            user=UserFactory(), committee=committee, name="李四", phone=typed
        )
        supplier = Supplier.objects.create(street=street, name="叮咚", contact_phone=typed)

        assert household.contact_phone == resident.phone == MOBILE  # the instance too
        household.refresh_from_db()
        resident.refresh_from_db()
        volunteer.refresh_from_db()
        supplier.refresh_from_db()
        assert {
            household.contact_phone,
            resident.phone,
            volunteer.phone,
            supplier.contact_phone,
        } == {MOBILE}

    def test_an_update_and_a_bulk_update_store_e164(self, household):
        Household.objects.filter(pk=household.pk).update(contact_phone="139 1234 5678")
        assert Household.objects.get(pk=household.pk).contact_phone == MOBILE
        household.contact_phone = "(021) 6234 5678"
        Household.objects.bulk_update([household], ["contact_phone"])
        assert Household.objects.get(pk=household.pk).contact_phone == "+862162345678"

    def test_an_exact_lookup_finds_any_way_of_writing(self, household):
        household.contact_phone = "13912345678"
        household.save()
        for typed in WAYS_OF_WRITING:
            assert list(Household.objects.filter(contact_phone=typed)) == [household]

    def test_the_resident_form_accepts_a_landline_and_refuses_words(self, household):
        form = ResidentAdminForm(
            data={
                "household": household.pk,
                "name": "王五",
                "phone": "(021) 6234 5678",
                "care_level": 0,
            }
        )
        form.fields["household"].queryset = Household.objects.all()
        assert form.is_valid(), form.errors
        assert form.cleaned_data["phone"] == "+862162345678"

        form = ResidentAdminForm(
            data={"household": household.pk, "name": "王五", "phone": "call me", "care_level": 0}
        )
        form.fields["household"].queryset = Household.objects.all()
        assert not form.is_valid()
        assert form.errors.as_data()["phone"][0].code == "invalid_phone"

    def test_the_model_refuses_what_is_not_a_phone(self, household):
        household.contact_phone = "12345"
        with pytest.raises(ValidationError) as refused:
            household.full_clean()
        assert "contact_phone" in refused.value.message_dict


class TestAdminSearch:
    @pytest.mark.parametrize("typed", WAYS_OF_WRITING)
    def test_it_finds_a_household_and_a_resident_by_any_way_of_writing(
        self, client, superuser, household, resident, typed
    ):
        household.contact_phone = "13912345678"
        household.save()
        resident.phone = "+86 139 1234 5678"
        resident.save()
        HouseholdFactory(building=household.building, room="909", contact_phone="13911112222")
        client.force_login(superuser)

        found = client.get(reverse("admin:residents_household_changelist"), {"q": typed}).context[
            "cl"
        ]
        assert list(found.result_list) == [household]
        found = client.get(reverse("admin:residents_resident_changelist"), {"q": typed})
        assert list(found.context["cl"].result_list) == [resident]

    def test_it_still_finds_part_of_a_number(self, client, superuser, household):
        household.contact_phone = "13912345678"
        household.save()
        client.force_login(superuser)
        found = client.get(reverse("admin:residents_household_changelist"), {"q": "1234"})
        assert list(found.context["cl"].result_list) == [household]


class TestMigration:
    def test_it_normalises_old_rows_and_keeps_and_logs_an_invalid_one(
        self, household, resident, caplog
    ):
        other = HouseholdFactory(building=household.building, room="909")
        raw_set(Household, household.pk, "contact_phone", "139 1234 5678")
        raw_set(Household, other.pk, "contact_phone", "021-1234")
        raw_set(Resident, resident.pk, "phone", "(021) 6234 5678")
        migration = importlib.import_module("residents.migrations.0005_phones_e164")

        with caplog.at_level(logging.WARNING, logger="core.phones"):
            migration.normalise(apps, None)

        household.refresh_from_db()
        other.refresh_from_db()
        resident.refresh_from_db()
        assert household.contact_phone == MOBILE
        assert resident.phone == "+862162345678"
        assert other.contact_phone == "021-1234"
        assert f"Household {other.pk}: contact_phone '021-1234'" in caplog.text

    @pytest.mark.parametrize(
        ("app", "model", "field"),
        [("supplies", "Supplier", "contact_phone"), ("volunteers", "Volunteer", "phone")],
    )
    def test_each_app_migration_normalises_its_model(self, app, model, field, street, committee):
        if model == "Supplier":
            row = Supplier.objects.create(street=street, name="叮咚")
        else:
            row = Volunteer.objects.create(
                user=UserFactory(), committee=committee, name="李四", phone=MOBILE
            )
        model_class = apps.get_model(app, model)
        raw_set(model_class, row.pk, field, "139-1234-5678")
        importlib.import_module(f"{app}.migrations.{PHONE_MIGRATION[app]}").normalise(apps, None)
        row.refresh_from_db()
        assert getattr(row, field) == MOBILE

    def test_it_does_nothing_to_rows_already_normal(self, household, django_assert_num_queries):
        household.contact_phone = MOBILE
        household.save()
        with django_assert_num_queries(1):  # the read; nothing to write
            phones_normalise_rows(Household, "contact_phone")


def test_the_template_filter_shows_the_national_format():
    from django.template import Context, Template

    page = Template("{% load phones %}{{ number|phone }}").render(Context({"number": MOBILE}))
    assert page == "139 1234 5678"
