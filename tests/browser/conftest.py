"""Debian's chromium, driven through Playwright, on a 360×740 phone against `live_server`.

The browser is launched once per session; each test gets a fresh context (no cookies carried
over) and a page. A failing test leaves a full-page screenshot in its `tmp_path`."""

import importlib.util
import os
from pathlib import Path

import pytest

from tests.conftest import needs_service

CHROMIUM = Path("/usr/bin/chromium")
# Headless and quiet: we run as root, there is no GPU, and no network but the loopback.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
STAFF_PASSWORD = "pass-1234"  # what tests.factories.UserFactory sets

call_report = pytest.StashKey()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[call_report] = report
    return report


@pytest.fixture(scope="session")
def browser():
    needs_service(CHROMIUM.exists(), f"no chromium at {CHROMIUM} (apt-get install chromium)")
    needs_service(
        importlib.util.find_spec("playwright") is not None,
        "the playwright package is not installed (pip install playwright)",
    )
    # Playwright's sync API keeps an event loop running in the main thread, and Django then
    # refuses ORM calls from that thread (the test's own setup and assertions).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(browser, request, tmp_path):
    """A page in a fresh 360×740 touch-screen context with a Chinese locale."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    yield page
    try:
        report = request.node.stash.get(call_report, None)
        if report is not None and report.failed:
            shot = tmp_path / "failure.png"
            page.screenshot(path=shot, full_page=True)
            print(f"screenshot of the failing page: {shot}")
    finally:
        context.close()


@pytest.fixture
def log_in(live_server):
    """Log in through the login form, as a person would."""

    def log_in(page, username: str, password: str = STAFF_PASSWORD) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("form.stack button[type=submit]")

    return log_in
