from residents import selectors


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
