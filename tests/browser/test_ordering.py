"""Ordering on a 360 px phone: a resident orders and edits; staff order for a household by phone."""

import re

import pytest
from django.conf import settings

from supplies.models import Channel, Order, RoundStatus, SupplyRound
from supplies.services.orders import order_place
from tests.factories import HouseholdFactory, ResidentFactory

# The open group buy of tests/supplies: vegetables ¥88 (limit 2) and meat ¥128 (limit 1).
from tests.supplies.conftest import (  # noqa: F401
    closes_at,
    group_buy,
    leader,
    meat,
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
    'main button, main select, main input:not([type=hidden]):not([type=checkbox]), main a.button')]
  .filter((element) => element.getBoundingClientRect().height < 44)
  .map((element) => element.outerHTML.slice(0, 80))"""


def _assert_fits_a_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    assert page.evaluate(SMALL_TAP_TARGETS) == []


def _switch_language(page, code: str) -> None:
    with page.expect_navigation():
        page.locator(f"header form.language button[value={code}]").click()
    assert page.evaluate("document.documentElement.lang") == code


def _offer(page, name: str):
    return page.locator(f'li.offer[data-offer="{name}"]')


def _tap(page, name: str, step: str, times: int = 1) -> None:
    for _ in range(times):
        _offer(page, name).locator(f'button[data-step="{step}"]').tap()


@pytest.fixture
def open_round(request):
    """The open group buy of tests/supplies (imported above, as this folder cannot see it)."""
    return request.getfixturevalue("group_buy")


def _spoken(code: str) -> str:
    return f"{code[:4]} {code[4:]}"


def test_it_lets_a_resident_order_edit_and_see_the_pickup_code_on_a_phone(
    phone,
    log_in,
    live_server,
    household,
    resident,
    resident_user,
    open_round,
    tmp_path,
):
    page = phone
    log_in(page, "resident")

    # Chinese by default: home → open rounds → the round's order form.
    with page.expect_navigation():
        page.locator('main a[href="/rounds/"]').click()
    expect(page.locator("li.round")).to_have_count(1)
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "rounds-zh.png", full_page=True)
    with page.expect_navigation():
        page.locator("li.round a.button").click()
    expect(page.locator("h1")).to_have_text("第一批蔬菜团购")
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "form-zh.png", full_page=True)

    _switch_language(page, "en")
    veg, meat_pack = _offer(page, "蔬菜包"), _offer(page, "肉蛋包")
    expect(veg).to_contain_text("¥88.00")
    expect(veg).to_contain_text("50 left")
    expect(veg).to_contain_text("at most 2 per household")
    expect(page.locator(".order-bar output")).to_have_text("¥0.00")

    _tap(page, "蔬菜包", "1", times=2)
    expect(veg.locator("input")).to_have_value("2")
    # At the limit of 2 per household, + is off.
    expect(veg.locator('button[data-step="1"]')).to_be_disabled()
    expect(page.locator(".order-bar output")).to_have_text("¥176.00")
    expect(page.get_by_role("button", name="Place order")).to_be_in_viewport()
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "form-en.png", full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="Place order").click()

    order = Order.objects.get(household=household, round=open_round)
    code = _spoken(order.pickup_code)
    expect(page.locator(".messages li.success")).to_have_text("Your order is placed.")
    expect(page.locator(".pickup .code")).to_have_text(code)
    expect(page.locator(".pickup .qr svg")).to_be_visible()
    expect(page.locator(".lines [data-total]")).to_have_text("¥176.00")
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "order-en.png", full_page=True)

    with page.expect_navigation():
        page.get_by_role("link", name="Edit").click()
    expect(veg.locator("input")).to_have_value("2")
    _tap(page, "蔬菜包", "-1")
    _tap(page, "肉蛋包", "1")
    expect(meat_pack.locator("input")).to_have_value("1")
    expect(page.locator(".order-bar output")).to_have_text("¥216.00")
    with page.expect_navigation():
        page.get_by_role("button", name="Save changes").click()

    expect(page.locator(".messages li.success")).to_have_text("Your order is changed.")
    expect(page.locator(".lines [data-total]")).to_have_text("¥216.00")
    expect(page.locator(".lines tbody tr")).to_have_text(
        [re.compile(r"蔬菜包\s*× 1"), re.compile(r"肉蛋包\s*× 1")]
    )
    expect(page.locator(".pickup .code")).to_have_text(code)
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "edited-en.png", full_page=True)
    order.refresh_from_db()
    assert sorted((line.offer.package_type.name, line.quantity) for line in order.lines.all()) == [
        ("肉蛋包", 1),
        ("蔬菜包", 1),
    ]

    _switch_language(page, "zh-hans")
    expect(page.locator(".pickup .code")).to_have_text(code)
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "edited-zh.png", full_page=True)


def test_it_lets_staff_place_an_order_for_another_household_from_the_hotline(
    phone,
    log_in,
    live_server,
    staff,
    building,
    open_round,
    tmp_path,
):
    caller = HouseholdFactory(building=building, unit=2, room="302", contact_phone="13912345678")
    ResidentFactory(household=caller, name="王桂兰", phone="13912345678")
    HouseholdFactory(building=building, unit=1, room="302")
    page = phone
    log_in(page, "staff")

    with page.expect_navigation():
        page.locator('main a[href="/hotline/"]').click()
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "hotline-zh.png", full_page=True)
    _switch_language(page, "en")

    # Step 1: find the household by building, unit and room.
    page.get_by_label("building").fill("1")
    page.get_by_label("unit").fill("2")
    page.get_by_label("room").fill("302")
    with page.expect_navigation():
        page.get_by_role("button", name="Find").click()
    found = page.locator("ul.households li")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("王桂兰")
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "hotline-found-en.png", full_page=True)

    # Step 2: the open round serving the household's compound, with no order yet.
    with page.expect_navigation():
        found.locator("a").click()
    expect(page.locator("li.round")).to_have_count(1)
    with page.expect_navigation():
        page.get_by_role("link", name="Place an order").click()

    # Step 3: the order, and the code to read out.
    _tap(page, "蔬菜包", "1")
    _tap(page, "肉蛋包", "1")
    expect(page.locator(".order-bar output")).to_have_text("¥216.00")
    with page.expect_navigation():
        page.get_by_role("button", name="Place order").click()

    order = Order.objects.get(household=caller, round=open_round)
    assert (order.channel, order.created_by) == (Channel.HOTLINE, staff)
    code = _spoken(order.pickup_code)
    expect(page.locator(".messages li.success")).to_contain_text(code)
    expect(page.locator(".pickup .code")).to_have_text(code)
    expect(page.locator(".lines [data-total]")).to_have_text("¥216.00")
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "hotline-order-en.png", full_page=True)

    _switch_language(page, "zh-hans")
    expect(page.locator(".pickup .code")).to_have_text(code)
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "hotline-order-zh.png", full_page=True)


def test_it_lets_a_group_leader_propose_a_group_buy_and_record_a_payment_on_a_phone(
    phone, log_in, live_server, household, resident_user, open_round, tmp_path
):
    veg = open_round.offers.get(package_type__name="蔬菜包")
    order_place(
        household=household,
        supply_round=open_round,
        quantities={veg.pk: 2},
        placed_by=resident_user,
        channel=Channel.RESIDENT,
    )
    page = phone
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    log_in(page, "leader")
    with page.expect_navigation():
        page.locator('main a[href="/leader/rounds/"]').click()
    with page.expect_navigation():
        page.get_by_role("link", name="Propose a group buy").click()

    page.get_by_label("title").fill("第二批牛奶团购")
    page.get_by_label("closes at").fill("2099-01-01T18:00")
    rows = page.locator(".offer-row")
    rows.nth(0).locator("select").select_option(label="肉蛋包 · ¥128.00 · 盒马保供")
    rows.nth(0).get_by_label("stock").fill("40")
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "propose-en.png", full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="Send for approval").click()

    expect(page.locator(".messages li.success")).to_have_text(
        "Your group buy is sent to the committee for approval."
    )
    expect(page.locator("h1")).to_have_text("第二批牛奶团购")
    expect(page.locator(".status")).to_have_text("Proposed")
    proposed = SupplyRound.objects.get(title="第二批牛奶团购")
    assert (proposed.status, proposed.leader) == (RoundStatus.PROPOSED, open_round.leader)

    with page.expect_navigation():
        page.get_by_role("link", name="My group buys").click()
    with page.expect_navigation():
        page.get_by_role("link", name="第一批蔬菜团购").click()
    order = page.locator("li.order")
    expect(order).to_have_count(1)
    expect(order).to_contain_text("¥176.00")
    order.locator("select").select_option("paid")
    order.get_by_label("payment method").fill("微信支付")
    order.get_by_label("payment reference").fill("4200001234")
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "payments-en.png", full_page=True)
    with page.expect_navigation():
        order.get_by_role("button", name="Record payment").click()

    expect(page.locator("li.order .payment")).to_have_text("Paid · 微信支付 · 4200001234")
    _switch_language(page, "zh-hans")
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "payments-zh.png", full_page=True)
