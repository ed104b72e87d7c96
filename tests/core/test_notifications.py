"""Notices (core.notifications): stored once per key, sent after commit through the SMS
backend and email; a backend that fails leaves its notice for the next try, not the others."""

import pytest
from django.core import mail
from django.utils import timezone
from django.utils.translation import override

from core.models import Notice
from core.notifications import (
    LocmemSmsBackend,
    NoticeSpec,
    notice_mark_read,
    notices_mark_all_read,
    notify,
    send_pending,
)

FLAKY_PHONE = "13900000000"


class FlakySmsBackend(LocmemSmsBackend):
    """Fails for one number, as a gateway does for a number it refuses."""

    def send(self, phone: str, text: str) -> None:
        if phone == FLAKY_PHONE:
            raise ConnectionError("gateway refused")
        super().send(phone, text)


@pytest.fixture(autouse=True)
def backends(settings):
    settings.NOTICE_SMS_BACKEND = "core.notifications.LocmemSmsBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    LocmemSmsBackend.outbox.clear()
    mail.outbox = []
    with override("en"):
        yield
    LocmemSmsBackend.outbox.clear()


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create(username="resident")


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create(username="neighbour")


def spec(key: str, **fields) -> NoticeSpec:
    return NoticeSpec(**{"title": "Pickup", "body": "Come down at 09:00.", "key": key} | fields)


def test_it_stores_each_key_once(db, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as first:
        assert notify([spec("a", recipient_id=user.pk), spec("b", phone="13800138000")]) == 2
    with django_capture_on_commit_callbacks() as second:
        assert notify([spec("a", body="Changed."), spec("c")]) == 1
    with django_capture_on_commit_callbacks() as third:
        assert notify([spec("a"), spec("b"), spec("c")]) == 0

    assert sorted(Notice.objects.values_list("key", flat=True)) == ["a", "b", "c"]
    assert Notice.objects.get(key="a").body == "Come down at 09:00."
    assert Notice.objects.get(key="a").recipient == user
    assert (len(first), len(second), len(third)) == (1, 1, 0)  # sending is asked only for new


def test_the_same_key_twice_in_one_call_is_stored_and_counted_once(db):
    assert notify([spec("a"), spec("a", body="Again.")]) == 1

    assert Notice.objects.count() == 1


def test_it_shortens_a_long_title_to_fit(db):
    notify([spec("a", title="标" * 200)])

    assert Notice.objects.get().title == "标" * 120


def test_it_sends_after_commit_through_sms_and_email(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            [
                spec("sms", phone="13800138000"),
                spec("both", phone="13700137000", email="li@example.com"),
                spec("email", email="wang@example.com", title="Door delivery", body="Stay in."),
                spec("inbox"),
            ]
        )

    assert LocmemSmsBackend.outbox == [
        ("13800138000", "Pickup: Come down at 09:00."),
        ("13700137000", "Pickup: Come down at 09:00."),
    ]
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [
        (["li@example.com"], "Pickup", "Come down at 09:00."),
        (["wang@example.com"], "Door delivery", "Stay in."),
    ]
    sent = dict(Notice.objects.values_list("key", "sent_by"))
    assert sent == {"sms": "sms", "both": "sms, email", "email": "email", "inbox": "inbox"}
    assert not Notice.objects.filter(sent_at__isnull=True).exists()


def test_sending_twice_sends_nothing_more(db):
    notify([spec("a", phone="13800138000"), spec("b", email="li@example.com")])
    assert send_pending() == 2

    assert send_pending() == 0

    assert len(LocmemSmsBackend.outbox) == 1
    assert len(mail.outbox) == 1


def test_it_sends_in_batches_until_nothing_is_left(db):
    notify([spec(f"n{number}", phone=f"1380013800{number}") for number in range(5)])

    assert send_pending(batch=2) == 5

    assert [phone for phone, _text in LocmemSmsBackend.outbox] == [
        f"1380013800{number}" for number in range(5)
    ]


def test_a_failing_backend_leaves_its_notice_unsent_and_sends_the_others(db, settings, caplog):
    settings.NOTICE_SMS_BACKEND = "tests.core.test_notifications.FlakySmsBackend"
    notify(
        [spec("a", phone="13800138000"), spec("b", phone=FLAKY_PHONE), spec("c", email="x@y.cn")]
    )

    assert send_pending(batch=1) == 2

    unsent = Notice.objects.get(key="b")
    assert (unsent.sent_at, unsent.sent_by) == (None, "")
    assert Notice.objects.filter(sent_at__isnull=False).count() == 2
    assert LocmemSmsBackend.outbox == [("13800138000", "Pickup: Come down at 09:00.")]
    assert len(mail.outbox) == 1
    assert f"notice {unsent.pk} could not be sent" in caplog.text

    settings.NOTICE_SMS_BACKEND = "core.notifications.LocmemSmsBackend"
    Notice.objects.filter(pk=unsent.pk).update(phone="13800138001")
    assert send_pending() == 1
    assert Notice.objects.get(key="b").sent_by == "sms"


def test_a_retry_does_not_repeat_the_channels_that_went_out(db, settings, monkeypatch):
    notify([spec("a", phone="13800138000", email="li@example.com")])

    def mail_server_down(*args, **kwargs):
        raise ConnectionError("mail server down")

    monkeypatch.setattr("core.notifications.send_mail", mail_server_down)
    assert send_pending() == 0
    assert send_pending() == 0
    assert len(LocmemSmsBackend.outbox) == 1
    assert Notice.objects.get().sent_at is None

    monkeypatch.undo()
    settings.NOTICE_SMS_BACKEND = "core.notifications.LocmemSmsBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_pending() == 1

    assert len(LocmemSmsBackend.outbox) == 1
    assert len(mail.outbox) == 1
    notice = Notice.objects.get()
    assert notice.sent_at is not None
    assert notice.sent_by == "sms, email"


def test_marking_all_read_touches_only_the_users_unread_notices(db, user, other_user):
    notify(
        [spec(f"u{n}", recipient_id=user.pk) for n in range(3)]
        + [spec("other", recipient_id=other_user.pk)]
    )
    earlier = timezone.now() - timezone.timedelta(days=1)
    Notice.objects.filter(key="u0").update(read_at=earlier)

    assert notices_mark_all_read(user=user) == 2

    assert Notice.objects.get(key="u0").read_at == earlier
    assert not Notice.objects.filter(recipient=user, read_at__isnull=True).exists()
    assert Notice.objects.get(key="other").read_at is None
    assert notices_mark_all_read(user=user) == 0


def test_marking_one_read_keeps_the_first_reading_time(db, user):
    notify([spec("a", recipient_id=user.pk), spec("b", recipient_id=user.pk)])
    notice = Notice.objects.get(key="a")

    notice_mark_read(notice=notice)
    first = Notice.objects.get(key="a").read_at
    notice_mark_read(notice=Notice.objects.get(key="a"))

    assert first is not None
    assert Notice.objects.get(key="a").read_at == first
    assert Notice.objects.get(key="b").read_at is None
