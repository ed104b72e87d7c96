"""The admin of medical errands for staff: their committee's rows only, read-only, with history."""

from django.urls import reverse


class TestMedicineRequestAdmin:
    def test_it_shows_the_committees_requests_with_items_and_history(self, client, assigned, staff):
        client.force_login(staff)
        listing = client.get(reverse("admin:medical_medicinerequest_changelist"))
        assert listing.context["cl"].result_count == 1
        page = client.get(reverse("admin:medical_medicinerequest_change", args=[assigned.pk]))
        assert page.status_code == 200
        text = page.content.decode()
        assert assigned.items.first().medicine in text
        assert 'name="_save"' not in text  # read-only: steps go through the services

    def test_it_hides_them_from_another_committees_staff(self, client, assigned, other_staff):
        client.force_login(other_staff)
        url = reverse("admin:medical_medicinerequest_change", args=[assigned.pk])
        assert client.get(url).status_code == 302  # "does not exist", back to the index
        listing = client.get(reverse("admin:medical_medicinerequest_changelist"))
        assert listing.context["cl"].result_count == 0
