from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def actor_field(verbose_name) -> models.ForeignKey:
    """Who did something to a row (optional, never deleted with them): one shape everywhere."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )


class Tracked(models.Model):
    """Who made a row and when, and who changed it last and when."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = actor_field(_("created by"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = actor_field(_("updated by"))

    class Meta:
        abstract = True


class Event(models.Model):
    """One recorded change of a row's state: who did it, when, and an optional note."""

    actor = actor_field(_("by"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    ABANDONED = "abandoned", _("Abandoned")


UNFINISHED_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class Job(models.Model):
    """A background job's progress, for staff to watch: what it works on, how far it is.

    `subject` names what the job works on ("supplies.supplyround:12"), so that each app can
    scope the jobs of its own rows without core knowing any app."""

    kind = models.CharField(_("kind"), max_length=40)
    subject = models.CharField(_("subject"), max_length=80, db_index=True)
    status = models.CharField(
        _("status"), max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    percent = models.PositiveSmallIntegerField(_("percent"), default=0)
    message = models.CharField(_("message"), max_length=300, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_by = actor_field(_("started by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # What runs the job, kept so that a job asked for while the queue was unreachable is sent
    # once it is back (core.jobs.job_dispatch); `dispatched_at` is when the queue took it.
    task = models.CharField(_("task"), max_length=100, blank=True)
    task_args = models.JSONField(_("task arguments"), default=list, blank=True)
    dispatched_at = models.DateTimeField(_("sent to the queue at"), null=True, blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(percent__lte=100), name="job_percent_max")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status not in UNFINISHED_JOB_STATUSES


class Notice(models.Model):
    """A message to a person: shown in their in-app inbox and sent through the backends.

    `key` makes sending idempotent: a job that runs twice sends one notice per key."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("message"))
    link = models.CharField(_("link"), max_length=200, blank=True)
    key = models.CharField(_("key"), max_length=120, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_by = models.CharField(_("sent through"), max_length=120, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title
