"""One way to tell a person something: a Notice in their in-app inbox, sent by SMS and email.

`notify()` stores the notices (once per key, so a job that runs twice tells people once) and,
after commit, asks a worker to send what is unsent. Sending goes through pluggable backends:
SMS through the class named in NOTICE_SMS_BACKEND (console by default; a gateway in
production), email through Django's EMAIL_BACKEND (console by default). A backend that fails
leaves the notice unsent; the beat task retries it."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from core.models import Notice

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NoticeSpec:
    title: str
    body: str
    key: str  # unique: the same key is never stored or sent twice
    recipient_id: int | None = None  # the user whose inbox shows it
    phone: str = ""
    email: str = ""
    link: str = ""


class SmsBackend:
    """Sends one text message; subclass it for a real gateway."""

    def send(self, phone: str, text: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    def send(self, phone: str, text: str) -> None:
        sys.stdout.write(f"[SMS to {phone}] {text}\n")


class LocmemSmsBackend(SmsBackend):
    """Keeps the messages in `outbox`, for tests."""

    outbox: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        self.outbox.append((phone, text))


def notify(specs: Iterable[NoticeSpec]) -> int:
    """Store the notices not stored yet and send them after commit; returns how many are new."""
    specs = list(specs)
    existing = set()
    for start in range(0, len(specs), 1000):
        keys = [spec.key for spec in specs[start : start + 1000]]
        existing.update(Notice.objects.filter(key__in=keys).values_list("key", flat=True))
    new = []
    for spec in specs:
        if spec.key in existing:
            continue
        existing.add(spec.key)  # the same key twice in one call is stored once
        new.append(
            Notice(
                recipient_id=spec.recipient_id,
                phone=spec.phone,
                email=spec.email,
                title=spec.title[:120],
                body=spec.body,
                link=spec.link,
                key=spec.key,
            )
        )
    Notice.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    if new:
        from core.tasks import send_pending_notices

        transaction.on_commit(send_pending_notices.delay)
    return len(new)


def send_pending(*, batch: int = 500) -> int:
    """Send every unsent notice through the backends; safe to run in parallel and twice."""
    sms = import_string(settings.NOTICE_SMS_BACKEND)()
    sent, failed = 0, set()
    while True:
        with transaction.atomic():
            pending = Notice.objects.filter(sent_at__isnull=True).exclude(pk__in=failed)
            if connection.features.has_select_for_update_skip_locked:
                pending = pending.select_for_update(skip_locked=True)
            notices = list(pending.order_by("pk")[:batch])
            if not notices:
                return sent
            done, partly = [], []
            for notice in notices:
                try:
                    _send(notice, sms)
                except Exception:  # a gateway down must not stop the others; beat retries
                    logger.exception("notice %s could not be sent", notice.pk)
                    failed.add(notice.pk)
                    partly.append(notice)  # keeps the channels it went out on: not twice
                    continue
                notice.sent_at = timezone.now()
                notice.sent_by = notice.sent_by or "inbox"
                done.append(notice)
            Notice.objects.bulk_update(done + partly, ["sent_at", "sent_by"])
            sent += len(done)


def _send(notice: Notice, sms: SmsBackend) -> None:
    """Send through each channel the notice has and has not gone out on yet; `sent_by` lists
    the channels done, also when a later one fails, so that a retry does not repeat them."""
    channels = [channel for channel in notice.sent_by.split(", ") if channel]
    text = f"{notice.title}: {notice.body}"
    try:
        if notice.phone and "sms" not in channels:
            sms.send(notice.phone, text)
            channels.append("sms")
        if notice.email and "email" not in channels:
            send_mail(notice.title, notice.body, None, [notice.email])
            channels.append("email")
    finally:
        notice.sent_by = ", ".join(channels)


def notice_mark_read(*, notice: Notice) -> None:
    if notice.read_at is None:
        Notice.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=timezone.now())


def notices_mark_all_read(*, user) -> int:
    return Notice.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
