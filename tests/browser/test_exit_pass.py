"""An exit pass on a 360 px phone: only requested, it says NOT VALID in a big red band and
shows no QR; confirmed for today, it shows the code and QR; the gate checks it on a phone."""

import datetime

import pytest
from django.utils import timezone

from deliveries.models import CollectionPoint
from medical.models import TransportKind
from medical.services.transports import transport_confirm, transport_request

pytestmark = pytest.mark.browser

PHONE_WIDTH = 360


def _fits_a_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


def test_the_pass_says_plainly_when_it_is_not_valid(
    phone, log_in, live_server, resident, resident_user, staff, compound, tmp_path
):
    transport = transport_request(
        resident=resident,
        kind=TransportKind.DIALYSIS,
        hospital="瑞金医院",
        appointment_at=timezone.now(),
        by=resident_user,
    )
    page = phone
    log_in(page, resident_user.username)
    page.goto(f"{live_server.url}/transports/{transport.pk}/pass/")
    page.screenshot(path=tmp_path / "pass-requested.png", full_page=True)
    band = page.locator("[data-pass-state=not_confirmed]")
    assert band.is_visible() and "无效" in band.inner_text()
    assert band.evaluate("(el) => getComputedStyle(el).backgroundColor") == "rgb(176, 0, 32)"
    assert page.locator(".med-qr svg").count() == 0
    assert _fits_a_phone(page)

    transport_confirm(transport=transport, by=staff)
    page.reload()
    page.screenshot(path=tmp_path / "pass-valid.png", full_page=True)
    assert page.locator("[data-pass-state=valid]").is_visible()
    assert page.locator(".med-qr svg").is_visible()
    assert _fits_a_phone(page)

    CollectionPoint.objects.create(
        compound=compound,
        name="北门",
        capacity=20,
        crowd_cap=3,
        opens_at=datetime.time(8),
        closes_at=datetime.time(18),
    )
    log_in(page, staff.username)
    page.goto(f"{live_server.url}/volunteer/gate/pass/")
    page.fill("input[name=code]", transport.code.lower())
    with page.expect_navigation():
        page.locator("button[name=check]").tap()
    page.screenshot(path=tmp_path / "gate-pass.png", full_page=True)
    assert page.locator(f"[data-pass='{transport.pk}']").is_visible()
    assert _fits_a_phone(page)
