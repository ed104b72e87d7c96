"""Meals for the elderly: who qualifies, the enrolment's status changes, the daily meal
deliveries, the staff page and the API, each scoped to the staff's committee."""

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.exceptions import ApplicationError
from deliveries.models import (
    Delivery,
    DeliveryKind,
    MealBasis,
    MealEnrolment,
    MealEnrolmentEvent,
    MealStatus,
)
from deliveries.services.assignment import deliveries_assign_meals
from deliveries.services.meals import (
    meal_approve,
    meal_basis_for,
    meal_end,
    meal_enrol,
    meal_reject,
    meals_create_for_day,
)
from deliveries.tasks import create_daily_meals
from tests.factories import BuildingFactory, HouseholdFactory, ResidentFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 12, 2)


def aged(years: int, **kwargs):
    born = datetime.date(TODAY.year - years, 1, 1)
    return ResidentFactory(birth_date=born, **kwargs)


@pytest.fixture(autouse=True)
def english_pages(client, settings):
    """The pages in English, as the language button would leave them; zh is the default."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def elder(household):
    """85, disabled: qualifies on age with reduced mobility."""
    return aged(85, household=household, name="张奶奶", needs=["disabled"])


@pytest.fixture
def younger(household):
    """70 and independent: must apply."""
    return aged(70, household=household, name="李阿姨")


class TestEligibility:
    def test_it_qualifies_80_with_a_disability(self, elder):
        assert meal_basis_for(elder, day=TODAY) == MealBasis.AGED_80_REDUCED_MOBILITY

    def test_it_qualifies_the_80_plus_tag_with_care_level_3(self, household):
        resident = aged(60, household=household, needs=["aged_80_plus"], care_level=3)
        assert meal_basis_for(resident, day=TODAY) == MealBasis.AGED_80_REDUCED_MOBILITY

    def test_it_qualifies_care_level_5_at_any_age(self, household):
        resident = aged(50, household=household, care_level=5)
        assert meal_basis_for(resident, day=TODAY) == MealBasis.CARE_LEVEL

    def test_it_does_not_qualify_80_without_reduced_mobility(self, household):
        resident = aged(85, household=household, care_level=2)
        assert meal_basis_for(resident, day=TODAY) is None

    def test_it_does_not_qualify_reduced_mobility_under_80(self, household):
        resident = aged(79, household=household, needs=["disabled"])
        assert meal_basis_for(resident, day=TODAY) is None


class TestStatusChanges:
    def test_it_approves_a_qualifying_resident_at_once(self, elder, staff):
        enrolment = meal_enrol(resident=elder, meals=["lunch"], notes="软食", by=staff)
        assert enrolment.status == MealStatus.APPROVED
        assert enrolment.decided_by == staff
        assert list(enrolment.events.values_list("to_status", "actor")) == [("approved", staff.pk)]

    def test_it_files_an_application_for_others(self, younger, staff):
        enrolment = meal_enrol(resident=younger, meals=["lunch", "dinner"], by=staff)
        assert (enrolment.status, enrolment.basis) == (MealStatus.APPLIED, "application")

    def test_it_refuses_a_second_open_enrolment(self, elder, staff):
        meal_enrol(resident=elder, meals=["lunch"], by=staff)
        with pytest.raises(ApplicationError) as refusal:
            meal_enrol(resident=elder, meals=["dinner"], basis=MealBasis.APPLICATION, by=staff)
        assert refusal.value.extra["code"] == "already_enrolled"
        assert "already has an open meal enrolment" in refusal.value.message
        assert MealEnrolment.objects.count() == 1

    def test_it_refuses_no_meals(self, elder, staff):
        with pytest.raises(ApplicationError) as refusal:
            meal_enrol(resident=elder, meals=[], by=staff)
        assert refusal.value.extra["code"] == "meals_required"

    def test_it_approves_a_pending_application(self, younger, staff):
        enrolment = meal_enrol(
            resident=younger, meals=["lunch"], basis=MealBasis.APPLICATION, by=staff
        )
        enrolment = meal_approve(enrolment=enrolment, by=staff)
        assert enrolment.status == MealStatus.APPROVED
        assert enrolment.events.last().from_status == "applied"

    def test_it_refuses_to_approve_a_non_pending_one(self, elder, staff):
        enrolment = meal_enrol(resident=elder, meals=["lunch"], by=staff)
        with pytest.raises(ApplicationError) as refusal:
            meal_approve(enrolment=enrolment, by=staff)
        assert refusal.value.extra["code"] == "not_pending"

    def test_it_refuses_to_reject_without_a_reason(self, younger, staff):
        enrolment = meal_enrol(
            resident=younger, meals=["lunch"], basis=MealBasis.APPLICATION, by=staff
        )
        with pytest.raises(ApplicationError) as refusal:
            meal_reject(enrolment=enrolment, reason="  ", by=staff)
        assert refusal.value.extra["code"] == "reason_required"
        enrolment.refresh_from_db()
        assert enrolment.status == MealStatus.APPLIED

    def test_it_rejects_with_a_reason_and_allows_a_new_application(self, younger, staff):
        enrolment = meal_enrol(
            resident=younger, meals=["lunch"], basis=MealBasis.APPLICATION, by=staff
        )
        enrolment = meal_reject(enrolment=enrolment, reason="家人照顾", by=staff)
        assert (enrolment.status, enrolment.reason) == (MealStatus.REJECTED, "家人照顾")
        assert (
            meal_enrol(
                resident=younger, meals=["lunch"], basis=MealBasis.APPLICATION, by=staff
            ).status
            == "applied"
        )

    def test_it_ends_an_enrolment_without_deleting_it(self, elder, staff):
        enrolment = meal_enrol(resident=elder, meals=["lunch"], by=staff)
        enrolment = meal_end(enrolment=enrolment, reason="搬走了", by=staff)
        assert enrolment.status == MealStatus.ENDED
        assert MealEnrolmentEvent.objects.filter(enrolment=enrolment).count() == 2
        with pytest.raises(ApplicationError) as refusal:
            meal_end(enrolment=enrolment, by=staff)
        assert refusal.value.extra["code"] == "not_open"


class TestDailyMeals:
    def test_it_creates_one_set_when_the_task_runs_twice(self, elder, staff):
        meal_enrol(
            resident=elder, meals=["lunch", "dinner"], notes="低盐", starts_on=TODAY, by=staff
        )
        first = create_daily_meals(TODAY.isoformat())
        second = create_daily_meals(TODAY.isoformat())
        assert first == {"created": 1, "existing": 0}
        assert second == {"created": 0, "existing": 1}
        delivery = Delivery.objects.get(kind=DeliveryKind.MEAL)
        assert delivery.household == elder.household
        assert delivery.destination == "door"
        assert delivery.items == "Lunch × 1, Dinner × 1"
        assert delivery.notes == "低盐"
        assert delivery.events.count() == 1
        assert MealEnrolment.objects.get().status == MealStatus.ACTIVE

    def test_it_gives_no_meal_to_ended_or_future_enrolments(self, household, staff):
        ended = meal_enrol(
            resident=aged(90, household=household, care_level=3),
            meals=["lunch"],
            starts_on=TODAY - datetime.timedelta(days=5),
            by=staff,
        )
        meal_end(enrolment=ended, on=TODAY - datetime.timedelta(days=1), by=staff)
        meal_enrol(
            resident=aged(50, household=household, care_level=6),
            meals=["lunch"],
            starts_on=TODAY + datetime.timedelta(days=1),
            by=staff,
        )
        meal_enrol(
            resident=aged(70, household=household),
            meals=["lunch"],
            basis=MealBasis.APPLICATION,
            by=staff,
        )
        assert meals_create_for_day(day=TODAY) == {"created": 0, "existing": 0}
        assert not Delivery.objects.exists()

    def test_it_assigns_meals_to_volunteers_on_a_supply_shift(self, elder, staff, on_shift):
        meal_enrol(resident=elder, meals=["lunch"], by=staff)
        meals_create_for_day(day=timezone.localdate(), by=staff)
        summary = deliveries_assign_meals(day=timezone.localdate(), by=staff)
        assert summary["assigned"] == 1
        assert Delivery.objects.get(kind=DeliveryKind.MEAL).volunteer == on_shift


class TestStaffPage:
    def test_it_lists_and_creates_todays_meals_once(self, client, staff, elder):
        meal_enrol(resident=elder, meals=["lunch"], by=staff)
        client.force_login(staff)
        response = client.get(reverse("meals"))
        assert response.status_code == 200
        assert "张奶奶" in response.content.decode()
        response = client.post(reverse("meals-create-today"), follow=True)
        assert "1 meal deliveries created." in [str(m) for m in get_messages(response.wsgi_request)]
        response = client.post(reverse("meals-create-today"), follow=True)
        assert any("Nothing new" in str(m) for m in get_messages(response.wsgi_request))
        assert Delivery.objects.filter(kind=DeliveryKind.MEAL).count() == 1

    def test_it_puts_each_checkbox_inside_its_label_in_the_styled_form(self, client, staff):
        client.force_login(staff)
        page = client.get(reverse("meals")).content.decode()
        assert "css/meals.css" in page
        assert '<form method="post" class="stack meals-form"' in page
        for name in ("lunch", "dinner", "application"):
            assert re.search(
                rf'<label class="meals-check"><input type="checkbox" name="{name}"', page
            )

    def test_it_enrols_from_the_page(self, client, staff, elder):
        client.force_login(staff)
        response = client.post(
            reverse("meals"), {"resident": elder.pk, "lunch": "on", "notes": "软食"}
        )
        assert response.status_code == 302
        assert MealEnrolment.objects.get().status == MealStatus.APPROVED

    def test_it_rejects_with_a_reason_from_the_page(self, client, staff, younger):
        enrolment = meal_enrol(
            resident=younger, meals=["lunch"], basis=MealBasis.APPLICATION, by=staff
        )
        client.force_login(staff)
        client.post(reverse("meal-decide", args=[enrolment.pk, "reject"]), {"reason": "不符合"})
        enrolment.refresh_from_db()
        assert enrolment.status == MealStatus.REJECTED

    def test_it_is_a_404_for_another_committee(self, client, other_staff, staff, younger):
        enrolment = meal_enrol(
            resident=younger, meals=["lunch"], basis=MealBasis.APPLICATION, by=staff
        )
        client.force_login(other_staff)
        url = reverse("meal-decide", args=[enrolment.pk, "approve"])
        assert client.post(url).status_code == 404
        assert "李阿姨" not in client.get(reverse("meals")).content.decode()

    def test_it_creates_and_assigns_nothing_of_another_committee(
        self, client, other_staff, staff, elder, on_shift
    ):
        enrolment = meal_enrol(resident=elder, meals=["lunch"], by=staff)
        client.force_login(other_staff)
        assert client.post(reverse("meals-create-today")).status_code == 302
        assert not Delivery.objects.exists()
        enrolment.refresh_from_db()
        assert enrolment.status == MealStatus.APPROVED
        meals_create_for_day(day=timezone.localdate(), by=staff)
        assert client.post(reverse("meals-assign-today")).status_code == 302
        assert Delivery.objects.get(kind=DeliveryKind.MEAL).volunteer is None

    def test_it_is_a_404_for_a_volunteer(self, client, volunteer):
        client.force_login(volunteer)
        assert client.get(reverse("meals")).status_code == 404

    def test_it_keeps_its_query_count_flat(self, client, staff, compound):
        def grow(n: int) -> None:
            building = BuildingFactory(compound=compound, label=f"b{n}")
            for i in range(n):
                household = HouseholdFactory(building=building, unit=1, room=f"{i + 1}01")
                elder = aged(85, household=household, needs=["disabled"])
                meal_enrol(resident=elder, meals=["lunch"], by=staff)
                meal_enrol(
                    resident=aged(70, household=household),
                    meals=["lunch"],
                    basis=MealBasis.APPLICATION,
                    by=staff,
                )
            meals_create_for_day(day=timezone.localdate(), by=staff)

        client.force_login(staff)

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse("meals")).status_code == 200
            return len(queries)

        grow(2)
        small = count()
        grow(6)
        assert count() == small


class TestApi:
    def test_it_enrols_and_decides(self, api_client, staff, younger):
        api_client.force_authenticate(staff)
        response = api_client.post(
            "/api/v1/meal-enrolments/", {"resident": younger.pk, "meals": ["lunch"]}, format="json"
        )
        assert response.status_code == 201, response.json()
        pk = response.json()["id"]
        assert response.json()["status"] == "applied"
        response = api_client.post(f"/api/v1/meal-enrolments/{pk}/reject/", {}, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "reason_required"
        response = api_client.post(f"/api/v1/meal-enrolments/{pk}/approve/", {}, format="json")
        assert response.json()["status"] == "approved"
        response = api_client.post(f"/api/v1/meal-enrolments/{pk}/end/", {}, format="json")
        assert response.json()["status"] == "ended"
        assert len(api_client.get("/api/v1/meal-enrolments/").json()["results"]) == 1

    def test_it_enrols_with_empty_dietary_notes(self, api_client, staff, younger):
        api_client.force_authenticate(staff)
        response = api_client.post(
            "/api/v1/meal-enrolments/",
            {"resident": younger.pk, "meals": ["lunch"], "dietary_notes": ""},
            format="json",
        )
        assert response.status_code == 201, response.json()

    def test_it_is_a_404_for_another_committee(self, api_client, staff, other_staff, younger):
        enrolment = meal_enrol(
            resident=younger, meals=["lunch"], basis=MealBasis.APPLICATION, by=staff
        )
        api_client.force_authenticate(other_staff)
        assert api_client.get(f"/api/v1/meal-enrolments/{enrolment.pk}/").status_code == 404
        response = api_client.post(f"/api/v1/meal-enrolments/{enrolment.pk}/approve/")
        assert response.status_code == 404
        response = api_client.post(
            "/api/v1/meal-enrolments/", {"resident": younger.pk, "meals": ["lunch"]}, format="json"
        )
        assert response.status_code == 400


class TestAssignFromThePage:
    def test_it_gives_todays_meals_to_the_volunteer_on_shift(self, client, staff, elder, on_shift):
        meal_enrol(resident=elder, meals=["lunch"], by=staff)
        client.force_login(staff)
        client.post(reverse("meals-create-today"))
        response = client.post(reverse("meals-assign-today"), follow=True)
        assert any(
            "1 meal deliveries assigned" in str(m) for m in get_messages(response.wsgi_request)
        )
        assert Delivery.objects.get(kind=DeliveryKind.MEAL).volunteer == on_shift


class TestAdmin:
    def test_it_shows_the_committees_enrolments_with_their_history(
        self, client, staff, other_staff, elder
    ):
        enrolment = meal_enrol(resident=elder, meals=["lunch"], by=staff)
        client.force_login(staff)
        listing = client.get(reverse("admin:deliveries_mealenrolment_changelist"))
        assert listing.status_code == 200
        assert "张奶奶" in listing.content.decode()
        page = client.get(reverse("admin:deliveries_mealenrolment_change", args=[enrolment.pk]))
        assert page.status_code == 200
        client.force_login(other_staff)
        url = reverse("admin:deliveries_mealenrolment_change", args=[enrolment.pk])
        assert client.get(url).status_code in (302, 404)
        listing = client.get(reverse("admin:deliveries_mealenrolment_changelist"))
        assert "张奶奶" not in listing.content.decode()


class TestApiQueries:
    def test_it_keeps_the_list_query_count_flat(self, api_client, staff, compound):
        api_client.force_authenticate(staff)
        building = BuildingFactory(compound=compound, label="q")

        def grow(n: int, start: int) -> None:
            for i in range(start, start + n):
                household = HouseholdFactory(building=building, unit=1, room=f"{i + 1}01")
                meal_enrol(
                    resident=aged(70, household=household),
                    meals=["lunch"],
                    basis=MealBasis.APPLICATION,
                    by=staff,
                )

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert api_client.get("/api/v1/meal-enrolments/").status_code == 200
            return len(queries)

        grow(2, 0)
        small = count()
        grow(6, 2)
        assert count() == small


class TestVolunteerFlow:
    def test_it_shows_an_assigned_meal_on_the_volunteers_phone(
        self, client, staff, elder, on_shift, volunteer
    ):
        meal_enrol(resident=elder, meals=["lunch"], notes="软食", by=staff)
        meals_create_for_day(day=timezone.localdate(), by=staff)
        deliveries_assign_meals(day=timezone.localdate(), by=staff)
        client.force_login(volunteer)
        page = client.get(reverse("my-deliveries"))
        assert page.status_code == 200
        assert "Lunch × 1" in page.content.decode()
        delivery = Delivery.objects.get(kind=DeliveryKind.MEAL)
        response = client.post(
            reverse("my-delivery-mark", args=[delivery.pk]), {"outcome": "delivered"}
        )
        assert response.status_code == 302
        delivery.refresh_from_db()
        assert delivery.status == "delivered"


def test_it_schedules_the_daily_meals_at_half_past_five():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["create-daily-meals"]
    assert entry["task"] == "deliveries.tasks.create_daily_meals"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({5}, {30})
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
