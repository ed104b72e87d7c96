"""One way to tell a person something: a Notice in their in-app inbox, sent by SMS and email.

`notify()` stores the notices (once per key, so a job that runs twice tells people once) and,
after commit, asks a worker to send what is unsent. Sending goes through pluggable backends:
SMS through the class named in NOTICE_SMS_BACKEND (console by default; a gateway in
production), email through Django's EMAIL_BACKEND (console by default). A backend that fails
leaves the notice unsent; the beat task retries it.

A notice made from a `Said` (core.wording) is shown in the inbox in the reader's language and
sent by SMS and email in the recipient's (zh-hans unless the spec names another)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from core.models import Notice
from core.wording import Said

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class NoticeSpec:
    key: str  # unique: the same key is never stored or sent twice
    said: Said | None = None  # what it says, in words at read and send time
    title: str = ""  # the words, when there is no `said`
    body: str = ""
    recipient_id: int | None = None  # the user whose inbox shows it
    phone: str = ""
    email: str = ""
    link: str = ""
    language: str = ""  # the recipient's, for SMS and email; the default language when blank

    def in_words(self) -> tuple[str, str]:
        """Title and body in the recipient's language."""
        if self.said is None:
            return self.title, self.body
        with translation.override(self.language or settings.LANGUAGE_CODE):
            return self.said.title, self.said.text


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
        title, body = spec.in_words()
        new.append(
            Notice(
                recipient_id=spec.recipient_id,
                phone=spec.phone,
                email=spec.email,
                title=title[:120],
                body=body,
                wording=spec.said.stored() if spec.said else {},
                language=spec.language,
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
    with translation.override(notice.language or settings.LANGUAGE_CODE):
        title, body = notice.title_text, notice.body_text
    try:
        if notice.phone and "sms" not in channels:
            sms.send(notice.phone, f"{title}: {body}")
            channels.append("sms")
        if notice.email and "email" not in channels:
            send_mail(title, body, None, [notice.email])
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
