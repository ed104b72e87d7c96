"""The admin of volunteers for staff: their committee's rows only, read-only, with actions."""

from django.urls import reverse

from volunteers.models import Shift, SignupStatus, VolunteerStatus
from volunteers.services import shift_signup


class TestVolunteerAdmin:
    def test_it_lists_only_the_committees_volunteers(self, client, staff, helper, other_helper):
        client.force_login(staff)
        page = client.get(reverse("admin:volunteers_volunteer_changelist")).content.decode()
        assert helper.name in page
        assert other_helper.name not in page
        url = reverse("admin:volunteers_volunteer_change", args=[other_helper.pk])
        assert client.get(url).status_code == 302  # another committee's: "does not exist"

    def test_it_approves_with_the_action(self, client, staff, committee, make_volunteer):
        pending = make_volunteer(committee, "待批", approved=False)
        client.force_login(staff)
        client.post(
            reverse("admin:volunteers_volunteer_changelist"),
            {"action": "approve", "_selected_action": [pending.pk]},
        )
        pending.refresh_from_db()
        assert pending.status == VolunteerStatus.APPROVED


class TestShiftAdmin:
    def test_it_shows_signups_and_cancels_with_the_action(self, client, staff, helper, shift):
        shift_signup(shift=shift, volunteer=helper, by=staff)
        client.force_login(staff)
        page = client.get(reverse("admin:volunteers_shift_change", args=[shift.pk]))
        assert page.status_code == 200
        assert helper.name in page.content.decode()
        client.post(
            reverse("admin:volunteers_shift_changelist"),
            {"action": "cancel", "_selected_action": [shift.pk]},
        )
        shift = Shift.objects.get(pk=shift.pk)
        assert shift.cancelled_by == staff
        assert shift.signups.get().status == SignupStatus.CANCELLED

    def test_it_hides_another_committees_shifts(self, client, other_staff, shift, helper):
        client.force_login(other_staff)
        page = client.get(reverse("admin:volunteers_shift_changelist")).content.decode()
        assert f"/{shift.pk}/change/" not in page
        for name in ("relay", "testrecord"):
            assert client.get(reverse(f"admin:volunteers_{name}_changelist")).status_code == 200
