"""The volunteer's home on a 360 px phone: today's shift, deliveries left and done and the
gate, each one tap away; off shift there is no gate button, and an address that is not theirs
answers a translated 404 page with the way back.

With LHM_SCREENSHOTS set to a folder, the home and my deliveries are saved there as PNGs
(how docs/screenshots/ is made:
`LHM_SCREENSHOTS=docs/screenshots pytest tests/browser/test_volunteer_home.py -k screenshots`)."""

import os
import struct
from pathlib import Path

import pytest
from django.conf import settings

from deliveries.services.assignment import deliveries_assign
from tests.browser.test_plan import _assert_fits_a_phone, _in_english
from tests.deliveries.conftest import (  # noqa: F401
    closed_round,
    estate,
    on_shift,
    planned_round,
    points,
    supply_shift,
    volunteer_record_of,
)
from tests.supplies.conftest import (  # noqa: F401
    closes_at,
    group_buy,
    leader,
    meat,
    offers,
    supplier,
    vegetables,
)

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips, or fails under CI, before `expect` is used
    expect = None

pytestmark = pytest.mark.browser


@pytest.fixture
def at_work(request):
    """The planned round's deliveries assigned to the `volunteer` login, on a supply shift
    now at the compound whose gate points the round uses."""
    supply_round = request.getfixturevalue("planned_round")
    request.getfixturevalue("on_shift")
    deliveries_assign(supply_round=supply_round, by=None)
    return supply_round


def test_the_home_shows_today_with_each_task_one_tap_away(phone, log_in, live_server, at_work):
    page = phone
    _in_english(page, live_server)
    log_in(page, "volunteer")
    page.goto(f"{live_server.url}/volunteer/")
    shift = page.locator("[data-panel=shift]")
    expect(shift.locator("h3")).to_have_text("On shift now")
    deliveries = page.locator("[data-panel=deliveries]")
    expect(deliveries).to_contain_text("5 left · 0 done today")
    expect(deliveries.locator("[data-gate]")).to_be_visible()
    _assert_fits_a_phone(page)

    with page.expect_navigation():
        deliveries.get_by_role("link", name="My deliveries").click()
    assert page.url.endswith("/volunteer/deliveries/")
    expect(page.locator(".walk-total")).to_have_text("5 left · 0 done")

    page.go_back()
    with page.expect_navigation():
        page.locator("[data-panel=deliveries] [data-gate]").click()
    assert page.url.endswith("/volunteer/gate/")
    expect(page.locator("h1")).to_be_visible()
    assert page.locator(".error-page").count() == 0


@pytest.mark.usefixtures("volunteer_record_of")
def test_off_shift_there_is_no_gate_and_its_address_is_a_translated_404_with_a_way_back(
    phone, log_in, live_server
):
    page = phone
    log_in(page, "volunteer")
    page.goto(f"{live_server.url}/volunteer/")
    expect(page.locator("[data-panel=deliveries]")).to_contain_text("0")
    expect(page.locator("[data-gate]")).to_have_count(0)

    response = page.goto(f"{live_server.url}/volunteer/gate/")
    assert response.status == 404
    assert page.evaluate("document.documentElement.lang") == "zh-hans"
    expect(page.locator("link[rel=stylesheet]")).to_have_count(1)
    with page.expect_navigation():
        page.locator("main a[href='/volunteer/']").first.click()
    assert page.url.endswith("/volunteer/")

    _in_english(page, live_server)
    response = page.goto(f"{live_server.url}/no/such/page/")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Page not found")
    expect(page.get_by_role("link", name="My volunteer page")).to_be_visible()
    _assert_fits_a_phone(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Back to my home page").click()
    assert page.url == f"{live_server.url}/"


def test_screenshots_of_the_home_and_my_deliveries(phone, log_in, live_server, at_work, tmp_path):
    """Full-page shots at 360 px in both languages, into LHM_SCREENSHOTS when it is set."""
    folder = Path(os.environ.get("LHM_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page = phone
    for language in ("zh-hans", "en"):
        page.context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
        )
        log_in(page, "volunteer")
        for name, path in (
            ("volunteer-home", "/volunteer/"),
            ("my-deliveries", "/volunteer/deliveries/"),
        ):
            page.goto(f"{live_server.url}{path}")
            assert page.evaluate("document.documentElement.lang") == language
            _assert_fits_a_phone(page)
            shot = folder / f"{name}-{language}.png"
            page.screenshot(path=shot, full_page=True)
            assert struct.unpack(">I", shot.read_bytes()[16:20])[0] == 360  # the PNG's width
        page.context.clear_cookies()
