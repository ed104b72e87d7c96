import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse

from residents.models import (
    Building,
    ClosureChange,
    ClosureLevel,
    Committee,
    Compound,
    Household,
    Resident,
)
from residents.services import buildings_set_closure
from tests.factories import BuildingFactory, CompoundFactory, HouseholdFactory, ResidentFactory

# The inline list of a household's residents posts its (empty) management form.
NO_INLINE_ROWS = {
    "residents-TOTAL_FORMS": "0",
    "residents-INITIAL_FORMS": "0",
    "residents-MIN_NUM_FORMS": "0",
    "residents-MAX_NUM_FORMS": "1000",
}


def listed(response) -> set:
    assert response.status_code == 200, response.get("Location")
    return set(response.context["cl"].result_list)


def changelist(model: str) -> str:
    return reverse(f"admin:residents_{model}_changelist")


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def as_staff(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def as_street_staff(client, street_staff):
    client.force_login(street_staff)
    return client


class TestLogin:
    def test_it_lets_committee_staff_log_into_the_admin(self, client, staff):
        response = client.post(
            reverse("admin:login"),
            {"username": "staff", "password": "pass-1234", "next": "/admin/"},
        )
        assert response.status_code == 302
        assert response["Location"] == "/admin/"

        index = client.get("/admin/")

        assert index.status_code == 200
        models = {
            model["object_name"] for app in index.context["app_list"] for model in app["models"]
        }
        assert {"Building", "Household", "Resident", "ClosureChange"} <= models
        assert "Membership" not in models

    @pytest.mark.parametrize("role", ["volunteer", "resident_user"])
    def test_it_keeps_volunteers_and_residents_out_of_the_admin(self, client, request, role):
        client.force_login(request.getfixturevalue(role))

        response = client.get(changelist("resident"))

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))

    @pytest.mark.parametrize("model", ["building", "household", "resident"])
    def test_it_sends_anonymous_visitors_to_the_admin_login(self, client, db, model):
        response = client.get(changelist(model))

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


class TestScope:
    @pytest.mark.parametrize(
        ("model", "own", "others"),
        [
            ("committee", "committee", "other_committee"),
            ("compound", "compound", "other_compound"),
            ("building", "building", "other_building"),
            ("household", "household", "other_household"),
            ("resident", "resident", "other_resident"),
        ],
    )
    def test_it_lists_only_the_committees_own_records(
        self, as_staff, request, compound, other_compound, model, own, others
    ):
        own, others = request.getfixturevalue(own), request.getfixturevalue(others)

        assert listed(as_staff.get(changelist(model))) == {own}

    def test_it_lists_only_the_committees_own_closure_changes(
        self, as_staff, street_staff, building, other_building
    ):
        ours = buildings_set_closure(
            buildings=[building], level="sealed", reason="阳性", by=street_staff
        )
        buildings_set_closure(
            buildings=[other_building], level="sealed", reason="密接", by=street_staff
        )

        assert listed(as_staff.get(changelist("closurechange"))) == set(ours)

    @pytest.mark.parametrize(
        ("model", "others", "shown_as"),
        [
            ("compound", "other_compound", "香樟苑"),
            ("building", "other_building", "香樟苑"),
            ("household", "other_household", "香樟苑"),
            ("resident", "other_resident", "陈建国"),
        ],
    )
    @pytest.mark.parametrize("page", ["change", "history"])
    def test_it_does_not_show_another_committees_record(
        self, as_staff, request, model, others, shown_as, page
    ):
        record = request.getfixturevalue(others)

        response = as_staff.get(
            reverse(f"admin:residents_{model}_{page}", args=[record.pk]),
            follow=True,
            HTTP_ACCEPT_LANGUAGE="en",
        )

        assert response.redirect_chain == [("/admin/", 302)]
        assert shown_as not in response.content.decode()
        [warning] = message_texts(response)
        assert f"ID “{record.pk}” doesn’t exist" in warning
        assert record not in listed(as_staff.get(changelist(model)))

    def test_it_does_not_change_another_committees_resident(self, as_staff, other_resident):
        response = as_staff.post(
            reverse("admin:residents_resident_change", args=[other_resident.pk]),
            {"household": other_resident.household_id, "name": "改名", "care_level": "0"},
        )

        assert response.status_code == 302
        other_resident.refresh_from_db()
        assert other_resident.name == "陈建国"

    def test_it_offers_no_building_of_another_committee_for_a_new_household(
        self, as_staff, other_building
    ):
        response = as_staff.post(
            reverse("admin:residents_household_add"),
            {"building": other_building.pk, "unit": "1", "room": "102", **NO_INLINE_ROWS},
        )

        assert response.status_code == 200
        assert "building" in response.context["adminform"].form.errors
        assert not Household.objects.exists()

    def test_it_offers_no_household_of_another_committee_for_a_new_resident(
        self, as_staff, other_household
    ):
        response = as_staff.post(
            reverse("admin:residents_resident_add"),
            {"household": other_household.pk, "name": "张三", "care_level": "0"},
        )

        assert response.status_code == 200
        assert "household" in response.context["adminform"].form.errors
        assert not Resident.objects.exists()

    def test_it_suggests_only_the_committees_buildings(self, as_staff, building, other_building):
        response = as_staff.get(
            "/admin/autocomplete/",
            {"app_label": "residents", "model_name": "household", "field_name": "building"},
        )

        assert [row["id"] for row in response.json()["results"]] == [str(building.pk)]

    def test_it_shows_street_staff_every_committees_records(
        self, as_street_staff, resident, other_resident
    ):
        assert listed(as_street_staff.get(changelist("resident"))) == {resident, other_resident}
        assert listed(as_street_staff.get(changelist("compound"))) == set(Compound.objects.all())
        assert listed(as_street_staff.get(changelist("committee"))) == set(Committee.objects.all())


class TestFilters:
    @pytest.fixture
    def register(self, household, other_household, other_building, street_staff):
        """Two households in two committees; the other one sealed, with a dialysis patient."""
        mine = ResidentFactory(household=household, name="张秀英", needs=["chronic_medication"])
        theirs = ResidentFactory(household=other_household, name="陈建国", needs=["dialysis"])
        buildings_set_closure(
            buildings=[other_building], level="sealed", reason="阳性", by=street_staff
        )
        return {"mine": mine, "theirs": theirs}

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("household__building__compound__id__exact={compound}", "mine"),
            ("household__building__id__exact={other_building}", "theirs"),
            ("household__building__closure_level__exact=sealed", "theirs"),
            ("household__building__closure_level__exact=precaution", "mine"),
            ("need=dialysis", "theirs"),
            ("need=chronic_medication", "mine"),
            ("vulnerable=1", "theirs"),
            ("vulnerable=0", "mine"),
        ],
    )
    def test_it_filters_residents(
        self, as_street_staff, register, compound, other_building, query, expected
    ):
        url = (
            changelist("resident")
            + "?"
            + query.format(compound=compound.pk, other_building=other_building.pk)
        )

        assert listed(as_street_staff.get(url)) == {register[expected]}

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("building__compound__id__exact={compound}", "mine"),
            ("building__id__exact={other_building}", "theirs"),
            ("building__closure_level__exact=sealed", "theirs"),
            ("need=dialysis", "theirs"),
            ("vulnerable=1", "theirs"),
            ("vulnerable=0", "mine"),
        ],
    )
    def test_it_filters_households(
        self, as_street_staff, register, compound, other_building, query, expected
    ):
        url = (
            changelist("household")
            + "?"
            + query.format(compound=compound.pk, other_building=other_building.pk)
        )

        assert listed(as_street_staff.get(url)) == {register[expected].household}

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("compound__id__exact={compound}", "building"),
            ("closure_level__exact=sealed", "other_building"),
            ("closure_level__exact=precaution", "building"),
        ],
    )
    def test_it_filters_buildings(
        self, as_street_staff, register, request, compound, query, expected
    ):
        url = changelist("building") + "?" + query.format(compound=compound.pk)

        assert listed(as_street_staff.get(url)) == {request.getfixturevalue(expected)}

    def test_it_counts_every_resident_of_a_household_filtered_by_need(self, as_staff, household):
        ResidentFactory(household=household, needs=["dialysis"])
        ResidentFactory(household=household, needs=["dialysis"])
        ResidentFactory(household=household, needs=[])

        [by_need] = listed(as_staff.get(changelist("household") + "?need=dialysis"))
        [by_name] = listed(as_staff.get(changelist("household"), {"q": "居民"}))

        assert by_need.resident_count == by_name.resident_count == 3

    def test_it_offers_only_the_committees_compounds_to_filter_by(
        self, as_staff, committee, household, other_household
    ):
        second = HouseholdFactory(
            building=BuildingFactory(compound=CompoundFactory(committee=committee, name="二村"))
        )

        response = as_staff.get(changelist("household"))

        [compound_filter] = [
            spec
            for spec in response.context["cl"].filter_specs
            if getattr(spec, "lookup_kwarg", "") == "building__compound__id__exact"
        ]
        offered = {label for _pk, label in compound_filter.lookup_choices}
        assert offered == {"胜利花园", second.building.compound.name}

    def test_it_offers_only_the_committees_buildings_to_filter_by(
        self, as_staff, compound, household, resident, other_resident
    ):
        second = HouseholdFactory(building=BuildingFactory(compound=compound, label="2"))
        ResidentFactory(household=second)

        response = as_staff.get(changelist("resident"))

        [building_filter] = [
            spec
            for spec in response.context["cl"].filter_specs
            if getattr(spec, "lookup_kwarg", "") == "household__building__id__exact"
        ]
        assert building_filter.lookup_choices == [
            (household.building_id, "胜利花园 1"),
            (second.building_id, "胜利花园 2"),
        ]


class TestSearch:
    @pytest.fixture
    def register(self, household, building, other_household):
        return {
            "granny": ResidentFactory(household=household, name="张秀英", phone="13912345678"),
            "grandson": ResidentFactory(
                household=HouseholdFactory(
                    building=building, room="1203", contact_phone="13700001111"
                ),
                name="王浩然",
            ),
            "outsider": ResidentFactory(household=other_household, name="张秀兰"),
        }

    @pytest.mark.parametrize(
        ("term", "expected"),
        [("张秀", {"granny"}), ("13912345678", {"granny"}), ("1203", {"grandson"})],
    )
    def test_it_finds_residents_by_name_phone_and_room(self, as_staff, register, term, expected):
        response = as_staff.get(changelist("resident"), {"q": term})

        assert listed(response) == {register[name] for name in expected}

    @pytest.mark.parametrize(
        ("term", "expected"),
        [("王浩然", "grandson"), ("13700001111", "grandson"), ("101", "granny")],
    )
    def test_it_finds_households_by_resident_phone_and_room(
        self, as_staff, register, term, expected
    ):
        response = as_staff.get(changelist("household"), {"q": term})

        assert listed(response) == {register[expected].household}


class TestClosureAction:
    @pytest.fixture
    def buildings(self, compound):
        return [BuildingFactory(compound=compound, label=label) for label in ("11", "12", "13")]

    def test_it_asks_for_a_level_and_a_reason_before_changing_anything(self, as_staff, buildings):
        response = as_staff.post(
            changelist("building"),
            {"action": "set_closure_level", ACTION_CHECKBOX_NAME: [buildings[0].pk]},
        )

        assert response.status_code == 200
        assert response.templates[0].name == "admin/residents/building/set_closure.html"
        assert set(response.context["form"].fields) == {"level", "reason"}
        assert list(response.context["buildings"]) == [buildings[0]]
        assert not ClosureChange.objects.exists()
        assert set(Building.objects.values_list("closure_level", flat=True)) == {"precaution"}

    def test_it_changes_the_chosen_buildings_and_logs_each(
        self, as_staff, staff, buildings, other_building
    ):
        chosen = [buildings[0].pk, buildings[2].pk, other_building.pk]

        response = as_staff.post(
            changelist("building"),
            {
                "action": "set_closure_level",
                ACTION_CHECKBOX_NAME: chosen,
                "apply": "1",
                "level": "sealed",
                "reason": "阳性病例所在楼栋",
            },
            HTTP_ACCEPT_LANGUAGE="en",
        )

        assert response.status_code == 302
        levels = dict(Building.objects.values_list("pk", "closure_level"))
        assert levels == {
            buildings[0].pk: "sealed",
            buildings[1].pk: "precaution",
            buildings[2].pk: "sealed",
            other_building.pk: "precaution",
        }
        changes = ClosureChange.objects.all()
        assert {change.building_id for change in changes} == {buildings[0].pk, buildings[2].pk}
        assert {(c.reason, c.changed_by, c.from_level) for c in changes} == {
            ("阳性病例所在楼栋", staff, "precaution")
        }
        assert message_texts(response) == ["2 buildings changed closure level."]

    @pytest.mark.parametrize(
        "answer", [{"level": "sealed", "reason": ""}, {"level": "locked", "reason": "阳性"}]
    )
    def test_it_asks_again_and_changes_nothing_without_a_good_answer(
        self, as_staff, buildings, answer
    ):
        response = as_staff.post(
            changelist("building"),
            {
                "action": "set_closure_level",
                ACTION_CHECKBOX_NAME: [buildings[0].pk],
                "apply": "1",
                **answer,
            },
        )

        assert response.status_code == 200
        assert response.context["form"].errors
        assert not ClosureChange.objects.exists()
        assert set(Building.objects.values_list("closure_level", flat=True)) == {"precaution"}

    def test_it_keeps_the_closure_level_off_the_building_form(self, as_staff, building):
        response = as_staff.post(
            reverse("admin:residents_building_change", args=[building.pk]),
            {
                "compound": building.compound_id,
                "label": "1",
                "units": "2",
                "floors": "6",
                "closure_level": "sealed",
            },
        )

        assert response.status_code == 302
        building.refresh_from_db()
        assert building.closure_level == ClosureLevel.PRECAUTION
        assert not ClosureChange.objects.exists()


class TestEditing:
    def test_it_registers_a_resident_with_needs_as_the_staff_member(
        self, as_staff, staff, household
    ):
        response = as_staff.post(
            reverse("admin:residents_resident_add"),
            {
                "household": household.pk,
                "name": "李桂英",
                "birth_date": "1940-03-08",
                "sex": "F",
                "care_level": "3",
                "needs": ["dialysis", "elderly_alone"],
            },
        )

        assert response.status_code == 302
        resident = Resident.objects.get()
        assert (resident.name, resident.created_by, resident.updated_by) == ("李桂英", staff, staff)
        assert resident.need_codes == ["dialysis", "elderly_alone"]

    def test_it_replaces_a_residents_needs(self, as_staff, staff, household):
        resident = ResidentFactory(household=household, name="李桂英", needs=["dialysis"])
        form = reverse("admin:residents_resident_change", args=[resident.pk])
        assert as_staff.get(form).context["adminform"].form["needs"].initial == ["dialysis"]

        response = as_staff.post(
            form,
            {"household": household.pk, "name": "李桂英", "care_level": "1", "needs": ["infant"]},
        )

        assert response.status_code == 302
        resident = Resident.objects.get()
        assert (resident.need_codes, resident.updated_by) == (["infant"], staff)

    def test_it_refuses_a_birth_date_in_the_future(self, as_staff, household):
        response = as_staff.post(
            reverse("admin:residents_resident_add"),
            {
                "household": household.pk,
                "name": "李桂英",
                "care_level": "0",
                "birth_date": "2999-01-01",
            },
        )

        assert response.status_code == 200
        assert "birth_date" in response.context["adminform"].form.errors
        assert not Resident.objects.exists()

    def test_it_registers_a_household_as_the_staff_member(self, as_staff, staff, building):
        response = as_staff.post(
            reverse("admin:residents_household_add"),
            {"building": building.pk, "unit": "2", "room": "602", **NO_INLINE_ROWS},
        )

        assert response.status_code == 302
        household = Household.objects.get()
        assert (household.unit, household.room, household.created_by) == (2, "602", staff)

    def test_it_refuses_a_unit_the_building_lacks(self, as_staff, building):
        response = as_staff.post(
            reverse("admin:residents_household_add"),
            {"building": building.pk, "unit": "3", "room": "602", **NO_INLINE_ROWS},
        )

        assert response.status_code == 200
        assert "unit" in response.context["adminform"].form.errors
        assert not Household.objects.exists()

    def test_it_shows_a_household_with_its_residents(self, as_staff, household, resident):
        response = as_staff.get(reverse("admin:residents_household_change", args=[household.pk]))

        assert response.status_code == 200
        [inline] = response.context["inline_admin_formsets"]
        assert [form.original for form in inline] == [resident]
        assert "张秀英" in response.content.decode()


class TestNoDeletion:
    @pytest.mark.parametrize(
        ("model", "record"),
        [
            ("compound", "compound"),
            ("building", "building"),
            ("household", "household"),
            ("resident", "resident"),
        ],
    )
    @pytest.mark.parametrize("user", ["staff", "superuser"])
    def test_it_deletes_nothing(self, client, request, user, model, record):
        client.force_login(request.getfixturevalue(user))
        record = request.getfixturevalue(record)
        delete_page = reverse(f"admin:residents_{model}_delete", args=[record.pk])

        assert client.get(delete_page).status_code == 403
        assert client.post(delete_page, {"post": "yes"}).status_code == 403
        client.post(
            changelist(model),
            {"action": "delete_selected", ACTION_CHECKBOX_NAME: [record.pk], "post": "yes"},
        )
        action_form = client.get(changelist(model)).context["action_form"]
        actions = action_form.fields["action"].choices if action_form else []
        assert "delete_selected" not in {name for name, _label in actions}
        assert type(record).objects.filter(pk=record.pk).exists()

    def test_it_deletes_no_closure_change(self, client, superuser, building):
        [change] = buildings_set_closure(
            buildings=[building], level="sealed", reason="阳性", by=superuser
        )
        client.force_login(superuser)

        response = client.post(
            reverse("admin:residents_closurechange_delete", args=[change.pk]), {"post": "yes"}
        )

        assert response.status_code == 403
        assert ClosureChange.objects.filter(pk=change.pk).exists()


def test_it_shows_staff_their_committee_before_it_has_a_compound(client, staff, committee):
    client.force_login(staff)

    assert listed(client.get(changelist("committee"))) == {committee}
    assert len(listed(client.get(changelist("street")))) == 1


def test_it_refuses_a_building_without_units_with_a_message(client, staff, compound):
    client.force_login(staff)

    response = client.post(
        reverse("admin:residents_building_add"),
        {"compound": compound.pk, "label": "9", "units": 0, "floors": 6, "closure_level": "sealed"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["units"]
    assert not Building.objects.filter(label="9").exists()


class TestHouseholdLogins:
    def post_action(self, client, households):
        return client.post(
            changelist("household"),
            {"action": "create_logins", ACTION_CHECKBOX_NAME: [h.pk for h in households]},
            HTTP_ACCEPT_LANGUAGE="en",
        )

    def test_it_leaves_an_existing_login_alone(self, client, staff, household, resident_user):
        client.force_login(staff)
        before = resident_user.password

        response = self.post_action(client, [household])

        assert response.status_code == 302
        resident_user.refresh_from_db()
        assert resident_user.password == before
        assert "already has a login" in " ".join(message_texts(response))

    def test_it_cannot_create_logins_for_another_committees_households(
        self, client, other_staff, household
    ):
        client.force_login(other_staff)

        self.post_action(client, [household])

        household.refresh_from_db()
        assert household.account is None
