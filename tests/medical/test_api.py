"""The medical API: scoped lists, every step as an action, refusals as 400 with a code."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from medical.models import CustodyEvent, MedicineRequest
from medical.services.medicine import custody_log

URL = "/api/v1/medicine-requests/"


def as_user(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def step(api_client, request_id, name, data=None):
    return api_client.post(f"{URL}{request_id}/{name}/", data or {}, format="json")


class TestMedicineRequests:
    def test_a_resident_files_a_request_with_items(self, api_client, resident, resident_user):
        response = as_user(api_client, resident_user).post(
            URL,
            {
                "resident": resident.pk,
                "hospital": "瑞金医院",
                "urgency": "red",
                "chronic": True,
                "items": [{"medicine": "胰岛素", "strength": "300IU", "quantity": 2}],
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        assert (body["status"], body["urgency"], body["chronic"]) == ("submitted", "red", True)
        assert body["items"][0]["medicine"] == "胰岛素"

    def test_it_refuses_an_item_of_quantity_0(self, api_client, resident, resident_user):
        response = as_user(api_client, resident_user).post(
            URL,
            {
                "resident": resident.pk,
                "hospital": "瑞金医院",
                "urgency": "red",
                "items": [{"medicine": "胰岛素", "quantity": 0}],
            },
            format="json",
        )
        assert response.status_code == 400
        assert "items" in response.json()
        assert not MedicineRequest.objects.exists()

    def test_a_resident_cannot_file_for_another_household(
        self, api_client, other_resident, resident_user
    ):
        response = as_user(api_client, resident_user).post(
            URL,
            {"resident": other_resident.pk, "hospital": "x", "urgency": "red", "items": []},
            format="json",
        )
        assert response.status_code == 400
        assert "resident" in response.json()
        assert not MedicineRequest.objects.exists()

    def test_it_walks_every_step_through_the_api(
        self, api_client, submitted, staff, runner, resident_user
    ):
        pk = submitted.pk
        assert (
            step(as_user(api_client, staff), pk, "triage", {"urgency": "yellow"}).status_code == 200
        )
        response = step(api_client, pk, "assign", {"volunteer": runner.pk})
        assert response.json()["volunteer"] == runner.pk
        as_user(api_client, runner.user)
        assert step(api_client, pk, "purchasing").json()["status"] == "purchasing"
        item = submitted.items.first().pk
        response = step(api_client, pk, "propose-substitute", {"item": item, "substitute": "B"})
        assert response.json()["status"] == "substitute_pending"
        response = step(api_client, pk, "purchased", {"cost": "12.00"})
        assert (response.status_code, response.json()["code"]) == (400, "substitute_unconfirmed")
        response = step(as_user(api_client, resident_user), pk, "confirm-substitute")
        assert response.json()["status"] == "purchasing"
        response = step(as_user(api_client, runner.user), pk, "purchased", {"cost": "12.00"})
        assert response.json()["delivery"] is not None
        assert step(api_client, pk, "delivered").json()["status"] == "delivered"
        response = step(as_user(api_client, staff), pk, "close")
        assert response.json()["status"] == "closed"

    def test_a_step_out_of_order_is_a_400_with_a_code(self, api_client, submitted, staff):
        response = step(as_user(api_client, staff), submitted.pk, "close")
        assert response.status_code == 400
        assert response.json()["code"] == "out_of_order"

    def test_closing_with_a_card_out_is_refused(self, api_client, delivered, staff, runner):
        custody_log(request=delivered, item="card", to_holder="volunteer", by=runner.user)
        response = step(as_user(api_client, staff), delivered.pk, "close")
        assert (response.status_code, response.json()["code"]) == (400, "card_not_returned")

    def test_refuse_unavailable_and_cancel(self, api_client, purchasing, runner, staff):
        item = purchasing.items.first().pk
        as_user(api_client, runner.user)
        step(api_client, purchasing.pk, "propose-substitute", {"item": item, "substitute": "B"})
        response = step(as_user(api_client, staff), purchasing.pk, "refuse-substitute")
        assert response.json()["status"] == "purchasing"
        response = step(as_user(api_client, runner.user), purchasing.pk, "unavailable")
        assert response.json()["status"] == "unavailable"
        response = step(as_user(api_client, staff), purchasing.pk, "cancel")
        assert response.status_code == 400

    @pytest.mark.parametrize("who", ["other_staff", "other_runner", "neighbour", "outside_runner"])
    def test_outsiders_get_a_404_and_an_empty_list(self, api_client, assigned, request, who):
        user = request.getfixturevalue(who)
        user = getattr(user, "user", user)
        as_user(api_client, user)
        assert api_client.get(f"{URL}{assigned.pk}/").status_code == 404
        assert step(api_client, assigned.pk, "purchasing").status_code == 404
        assert api_client.get(URL).json()["results"] == []

    def test_the_assigned_volunteer_and_the_resident_see_it(
        self, api_client, assigned, runner, resident_user
    ):
        for user in (runner.user, resident_user):
            response = as_user(api_client, user).get(f"{URL}{assigned.pk}/")
            assert response.status_code == 200

    def test_the_list_is_red_first(self, api_client, file_request, staff):
        green = file_request(urgency="green")
        red = file_request(urgency="red")
        ids = [row["id"] for row in as_user(api_client, staff).get(URL).json()["results"]]
        assert ids == [red.pk, green.pk]

    def test_the_list_takes_a_fixed_number_of_queries(self, api_client, file_request, staff):
        as_user(api_client, staff)

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert api_client.get(URL).status_code == 200
            return len(queries)

        file_request()
        small = count()
        for _ in range(4):
            file_request()
        assert count() == small


class TestCustodyEvents:
    def test_the_volunteer_logs_a_card_handover(self, api_client, assigned, runner):
        response = as_user(api_client, runner.user).post(
            "/api/v1/custody-events/",
            {"request": assigned.pk, "item": "card", "to_holder": "volunteer"},
            format="json",
        )
        assert response.status_code == 201, response.json()
        assert response.json()["from_holder"] == "resident"
        listed = api_client.get("/api/v1/custody-events/").json()["results"]
        assert [row["id"] for row in listed] == [response.json()["id"]]

    def test_another_volunteer_cannot_log_or_see(self, api_client, assigned, runner, other_runner):
        custody_log(request=assigned, item="card", to_holder="volunteer", by=runner.user)
        as_user(api_client, other_runner.user)
        assert api_client.get("/api/v1/custody-events/").json()["results"] == []
        response = api_client.post(
            "/api/v1/custody-events/",
            {"request": assigned.pk, "item": "card", "to_holder": "hospital"},
            format="json",
        )
        assert response.status_code == 400
        assert CustodyEvent.objects.count() == 1


class TestTransports:
    def test_staff_book_confirm_and_finish_a_transport(self, api_client, staff, resident, runner):
        as_user(api_client, staff)
        response = api_client.post(
            "/api/v1/transports/",
            {
                "resident": resident.pk,
                "kind": "dialysis",
                "hospital": "瑞金医院",
                "appointment_at": (timezone.now() + datetime.timedelta(days=1)).isoformat(),
                "recurrence": "Mon, Wed, Fri",
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        pk = response.json()["id"]
        assert len(response.json()["code"]) == 8
        response = api_client.post(f"/api/v1/transports/{pk}/confirm/", {"escort": runner.pk})
        assert (response.json()["status"], response.json()["escort"]) == ("confirmed", runner.pk)
        assert api_client.post(f"/api/v1/transports/{pk}/done/").json()["status"] == "done"
        response = api_client.post(f"/api/v1/transports/{pk}/cancel/")
        assert (response.status_code, response.json()["code"]) == (400, "out_of_order")

    def test_it_refuses_an_appointment_in_the_year_78(self, api_client, staff, resident):
        response = as_user(api_client, staff).post(
            "/api/v1/transports/",
            {
                "resident": resident.pk,
                "kind": "dialysis",
                "hospital": "瑞金医院",
                "appointment_at": "0078-12-13T00:00:00Z",
            },
            format="json",
        )
        assert response.status_code == 400
        assert "appointment_at" in response.json()

    def test_a_resident_may_not_book_and_other_staff_do_not_see(
        self, api_client, staff, resident, resident_user, other_staff
    ):
        data = {
            "resident": resident.pk,
            "kind": "birth",
            "hospital": "妇幼",
            "appointment_at": timezone.now().isoformat(),
        }
        assert (
            as_user(api_client, resident_user).post("/api/v1/transports/", data).status_code == 403
        )
        pk = as_user(api_client, staff).post("/api/v1/transports/", data).json()["id"]
        assert as_user(api_client, other_staff).get(f"/api/v1/transports/{pk}/").status_code == 404
        assert api_client.post(f"/api/v1/transports/{pk}/confirm/").status_code == 404


class TestVulnerableResidents:
    def test_it_lists_last_contact_and_the_48_h_flag(self, api_client, staff, resident):
        resident.needs.create(need="elderly_alone")
        rows = as_user(api_client, staff).get("/api/v1/vulnerable-residents/").json()
        assert rows == [
            {
                "id": resident.pk,
                "name": resident.name,
                "household": str(resident.household),
                "needs": ["elderly_alone"],
                "last_contact": None,
                "no_contact_48h": True,
            }
        ]

    def test_it_is_for_staff_only(self, api_client, resident_user, other_staff, resident):
        resident.needs.create(need="elderly_alone")
        response = as_user(api_client, resident_user).get("/api/v1/vulnerable-residents/")
        assert response.status_code == 403
        assert as_user(api_client, other_staff).get("/api/v1/vulnerable-residents/").json() == []


def test_the_api_root_lists_the_medical_endpoints(api_client, staff):
    root = as_user(api_client, staff).get("/api/v1/").json()
    for name in ("medicine-requests", "custody-events", "transports", "vulnerable-residents"):
        assert name in root
