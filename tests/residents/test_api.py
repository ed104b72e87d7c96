import pytest
from django.utils.translation import override
from rest_framework.test import APIClient

from residents.models import ClosureChange, ClosureLevel, Household, Resident
from tests.factories import BuildingFactory, HouseholdFactory, ResidentFactory, UserFactory


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def assert_json_400(response, *fields: str) -> dict:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    for name in fields:
        assert body.get(name), body
    return body


@pytest.fixture
def as_staff(api_client, staff):
    api_client.force_authenticate(staff)
    return api_client


class TestAuthentication:
    def test_it_issues_a_token_that_authenticates(self, building, staff):
        issued = APIClient().post(
            "/api/v1/auth/token/", {"username": "staff", "password": "pass-1234"}, format="json"
        )
        assert issued.status_code == 200
        token = issued.json()["token"]

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert ids(client.get("/api/v1/buildings/")) == {building.pk}

    def test_it_issues_no_token_for_a_wrong_password(self, staff):
        issued = APIClient().post(
            "/api/v1/auth/token/", {"username": "staff", "password": "wrong"}, format="json"
        )

        assert issued.status_code == 400
        assert "token" not in issued.json()

    def test_it_refuses_a_made_up_token(self, building):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")

        response = client.get("/api/v1/buildings/")

        assert response.status_code in (401, 403)
        assert "results" not in response.json()

    @pytest.mark.parametrize(
        "url", ["compounds/", "buildings/", "households/", "residents/", "buildings/{building}/"]
    )
    def test_it_refuses_anonymous_reads(self, api_client, building, url):
        response = api_client.get("/api/v1/" + url.format(building=building.pk))

        assert response.status_code in (401, 403)
        assert "results" not in response.json()

    def test_it_refuses_anonymous_writes(self, api_client, building, household, resident):
        attempts = [
            api_client.post(
                f"/api/v1/buildings/{building.pk}/closure/",
                {"level": "sealed", "reason": "阳性"},
                format="json",
            ),
            api_client.post(
                "/api/v1/households/",
                {"building": building.pk, "unit": 1, "room": "102"},
                format="json",
            ),
            api_client.patch(f"/api/v1/residents/{resident.pk}/", {"name": "改名"}, format="json"),
        ]

        assert {response.status_code for response in attempts} <= {401, 403}
        building.refresh_from_db()
        assert building.closure_level == ClosureLevel.PRECAUTION
        assert Household.objects.count() == 1
        assert Resident.objects.get().name == "张秀英"


class TestScope:
    @pytest.mark.parametrize("kind", ["buildings", "households", "residents"])
    def test_it_hides_another_committees_record(
        self, api_client, other_staff, building, household, resident, kind
    ):
        record = {"buildings": building, "households": household, "residents": resident}[kind]
        api_client.force_authenticate(other_staff)

        response = api_client.get(f"/api/v1/{kind}/{record.pk}/")

        assert response.status_code == 404
        assert record.pk not in ids(api_client.get(f"/api/v1/{kind}/"))

    def test_it_refuses_to_close_another_committees_building(
        self, api_client, other_staff, building
    ):
        api_client.force_authenticate(other_staff)

        response = api_client.post(
            f"/api/v1/buildings/{building.pk}/closure/",
            {"level": "sealed", "reason": "阳性"},
            format="json",
        )

        assert response.status_code == 404
        building.refresh_from_db()
        assert building.closure_level == ClosureLevel.PRECAUTION
        assert not ClosureChange.objects.exists()

    def test_it_refuses_to_change_another_committees_household(
        self, api_client, other_staff, household
    ):
        api_client.force_authenticate(other_staff)

        response = api_client.patch(
            f"/api/v1/households/{household.pk}/", {"room": "999"}, format="json"
        )

        assert response.status_code == 404
        household.refresh_from_db()
        assert household.room == "101"

    def test_it_refuses_to_change_another_committees_resident(
        self, api_client, other_staff, resident
    ):
        api_client.force_authenticate(other_staff)

        response = api_client.patch(
            f"/api/v1/residents/{resident.pk}/",
            {"name": "改名", "needs": ["dialysis"]},
            format="json",
        )

        assert response.status_code == 404
        resident = Resident.objects.get(pk=resident.pk)
        assert (resident.name, resident.need_codes) == ("张秀英", [])

    def test_it_refuses_to_register_a_household_in_another_committees_building(
        self, api_client, other_staff, building
    ):
        api_client.force_authenticate(other_staff)

        response = api_client.post(
            "/api/v1/households/", {"building": building.pk, "unit": 1, "room": "102"}
        )

        assert_json_400(response, "building")
        assert not Household.objects.exists()

    def test_it_refuses_to_move_a_resident_into_another_committees_household(
        self, as_staff, resident, other_household
    ):
        response = as_staff.patch(
            f"/api/v1/residents/{resident.pk}/", {"household": other_household.pk}, format="json"
        )

        assert_json_400(response, "household")
        resident.refresh_from_db()
        assert resident.household_id != other_household.pk

    def test_it_shows_street_staff_every_committees_register(
        self, api_client, street_staff, resident, other_resident
    ):
        api_client.force_authenticate(street_staff)

        assert ids(api_client.get("/api/v1/residents/")) == {resident.pk, other_resident.pk}
        assert ids(api_client.get("/api/v1/households/")) == {
            resident.household_id,
            other_resident.household_id,
        }
        assert ids(api_client.get("/api/v1/buildings/")) == {
            resident.household.building_id,
            other_resident.household.building_id,
        }

    def test_it_lets_street_staff_close_any_building_of_the_street(
        self, api_client, street_staff, other_building
    ):
        api_client.force_authenticate(street_staff)

        response = api_client.post(
            f"/api/v1/buildings/{other_building.pk}/closure/",
            {"level": "controlled", "reason": "密接"},
            format="json",
        )

        assert response.status_code == 200
        other_building.refresh_from_db()
        assert other_building.closure_level == ClosureLevel.CONTROLLED

    def test_it_shows_a_resident_only_their_own_household(
        self, api_client, resident_user, household, resident, building
    ):
        neighbour = ResidentFactory(household=HouseholdFactory(building=building, room="102"))
        api_client.force_authenticate(resident_user)

        assert ids(api_client.get("/api/v1/households/")) == {household.pk}
        assert ids(api_client.get("/api/v1/residents/")) == {resident.pk}
        assert api_client.get(f"/api/v1/residents/{neighbour.pk}/").status_code == 404
        assert api_client.get(f"/api/v1/households/{neighbour.household_id}/").status_code == 404

    def test_it_lets_a_resident_change_nothing(
        self, api_client, resident_user, building, household, resident
    ):
        api_client.force_authenticate(resident_user)

        attempts = {
            "new household": api_client.post(
                "/api/v1/households/",
                {"building": building.pk, "unit": 1, "room": "102"},
                format="json",
            ),
            "own household": api_client.patch(
                f"/api/v1/households/{household.pk}/", {"contact_phone": "13900000000"}
            ),
            "new resident": api_client.post(
                "/api/v1/residents/", {"household": household.pk, "name": "张三"}, format="json"
            ),
            "own resident": api_client.patch(
                f"/api/v1/residents/{resident.pk}/", {"needs": ["dialysis"]}, format="json"
            ),
            "closure": api_client.post(
                f"/api/v1/buildings/{building.pk}/closure/",
                {"level": "sealed", "reason": "阳性"},
                format="json",
            ),
        }

        assert {name: r.status_code for name, r in attempts.items()} == dict.fromkeys(attempts, 403)
        assert Household.objects.get().contact_phone == household.contact_phone
        resident = Resident.objects.get()
        assert (resident.name, resident.need_codes) == ("张秀英", [])
        building.refresh_from_db()
        assert building.closure_level == ClosureLevel.PRECAUTION

    def test_it_shows_a_volunteer_buildings_but_no_residents(
        self, api_client, volunteer, compound, building, resident
    ):
        api_client.force_authenticate(volunteer)

        assert ids(api_client.get("/api/v1/compounds/")) == {compound.pk}
        assert ids(api_client.get("/api/v1/buildings/")) == {building.pk}
        assert ids(api_client.get("/api/v1/households/")) == set()
        assert ids(api_client.get("/api/v1/residents/")) == set()
        assert api_client.get(f"/api/v1/residents/{resident.pk}/").status_code == 404

    def test_it_lets_a_volunteer_close_no_building(self, api_client, volunteer, building):
        api_client.force_authenticate(volunteer)

        response = api_client.post(
            f"/api/v1/buildings/{building.pk}/closure/",
            {"level": "sealed", "reason": "阳性"},
            format="json",
        )

        assert response.status_code == 403
        building.refresh_from_db()
        assert building.closure_level == ClosureLevel.PRECAUTION


class TestBuildings:
    def test_it_filters_buildings_by_compound(
        self, api_client, street_staff, building, other_building, compound
    ):
        api_client.force_authenticate(street_staff)

        assert ids(api_client.get(f"/api/v1/buildings/?compound={compound.pk}")) == {building.pk}

    @pytest.mark.parametrize("level", ["sealed", "controlled", "precaution"])
    def test_it_filters_buildings_by_closure_level(self, as_staff, compound, level):
        by_level = {
            each: BuildingFactory(compound=compound, closure_level=each)
            for each in ClosureLevel.values
        }

        response = as_staff.get(f"/api/v1/buildings/?closure_level={level}")

        assert ids(response) == {by_level[level].pk}
        assert [row["closure_level"] for row in response.json()["results"]] == [level]

    def test_it_refuses_a_closure_level_filter_it_does_not_know(self, as_staff, building):
        assert_json_400(as_staff.get("/api/v1/buildings/?closure_level=locked"), "closure_level")

    def test_it_counts_households_residents_and_vulnerable_households(
        self, as_staff, building, household
    ):
        ResidentFactory(household=household, needs=["dialysis", "chronic_medication"])
        ResidentFactory(household=household, needs=["chronic_medication"])
        other = HouseholdFactory(building=building, room="102")
        ResidentFactory(household=other, needs=["chronic_medication"])

        row = as_staff.get(f"/api/v1/buildings/{building.pk}/").json()

        assert (
            row["household_count"],
            row["resident_count"],
            row["vulnerable_household_count"],
        ) == (2, 3, 1)

    def test_it_changes_a_buildings_closure_level_and_logs_it(self, as_staff, staff, building):
        response = as_staff.post(
            f"/api/v1/buildings/{building.pk}/closure/",
            {"level": "sealed", "reason": "阳性病例所在楼栋"},
            format="json",
        )

        assert response.status_code == 200
        assert response.json()["closure_level"] == "sealed"
        building.refresh_from_db()
        assert building.closure_level == ClosureLevel.SEALED
        change = ClosureChange.objects.get()
        assert (change.building, change.from_level, change.to_level) == (
            building,
            "precaution",
            "sealed",
        )
        assert (change.reason, change.changed_by) == ("阳性病例所在楼栋", staff)

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"level": "locked", "reason": "阳性"}, "level"),
            ({"level": "SEALED", "reason": "阳性"}, "level"),
            ({"reason": "阳性"}, "level"),
            ({"level": "sealed"}, "reason"),
            ({"level": "sealed", "reason": ""}, "reason"),
            ({"level": "sealed", "reason": "   "}, "reason"),
            ({"level": "sealed", "reason": "x" * 301}, "reason"),
        ],
    )
    def test_it_refuses_a_bad_closure_change_and_changes_nothing(
        self, as_staff, building, payload, field
    ):
        response = as_staff.post(
            f"/api/v1/buildings/{building.pk}/closure/", payload, format="json"
        )

        assert_json_400(response, field)
        building.refresh_from_db()
        assert building.closure_level == ClosureLevel.PRECAUTION
        assert not ClosureChange.objects.exists()

    def test_it_offers_no_way_to_change_a_building_without_a_reason(self, as_staff, building):
        response = as_staff.patch(
            f"/api/v1/buildings/{building.pk}/", {"closure_level": "sealed"}, format="json"
        )

        assert response.status_code == 405
        building.refresh_from_db()
        assert building.closure_level == ClosureLevel.PRECAUTION


class TestHouseholds:
    def test_it_registers_a_household(self, as_staff, staff, building):
        response = as_staff.post(
            "/api/v1/households/",
            {"building": building.pk, "unit": 2, "room": "1203", "contact_phone": "13800138001"},
            format="json",
        )

        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["building"], body["unit"], body["room"], body["is_vulnerable"]) == (
            building.pk,
            2,
            "1203",
            False,
        )
        household = Household.objects.get(pk=body["id"])
        assert (household.created_by, household.updated_by) == (staff, staff)
        assert household.contact_phone == "13800138001"

    def test_it_changes_a_household(self, api_client, street_staff, household):
        api_client.force_authenticate(street_staff)

        response = api_client.patch(
            f"/api/v1/households/{household.pk}/",
            {"room": "102", "contact_phone": "13900139000"},
            format="json",
        )

        assert response.status_code == 200, response.content
        household.refresh_from_db()
        assert (household.room, household.contact_phone) == ("102", "13900139000")
        assert household.updated_by == street_staff

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"unit": 3, "room": "101"}, "unit"),
            ({"unit": 0, "room": "101"}, "unit"),
            ({"unit": 1, "room": ""}, "room"),
            ({"unit": 1, "room": "102", "contact_phone": "call me"}, "contact_phone"),
            ({"unit": 1, "room": "101"}, "non_field_errors"),
        ],
    )
    def test_it_refuses_a_bad_household_and_registers_nothing(
        self, as_staff, building, household, payload, field
    ):
        response = as_staff.post(
            "/api/v1/households/", {"building": building.pk, **payload}, format="json"
        )

        assert_json_400(response, field)
        assert list(Household.objects.all()) == [household]

    def test_it_refuses_to_change_a_household_to_a_unit_the_building_lacks(
        self, as_staff, household
    ):
        with override("en"):
            response = as_staff.patch(
                f"/api/v1/households/{household.pk}/",
                {"unit": 5},
                format="json",
                HTTP_ACCEPT_LANGUAGE="en",
            )

        assert assert_json_400(response, "unit") == {"unit": ["Building 1 has only 2 units."]}
        household.refresh_from_db()
        assert household.unit == 1

    def test_it_filters_households_by_vulnerability(self, as_staff, building, household):
        ResidentFactory(household=household, needs=["elderly_alone"])
        other = HouseholdFactory(building=building, room="102")
        ResidentFactory(household=other, needs=["chronic_medication"])

        assert ids(as_staff.get("/api/v1/households/?vulnerable=true")) == {household.pk}
        assert ids(as_staff.get("/api/v1/households/?vulnerable=false")) == {other.pk}


class TestResidents:
    def test_it_registers_a_resident_with_needs(self, as_staff, staff, household):
        response = as_staff.post(
            "/api/v1/residents/",
            {
                "household": household.pk,
                "name": "李桂英",
                "birth_date": "1940-03-08",
                "sex": "F",
                "care_level": 4,
                "needs": ["dialysis", "chronic_medication"],
            },
            format="json",
        )

        assert response.status_code == 201, response.content
        body = response.json()
        assert body["needs"] == ["chronic_medication", "dialysis"]
        assert body["is_vulnerable"] is True
        resident = Resident.objects.get(pk=body["id"])
        assert (resident.name, resident.care_level, resident.created_by) == ("李桂英", 4, staff)
        assert resident.need_codes == ["chronic_medication", "dialysis"]

    def test_it_refuses_a_resident_born_in_the_year_1(self, as_staff, household):
        response = as_staff.post(
            "/api/v1/residents/",
            {"household": household.pk, "name": "李桂英", "birth_date": "0001-01-01"},
            format="json",
        )
        assert response.status_code == 400
        assert "birth_date" in response.json()
        assert not Resident.objects.filter(name="李桂英").exists()

    def test_it_replaces_a_residents_needs(self, as_staff, staff, resident):
        ResidentFactory(household=resident.household)  # another member, untouched
        resident_with_needs = ResidentFactory(household=resident.household, needs=["dialysis"])

        response = as_staff.patch(
            f"/api/v1/residents/{resident_with_needs.pk}/",
            {"needs": ["chronic_medication"], "care_level": 2},
            format="json",
        )

        assert response.status_code == 200, response.content
        assert response.json()["needs"] == ["chronic_medication"]
        assert response.json()["is_vulnerable"] is False
        changed = Resident.objects.get(pk=resident_with_needs.pk)
        assert (changed.need_codes, changed.care_level, changed.updated_by) == (
            ["chronic_medication"],
            2,
            staff,
        )

    def test_it_keeps_needs_that_a_change_does_not_mention(self, as_staff, household):
        resident = ResidentFactory(household=household, needs=["pregnant"])

        response = as_staff.patch(
            f"/api/v1/residents/{resident.pk}/", {"phone": "13900139000"}, format="json"
        )

        assert response.status_code == 200
        assert Resident.objects.get(pk=resident.pk).need_codes == ["pregnant"]

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"name": "李桂英", "needs": ["dialysis", "flying"]}, "needs"),
            ({"name": "李桂英", "needs": "dialysis"}, "needs"),
            ({"name": "李桂英", "birth_date": "2999-01-01"}, "birth_date"),
            ({"name": "李桂英", "birth_date": "1940-13-45"}, "birth_date"),
            ({"name": "李桂英", "care_level": 7}, "care_level"),
            ({"name": "李桂英", "sex": "X"}, "sex"),
            ({"name": ""}, "name"),
        ],
    )
    def test_it_refuses_a_bad_resident_and_registers_nothing(
        self, as_staff, household, payload, field
    ):
        response = as_staff.post(
            "/api/v1/residents/", {"household": household.pk, **payload}, format="json"
        )

        assert_json_400(response, field)
        assert not Resident.objects.exists()

    def test_it_refuses_a_bad_change_and_keeps_the_resident_as_it_was(self, as_staff, resident):
        response = as_staff.patch(
            f"/api/v1/residents/{resident.pk}/",
            {"care_level": 3, "needs": ["dialysis"], "birth_date": "2999-01-01"},
            format="json",
        )

        assert_json_400(response, "birth_date")
        resident = Resident.objects.get(pk=resident.pk)
        assert (resident.care_level, resident.need_codes) == (0, [])

    def test_it_filters_residents_by_need_and_building(self, as_staff, compound, household):
        dialysis = ResidentFactory(household=household, needs=["dialysis", "chronic_medication"])
        ResidentFactory(household=household, needs=["chronic_medication"])
        elsewhere = ResidentFactory(
            household=HouseholdFactory(building=BuildingFactory(compound=compound)),
            needs=["dialysis"],
        )

        assert ids(as_staff.get("/api/v1/residents/?need=dialysis")) == {
            dialysis.pk,
            elsewhere.pk,
        }
        assert ids(
            as_staff.get(f"/api/v1/residents/?need=dialysis&building={household.building_id}")
        ) == {dialysis.pk}


class TestDocumentation:
    def test_it_publishes_the_openapi_document(self, api_client):
        response = api_client.get("/api/schema/?format=json")

        assert response.status_code == 200
        document = response.json()
        assert document["openapi"].startswith("3.")
        assert "/api/v1/buildings/{id}/closure/" in document["paths"]
        assert "/api/v1/residents/" in document["paths"]

    def test_it_serves_the_api_docs_page(self, client):
        response = client.get("/api/docs/")

        assert response.status_code == 200
        assert b"swagger" in response.content.lower()


def test_it_lets_a_superuser_see_every_committees_register(api_client, resident, other_resident):
    api_client.force_authenticate(UserFactory(is_superuser=True))

    assert ids(api_client.get("/api/v1/residents/")) == {resident.pk, other_resident.pk}


def test_it_does_not_reveal_whether_another_committees_compound_exists(
    as_staff, building, other_building
):
    for filters in (
        {"compound": other_building.compound_id},
        {"compound": 999_999},
    ):
        response = as_staff.get("/api/v1/buildings/", filters)

        assert response.status_code == 200
        assert response.json()["results"] == []
    for url, filters in (
        ("/api/v1/households/", {"building": other_building.pk}),
        ("/api/v1/residents/", {"household": 999_999}),
    ):
        assert as_staff.get(url, filters).json()["results"] == []


def test_it_lists_buildings_in_counting_order(as_staff, compound):
    for label in ("10", "2", "1"):
        BuildingFactory(compound=compound, label=label)

    response = as_staff.get("/api/v1/buildings/", {"compound": compound.pk})

    assert [row["label"] for row in response.json()["results"]] == ["1", "2", "10"]
