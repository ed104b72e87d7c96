"""Volunteers on a 360 px phone: marking deliveries, one of them while offline (the tap waits
on the phone and reaches the server with its own time), and handing packs over at the gate."""

import datetime
import time

import pytest
from django.db import OperationalError
from django.utils import timezone

from deliveries.models import Delivery, DeliveryStatus, Fulfilment, OrderPlan
from deliveries.services.assignment import deliveries_assign
from tests.browser.test_plan import _assert_fits_a_phone, _in_english

# The planned round of tests/deliveries and the fixtures it is built on.
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

BIG_BUTTONS = """() => [...document.querySelectorAll('.tap-form button, .tap-form input')]
  .filter((element) => element.offsetParent && element.getBoundingClientRect().height < 48)
  .map((element) => element.outerHTML.slice(0, 80))"""


@pytest.fixture
def at_work(request):
    """The planned round of tests/deliveries and the `volunteer` login on a supply shift now
    (the fixtures are imported above, as this folder cannot see them)."""
    return request.getfixturevalue("planned_round"), request.getfixturevalue("on_shift")


def _wait_for(condition, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = condition()
        except OperationalError:  # SQLite's shared in-memory database, busy with the server
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("the server never got there")


def _delivered(pk: int) -> Delivery | None:
    delivery = Delivery.objects.get(pk=pk)
    return delivery if delivery.status == DeliveryStatus.DELIVERED else None


def test_it_marks_deliveries_online_and_offline_with_the_tap_times(
    phone, log_in, live_server, at_work, tmp_path
):
    supply_round, volunteer_row = at_work
    # The assignment staff run for the round: the one volunteer on shift gets all five.
    assert deliveries_assign(supply_round=supply_round, by=None)["assigned"] == 5
    mine = list(Delivery.objects.filter(volunteer=volunteer_row).order_by("pk"))
    assert len(mine) == 5
    page = phone
    _in_english(page, live_server)
    log_in(page, "volunteer")
    page.goto(f"{live_server.url}/volunteer/deliveries/")
    expect(page.locator(".delivery-card")).to_have_count(5)
    _assert_fits_a_phone(page)
    assert page.evaluate(BIG_BUTTONS) == []
    page.screenshot(path=tmp_path / "my-deliveries.png", full_page=True)

    first, second = mine[0], mine[1]
    tapped = timezone.now()
    page.locator(f'[data-delivery="{first.pk}"] button[value=delivered]').click()
    expect(page.locator(f'[data-delivery="{first.pk}"]')).to_have_attribute(
        "data-status", "delivered"
    )
    done = _wait_for(lambda: _delivered(first.pk))
    assert abs(done.done_at - tapped) < datetime.timedelta(seconds=2)

    page.context.set_offline(True)
    tapped_offline = timezone.now()
    page.locator(f'[data-delivery="{second.pk}"] button[value=delivered]').click()
    status = page.locator("[data-queue-status]")
    expect(status).to_have_attribute("data-pending", "1")
    expect(status).to_contain_text("1")
    expect(page.locator(f'[data-delivery="{second.pk}"]')).to_have_class(
        "delivery-card status-delivered pending"
    )
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "offline.png", full_page=True)
    time.sleep(1.5)  # the tap waits on the phone
    assert _wait_for(lambda: Delivery.objects.get(pk=second.pk).status) == DeliveryStatus.PLANNED

    page.context.set_offline(False)
    done = _wait_for(lambda: _delivered(second.pk))
    assert abs(done.done_at - tapped_offline) < datetime.timedelta(seconds=2)
    expect(status).to_have_attribute("data-pending", "0")
    assert _wait_for(lambda: _delivered(first.pk)) is not None

    # The service worker kept the page: a reload with no network still shows the list.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now under the worker's control, and its copy of the page refreshed
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.context.set_offline(True)
    page.reload()
    expect(page.locator(".delivery-card")).to_have_count(5)
    expect(page.locator(".delivery-card.status-delivered")).to_have_count(2)
    page.context.set_offline(False)


def test_it_hands_packs_over_at_the_gate_once(phone, log_in, live_server, at_work, tmp_path):
    supply_round, _volunteer_row = at_work
    plan = (
        OrderPlan.objects.filter(round=supply_round, fulfilment=Fulfilment.PICKUP)
        .exclude(slot=None)
        .select_related("slot", "point", "order", "household")
        .first()
    )
    now = timezone.now()
    plan.slot.start, plan.slot.end = (
        now - datetime.timedelta(minutes=5),
        now + datetime.timedelta(minutes=30),
    )
    plan.slot.save()
    code = plan.order.pickup_code
    page = phone
    _in_english(page, live_server)
    log_in(page, "volunteer")
    page.goto(f"{live_server.url}/volunteer/gate/")
    page.select_option("select[name=point]", str(plan.point.pk))
    page.fill("input[name=code]", f"{code[:4].lower()} {code[4:]}")
    page.click("button[name=check]")
    expect(page.locator("[data-pickup] .where")).to_contain_text(plan.household.room)
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "gate-check.png", full_page=True)
    page.click("button[name=confirm]")
    expect(page.locator(".messages")).to_contain_text("Handed over")
    assert OrderPlan.objects.get(pk=plan.pk).handed_over_at is not None

    page.fill("input[name=code]", code)
    page.click("button[name=check]")
    refusal = page.locator("[data-refusal]")
    expect(refusal).to_have_attribute("data-refusal", "already_collected")
    expect(refusal).to_contain_text("Already collected")
    expect(page.locator("[data-pickup]")).to_have_count(0)
    _assert_fits_a_phone(page)


def test_the_summary_jumps_to_a_building_and_counts_taps_made_offline(
    phone, log_in, live_server, at_work
):
    supply_round, volunteer_row = at_work
    deliveries_assign(supply_round=supply_round, by=None)
    page = phone
    _in_english(page, live_server)
    log_in(page, "volunteer")
    page.goto(f"{live_server.url}/volunteer/deliveries/")
    total = page.locator(".walk-total")
    expect(total).to_have_text("5 left · 0 done")
    expect(page.locator("details.problem input[name=note]").first).to_be_hidden()

    links = page.locator("[data-summary-for]")
    last = links.nth(links.count() - 1)
    last.click()
    target = last.get_attribute("data-summary-for")
    assert page.evaluate("location.hash") == f"#{target}"
    card = page.locator(f"#{target} .delivery-card").first

    page.context.set_offline(True)
    card.locator("button[value=delivered]").click()
    expect(total).to_have_text("4 left · 1 done")
    expect(last.locator("[data-counts]")).to_have_attribute("data-done", "1")
    other = page.locator('.delivery-card[data-status="planned"]').first
    other.locator("details.problem summary").click()
    other.locator("input[name=note]").fill("door sealed with tape")
    other.locator("button[value=problem]").click()
    expect(total).to_have_text("3 left · 2 done")
    _assert_fits_a_phone(page)
    page.context.set_offline(False)
    _wait_for(lambda: Delivery.objects.filter(failure_note="door sealed with tape").exists())
