"""What a person can type into a page never answers a server error: `"²".isdigit()` is true
and `int("²")` fails, so every id, number and moment a page reads goes through core.parsing
and answers a clear message or a 404, changing nothing."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from core.parsing import parse_id, parse_ids, parse_moment, whole_number
from deliveries.models import Delivery, DeliveryStatus
from medical.models import MedicineStatus
from residents.models import ClosureLevel
from tests.medical import conftest as medical_fixtures
from tests.supplies import conftest as supplies_fixtures
from volunteers.models import VolunteerSettings

pytestmark = pytest.mark.django_db

english_messages = medical_fixtures.english_messages
english_pages = medical_fixtures.english_pages
make_volunteer = medical_fixtures.make_volunteer
runner = medical_fixtures.runner
file_request = medical_fixtures.file_request
submitted = medical_fixtures.submitted
triaged = medical_fixtures.triaged
assigned = medical_fixtures.assigned
purchasing = medical_fixtures.purchasing
purchased = medical_fixtures.purchased
supplier = supplies_fixtures.supplier
vegetables = supplies_fixtures.vegetables
meat = supplies_fixtures.meat
leader = supplies_fixtures.leader
closes_at = supplies_fixtures.closes_at
group_buy = supplies_fixtures.group_buy

TYPED = ["²", "١٢", "1.5", "-3", " ", "9" * 40, "1e3"]


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


class TestParsers:
    @pytest.mark.parametrize("value", [*TYPED, "", None, 3, "0x1"])
    def test_it_reads_no_id_from_what_is_not_one(self, value):
        assert parse_id(value) is None

    def test_it_reads_ascii_ids(self):
        assert parse_id("42") == 42
        assert parse_id(" 7 ") == 7
        assert parse_id("0") is None
        assert parse_ids(["3", "²", "x", "5"]) == [3, 5]

    def test_it_reads_a_whole_number_including_zero(self):
        assert whole_number("0") == 0
        assert whole_number("²") is None

    def test_it_refuses_a_moment_that_does_not_exist(self):
        from core.exceptions import ApplicationError

        assert parse_moment("") is None
        assert parse_moment("2022-02-28T10:00:00").tzinfo is not None
        for value in ("2022-02-30T10:00:00", "2022-02-28T25:00:00", "yesterday"):
            with pytest.raises(ApplicationError) as refused:
                parse_moment(value)
            assert refused.value.extra["code"] == "invalid_datetime"


class TestPages:
    @pytest.mark.parametrize("value", TYPED)
    def test_it_asks_for_a_building_on_the_compound_page(self, client, staff, building, value):
        client.force_login(staff)
        url = reverse("compound-overview", args=[building.compound_id])
        response = client.post(url, {"building": value, "level": ClosureLevel.SEALED}, follow=True)
        assert response.status_code == 200
        building.refresh_from_db()
        assert building.closure_level == ClosureLevel.PRECAUTION

    @pytest.mark.parametrize("value", TYPED)
    def test_it_shows_no_compound_for_a_typed_roster_filter(self, client, staff, compound, value):
        client.force_login(staff)
        response = client.get(reverse("volunteers:staff-roster"), {"compound": value})
        assert response.status_code == 200

    @pytest.mark.parametrize("field", ["requests", "volunteer"])
    def test_it_refuses_a_typed_run(self, client, staff, triaged, runner, field):
        client.force_login(staff)
        post = {"requests": str(triaged.pk), "volunteer": str(runner.pk), field: "²"}
        response = client.post(reverse("medical:staff-run"), post, follow=True)
        assert response.status_code == 200
        assert said(response)
        triaged.refresh_from_db()
        assert triaged.status == MedicineStatus.TRIAGED

    def test_it_refuses_a_typed_volunteer_for_a_request(self, client, staff, triaged):
        client.force_login(staff)
        url = reverse("medical:step", args=[triaged.pk, "assign"])
        response = client.post(url, {"volunteer": "²"}, follow=True)
        assert "Choose an approved volunteer of the committee." in said(response)
        triaged.refresh_from_db()
        assert triaged.status == MedicineStatus.TRIAGED

    @pytest.mark.parametrize("field", ["delivery", "volunteer"])
    def test_it_answers_404_for_a_typed_failed_delivery(self, client, staff, group_buy, field):
        client.force_login(staff)
        post = {"delivery": "1", field: "²"}
        response = client.post(reverse("plan-failed", args=[group_buy.pk]), post)
        assert response.status_code == 404

    @pytest.mark.parametrize("value", TYPED)
    def test_it_asks_for_whole_hours_of_test_validity(self, client, staff, committee, value):
        client.force_login(staff)
        url = reverse("volunteers:staff-settings", args=[committee.pk])
        response = client.post(url, {"test_valid_hours": value}, follow=True)
        assert response.status_code == 200
        assert said(response)
        assert not VolunteerSettings.objects.exists()

    @pytest.mark.parametrize("value", ["2022-02-30T10:00:00", "2022-13-01T10:00:00", "soon"])
    def test_it_refuses_a_tap_at_a_moment_that_does_not_exist(
        self, client, purchased, runner, value
    ):
        client.force_login(runner.user)
        url = reverse("my-delivery-mark", args=[purchased.delivery_id])
        response = client.post(url, {"outcome": "delivered", "tapped_at": value}, follow=True)
        assert response.status_code == 200
        assert any("is not a real date and time" in message for message in said(response))
        assert Delivery.objects.get(pk=purchased.delivery_id).status == DeliveryStatus.PLANNED
