"""Committee staff on a phone: log in, read the compound overview, change closure levels."""

import re

import pytest
from django.conf import settings
from django.utils import translation

from residents.demo import demo_seed
from residents.models import ClosureChange, ClosureLevel, Need
from residents.services import buildings_set_closure
from tests.factories import BuildingFactory, HouseholdFactory, ResidentFactory

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips, or fails under CI, before `expect` is used
    expect = None

pytestmark = pytest.mark.browser

ZH_CATALOGUE = settings.LOCALE_PATHS[0] / "zh_Hans" / "LC_MESSAGES" / "django.mo"
CJK = re.compile(r"[\u4e00-\u9fff]")
PHONE_WIDTH = 360


def _in_chinese(text: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(text)


def _scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _tile(page, label: str):
    return page.locator(f'li.tile[data-building="{label}"]')


def _total(page, name: str):
    term = page.locator("dt", has_text=re.compile(rf"^{re.escape(name)}$"))
    return page.locator(".totals div").filter(has=term).locator("dd")


@pytest.fixture
def buildings(compound, staff):
    """Four buildings: "2" sealed with a vulnerable household, "3" empty, the rest open."""
    one = BuildingFactory(compound=compound, label="1")
    two = BuildingFactory(compound=compound, label="2")
    three = BuildingFactory(compound=compound, label="3")
    twelve = BuildingFactory(compound=compound, label="12号楼")
    ResidentFactory(household=HouseholdFactory(building=one, room="101"))
    ResidentFactory(household=HouseholdFactory(building=two, room="101"))
    elderly = ResidentFactory(
        household=HouseholdFactory(building=two, room="102"), needs=[Need.AGED_80_PLUS]
    )
    ResidentFactory(household=elderly.household)
    buildings_set_closure(
        buildings=[two], level=ClosureLevel.SEALED, reason="阳性病例所在楼栋", by=staff
    )
    return {"1": one, "2": two, "3": three, "12号楼": twelve}


@pytest.fixture
def english(phone, live_server):
    """The phone's context remembers English, as the language button would leave it."""
    phone.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    return phone


def test_it_shows_staff_their_compound_in_chinese_then_in_english(phone, live_server, buildings):
    page = phone
    page.goto(f"{live_server.url}/")

    # Not logged in: the login form, in Chinese by default.
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    assert page.evaluate("document.documentElement.lang") == "zh-hans"
    if ZH_CATALOGUE.exists():
        log_in = _in_chinese("Log in")
        assert CJK.search(log_in), f"the zh_Hans catalogue leaves 'Log in' as {log_in!r}"
        expect(page.locator("h1")).to_have_text(log_in)
    assert _scroll_width(page) <= PHONE_WIDTH

    page.fill("input[name=username]", "staff")
    page.fill("input[name=password]", "pass-1234")
    with page.expect_navigation():
        page.click("form.stack button[type=submit]")

    # Staff of one compound land straight on its overview.
    compound = buildings["1"].compound
    expect(page).to_have_url(f"{live_server.url}/staff/compounds/{compound.pk}/")
    expect(page.locator("h1")).to_have_text("胜利花园")
    assert page.evaluate("document.documentElement.lang") == "zh-hans"
    if ZH_CATALOGUE.exists():
        expect(_tile(page, "2")).to_contain_text(_in_chinese("Sealed"))
    # The stylesheet is served and applied: the tiles are laid out on a grid.
    assert page.evaluate("getComputedStyle(document.querySelector('ol.grid')).display") == "grid"
    assert _scroll_width(page) <= PHONE_WIDTH

    with page.expect_navigation():
        page.locator("header form.language button[value=en]").click()

    expect(page).to_have_url(f"{live_server.url}/staff/compounds/{compound.pk}/")
    assert page.evaluate("document.documentElement.lang") == "en"
    expect(page.locator("header form.language button")).to_have_text("简体中文")
    expect(page.locator("ol.grid > li.tile")).to_have_count(4)
    expect(_tile(page, "1")).to_contain_text("Precaution")
    expect(_tile(page, "1")).to_contain_text("1 household")
    expect(_tile(page, "1")).to_contain_text("1 resident")
    expect(_tile(page, "2")).to_contain_text("Sealed")
    expect(_tile(page, "2")).to_have_class(re.compile(r"\blevel-sealed\b"))
    expect(_tile(page, "2")).to_contain_text("2 households")
    expect(_tile(page, "2")).to_contain_text("3 residents")
    expect(_tile(page, "2")).to_contain_text("1 vulnerable")
    expect(_tile(page, "3")).to_contain_text("0 households")
    expect(_tile(page, "3").locator(".vulnerable")).to_have_count(0)
    expect(_tile(page, "12号楼")).to_contain_text("Precaution")

    expect(_total(page, "Buildings")).to_have_text("4")
    expect(_total(page, "Households")).to_have_text("3")
    expect(_total(page, "Residents")).to_have_text("4")
    expect(_total(page, "Vulnerable households")).to_have_text("1")
    expect(page.locator(".legend li")).to_have_text(["Sealed 1", "Controlled 0", "Precaution 3"])

    change = page.locator("ul.changes li")
    expect(change).to_have_count(1)
    expect(change).to_contain_text("Precaution → Sealed")
    expect(change).to_contain_text("阳性病例所在楼栋")
    assert _scroll_width(page) <= PHONE_WIDTH


def test_it_lets_staff_change_the_closure_level_of_ticked_buildings(
    english, log_in, live_server, buildings, staff
):
    page = english
    log_in(page, "staff")
    expect(page.locator("h1")).to_have_text("胜利花园")

    # A tap anywhere on a tile ticks it.
    for label in ("1", "3"):
        _tile(page, label).tap()
        expect(_tile(page, label).locator("input[type=checkbox]")).to_be_checked()
    expect(_tile(page, "2").locator("input[type=checkbox]")).not_to_be_checked()
    page.get_by_label("closure level").select_option(label="Controlled")
    page.get_by_label("reason").fill("密接人员所在楼栋")
    with page.expect_navigation():
        page.get_by_role("button", name="Change closure level").click()

    expect(page.locator(".messages li.success")).to_have_text("2 buildings changed closure level.")
    for label in ("1", "3"):
        expect(_tile(page, label)).to_contain_text("Controlled")
        expect(_tile(page, label)).to_have_class(re.compile(r"\blevel-controlled\b"))
        expect(_tile(page, label).locator("input[type=checkbox]")).not_to_be_checked()
    expect(_tile(page, "2")).to_contain_text("Sealed")
    expect(_tile(page, "12号楼")).to_contain_text("Precaution")
    expect(page.locator(".legend li")).to_have_text(["Sealed 1", "Controlled 2", "Precaution 1"])

    new_changes = page.locator("ul.changes li").filter(has_text="密接人员所在楼栋")
    expect(new_changes).to_have_count(2)
    assert sorted(new_changes.locator("strong").all_inner_texts()) == ["1", "3"]
    expect(new_changes.first).to_contain_text("Precaution → Controlled")
    expect(page.locator("ul.changes li")).to_have_count(3)

    rows = ClosureChange.objects.filter(reason="密接人员所在楼栋")
    assert sorted(
        (row.building.label, row.from_level, row.to_level, row.changed_by_id) for row in rows
    ) == [
        ("1", ClosureLevel.PRECAUTION, ClosureLevel.CONTROLLED, staff.pk),
        ("3", ClosureLevel.PRECAUTION, ClosureLevel.CONTROLLED, staff.pk),
    ]
    buildings["2"].refresh_from_db()
    assert buildings["2"].closure_level == ClosureLevel.SEALED


def test_it_refuses_a_change_with_no_building_ticked(english, log_in, buildings):
    page = english
    log_in(page, "staff")
    page.get_by_label("closure level").select_option(label="Sealed")
    page.get_by_label("reason").fill("全部封控")
    page.get_by_role("button", name="Change closure level").click()

    expect(page.locator(".messages li.error")).to_have_text("Choose at least one building.")
    expect(page.locator(".legend li")).to_have_text(["Sealed 1", "Controlled 0", "Precaution 3"])
    assert not ClosureChange.objects.filter(reason="全部封控").exists()


SMALL_TAP_TARGETS = """() => [...document.querySelectorAll(
    'header button, main button, main select, main input:not([type=hidden]):not([type=checkbox]),'
    + ' li.tile label')]
  .filter((element) => element.getBoundingClientRect().height < 44)
  .map((element) => element.outerHTML.slice(0, 80))"""
CLIPPED_TILES = """() => [...document.querySelectorAll('li.tile')]
  .filter((tile) => tile.scrollWidth > tile.clientWidth)
  .map((tile) => tile.dataset.building)"""


def _assert_fits_a_phone(page) -> None:
    assert _scroll_width(page) <= PHONE_WIDTH
    assert page.evaluate(SMALL_TAP_TARGETS) == []
    assert page.evaluate(CLIPPED_TILES) == []


def test_it_fits_the_demo_compound_on_a_phone_in_both_languages(phone, live_server, tmp_path):
    logins = demo_seed()
    staff = next(login for login in logins if login.username == "staff")
    page = phone

    page.goto(f"{live_server.url}/accounts/login/")
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "login-zh.png", full_page=True)
    page.fill("input[name=username]", staff.username)
    page.fill("input[name=password]", staff.password)
    with page.expect_navigation():
        page.click("form.stack button[type=submit]")

    expect(page.locator("h1")).to_have_text("胜利花园")
    expect(page.locator("ol.grid > li.tile")).to_have_count(12)
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "overview-zh.png", full_page=True)

    with page.expect_navigation():
        page.locator("header form.language button[value=en]").click()
    assert page.evaluate("document.documentElement.lang") == "en"
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "overview-en.png", full_page=True)

    # Once a building is ticked, the change form stays in reach however long the grid.
    _tile(page, "2").tap()
    expect(page.get_by_role("button", name="Change closure level")).to_be_in_viewport()
    expect(page.get_by_label("reason")).to_be_in_viewport()
    _assert_fits_a_phone(page)
    _tile(page, "2").scroll_into_view_if_needed()
    page.screenshot(path=tmp_path / "overview-ticked-en.png")

    with page.expect_navigation():
        page.locator("header form.logout button").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("h1")).to_have_text("Log in")
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "login-en.png", full_page=True)
