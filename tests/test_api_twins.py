"""What staff, volunteers and residents do on pages, a committee's own tools do through the API:
a volunteer registers, staff create and assign the day's meal deliveries and log a call to a
vulnerable resident, and `compounds/` names the committee a registration needs. Each one is
scoped as its page is: another committee's staff get a 404 and change nothing."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from deliveries.models import Delivery, DeliveryKind
from deliveries.services.meals import meal_enrol
from medical.models import CheckIn
from tests.factories import ResidentFactory
from volunteers.models import Volunteer, VolunteerStatus

pytestmark = pytest.mark.django_db


def _as(api_client, user):
    api_client.force_authenticate(user)
    api_client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    return api_client


class TestVolunteerRegistration:
    def body(self, committee, **fields):
        return {
            "committee": committee.pk,
            "name": "陈志愿",
            "phone": "139 1234 5678",
            "password": "a-long-pass-phrase-2022",
            "affiliation": "resident",
            "workgroups": ["supply"],
            **fields,
        }

    def test_anyone_registers_with_the_committee_named_by_compounds(
        self, api_client, staff, compound, committee
    ):
        listed = _as(api_client, staff).get("/api/v1/compounds/").json()["results"]
        assert [row["committee_id"] for row in listed] == [committee.pk]
        api_client.force_authenticate(None)
        body = self.body(committee, compounds=[compound.pk])

        response = api_client.post("/api/v1/volunteers/register/", body)

        assert response.status_code == 201, response.json()
        volunteer = Volunteer.objects.get(pk=response.json()["volunteer"])
        assert response.json()["username"] == volunteer.user.username
        assert (volunteer.status, volunteer.phone, list(volunteer.compounds.all())) == (
            VolunteerStatus.PENDING,
            "+8613912345678",
            [compound],
        )
        token = api_client.post(
            reverse("api-token"),
            {"username": volunteer.user.username, "password": body["password"]},
        )
        assert token.status_code == 200

    @pytest.mark.parametrize(
        "fields, field",
        [
            ({"password": "123"}, None),
            ({"phone": "call me"}, None),
            ({"affiliation": "boss"}, "affiliation"),
            ({"workgroups": ["cooking"]}, "workgroups"),
        ],
    )
    def test_bad_input_is_a_400_and_makes_no_login(self, api_client, committee, fields, field):
        users = User.objects.count()
        response = api_client.post("/api/v1/volunteers/register/", self.body(committee, **fields))
        assert response.status_code == 400
        assert field is None or field in response.json()
        assert User.objects.count() == users and not Volunteer.objects.exists()

    def test_another_committees_compound_is_refused(self, api_client, committee, other_compound):
        body = self.body(committee, compounds=[other_compound.pk])
        response = api_client.post("/api/v1/volunteers/register/", body)
        assert response.status_code == 400 and "compounds" in response.json()
        assert not Volunteer.objects.exists()


@pytest.fixture
def elder(household, staff):
    born = datetime.date(timezone.localdate().year - 70, 1, 1)
    resident = ResidentFactory(household=household, name="王奶奶", birth_date=born, care_level=6)
    meal_enrol(resident=resident, meals=["lunch"], by=staff)
    return resident


class TestMealDays:
    def test_staff_create_the_days_meal_deliveries_once_and_assign_them(
        self, api_client, staff, elder
    ):
        client = _as(api_client, staff)
        first = client.post("/api/v1/meal-days/create-deliveries/", {})
        again = client.post("/api/v1/meal-days/create-deliveries/", {"day": None})
        assert (first.status_code, first.json()) == (200, {"created": 1, "existing": 0})
        assert again.json() == {"created": 0, "existing": 1}
        meal = Delivery.objects.get(kind=DeliveryKind.MEAL)
        assert meal.household == elder.household

        assigned = client.post("/api/v1/meal-days/assign/", {})
        assert assigned.status_code == 200
        assert (assigned.json()["assigned"], assigned.json()["unassigned"]) == (0, 1)

    def test_another_committees_staff_make_none_and_a_resident_is_refused(
        self, api_client, other_staff, resident_user, elder
    ):
        response = _as(api_client, other_staff).post("/api/v1/meal-days/create-deliveries/")
        assert response.json() == {"created": 0, "existing": 0}
        refused = _as(api_client, resident_user).post("/api/v1/meal-days/create-deliveries/")
        assert refused.status_code == 403
        assert not Delivery.objects.exists()

    def test_a_day_not_a_date_is_a_400(self, api_client, staff, elder):
        response = _as(api_client, staff).post("/api/v1/meal-days/create-deliveries/", {"day": 3})
        assert response.status_code == 400 and "day" in response.json()
        assert not Delivery.objects.exists()


class TestCheckIn:
    def test_staff_log_a_call_that_counts_as_contact(self, api_client, staff, elder):
        url = f"/api/v1/vulnerable-residents/{elder.pk}/check-in/"
        response = _as(api_client, staff).post(url, {"kind": "call", "note": "身体还好"})
        assert response.status_code == 201
        logged = CheckIn.objects.get()
        assert (logged.resident, logged.kind, logged.note, logged.by) == (
            elder,
            "call",
            "身体还好",
            staff,
        )
        assert response.json()["id"] == logged.pk

    def test_another_committees_staff_get_a_404_and_a_resident_a_403(
        self, api_client, other_staff, resident_user, elder
    ):
        url = f"/api/v1/vulnerable-residents/{elder.pk}/check-in/"
        assert _as(api_client, other_staff).post(url, {"kind": "call"}).status_code == 404
        assert _as(api_client, resident_user).post(url, {"kind": "call"}).status_code == 403
        assert not CheckIn.objects.exists()

    def test_a_kind_it_does_not_know_is_a_400(self, api_client, staff, elder):
        url = f"/api/v1/vulnerable-residents/{elder.pk}/check-in/"
        response = _as(api_client, staff).post(url, {"kind": "letter"})
        assert response.status_code == 400 and "kind" in response.json()
        assert not CheckIn.objects.exists()
