"""Staff forms on a 360 px phone: the medicine form finds the household by phone before it
offers residents; the meals page has its checkboxes inside 44 px labels."""

import pytest

from tests.browser.test_medicine import PHONE_WIDTH, SMALL_TAP_TARGETS

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips before `expect` is used
    expect = None

pytestmark = pytest.mark.browser


def _assert_fits_a_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    assert page.evaluate(SMALL_TAP_TARGETS) == []


def test_staff_find_a_household_by_phone_then_pick_its_resident(
    phone, log_in, live_server, staff, household, resident, tmp_path
):
    household.contact_phone = "13912345678"
    household.save()
    log_in(phone, staff.username)
    phone.goto(f"{live_server.url}/staff/medicine/")
    expect(phone.locator("form[data-form=medicine]")).to_have_count(0)
    phone.fill("form[data-form=find-household] input[name=phone]", "+86 139 1234 5678")
    with phone.expect_navigation():
        phone.locator("form[data-form=find-household] button[type=submit]").tap()
    expect(phone.locator(f'[data-household="{household.pk}"]')).to_be_visible()
    options = phone.locator("form[data-form=medicine] select[name=resident] option")
    assert [o.get_attribute("value") for o in options.all() if o.get_attribute("value")] == [
        str(resident.pk)
    ]
    _assert_fits_a_phone(phone)
    phone.screenshot(path=tmp_path / "medicine-finder.png", full_page=True)


def test_the_meals_page_has_44px_checkbox_rows_and_fits(
    phone, log_in, live_server, staff, tmp_path
):
    log_in(phone, staff.username)
    phone.goto(f"{live_server.url}/staff/meals/")
    _assert_fits_a_phone(phone)
    rows = phone.locator("label.meals-check")
    assert rows.count() == 3
    for row in rows.all():
        assert row.bounding_box()["height"] >= 44
        assert row.locator("input[type=checkbox]").count() == 1
    phone.screenshot(path=tmp_path / "meals.png", full_page=True)
