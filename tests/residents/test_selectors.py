from django.contrib.auth.models import AnonymousUser

from residents import selectors
from residents.models import Household, Resident, Role
from residents.services import buildings_set_closure, membership_grant
from tests.factories import (
    BuildingFactory,
    HouseholdFactory,
    ResidentFactory,
    StreetFactory,
    UserFactory,
)


def test_it_shows_committee_staff_only_their_committees_compounds(compound, other_compound, staff):
    assert list(selectors.compounds_staffed_by(staff)) == [compound]


def test_it_shows_street_staff_every_compound_of_the_street(compound, other_compound, street_staff):
    assert set(selectors.compounds_staffed_by(street_staff)) == {compound, other_compound}


def test_it_shows_a_resident_only_their_household(household, other_household, resident_user):
    assert list(selectors.households_visible_to(resident_user)) == [household]
    assert list(selectors.compounds_staffed_by(resident_user)) == []


def test_it_hides_the_register_from_a_volunteer(resident, volunteer, compound):
    assert list(selectors.residents_visible_to(volunteer)) == []
    assert list(selectors.compounds_visible_to(volunteer)) == [compound]


def test_it_shows_a_resident_only_their_own_compound(
    compound, other_compound, resident_user, volunteer
):
    assert list(selectors.compounds_visible_to(resident_user)) == [compound]
    assert list(selectors.compounds_visible_to(volunteer)) == [compound]


def test_it_shows_anonymous_visitors_nothing(resident, building):
    anonymous = AnonymousUser()

    assert not selectors.compounds_visible_to(anonymous).exists()
    assert not selectors.buildings_visible_to(anonymous).exists()
    assert not selectors.households_visible_to(anonymous).exists()
    assert not selectors.residents_visible_to(anonymous).exists()
    assert not selectors.user_is_staff_member(anonymous)


def test_it_shows_a_superuser_every_compound(compound, other_compound, superuser):
    assert set(selectors.compounds_staffed_by(superuser)) == {compound, other_compound}
    assert selectors.user_is_staff_member(superuser)


def test_it_lets_volunteers_see_buildings_but_staff_none(building, volunteer, staff):
    assert list(selectors.buildings_visible_to(volunteer)) == [building]
    assert list(selectors.buildings_staffed_by(volunteer)) == []
    assert list(selectors.buildings_staffed_by(staff)) == [building]


def test_it_shows_committee_staff_only_their_committees_residents(
    resident, other_resident, staff, other_staff
):
    assert list(selectors.residents_visible_to(staff)) == [resident]
    assert list(selectors.residents_visible_to(other_staff)) == [other_resident]


def test_it_shows_street_staff_every_resident_of_the_street(resident, other_resident, street_staff):
    assert set(selectors.residents_visible_to(street_staff)) == {resident, other_resident}
    assert set(selectors.households_visible_to(street_staff)) == {
        resident.household,
        other_resident.household,
    }


def test_it_shows_a_resident_only_the_people_of_their_household(resident, building, resident_user):
    ResidentFactory(household=HouseholdFactory(building=building, room="102"))

    assert list(selectors.residents_visible_to(resident_user)) == [resident]


def test_it_shows_street_staff_of_another_street_nothing(resident, other_resident):
    elsewhere = UserFactory()
    membership_grant(user=elsewhere, role=Role.STREET_STAFF, street=StreetFactory())

    assert not selectors.residents_visible_to(elsewhere).exists()
    assert not selectors.compounds_staffed_by(elsewhere).exists()
    assert selectors.user_is_staff_member(elsewhere)


def test_it_counts_households_residents_and_vulnerable_households_per_building(compound):
    busy, empty = BuildingFactory(compound=compound), BuildingFactory(compound=compound)
    first, second = HouseholdFactory(building=busy), HouseholdFactory(building=busy)
    ResidentFactory(household=first, needs=["dialysis", "elderly_alone", "chronic_medication"])
    ResidentFactory(household=first, needs=["infant"])
    ResidentFactory(household=second, needs=["chronic_medication", "foreign_language"])

    counts = {
        building.pk: (
            building.household_count,
            building.resident_count,
            building.vulnerable_household_count,
        )
        for building in selectors.buildings_with_counts(compound.buildings.all())
    }

    assert counts == {busy.pk: (2, 3, 1), empty.pk: (0, 0, 0)}


def test_it_finds_vulnerable_residents_and_households(household, building):
    dialysis = ResidentFactory(household=household, needs=["dialysis"])
    ResidentFactory(household=household, needs=["chronic_medication"])
    ResidentFactory(
        household=HouseholdFactory(building=building, room="102"), needs=["chronic_medication"]
    )

    assert list(selectors.residents_vulnerable(Resident.objects.all())) == [dialysis]
    assert list(selectors.households_vulnerable(Household.objects.all())) == [household]


def test_it_lists_a_compounds_recent_closure_changes_newest_first(
    compound, building, other_building, staff
):
    buildings_set_closure(buildings=[building], level="controlled", reason="密接", by=staff)
    buildings_set_closure(buildings=[other_building], level="sealed", reason="阳性", by=staff)
    buildings_set_closure(buildings=[building], level="sealed", reason="阳性", by=staff)

    recent = list(selectors.closure_changes_recent(compound=compound))
    assert [(c.building, c.to_level) for c in recent] == [
        (building, "sealed"),
        (building, "controlled"),
    ]
    assert len(selectors.closure_changes_recent(compound=compound, limit=1)) == 1
