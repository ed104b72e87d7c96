"""Every login route locks a user name out after repeated failures (django-axes): refused even
with the right password, then accepted again once the cool-off has passed. The token endpoint
is throttled per address as well."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from tests.factories import UserFactory

PASSWORD = "right-pass-4821"


@pytest.fixture
def person(db):
    user = UserFactory(username="wang", is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def web_login(client, password):
    return client.post(reverse("login"), {"username": "wang", "password": password})


def admin_login(client, password):
    return client.post(reverse("admin:login"), {"username": "wang", "password": password})


def token_login(client, password):
    return APIClient().post(
        reverse("api-token"), {"username": "wang", "password": password}, format="json"
    )


def logged_in(route, response) -> bool:
    if route is token_login:
        return response.status_code == 200 and "token" in response.json()
    return response.status_code == 302


@pytest.mark.parametrize("route", [web_login, admin_login, token_login])
def test_a_login_is_locked_after_repeated_failures_then_released(client, settings, person, route):
    settings.LANGUAGE_CODE = "en"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = route(client, "wrong")
        assert not logged_in(route, response)
        assert response.status_code != 429
    assert route(client, "wrong").status_code == 429  # the last failure allowed locks

    refused = route(client, PASSWORD)
    assert refused.status_code == 429
    assert not logged_in(route, refused)
    if route is token_login:
        assert refused.json()["code"] == "locked_out"
        assert "Too many failed logins" in refused.json()["detail"]
    else:
        assert "Too many failed logins" in refused.content.decode()

    later = timezone.now() + settings.AXES_COOLOFF_TIME + datetime.timedelta(minutes=1)
    with time_machine.travel(later):
        assert logged_in(route, route(client, PASSWORD))


def test_the_lockout_page_is_in_chinese_by_default(client, settings, person):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        web_login(client, "wrong")
    page = web_login(client, PASSWORD)
    assert page.status_code == 429
    assert "登录失败次数过多" in page.content.decode()


def test_a_success_before_the_limit_starts_the_count_again(client, settings, person):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        web_login(client, "wrong")
    assert logged_in(web_login, web_login(client, PASSWORD))
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        web_login(client, "wrong")
    assert logged_in(web_login, web_login(client, PASSWORD))


def test_another_user_name_is_not_locked_by_someone_elses_failures(client, settings, person):
    other = UserFactory(username="li")
    other.set_password(PASSWORD)
    other.save()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        web_login(client, "wrong")
    response = client.post(reverse("login"), {"username": "li", "password": PASSWORD})
    assert response.status_code == 302


def test_the_token_endpoint_is_throttled_per_address(monkeypatch, person):
    # The rates are read into the class when DRF loads; a small one makes the test short.
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"login": "3/minute"})
    client = APIClient()
    answers = [
        client.post(
            reverse("api-token"), {"username": f"nobody{n}", "password": "x"}, format="json"
        ).status_code
        for n in range(5)
    ]
    assert answers == [400, 400, 400, 429, 429]


def test_a_form_sent_after_the_session_ended_says_so_on_the_login_page(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(reverse("meals-create-today"), follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
    page = response.content.decode()
    assert "You had been logged out, so what you sent was not saved." in page


def test_logging_out_says_nothing_of_the_kind(client, person, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(person)
    response = client.post("/accounts/logout/", follow=True)
    assert "You had been logged out" not in response.content.decode()
