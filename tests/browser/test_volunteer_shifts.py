"""A volunteer on a 360 px phone: sees why a shift is closed to them, signs up for one."""

import pytest
from django.utils import timezone

# Volunteers and shifts of tests/volunteers (imported, as this folder cannot see them).
from tests.volunteers.conftest import helper, make_shift, make_volunteer, shift  # noqa: F401
from volunteers.models import ShiftSignup, SignupStatus

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


@pytest.fixture
def volunteer_and_shifts(request):
    """An approved, tested volunteer, a shift with places and a full one (tests/volunteers)."""
    full = request.getfixturevalue("make_shift")(
        request.getfixturevalue("compound"), start_in=10, needed=1
    )
    return request.getfixturevalue("helper"), request.getfixturevalue("shift"), full


def test_it_lets_a_volunteer_sign_up_for_a_shift_on_a_phone(
    phone, log_in, live_server, volunteer_and_shifts, tmp_path
):
    volunteer, open_shift, full = volunteer_and_shifts
    full.taken = 1  # as if someone took the only place
    full.save(update_fields=["taken"])
    page = phone
    log_in(page, volunteer.user.username, "volunteer-pass-1234")

    # Chinese by default: home → my shifts.
    with page.expect_navigation():
        page.locator('main a[href="/volunteer/"]').click()
    open_shifts = page.locator('[data-list="open"] li.vol-shift')
    expect(open_shifts).to_have_count(2)
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "volunteer-zh.png", full_page=True)

    _switch_language(page, "en")
    closed = page.locator(f'li[data-shift="{full.pk}"]')
    expect(closed.locator(".vol-why")).to_have_text("This shift is full.")
    expect(closed.locator("button")).to_have_count(0)
    card = page.locator(f'[data-list="open"] li[data-shift="{open_shift.pk}"]')
    expect(card).to_contain_text("0 of 2 taken")
    _assert_fits_a_phone(page)
    with page.expect_navigation():
        card.get_by_role("button", name="Sign up").tap()

    expect(page.locator(".messages li.success")).to_have_text("You are signed up for the shift.")
    expect(page.locator(f'[data-list="mine"] li[data-shift="{open_shift.pk}"]')).to_be_visible()
    signup = ShiftSignup.objects.get(shift=open_shift, volunteer=volunteer)
    assert (signup.status, signup.signed_up_by) == (SignupStatus.SIGNED_UP, volunteer.user)
    open_shift.refresh_from_db()
    assert open_shift.taken == 1
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "signed-up-en.png", full_page=True)

    _switch_language(page, "zh-hans")
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "signed-up-zh.png", full_page=True)


def test_it_fits_the_staff_volunteer_pages_on_a_phone(
    phone, log_in, live_server, volunteer_and_shifts, request, tmp_path
):
    volunteer, open_shift, _full = volunteer_and_shifts
    request.getfixturevalue("make_volunteer")(volunteer.committee, "待批准的志愿者", approved=False)
    page = phone
    log_in(page, "staff")
    _switch_language(page, "en")
    day = timezone.localtime(open_shift.start).date().isoformat()
    for name, path in [
        ("volunteers", "/staff/volunteers/"),
        ("roster", f"/staff/roster/?day={day}"),
        ("relay", "/staff/relay/"),
        ("hours", "/staff/volunteer-hours/"),
    ]:
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("h1")).to_be_visible()
        page.screenshot(path=tmp_path / f"staff-{name}-en.png", full_page=True)
        _assert_fits_a_phone(page)
    page.goto(f"{live_server.url}/staff/volunteers/")
    with page.expect_navigation():
        page.get_by_role("button", name="Approve").tap()
    expect(page.locator(".messages li.success")).to_have_text("待批准的志愿者 is approved.")
