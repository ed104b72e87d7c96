"""The plan in a browser: staff watch a planning job's progress bar move by itself; a resident
sees on a 360 px phone where and when to collect their packs, and the notice in their inbox."""

import re

import pytest
from django.conf import settings
from django.utils import timezone

from core.jobs import job_progress, job_succeed, subject_of
from core.models import Job, JobStatus
from deliveries.models import OrderPlan
from deliveries.services import allocating, planning, scheduling
from supplies.models import Order

# The closed round of tests/deliveries and the supplies fixtures it is built on.
from tests.deliveries.conftest import closed_round, estate, points  # noqa: F401
from tests.factories import UserFactory
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

PHONE_WIDTH = 360
SMALL_TAP_TARGETS = """() => [...document.querySelectorAll(
    'header button, header .inbox-link, main button, main select,'
    + ' main input:not([type=hidden]), main a.button')]
  .filter((element) => element.getBoundingClientRect().height < 44)
  .map((element) => element.outerHTML.slice(0, 80))"""


def _assert_fits_a_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    assert page.evaluate(SMALL_TAP_TARGETS) == []


def _in_english(page, live_server) -> None:
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )


def _no_progress(percent: int, message: str) -> None:
    pass


@pytest.fixture
def round_and_points(request):
    """The closed round of tests/deliveries, then its compound's points: closed with no point,
    so nothing planned it yet (the fixtures are imported above, as this folder cannot see
    them)."""
    supply_round = request.getfixturevalue("closed_round")
    return supply_round, request.getfixturevalue("points"), request.getfixturevalue("estate")


def test_it_moves_the_progress_bar_by_itself_and_shows_the_result_when_the_job_ends(
    phone, log_in, live_server, staff, round_and_points, tmp_path
):
    supply_round, _points, _estate = round_and_points
    job = Job.objects.create(
        kind=planning.ALLOCATE,
        subject=subject_of(supply_round),
        status=JobStatus.RUNNING,
        percent=10,
        message="Reading the orders.",
        created_by=staff,
    )
    page = phone
    _in_english(page, live_server)
    log_in(page, "staff")
    page.goto(f"{live_server.url}/staff/plans/{supply_round.pk}/")

    bar = page.locator(".job progress")
    expect(bar).to_have_js_property("value", 10)
    expect(page.locator(".job [data-percent]")).to_have_text("10%")
    expect(page.locator(".job h2")).to_contain_text("Running")
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "running-en.png", full_page=True)
    page.evaluate("window.notReloaded = true")

    job_progress(job.pk, 60, "Saved 6 of 12 orders.")

    expect(bar).to_have_js_property("value", 60)
    expect(page.locator(".job [data-percent]")).to_have_text("60%")
    expect(page.locator(".job [data-message]")).to_have_text("Saved 6 of 12 orders.")
    assert page.evaluate("window.notReloaded") is True  # moved without a reload

    summary, message = allocating.allocation_run(supply_round.pk, _no_progress, by=staff)
    job_succeed(job.pk, result=summary, message=message)

    expect(page.locator(".job h2")).to_contain_text("Succeeded")
    assert page.evaluate("window.notReloaded") is None  # reloaded once the job ended
    expect(bar).to_have_js_property("value", 100)
    # Stored by a worker speaking zh-hans, read by staff in English.
    expect(page.locator(".job [data-message]")).to_have_text(
        "12 orders planned, 0 without a point."
    )
    assert message.code == "deliveries.allocation.done"
    expect(page.locator('[data-fulfilment="door"] dd')).to_have_text("5")
    expect(page.locator('[data-fulfilment="pickup"] dd')).to_have_text("7")
    expect(page.locator("li.point")).to_have_count(2)
    expect(page.locator('li.point[data-point="北门"] .load')).to_have_text("18 of 20 packs")
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "finished-en.png", full_page=True)


def test_it_shows_a_resident_their_point_slot_and_pickup_code_on_a_phone(
    phone, log_in, live_server, staff, round_and_points, tmp_path
):
    supply_round, _points, (_buildings, households) = round_and_points
    household = households[("2", 2, "201")]  # controlled: called down at the south gate
    household.account = UserFactory(username="resident-2-201")
    household.save(update_fields=["account"])
    allocating.allocation_run(supply_round.pk, _no_progress, by=staff)
    scheduling.schedule_run(supply_round.pk, _no_progress)
    order = Order.objects.get(household=household, round=supply_round)
    slot = OrderPlan.objects.select_related("slot").get(order=order).slot
    code = f"{order.pickup_code[:4]} {order.pickup_code[4:]}"
    page = phone

    # In Chinese, as the phone arrives: the notice in the inbox leads to the order.
    log_in(page, "resident-2-201")
    expect(page.locator("header .inbox-link [data-unread]")).to_contain_text("1")
    _assert_fits_a_phone(page)
    with page.expect_navigation():
        page.locator("header .inbox-link").click()
    expect(page.locator("li.notice.unread")).to_have_count(1)
    expect(page.locator("li.notice")).to_contain_text(code)  # spaced, to read out
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "inbox-zh.png", full_page=True)
    with page.expect_navigation():
        page.locator("li.notice form button").click()
    expect(page).to_have_url(re.compile(rf"/orders/{order.pk}/$"))
    expect(page.locator("header .inbox-link [data-unread]")).to_have_count(0)
    expect(page.locator(".order-plan [data-point]")).to_have_text("南门")
    expect(page.locator(".pickup .code")).to_have_text(code)
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "order-zh.png", full_page=True)

    # And in English.
    with page.expect_navigation():
        page.locator("header form.language button[value=en]").click()
    plan = page.locator(".order-plan")
    expect(plan.locator("h2")).to_have_text("How your packs reach you")
    expect(plan.locator("[data-point]")).to_have_text("南门")
    start, end = (f"{timezone.localtime(moment):%H:%M}" for moment in (slot.start, slot.end))
    expect(plan.locator("[data-slot]")).to_have_text(re.compile(rf"{start}\s*–\s*{end}"))
    expect(page.locator(".pickup .code")).to_have_text(code)
    expect(page.locator(".pickup .qr svg")).to_be_visible()
    expect(plan).to_be_in_viewport()
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "order-en.png", full_page=True)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_progress_at_the_doors_fits_a_phone(
    phone, log_in, live_server, staff, round_and_points, language
):
    supply_round, _points, _estate = round_and_points
    allocating.allocation_run(supply_round.pk, _no_progress, by=staff)
    page = phone
    if language == "en":
        _in_english(page, live_server)
    log_in(page, "staff")
    page.goto(f"{live_server.url}/staff/plans/{supply_round.pk}/progress/")
    expect(page.locator(".progress-table tbody tr")).not_to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    _assert_fits_a_phone(page)
