"""The OpenAPI document tells the truth: errors documented with one body, nulls and blanks named,
and an id in a query is a whole number."""

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from core.schema import ERROR_COMPONENT

WRITES = {"post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def document(tmp_path_factory, django_db_blocker):
    schema = tmp_path_factory.mktemp("schema") / "schema.yml"
    with django_db_blocker.unblock():
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(schema))
    return yaml.safe_load(schema.read_text())


def properties(document, component):
    return document["components"]["schemas"][component]["properties"]


def test_every_operation_documents_its_errors_with_the_one_error_body(document):
    error = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]

    assert len(operations) > 100
    for path, method, operation in operations:
        wanted = {"400", "403", "404", "429", "500"} | (
            {"409", "413"} if method in WRITES else set()
        )
        responses = operation["responses"]
        assert wanted <= set(responses), (method, path)
        for status in wanted:
            assert responses[status]["content"]["application/json"]["schema"] == error


def test_the_error_body_holds_a_message_a_code_and_field_errors(document):
    error = document["components"]["schemas"][ERROR_COMPONENT]

    assert set(error["properties"]) == {"detail", "code", "retryable"}
    assert error["additionalProperties"] == {}  # the messages of each field, by its name


def test_fields_that_answer_null_say_so(document):
    assert properties(document, "Round")["leader_name"]["nullable"] is True
    assert properties(document, "Supplier")["licence_checked_by"]["nullable"] is True
    delivery = properties(document, "Delivery")
    assert delivery["round"]["type"] == "integer" and delivery["round"]["nullable"] is True
    assert delivery["volunteer_name"]["nullable"] is True
    assert "nullable" not in delivery["building"]
    assert "nullable" not in properties(document, "Round")["offers"]


def test_choices_that_answer_blank_name_the_blank_choice(document):
    blank = {"$ref": "#/components/schemas/BlankEnum"}

    assert blank in properties(document, "Delivery")["failure"]["oneOf"]
    assert blank in properties(document, "Volunteer")["test_kind"]["oneOf"]
    assert document["components"]["schemas"]["BlankEnum"]["enum"] == [""]


def test_times_of_day_are_documented_as_they_are_answered(document):
    opens_at = properties(document, "CollectionPoint")["opens_at"]

    assert opens_at["format"] == "partial-time"  # JSON Schema's `time` demands an offset
    assert "pattern" in opens_at


@pytest.mark.django_db
def test_an_id_in_a_query_that_is_not_a_whole_number_is_refused(staff):
    client = APIClient()
    client.force_authenticate(staff)

    for url in (
        "/api/v1/collection-points/?compound=0.5",
        "/api/v1/households/?building=1.5",
        "/api/v1/residents/?household=²",
        "/api/v1/households/?compound=-126522140512774766198784",
        "/api/v1/households/?unit=58539000000000000000000",
        "/api/v1/collection-points/?active=2",
        "/api/v1/collection-points/?active=null",
    ):
        response = client.get(url)
        assert response.status_code == 400, url
        assert response.json()
    assert client.get("/api/v1/collection-points/?compound=1&active=true").status_code == 200
