"""A red medicine request on a 360 px phone: the resident files it, staff triage and assign
it, the volunteer logs the card, buys the medicine and delivers it."""

import pytest

from deliveries.models import Delivery, DeliveryKind, DeliveryStatus
from medical.models import CustodyEvent, Holder, MedicineRequest, MedicineStatus, Urgency

# The medical fixtures (imported, as this folder cannot see them).
from tests.medical.conftest import make_volunteer, runner  # noqa: F401

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


def _tap(page, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).first.tap()
    expect(page.locator(".messages li.success")).to_have_count(1)


def test_it_carries_a_red_medicine_request_from_the_phone_to_the_door(
    phone_context, phone, log_in, live_server, resident, resident_user, staff, request, tmp_path
):
    helper = request.getfixturevalue("runner")  # an approved volunteer (tests/medical)
    # The resident files a red request.
    page = phone
    log_in(page, resident_user.username)
    page.goto(f"{live_server.url}/medicine/")
    _assert_fits_a_phone(page)
    page.select_option("select[name=resident]", str(resident.pk))
    page.fill("input[name=hospital]", "瑞金医院")
    page.locator("input[name=urgency][value=red]").tap()
    page.fill("input[name=medicine_1]", "硝苯地平控释片")
    page.fill("input[name=strength_1]", "30mg")
    page.fill("input[name=quantity_1]", "2")
    page.screenshot(path=tmp_path / "resident-form.png", full_page=True)
    with page.expect_navigation():
        page.locator("form[data-form=medicine] button[type=submit]").tap()
    expect(page.locator(".messages li.success")).to_have_count(1)
    _assert_fits_a_phone(page)
    errand = MedicineRequest.objects.get()
    assert (errand.status, errand.urgency) == (MedicineStatus.SUBMITTED, Urgency.RED)

    # Staff, on a phone of their own, triage it and give it to the volunteer.
    staff_context = phone_context()
    try:
        staff_page = staff_context.new_page()
        log_in(staff_page, staff.username)
        staff_page.goto(f"{live_server.url}/staff/medicine/")
        card = f'[data-list=open] li[data-request="{errand.pk}"]'
        expect(staff_page.locator(f"{card} .med-urgency.med-red")).to_be_visible()
        _assert_fits_a_phone(staff_page)
        _tap(staff_page, f"{card} button[data-step=triage]")
        staff_page.select_option(f"{card} select[name=volunteer]", str(helper.pk))
        _tap(staff_page, f"{card} button[data-step=assign]")
        _assert_fits_a_phone(staff_page)
        staff_page.screenshot(path=tmp_path / "staff.png", full_page=True)
    finally:
        staff_context.close()
    errand.refresh_from_db()
    assert (errand.status, errand.volunteer) == (MedicineStatus.ASSIGNED, helper)

    # The volunteer, on the resident's phone after they log out.
    with page.expect_navigation():
        page.locator("header form.logout button").tap()
    log_in(page, helper.user.username, "volunteer-pass-1234")
    page.goto(f"{live_server.url}/volunteer/medicine/")
    card = f'[data-list=assigned] li[data-request="{errand.pk}"]'
    _assert_fits_a_phone(page)
    _tap(page, f"{card} button[data-step=custody-volunteer]")
    expect(page.locator(f'[data-list=custody] li[data-request="{errand.pk}"]')).to_be_visible()
    _tap(page, f"{card} button[data-step=custody-hospital]")
    _tap(page, f"{card} button[data-step=purchasing]")
    _assert_fits_a_phone(page)
    page.fill(f"{card} input[name=cost]", "36.50")
    page.fill(f"{card} input[name=receipt]", "R-001")
    _tap(page, f"{card} button[data-step=purchased]")
    _tap(page, f"{card} button[data-step=custody-resident]")
    _tap(page, f"{card} button[data-step=delivered]")
    _assert_fits_a_phone(page)
    page.screenshot(path=tmp_path / "volunteer.png", full_page=True)

    errand.refresh_from_db()
    assert errand.status == MedicineStatus.DELIVERED
    assert (str(errand.cost), errand.receipt) == ("36.50", "R-001")
    delivery = Delivery.objects.get()
    assert (delivery.kind, delivery.key, delivery.volunteer, delivery.status) == (
        DeliveryKind.MEDICINE,
        f"medicine:{errand.pk}",
        helper,
        DeliveryStatus.DELIVERED,
    )
    assert errand.delivery == delivery
    holders = list(CustodyEvent.objects.order_by("at", "pk").values_list("to_holder", flat=True))
    assert holders == [Holder.VOLUNTEER, Holder.HOSPITAL, Holder.RESIDENT]
    steps = list(errand.events.values_list("to_status", flat=True))
    assert steps == [
        MedicineStatus.SUBMITTED,
        MedicineStatus.TRIAGED,
        MedicineStatus.ASSIGNED,
        MedicineStatus.PURCHASING,
        MedicineStatus.PURCHASED,
        MedicineStatus.DELIVERED,
    ]
