import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import override

from core.exceptions import ApplicationError
from residents import selectors
from residents.models import (
    Building,
    ClosureChange,
    ClosureLevel,
    Household,
    Membership,
    Need,
    Resident,
    Role,
)
from residents.services import (
    building_set_closure,
    buildings_set_closure,
    household_create,
    household_update,
    membership_grant,
    resident_create,
    resident_update,
)
from residents.signals import closure_changed
from tests.factories import BuildingFactory, ResidentFactory, UserFactory


@pytest.fixture
def closure_signals():
    """What `closure_changed` delivered, one list of changes per send."""
    received = []

    def receiver(sender, changes, **kwargs):
        received.append(changes)

    closure_changed.connect(receiver, dispatch_uid="test-closure-receiver")
    yield received
    closure_changed.disconnect(dispatch_uid="test-closure-receiver")


class TestHouseholds:
    def test_it_records_who_created_a_household_and_who_changed_it_last(
        self, building, staff, street_staff
    ):
        household = household_create(
            by=staff, building=building, unit=2, room="502", contact_phone="13800000001"
        )
        household_update(household=household, by=street_staff, room="503")

        household.refresh_from_db()
        assert household.created_by == staff
        assert household.updated_by == street_staff
        assert (household.unit, household.room, household.contact_phone) == (
            2,
            "503",
            "+8613800000001",
        )

    def test_it_refuses_a_unit_the_building_does_not_have(self, building, staff):
        with pytest.raises(ValidationError) as refusal:
            household_create(by=staff, building=building, unit=building.units + 1, room="101")

        assert list(refusal.value.message_dict) == ["unit"]
        assert not Household.objects.exists()

    @pytest.mark.parametrize("unit", [0, 3])
    def test_it_says_which_units_the_building_has(self, building, staff, unit):
        with override("en"):
            with pytest.raises(ValidationError) as refusal:
                household_create(by=staff, building=building, unit=unit, room="101")
            message = refusal.value.message_dict["unit"][0]

        assert message in (
            "Unit must be a whole number from 1 to 2.",
            "Building 1 has only 2 units.",
        )
        assert "constraint" not in message.lower()

    def test_it_refuses_to_move_a_household_to_a_unit_beyond_the_building(
        self, household, street_staff
    ):
        with pytest.raises(ValidationError):
            household_update(household=household, by=street_staff, unit=9)

        household.refresh_from_db()
        assert household.unit == 1
        assert household.updated_by != street_staff

    def test_it_refuses_a_phone_number_that_is_not_one(self, building, staff):
        with pytest.raises(ValidationError) as refusal:
            household_create(by=staff, building=building, unit=1, room="101", contact_phone="abc")

        assert "contact_phone" in refusal.value.message_dict


class TestResidents:
    def test_it_records_who_created_a_resident_and_who_changed_it_last(
        self, household, staff, street_staff
    ):
        resident = resident_create(by=staff, household=household, name="王建国", care_level=2)
        resident_update(resident=resident, by=street_staff, care_level=4)

        resident.refresh_from_db()
        assert (resident.created_by, resident.updated_by) == (staff, street_staff)
        assert resident.care_level == 4

    def test_it_refuses_a_birth_date_in_the_future(self, household, staff):
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)

        with override("en"):
            with pytest.raises(ValidationError) as refusal:
                resident_create(by=staff, household=household, name="王建国", birth_date=tomorrow)
            assert refusal.value.message_dict == {
                "birth_date": ["The birth date is in the future."]
            }
        assert not Resident.objects.exists()

    def test_it_accepts_a_baby_born_today(self, household, staff):
        resident = resident_create(
            by=staff, household=household, name="王一诺", birth_date=timezone.localdate()
        )

        assert resident.age == 0

    def test_it_refuses_to_change_a_birth_date_to_the_future(self, resident, staff):
        born = resident.birth_date

        with pytest.raises(ValidationError):
            resident_update(
                resident=resident, by=staff, birth_date=datetime.date(2999, 1, 1), needs=["infant"]
            )

        resident.refresh_from_db()
        assert resident.birth_date == born
        assert resident.need_codes == []

    def test_it_refuses_a_care_level_above_six(self, household, staff):
        with pytest.raises(ValidationError) as refusal:
            resident_create(by=staff, household=household, name="王建国", care_level=7)

        assert "care_level" in refusal.value.message_dict

    def test_it_tags_a_new_resident_with_their_needs(self, household, staff):
        resident = resident_create(
            by=staff,
            household=household,
            name="王建国",
            needs=[Need.DIALYSIS, "chronic_medication"],
        )

        assert Resident.objects.get(pk=resident.pk).need_codes == ["chronic_medication", "dialysis"]

    def test_it_replaces_a_residents_needs(self, household, staff):
        resident = ResidentFactory(household=household, needs=["dialysis", "chronic_medication"])

        resident_update(resident=resident, by=staff, needs=["chronic_medication", "pregnant"])

        assert Resident.objects.get(pk=resident.pk).need_codes == ["chronic_medication", "pregnant"]

    def test_it_removes_every_need_when_given_none(self, household, staff):
        resident = ResidentFactory(household=household, needs=["dialysis"])

        resident_update(resident=resident, by=staff, needs=[])

        assert Resident.objects.get(pk=resident.pk).need_codes == []

    def test_it_keeps_the_needs_when_an_update_does_not_mention_them(self, household, staff):
        resident = ResidentFactory(household=household, needs=["dialysis"])

        resident_update(resident=resident, by=staff, phone="13900139000")

        assert Resident.objects.get(pk=resident.pk).need_codes == ["dialysis"]

    def test_it_shows_the_new_needs_on_a_resident_read_with_its_needs_prefetched(
        self, household, staff
    ):
        ResidentFactory(household=household, needs=["dialysis"])
        resident = selectors.residents_visible_to(staff).get()
        assert resident.need_codes == ["dialysis"]

        resident_update(resident=resident, by=staff, needs=["pregnant"])

        assert resident.need_codes == ["pregnant"]

    def test_it_refuses_an_unknown_need_and_creates_nobody(self, household, staff):
        with override("en"), pytest.raises(ApplicationError) as refusal:
            resident_create(by=staff, household=household, name="王建国", needs=["dialysis", "x"])

        assert refusal.value.message == "Unknown special need: x."
        assert not Resident.objects.exists()

    def test_it_refuses_an_unknown_need_on_update_and_keeps_the_resident_as_it_was(
        self, household, staff
    ):
        resident = ResidentFactory(household=household, needs=["dialysis"], care_level=1)

        with pytest.raises(ApplicationError):
            resident_update(resident=resident, by=staff, care_level=5, needs=["flying"])

        resident = Resident.objects.get(pk=resident.pk)
        assert (resident.care_level, resident.need_codes) == (1, ["dialysis"])


class TestVulnerability:
    @pytest.mark.parametrize(
        ("needs", "vulnerable"),
        [
            ([], False),
            (["chronic_medication"], False),
            (["foreign_language"], False),
            (["chronic_medication", "foreign_language"], False),
            (["dialysis"], True),
            (["chronic_medication", "dialysis"], True),
            (["elderly_alone"], True),
            (["aged_80_plus"], True),
            (["disabled"], True),
            (["chemotherapy"], True),
            (["pregnant"], True),
            (["infant"], True),
        ],
    )
    def test_it_counts_a_household_vulnerable_only_for_a_vulnerability_need(
        self, household, staff, needs, vulnerable
    ):
        ResidentFactory(household=household, needs=[])
        resident = resident_create(by=staff, household=household, name="王建国", needs=needs)

        assert Resident.objects.get(pk=resident.pk).is_vulnerable is vulnerable
        assert selectors.households_visible_to(staff).get().is_vulnerable is vulnerable
        assert selectors.households_vulnerable(Household.objects.all()).exists() is vulnerable

    def test_it_stops_counting_a_household_vulnerable_when_the_need_is_removed(
        self, household, staff
    ):
        resident = ResidentFactory(household=household, needs=["dialysis", "chronic_medication"])

        resident_update(resident=resident, by=staff, needs=["chronic_medication"])

        assert selectors.households_visible_to(staff).get().is_vulnerable is False


class TestClosure:
    def test_it_logs_each_change_with_from_to_reason_who_and_when(self, compound, staff):
        open_building = BuildingFactory(compound=compound, closure_level=ClosureLevel.PRECAUTION)
        controlled = BuildingFactory(compound=compound, closure_level=ClosureLevel.CONTROLLED)
        before = timezone.now()

        changes = buildings_set_closure(
            buildings=[open_building, controlled],
            level=ClosureLevel.SEALED,
            reason="  阳性病例所在楼栋  ",
            by=staff,
        )

        after = timezone.now()
        logged = {change.building: change for change in ClosureChange.objects.all()}
        assert set(logged) == {open_building, controlled} == {c.building for c in changes}
        assert logged[open_building].from_level == ClosureLevel.PRECAUTION
        assert logged[controlled].from_level == ClosureLevel.CONTROLLED
        for change in logged.values():
            assert change.to_level == ClosureLevel.SEALED
            assert change.reason == "阳性病例所在楼栋"
            assert change.changed_by == staff
            assert before <= change.changed_at <= after
        assert set(Building.objects.values_list("closure_level", flat=True)) == {"sealed"}

    def test_it_leaves_buildings_already_at_the_level_alone(self, compound, staff):
        sealed = BuildingFactory(compound=compound, closure_level=ClosureLevel.SEALED)
        open_building = BuildingFactory(compound=compound, closure_level=ClosureLevel.PRECAUTION)

        changes = buildings_set_closure(
            buildings=[sealed, open_building], level="sealed", reason="密接", by=staff
        )

        assert [change.building for change in changes] == [open_building]
        assert list(ClosureChange.objects.values_list("building", flat=True)) == [open_building.pk]

    def test_it_logs_nothing_when_every_building_is_already_at_the_level(self, building, staff):
        changes = buildings_set_closure(
            buildings=[building], level=building.closure_level, reason="复核", by=staff
        )

        assert changes == []
        assert not ClosureChange.objects.exists()

    @pytest.mark.parametrize("reason", ["", "   ", None])
    def test_it_refuses_a_change_without_a_reason_and_changes_nothing(
        self, building, staff, reason
    ):
        with override("en"), pytest.raises(ApplicationError) as refusal:
            buildings_set_closure(buildings=[building], level="sealed", reason=reason, by=staff)

        assert refusal.value.message == "Give a reason for the closure change."
        building.refresh_from_db()
        assert building.closure_level == ClosureLevel.PRECAUTION
        assert not ClosureChange.objects.exists()

    @pytest.mark.parametrize("level", ["locked", "SEALED", "封控", ""])
    def test_it_refuses_an_unknown_level_and_changes_nothing(self, building, staff, level):
        with override("en"), pytest.raises(ApplicationError) as refusal:
            buildings_set_closure(buildings=[building], level=level, reason="阳性", by=staff)

        assert refusal.value.message == f"Unknown closure level: {level}."
        building.refresh_from_db()
        assert building.closure_level == ClosureLevel.PRECAUTION
        assert not ClosureChange.objects.exists()

    def test_it_tells_other_apps_only_after_the_change_is_committed(
        self, building, staff, closure_signals, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            changes = buildings_set_closure(
                buildings=[building], level="sealed", reason="阳性", by=staff
            )
            assert closure_signals == []

        assert closure_signals == [changes]
        assert [(c.building, c.to_level) for c in closure_signals[0]] == [(building, "sealed")]

    def test_it_tells_other_apps_nothing_when_nothing_changed(
        self, building, staff, closure_signals, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            buildings_set_closure(
                buildings=[building], level=building.closure_level, reason="复核", by=staff
            )

        assert callbacks == []
        assert closure_signals == []

    def test_it_tells_other_apps_nothing_when_the_change_is_refused(
        self, building, staff, closure_signals, django_capture_on_commit_callbacks
    ):
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(ApplicationError),
        ):
            buildings_set_closure(buildings=[building], level="sealed", reason="", by=staff)

        assert callbacks == []
        assert closure_signals == []

    def test_it_updates_the_building_it_was_given(self, building, staff):
        change = building_set_closure(
            building=building, level="controlled", reason="密接", by=staff
        )

        assert building.closure_level == ClosureLevel.CONTROLLED
        assert change.from_level == ClosureLevel.PRECAUTION

    def test_it_returns_no_change_for_a_building_already_at_the_level(self, building, staff):
        assert (
            building_set_closure(building=building, level="precaution", reason="复核", by=staff)
            is None
        )


class TestMemberships:
    @pytest.mark.parametrize("role", [Role.COMMITTEE_STAFF, Role.STREET_STAFF])
    def test_it_lets_staff_into_the_admin(self, street, committee, role):
        user = UserFactory()
        scope = {"street": street} if role == Role.STREET_STAFF else {"committee": committee}

        membership_grant(user=user, role=role, **scope)

        user.refresh_from_db()
        assert user.is_staff

    @pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.GROUP_LEADER])
    def test_it_keeps_volunteers_and_group_leaders_out_of_the_admin(self, committee, role):
        user = UserFactory()

        membership_grant(user=user, role=role, committee=committee)

        user.refresh_from_db()
        assert not user.is_staff
        assert not selectors.user_is_staff_member(user)

    def test_it_grants_a_role_only_once(self, committee):
        user = UserFactory()

        first = membership_grant(user=user, role=Role.COMMITTEE_STAFF, committee=committee)
        again = membership_grant(user=user, role=Role.COMMITTEE_STAFF, committee=committee)

        assert first == again
        assert Membership.objects.filter(user=user).count() == 1
