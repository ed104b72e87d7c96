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


@pytest.mark.parametrize(
    "query",
    [
        {"care_level": "0.5"},
        {"care_level": "²"},
        {"care_level": str(2**70)},
        {"household": "0"},
        {"household": "1.5"},
    ],
)
def test_a_filter_made_from_a_model_field_refuses_what_is_not_its_type(
    api_client, staff, resident, query
):
    response = _english(api_client, staff).get("/api/v1/residents/", query)
    assert response.status_code == 400
    assert list(response.json()) == list(query)


def test_a_yes_no_filter_takes_only_true_or_false(api_client, street_staff, vegetables):
    client = _english(api_client, street_staff)
    for value in ("0", "1", "yes", "null"):
        assert client.get("/api/v1/package-types/", {"essential": value}).status_code == 400
    listed = client.get("/api/v1/package-types/", {"essential": "true"}).json()["results"]
    assert [row["id"] for row in listed] == [vegetables.pk]
    assert client.get("/api/v1/package-types/", {"essential": ""}).status_code == 200
