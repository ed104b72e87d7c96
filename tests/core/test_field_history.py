"""Every edit keeps the old value, with who and when (core.history): households, residents and
their need tags, collection points, compound policies, the volunteers' test window, roles, and
order lines; the import writes the same history; staff read it in the admin, scoped and never
editable."""

import datetime

import pytest
from django.urls import reverse

from core.history import CHANGED, CREATED, DELETED
from deliveries.models import CollectionPoint, CompoundPolicy
from deliveries.services.points import point_create, point_update, policy_set
from residents.models import Household, Membership, Resident, ResidentNeed, Role
from residents.services import household_update, membership_grant, resident_update
from tests.factories import UserFactory
from volunteers.models import VolunteerSettings
from volunteers.services import volunteer_settings_set


def versions(model, **filters) -> list[tuple]:
    return [
        (record.history_type, record.history_user)
        for record in model.history.filter(**filters).order_by("history_date", "history_id")
    ]


def test_a_household_phone_edit_keeps_the_old_number_and_who_changed_it(household, staff):
    before = household.contact_phone
    household_update(household=household, contact_phone="13911112222", by=staff)

    old, new = household.history.order_by("history_date")[:2]
    assert (old.history_type, old.contact_phone) == (CREATED, before)
    assert (new.history_type, new.contact_phone, new.history_user) == (
        CHANGED,
        "13911112222",
        staff,
    )
    changes = {change.field: (change.old, change.new) for change in new.diff_against(old).changes}
    assert changes["contact_phone"] == (before, "13911112222")


def test_a_resident_care_level_and_need_tags_keep_their_history(resident, staff):
    resident_update(resident=resident, by=staff, care_level=3, needs=["disabled"])
    resident_update(resident=resident, by=staff, needs=["dialysis"])

    levels = [r.care_level for r in resident.history.order_by("history_date", "history_id")]
    assert levels[-2:] == [3, 3] and 3 in levels
    tags = [
        (record.history_type, record.need, record.history_user)
        for record in ResidentNeed.history.filter(resident_id=resident.pk).order_by(
            "history_date", "history_id"
        )
    ]
    assert ("+", "disabled", staff) in tags
    assert ("-", "disabled", staff) in tags
    assert ("+", "dialysis", staff) in tags


def test_a_collection_point_capacity_and_the_compound_policy_keep_old_values(compound, staff):
    point = point_create(
        compound=compound,
        by=staff,
        name="北门",
        position_x=0,
        position_y=0,
        capacity=200,
        crowd_cap=10,
        opens_at=datetime.time(8),
        closes_at=datetime.time(11),
        slot_minutes=15,
    )
    point_update(point=point, by=staff, capacity=150)
    assert [r.capacity for r in point.history.order_by("history_date", "history_id")] == [200, 150]
    assert versions(CollectionPoint, id=point.pk) == [(CREATED, staff), (CHANGED, staff)]

    policy_set(compound=compound, controlled_fulfilment="unit_entrance", by=staff)
    policy_set(compound=compound, controlled_fulfilment="pickup", by=staff)
    assert [r.controlled_fulfilment for r in CompoundPolicy.history.order_by("history_date")] == [
        "unit_entrance",
        "pickup",
    ]


def test_the_volunteers_test_window_keeps_its_old_value(committee, staff):
    volunteer_settings_set(committee=committee, test_valid_hours=48, by=staff)
    volunteer_settings_set(committee=committee, test_valid_hours=24, by=staff)
    assert [
        (r.test_valid_hours, r.history_user)
        for r in VolunteerSettings.history.order_by("history_date", "history_id")
    ] == [(48, staff), (24, staff)]


def test_removing_a_role_is_recorded(client, committee, superuser):
    user = UserFactory(username="former-staff")
    membership = membership_grant(user=user, role=Role.COMMITTEE_STAFF, committee=committee)
    client.force_login(superuser)
    response = client.post(
        reverse("admin:residents_membership_delete", args=[membership.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    removed = Membership.history.get(id=membership.pk, history_type=DELETED)
    assert (removed.user_id, removed.role, removed.history_user) == (
        user.pk,
        Role.COMMITTEE_STAFF,
        superuser,
    )


class TestAdmin:
    def test_staff_read_the_history_of_their_household(self, client, staff, household):
        household_update(household=household, contact_phone="13911112222", by=staff)
        client.force_login(staff)
        page = client.get(reverse("admin:residents_household_history", args=[household.pk]))
        assert page.status_code == 200
        text = page.content.decode()
        assert "13911112222" in text

    def test_a_version_cannot_be_reverted_or_edited(self, client, staff, household):
        household_update(household=household, contact_phone="13911112222", by=staff)
        first = household.history.earliest("history_date")
        client.force_login(staff)
        url = reverse(
            "admin:residents_household_simple_history", args=[household.pk, first.history_id]
        )
        assert client.get(url).status_code == 200
        response = client.post(url, {"contact_phone": "13900000000", "unit": 1, "room": "1"})
        assert response.status_code == 405
        household.refresh_from_db()
        assert household.contact_phone == "13911112222"

    @pytest.mark.parametrize("page", ["history", "simple_history"])
    def test_another_committees_history_is_not_shown(
        self, client, staff, other_staff, other_household, page
    ):
        household_update(household=other_household, contact_phone="13933334444", by=other_staff)
        client.force_login(staff)
        args = [other_household.pk]
        if page == "simple_history":
            args.append(other_household.history.earliest("history_date").history_id)
        response = client.get(reverse(f"admin:residents_household_{page}", args=args))
        assert response.status_code == 302
        assert "13933334444" not in client.get(response["Location"]).content.decode()


def test_the_history_survives_in_the_database_not_only_on_the_row(household, staff):
    """An edit does not overwrite the history: the row changes, the old version stays."""
    household_update(household=household, contact_phone="13911112222", by=staff)
    household_update(household=household, contact_phone="13933334444", by=staff)
    assert Household.objects.get(pk=household.pk).contact_phone == "13933334444"
    assert list(
        household.history.order_by("history_date", "history_id").values_list(
            "contact_phone", flat=True
        )
    )[-2:] == ["13911112222", "13933334444"]
    assert Resident.history.model._meta.db_table == "residents_historicalresident"
