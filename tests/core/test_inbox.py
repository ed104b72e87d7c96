"""The inbox: any logged-in person's notices, newest first, and the unread count in the header."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from core.models import Notice
from tests.factories import UserFactory


def page_text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def notice(user, title: str, *, minutes_ago: int = 0, read: bool = False, link: str = ""):
    at = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    return Notice.objects.create(
        recipient=user,
        title=title,
        body=f"{title}: body",
        link=link,
        key=f"test:{user.pk}:{title}",
        created_at=at,
        read_at=at if read else None,
    )


@pytest.fixture(autouse=True)
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def person(db):
    return UserFactory(username="person")


@pytest.fixture
def neighbour(db):
    return UserFactory(username="neighbour")


@pytest.fixture
def as_person(client, person):
    client.force_login(person)
    return client


class TestInbox:
    def test_it_lists_the_persons_own_notices_newest_first_with_the_unread_marked(
        self, as_person, person, neighbour
    ):
        notice(person, "Old and read", minutes_ago=60, read=True)
        notice(person, "Newest", minutes_ago=1)
        notice(person, "Middle", minutes_ago=30)
        notice(neighbour, "Not yours")

        response = as_person.get(reverse("inbox"))

        assert response.status_code == 200
        content = response.content.decode()
        titles = re.findall(r"<h2>(?:<span class=\"badge\">New</span> )?([^<]+)</h2>", content)
        assert titles == ["Newest", "Middle", "Old and read"]
        assert len(re.findall(r'class="card notice unread"', content)) == 2
        assert "Not yours" not in content
        assert "2 unread notices" in page_text(response)

    def test_it_shows_the_unread_count_in_the_header_of_every_page(
        self, as_person, person, neighbour
    ):
        notice(person, "One")
        notice(person, "Two")
        notice(person, "Read", read=True)
        notice(neighbour, "Not yours")

        response = as_person.get(reverse("inbox"))

        header = response.content.decode().split("</header>")[0]
        assert f'href="{reverse("inbox")}"' in header
        assert re.search(r"data-unread>2<", header)

    def test_it_shows_no_count_when_everything_is_read(self, as_person, person):
        notice(person, "Read", read=True)

        header = as_person.get(reverse("inbox")).content.decode().split("</header>")[0]

        assert "data-unread" not in header
        assert "Mark all read" not in page_text(as_person.get(reverse("inbox")))

    def test_it_marks_all_the_persons_notices_read_and_no_one_elses(
        self, as_person, person, neighbour
    ):
        notice(person, "One")
        notice(person, "Two")
        theirs = notice(neighbour, "Theirs")

        response = as_person.post(reverse("inbox-read-all"), follow=True)

        assert "2 notices marked read." in page_text(response)
        assert not Notice.objects.filter(recipient=person, read_at__isnull=True).exists()
        theirs.refresh_from_db()
        assert theirs.read_at is None
        assert "data-unread" not in response.content.decode().split("</header>")[0]

    def test_it_marks_read_only_on_a_post(self, as_person, person):
        notice(person, "One")

        assert as_person.get(reverse("inbox-read-all")).status_code == 405
        assert Notice.objects.filter(read_at__isnull=True).count() == 1

    def test_it_opens_a_notice_marking_it_read_and_following_its_link(self, as_person, person):
        opened = notice(person, "Your plan", link="/orders/12/")

        response = as_person.post(reverse("notice-open", args=[opened.pk]))

        assert response.status_code == 302
        assert response["Location"] == "/orders/12/"
        opened.refresh_from_db()
        assert opened.read_at is not None

    def test_it_does_not_follow_a_link_to_another_site(self, as_person, person):
        opened = notice(person, "Odd", link="https://example.com/phish")

        response = as_person.post(reverse("notice-open", args=[opened.pk]))

        assert response["Location"] == reverse("inbox")

    def test_it_does_not_open_another_persons_notice(self, as_person, neighbour):
        theirs = notice(neighbour, "Theirs")

        assert as_person.post(reverse("notice-open", args=[theirs.pk])).status_code == 404
        theirs.refresh_from_db()
        assert theirs.read_at is None

    def test_it_says_so_when_there_are_no_notices(self, as_person):
        assert "No notices yet." in page_text(as_person.get(reverse("inbox")))

    def test_it_sends_anonymous_visitors_to_the_login_page(self, client, db):
        response = client.get(reverse("inbox"))

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_it_reads_the_inbox_in_the_same_queries_however_many_notices(
        self, as_person, person, django_assert_max_num_queries
    ):
        for number in range(3):
            notice(person, f"Few {number}", minutes_ago=number)
        as_person.get(reverse("inbox"))
        with CaptureQueriesContext(connection) as captured:
            as_person.get(reverse("inbox"))
        for number in range(40):
            notice(person, f"More {number}", minutes_ago=number, read=number % 2 == 0)

        with django_assert_max_num_queries(len(captured.captured_queries)):
            response = as_person.get(reverse("inbox"))
        assert len(response.context["page"]) == 30
        assert "Older" in page_text(response)


class TestWordsWithTwoMeanings:
    def test_the_notices_open_button_and_an_open_rounds_status_are_different_words_in_chinese(
        self, client, settings, as_person, person
    ):
        from supplies.models import RoundStatus

        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
        notice(person, "Linked", link="/orders/")
        page = as_person.get("/inbox/").content.decode()
        button = re.search(r'/open/">.*?<button[^>]*>([^<]*)</button>', page, re.S)
        with translation.override("zh-hans"):
            status = str(RoundStatus.OPEN.label)
        assert button.group(1) == "查看"
        assert status == "开放订购"

    def test_a_closed_medicine_request_is_not_a_closed_round_in_chinese(self):
        from medical.models import MedicineStatus
        from supplies.models import RoundStatus

        with translation.override("zh-hans"):
            assert str(RoundStatus.CLOSED.label) == "已截单"
            assert str(MedicineStatus.CLOSED.label) == "已结束"
