"""The API reads a JSON value only when its type is the schema's: `0` is not false, `12` is
not a note, `1.5` is not an amount; the refusal is a 400 naming the field, changing nothing.
It reads JSON only: a form's "" would be read as null and "0" as false."""

import pytest

from residents.models import Resident
from supplies.models import PackageType
from tests.supplies import conftest as supplies_fixtures

pytestmark = pytest.mark.django_db

supplier = supplies_fixtures.supplier
vegetables = supplies_fixtures.vegetables


def _english(api_client, user):
    api_client.force_authenticate(user)
    api_client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    return api_client


def test_a_number_for_a_text_is_refused_and_changes_nothing(api_client, staff, resident):
    client = _english(api_client, staff)
    response = client.patch(f"/api/v1/residents/{resident.pk}/", {"notes": 0, "name": 12})
    assert response.status_code == 400
    assert response.json()["notes"] == ["Give a text, in quotes."]
    assert response.json()["name"] == ["Give a text, in quotes."]
    assert Resident.objects.get(pk=resident.pk).notes == resident.notes
    assert client.patch(f"/api/v1/residents/{resident.pk}/", {"notes": "0"}).status_code == 200
    assert Resident.objects.get(pk=resident.pk).notes == "0"


def test_a_number_for_a_flag_or_an_amount_is_refused(api_client, street_staff, vegetables):
    client = _english(api_client, street_staff)
    url = f"/api/v1/package-types/{vegetables.pk}/"
    for body, field in (({"essential": 0}, "essential"), ({"unit_price": 1.5}, "unit_price")):
        response = client.patch(url, body)
        assert response.status_code == 400, body
        assert field in response.json()
    unchanged = PackageType.objects.get(pk=vegetables.pk)
    assert (unchanged.essential, unchanged.unit_price) == (
        vegetables.essential,
        vegetables.unit_price,
    )
    assert client.patch(url, {"essential": False, "unit_price": "1.50"}).status_code == 200


def test_a_form_body_is_refused_with_a_json_error(api_client, staff, resident):
    client = _english(api_client, staff)
    response = client.patch(f"/api/v1/residents/{resident.pk}/", {"notes": "x"}, format="multipart")
    assert response.status_code == 415
    assert response.json()["detail"]
    assert Resident.objects.get(pk=resident.pk).notes == resident.notes
