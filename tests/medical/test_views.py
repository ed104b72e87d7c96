"""The medicine pages: a resident files on a phone, staff triage and assign, the volunteer
logs the card, buys and delivers. Another committee, volunteer or household gets a 404."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from deliveries.models import Delivery, DeliveryKind
from medical.models import CustodyEvent, MedicineRequest, MedicineStatus
from medical.services import medicine
from medical.services.medicine import custody_log
from tests.factories import HouseholdFactory, ResidentFactory

S = MedicineStatus


def logged_in(client, user):
    client.force_login(user)
    return client


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def step_url(row, name: str) -> str:
    return reverse("medical:step", args=[row.pk, name])


FORM = {
    "hospital": "瑞金医院",
    "urgency": "red",
    "medicine_1": "硝苯地平控释片",
    "strength_1": "30mg",
    "quantity_1": "2",
    "medicine_2": "",
    "medicine_3": "",
}


class TestResident:
    def test_a_resident_files_a_request_on_the_page(self, client, resident, resident_user):
        response = logged_in(client, resident_user).post(
            reverse("medical:home"), {**FORM, "resident": resident.pk}
        )
        row = MedicineRequest.objects.get()
        assert response.url == reverse("medical:detail", args=[row.pk])
        assert (row.status, row.urgency, row.created_by) == (S.SUBMITTED, "red", resident_user)
        page = client.get(reverse("medical:home")).content.decode()
        assert "硝苯地平控释片" in page and "Submitted" in page

    def test_it_refuses_a_quantity_of_0_on_the_page(self, client, resident, resident_user):
        response = logged_in(client, resident_user).post(
            reverse("medical:home"), {**FORM, "resident": resident.pk, "quantity_1": "0"}
        )
        assert response.status_code == 200
        assert "quantity_1" in response.context["form"].errors
        assert not MedicineRequest.objects.exists()

    def test_it_shows_why_a_form_is_refused(self, client, resident, resident_user):
        response = logged_in(client, resident_user).post(
            reverse("medical:home"), {**FORM, "resident": resident.pk, "hospital": ""}
        )
        assert response.status_code == 200
        assert not MedicineRequest.objects.exists()

    def test_someone_without_a_household_gets_a_404(self, client, staff):
        assert logged_in(client, staff).get(reverse("medical:home")).status_code == 404

    def test_the_resident_confirms_a_substitute(self, client, purchasing, runner, resident_user):
        medicine.medicine_substitute_propose(
            request=purchasing, item=purchasing.items.first(), substitute="B", by=runner.user
        )
        page = logged_in(client, resident_user).get(reverse("medical:home")).content.decode()
        assert "Accept the substitute" in page
        response = client.post(step_url(purchasing, "confirm-substitute"))
        assert message_texts(response) == ["The substitute is confirmed."]
        purchasing.refresh_from_db()
        assert (purchasing.status, purchasing.substitute_confirmed) == (S.PURCHASING, True)

    @pytest.mark.parametrize("who", ["other_staff", "other_runner", "neighbour"])
    def test_outsiders_get_a_404_on_the_detail_and_the_steps(self, client, assigned, request, who):
        user = request.getfixturevalue(who)
        logged_in(client, getattr(user, "user", user))
        assert client.get(reverse("medical:detail", args=[assigned.pk])).status_code == 404
        assert client.post(step_url(assigned, "purchasing")).status_code == 404
        assigned.refresh_from_db()
        assert assigned.status == S.ASSIGNED


class TestStaff:
    def test_staff_triage_and_assign_from_the_list(self, client, submitted, staff, runner):
        logged_in(client, staff)
        page = client.get(reverse("medical:staff")).content.decode()
        assert "硝苯地平控释片" in page
        client.post(step_url(submitted, "triage"))
        response = client.post(step_url(submitted, "assign"), {"volunteer": runner.pk})
        assert message_texts(response)[-1] == "The request is assigned."
        submitted.refresh_from_db()
        assert (submitted.status, submitted.volunteer) == (S.ASSIGNED, runner)

    def test_staff_file_a_request_for_a_resident_who_called(self, client, staff, resident):
        response = logged_in(client, staff).post(
            reverse("medical:staff") + f"?household={resident.household_id}",
            {**FORM, "resident": resident.pk},
        )
        assert response.status_code == 302
        assert MedicineRequest.objects.get().created_by == staff

    def test_staff_find_the_household_by_its_address_and_then_offer_only_its_residents(
        self, client, staff, resident, household, building
    ):
        neighbour = ResidentFactory(household=HouseholdFactory(building=building, room="909"))
        page = logged_in(client, staff).get(
            reverse("medical:staff"),
            {"building": household.building.label, "unit": household.unit, "room": household.room},
        )
        text = page.content.decode()
        assert page.context["household"] == household
        assert f'<option value="{resident.pk}"' in text
        assert f'<option value="{neighbour.pk}"' not in text

    @pytest.mark.parametrize("typed", ["13912345678", "139 1234 5678", "+86 139 1234 5678"])
    def test_staff_find_the_household_by_a_phone_written_any_way(
        self, client, staff, resident, household, typed
    ):
        household.contact_phone = "13912345678"
        household.save()
        page = logged_in(client, staff).get(reverse("medical:staff"), {"phone": typed})
        assert page.context["household"] == household
        assert "139 1234 5678" in page.content.decode()  # shown in the national format

    def test_the_page_offers_no_resident_before_a_household_is_found(self, client, staff, resident):
        page = logged_in(client, staff).get(reverse("medical:staff")).content.decode()
        assert f'<option value="{resident.pk}"' not in page
        assert 'data-form="medicine"' not in page

    def test_another_committees_household_is_a_404_and_its_resident_refused(
        self, client, staff, resident, other_resident
    ):
        logged_in(client, staff)
        url = reverse("medical:staff")
        assert client.get(url, {"household": other_resident.household_id}).status_code == 404
        assert client.get(url, {"household": "x"}).status_code == 404
        response = client.post(
            url + f"?household={resident.household_id}", {**FORM, "resident": other_resident.pk}
        )
        assert response.status_code == 200
        assert "resident" in response.context["form"].errors
        found = client.get(url, {"phone": other_resident.household.contact_phone or "13800138000"})
        assert found.context["household"] != other_resident.household
        assert not MedicineRequest.objects.exists()

    @pytest.mark.parametrize("page", ["medical:staff", "medical:staff-transports"])
    def test_the_form_page_stays_the_same_size_with_many_residents(
        self, client, staff, resident, building, page
    ):
        logged_in(client, staff)
        url = reverse(page) + f"?household={resident.household_id}"

        def measure() -> tuple[int, int]:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            return len(queries), response.content.decode().count("<option")

        small = measure()
        for index in range(30):
            household = HouseholdFactory(building=building, room=f"{index + 2}01")
            ResidentFactory(household=household)
            ResidentFactory(household=household)
        assert measure() == small

    def test_staff_give_a_run_to_one_volunteer(self, client, file_request, staff, runner):
        rows = [medicine.medicine_request_triage(request=file_request(), by=staff) for _ in "ab"]
        logged_in(client, staff)
        page = client.get(reverse("medical:staff")).content.decode()
        assert "Runs by hospital" in page
        client.post(
            reverse("medical:staff-run"),
            {"requests": [row.pk for row in rows], "volunteer": runner.pk},
        )
        assert set(MedicineRequest.objects.values_list("status", "volunteer")) == {
            (S.ASSIGNED, runner.pk)
        }

    def test_the_staff_page_shows_a_card_held_too_long(self, client, assigned, staff, runner):
        import datetime

        from django.utils import timezone

        custody_log(
            request=assigned,
            item="card",
            to_holder="volunteer",
            by=runner.user,
            at=timezone.now() - datetime.timedelta(hours=50),
        )
        page = logged_in(client, staff).get(reverse("medical:staff")).content.decode()
        assert "Cards held by a volunteer for more than 48 h" in page
        assert 'data-box="custody-overdue"' in page

    def test_a_refused_close_is_said_on_the_page(self, client, delivered, staff, runner):
        custody_log(request=delivered, item="card", to_holder="volunteer", by=runner.user)
        response = logged_in(client, staff).post(step_url(delivered, "close"))
        assert message_texts(response) == [
            "A card or booklet is not back with the resident yet: Insurance card."
        ]

    def test_other_staff_see_nothing_and_others_get_a_404(
        self, client, submitted, other_staff, resident_user, runner
    ):
        page = logged_in(client, other_staff).get(reverse("medical:staff")).content.decode()
        assert "硝苯地平控释片" not in page
        for user in (resident_user, runner.user):
            assert logged_in(client, user).get(reverse("medical:staff")).status_code == 404

    def test_the_staff_page_takes_a_fixed_number_of_queries(
        self, client, file_request, staff, building
    ):
        logged_in(client, staff)

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse("medical:staff")).status_code == 200
            return len(queries)

        medicine.medicine_request_triage(request=file_request(), by=staff)
        small = count()
        for index in range(4):
            other = ResidentFactory(household=HouseholdFactory(building=building))
            row = file_request(for_resident=other, hospital=f"医院{index}", by=staff)
            medicine.medicine_request_triage(request=row, by=staff)
        assert count() == small


class TestVolunteer:
    def test_the_volunteer_logs_the_card_buys_and_delivers(self, client, assigned, runner):
        logged_in(client, runner.user)
        page = client.get(reverse("medical:volunteer")).content.decode()
        assert "Card received from the resident" in page
        client.post(step_url(assigned, "custody"), {"item": "card", "to_holder": "volunteer"})
        page = client.get(reverse("medical:volunteer")).content.decode()
        assert "You hold no cards." not in page
        client.post(step_url(assigned, "purchasing"))
        client.post(step_url(assigned, "purchased"), {"cost": "20.5", "receipt": "R9"})
        client.post(step_url(assigned, "custody"), {"item": "card", "to_holder": "resident"})
        response = client.post(step_url(assigned, "delivered"))
        assert message_texts(response)[-1] == "Marked as delivered."
        assigned.refresh_from_db()
        assert assigned.status == S.DELIVERED
        assert str(assigned.cost) == "20.50"
        assert Delivery.objects.get(kind=DeliveryKind.MEDICINE).status == "delivered"
        assert CustodyEvent.objects.count() == 2

    def test_opening_the_page_changes_nothing(self, client, purchased, runner):
        from deliveries.models import Delivery, DeliveryStatus

        Delivery.objects.filter(pk=purchased.delivery_id).update(status=DeliveryStatus.DELIVERED)
        logged_in(client, runner.user).get(reverse("medical:volunteer"))
        purchased.refresh_from_db()
        assert purchased.status == S.PURCHASED

    def test_the_volunteer_does_not_see_anothers_request(self, client, assigned, other_runner):
        page = logged_in(client, other_runner.user).get(reverse("medical:volunteer"))
        assert "硝苯地平控释片" not in page.content.decode()

    def test_someone_who_is_not_a_volunteer_gets_a_404(self, client, resident_user):
        response = logged_in(client, resident_user).get(reverse("medical:volunteer"))
        assert response.status_code == 404

    def test_the_volunteer_page_takes_a_fixed_number_of_queries(
        self, client, file_request, staff, runner
    ):
        logged_in(client, runner.user)

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse("medical:volunteer")).status_code == 200
            return len(queries)

        def one():
            row = medicine.medicine_request_triage(request=file_request(), by=staff)
            row = medicine.medicine_request_assign(request=row, volunteer=runner, by=staff)
            custody_log(request=row, item="card", to_holder="volunteer", by=runner.user)

        one()
        small = count()
        for _ in range(4):
            one()
        assert count() == small


def test_the_resident_cancels_a_request_from_the_list(client, submitted, resident_user):
    page = logged_in(client, resident_user).get(reverse("medical:home")).content.decode()
    assert "Cancel the request" in page
    client.post(step_url(submitted, "cancel"))
    submitted.refresh_from_db()
    assert submitted.status == S.CANCELLED


def test_the_volunteer_marks_a_medicine_not_to_be_had(client, purchasing, runner):
    page = logged_in(client, runner.user).get(reverse("medical:volunteer")).content.decode()
    assert "Not to be had anywhere" in page
    response = client.post(step_url(purchasing, "unavailable"), {"note": "缺货"})
    assert message_texts(response) == ["Marked as unavailable."]
    purchasing.refresh_from_db()
    assert purchasing.status == S.UNAVAILABLE


def test_an_unknown_step_is_a_404(client, submitted, staff):
    assert logged_in(client, staff).post(step_url(submitted, "teleport")).status_code == 404


def test_every_page_renders_in_chinese(client, settings, delivered, staff, runner, resident_user):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    pages = [
        (resident_user, reverse("medical:home")),
        (resident_user, reverse("medical:detail", args=[delivered.pk])),
        (staff, reverse("medical:staff")),
        (staff, reverse("medical:staff-transports")),
        (staff, reverse("medical:staff-vulnerable")),
        (runner.user, reverse("medical:volunteer")),
    ]
    for user, url in pages:
        response = logged_in(client, user).get(url)
        assert response.status_code == 200, url
        assert '<html lang="zh-hans">' in response.content.decode()


def test_the_history_names_the_people_who_acted_not_their_logins(
    client, delivered, staff, runner, resident_user
):
    staff.first_name = "王芳"
    staff.save(update_fields=["first_name"])
    custody_log(request=delivered, item="card", to_holder="volunteer", by=runner.user)

    page = logged_in(client, resident_user).get(reverse("medical:detail", args=[delivered.pk]))

    text = page.content.decode()
    assert "· 张秀英" in text  # submitted from the household's login
    assert "· 王芳" in text
    assert "· 李明" in text
    assert "· resident" not in text
    assert "· staff" not in text
    assert "v-李明" not in text
