"""The 404, 403 and 500 pages: translated, on the site's stylesheet, with a way back home; the
500 page renders without context processors or the database."""

import pytest
from django.test import RequestFactory
from django.utils import translation
from django.views import defaults


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "text"), [("zh-hans", "页面不存在"), ("en", "Page not found")]
)
def test_an_unknown_page_is_a_translated_404_with_a_way_home(client, settings, language, text):
    settings.DEBUG = False
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    page = response.content.decode()
    assert text in page
    assert 'href="/"' in page
    assert "css/site.css" in page


@pytest.mark.django_db
def test_a_volunteer_on_a_404_gets_a_link_to_their_page(client, settings, volunteer, committee):
    from volunteers.models import Volunteer

    Volunteer.objects.create(user=volunteer, committee=committee, name="李", phone="13800138001")
    settings.DEBUG = False
    client.force_login(volunteer)

    page = client.get("/no-such-page/").content.decode()

    assert 'href="/volunteer/"' in page


@pytest.mark.parametrize(("language", "text"), [("zh-hans", "无权操作"), ("en", "Not allowed")])
def test_a_refusal_is_a_translated_403(rf: RequestFactory, language, text):
    request = rf.get("/staff/x/")
    with translation.override(language):
        response = defaults.permission_denied(request, PermissionError())

    assert response.status_code == 403
    assert text in response.content.decode()
    assert 'href="/"' in response.content.decode()


@pytest.mark.parametrize(
    ("language", "text"), [("zh-hans", "出错了"), ("en", "Something went wrong")]
)
def test_the_500_page_renders_without_the_database(rf: RequestFactory, language, text):
    request = rf.get("/")
    with translation.override(language):
        response = defaults.server_error(request)  # no database: the test has no db mark

    assert response.status_code == 500
    page = response.content.decode()
    assert text in page
    assert 'href="/"' in page
    assert "css/site.css" in page


@pytest.mark.django_db
def test_an_off_shift_volunteer_at_the_gate_is_told_why(client, settings, volunteer):
    settings.DEBUG = False
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(volunteer)

    response = client.get("/volunteer/gate/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "You have no gate shift now." in page
    assert 'href="/volunteer/"' in page
