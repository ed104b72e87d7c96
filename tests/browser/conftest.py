"""Debian's chromium, driven through Playwright, on a 360×740 phone against `live_server`.

The browser is launched once per session; each test gets a fresh context (no cookies carried
over) and a page. A failing test leaves a full-page screenshot in its `tmp_path`.

Every page a test loads, in every context made through `phone_context`, is checked with
axe-core (vendored in tests/browser/vendor, never served by the app) when it has loaded; a
test whose pages have any violation fails at teardown with the list. The session ends with
the count per page and language."""

import contextlib
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

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
# Run in every page of ours once it has loaded; the result goes back through `__axeReport`,
# and `__axeFinished` lets a test (and the teardown) wait for the check.
AXE_ON_LOAD = """
if (window.top === window && location.protocol.startsWith("http")) {
  window.__axeFinished = false;
  window.addEventListener("load", () => {
    axe.run(document, {resultTypes: ["violations"]}).then((results) => {
      const violations = results.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + ": " + n.failureSummary),
      }));
      return window.__axeReport(location.pathname, document.documentElement.lang, violations);
    }).finally(() => { window.__axeFinished = true; });
  });
}
"""
AXE_FINISHED = "() => window.__axeFinished !== false"


def axe_wait(page, timeout: float = 15_000) -> None:
    """Wait until axe-core has checked the page that is loaded now (if it is one of ours)."""
    page.wait_for_function(AXE_FINISHED, timeout=timeout)


call_report = pytest.StashKey()
axe_audits: list[dict] = []  # every check of the session: path, language, violations


def pytest_terminal_summary(terminalreporter):
    if not axe_audits:
        return
    totals: dict[tuple[str, str], list[int]] = {}
    for audit in axe_audits:
        totals.setdefault((audit["path"], audit["lang"]), []).append(len(audit["violations"]))
    terminalreporter.section("axe-core: violations per page (checks)")
    for (path, lang), counts in sorted(totals.items()):
        terminalreporter.line(f"{sum(counts):3d}  {lang:8s} {path}  ({len(counts)} checks)")


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
def axe_violations():
    """The violations axe-core found on this test's pages; the test fails if there are any."""
    found: list[dict] = []
    yield found
    if found:
        lines = [
            f"{audit['lang']} {audit['path']}: {v['id']} ({v['impact']}) {v['help']}\n    "
            + "\n    ".join(v["nodes"])
            for audit in found
            for v in audit["violations"]
        ]
        pytest.fail("axe-core found violations:\n" + "\n".join(lines), pytrace=False)


@pytest.fixture
def phone_context(browser, axe_violations):
    """Makes 360×740 touch-screen contexts (Chinese locale) whose pages axe-core checks."""
    contexts = []

    def report(source, path: str, lang: str, violations: list[dict]) -> None:
        audit = {"path": path, "lang": lang, "violations": violations}
        axe_audits.append(audit)
        if violations:
            axe_violations.append(audit)

    def phone_context(**options):
        context = browser.new_context(**(PHONE | options))
        context.expose_binding("__axeReport", report)
        context.add_init_script(script=AXE.read_text(encoding="utf-8") + AXE_ON_LOAD)
        contexts.append(context)
        return context

    yield phone_context
    for context in contexts:
        for page in context.pages:
            # The last page's check may still be running; a page closed has none to wait for.
            with contextlib.suppress(Exception):
                axe_wait(page, timeout=5_000)
        context.close()


@pytest.fixture
def phone(phone_context, request, tmp_path):
    """A page in a fresh 360×740 touch-screen context with a Chinese locale."""
    page = phone_context().new_page()
    yield page
    report = request.node.stash.get(call_report, None)
    if report is not None and report.failed:
        shot = tmp_path / "failure.png"
        page.screenshot(path=shot, full_page=True)
        print(f"screenshot of the failing page: {shot}")


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
