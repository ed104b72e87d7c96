"""What deliveries stores as codes is read in the reader's language: the inbox, the plan page's
job summary, meal items; SMS goes out in the recipient's (zh-hans by default)."""

import datetime
import re

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from core.models import Job, JobStatus, Notice
from core.notifications import LocmemSmsBackend, NoticeSpec, notify, send_pending
from deliveries import wordings as words
from deliveries.services import planning
from deliveries.services.assignment import deliveries_assign_meals
from deliveries.services.meals import meal_enrol, meals_create_for_day
from tests.factories import ResidentFactory


def page_text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def in_language(client, language: str) -> None:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language


@pytest.fixture
def told(resident_user):
    """A door-delivery notice, made while an English-speaking staff member worked."""
    with override("en"):
        notify(
            [
                NoticeSpec(
                    said=words.PLAN_DOOR(round="第一批"),
                    key="t:1",
                    recipient_id=resident_user.pk,
                    phone="13800138000",
                )
            ]
        )
    return Notice.objects.get(key="t:1")


class TestInbox:
    def test_it_reads_a_notice_in_english_to_an_english_reader(self, client, resident_user, told):
        client.force_login(resident_user)
        in_language(client, "en")
        text = page_text(client.get(reverse("inbox")))
        assert "第一批: how your packs reach you" in text
        assert "A volunteer will bring your packs to your door. Please stay at home." in text
        assert "志愿者" not in text.split("Inbox", 1)[1]

    def test_it_reads_the_same_notice_in_chinese_to_a_chinese_reader(
        self, client, resident_user, told
    ):
        client.force_login(resident_user)
        in_language(client, "zh-hans")
        text = page_text(client.get(reverse("inbox")))
        assert "第一批：物资领取安排" in text
        assert "please stay at home" not in text.lower()
        with override("zh-hans"):
            assert told.body_text in text

    def test_it_stores_and_texts_the_words_in_the_recipients_language_not_the_writers(
        self, settings, told
    ):
        settings.NOTICE_SMS_BACKEND = "core.notifications.LocmemSmsBackend"
        LocmemSmsBackend.outbox = []
        with override("en"):
            send_pending()
        [(phone, text)] = LocmemSmsBackend.outbox
        with override("zh-hans"):
            assert text == f"{told.title_text}: {told.body_text}"
        assert "第一批：" in text and "volunteer" not in text
        assert told.title.startswith("第一批：")  # the stored words are the recipient's too

    def test_an_english_recipient_gets_an_english_text(self, settings, resident_user):
        settings.NOTICE_SMS_BACKEND = "core.notifications.LocmemSmsBackend"
        LocmemSmsBackend.outbox = []
        spec = NoticeSpec(
            said=words.PLAN_DOOR(round="R"), key="t:en", phone="13800138000", language="en"
        )
        notify([spec])
        send_pending()
        assert LocmemSmsBackend.outbox == [
            (
                "13800138000",
                "R: how your packs reach you: A volunteer will bring your packs to your door. "
                "Please stay at home.",
            )
        ]

    def test_an_older_notice_without_a_code_shows_its_stored_words(self, client, resident_user):
        Notice.objects.create(recipient=resident_user, title="旧标题", body="旧的正文", key="old")
        client.force_login(resident_user)
        in_language(client, "en")
        text = page_text(client.get(reverse("inbox")))
        assert "旧标题" in text and "旧的正文" in text


class TestPlanPage:
    @pytest.fixture
    def scheduled_job(self, closed_round, staff):
        with override("zh-hans"):  # the worker's language
            return Job.objects.create(
                kind=planning.SCHEDULE,
                subject=f"supplies.supplyround:{closed_round.pk}",
                status=JobStatus.SUCCEEDED,
                percent=100,
                message=str(words.SCHEDULE_DONE(slots=38, points=3, unplaced=0)),
                wording=words.SCHEDULE_DONE(slots=38, points=3, unplaced=0).stored(),
            )

    def test_it_says_the_schedule_summary_in_english(
        self, client, staff, closed_round, scheduled_job
    ):
        client.force_login(staff)
        in_language(client, "en")
        text = page_text(client.get(reverse("plan-round", args=[closed_round.pk])))
        assert "38 slots at 3 points; 0 households without a slot." in text
        assert "个时段" not in text
        polled = client.get(reverse("plan-job", args=[scheduled_job.pk])).json()
        assert polled["message"] == "38 slots at 3 points; 0 households without a slot."

    def test_it_says_the_schedule_summary_in_chinese(
        self, client, staff, closed_round, scheduled_job
    ):
        client.force_login(staff)
        in_language(client, "zh-hans")
        text = page_text(client.get(reverse("plan-round", args=[closed_round.pk])))
        assert "3 个取货点共 38 个时段；0 户没有时段。" in text

    def test_a_job_run_in_chinese_is_read_in_english(
        self, client, staff, closed_round, points, django_capture_on_commit_callbacks
    ):
        with override("zh-hans"), django_capture_on_commit_callbacks(execute=True):
            planning.plan_request(supply_round=closed_round, kind=planning.ALLOCATE, by=staff)
        job = Job.objects.filter(kind=planning.SCHEDULE).get()
        assert "个时段" in job.message  # stored in the worker's language ...
        client.force_login(staff)
        in_language(client, "en")
        text = page_text(client.get(reverse("plan-round", args=[closed_round.pk])))
        assert re.search(r"\d+ slots at \d+ points; \d+ households without a slot\.", text)


class TestMealItems:
    @pytest.fixture
    def meal(self, household, staff):
        elder = ResidentFactory(
            household=household,
            name="张奶奶",
            needs=["disabled"],
            birth_date=datetime.date(timezone.localdate().year - 85, 1, 1),
        )
        meal_enrol(resident=elder, meals=["lunch", "dinner"], by=staff)
        with override("zh-hans"):  # the beat task's language
            meals_create_for_day(day=timezone.localdate(), by=staff)

    @pytest.mark.parametrize(
        ("language", "items"), [("en", "Lunch × 1, Dinner × 1"), ("zh-hans", "午餐 × 1, 晚餐 × 1")]
    )
    def test_the_volunteer_reads_the_meal_in_their_language(
        self, client, staff, meal, on_shift, volunteer, language, items
    ):
        deliveries_assign_meals(day=timezone.localdate(), by=staff)
        client.force_login(volunteer)
        in_language(client, language)
        assert items in page_text(client.get(reverse("my-deliveries")))
        api = client.get("/api/v1/deliveries/", HTTP_ACCEPT_LANGUAGE=language).json()
        rows = api["results"] if isinstance(api, dict) else api
        assert [row["items"] for row in rows] == [items]

    @pytest.mark.parametrize(
        ("language", "items"), [("en", "Lunch × 1, Dinner × 1"), ("zh-hans", "午餐 × 1, 晚餐 × 1")]
    )
    def test_staff_read_the_meal_in_their_language(self, client, staff, meal, language, items):
        client.force_login(staff)
        in_language(client, language)
        assert items in page_text(client.get(reverse("meals")))
