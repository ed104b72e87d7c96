"""Under the Content-Security-Policy, the pages' own scripts run and the browser refuses
nothing: the admin, the API docs, a resident's order form, staff pages."""

import pytest

from tests.supplies.conftest import (  # noqa: F401
    closes_at,
    group_buy,
    leader,
    meat,
    supplier,
    vegetables,
)

pytestmark = pytest.mark.browser


def _refusals(page) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda message: (
            found.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return found


def test_staff_pages_the_admin_and_the_api_docs_run_under_the_policy(
    phone, log_in, live_server, staff, household
):
    refused = _refusals(phone)
    log_in(phone, staff.username)
    for path in [
        "/",
        "/admin/",
        f"/admin/residents/household/{household.pk}/change/",
        f"/admin/residents/household/{household.pk}/history/",
        "/admin/residents/resident/import/",
        "/api/docs/",
    ]:
        response = phone.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        phone.wait_for_load_state("networkidle")
    assert phone.locator("#swagger-ui .info").count() == 1  # the docs' script drew the page
    assert refused == []


def test_the_order_form_steppers_run_under_the_policy(
    phone, log_in, live_server, request, resident_user
):
    supply_round = request.getfixturevalue("group_buy")  # imported above for this folder
    refused = _refusals(phone)
    log_in(phone, resident_user.username)
    phone.goto(f"{live_server.url}/rounds/{supply_round.pk}/")
    phone.locator('button[data-step="1"]').first.tap()
    assert phone.locator("[data-total]").inner_text() != "¥0.00"
    assert refused == []
