"""Volunteers, their workgroups and tests, shifts and sign-ups, and relay moves between
compounds. Scope: a volunteer belongs to one committee; staff of that committee approve them,
and a shift lies in one of the committee's compounds."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.history import field_history
from core.models import Event, Tracked, actor_field
from residents.models import Committee, Compound, Household, phone_validator


class Workgroup(models.TextChoices):
    """The committees' own working groups (工作组)."""

    STATISTICS = "statistics", _("Statistics")
    TESTING = "testing", _("Testing")
    SUPPLY = "supply", _("Supply distribution")
    DISINFECTION = "disinfection", _("Disinfection")
    PUBLICITY = "publicity", _("Publicity")
    COORDINATION = "coordination", _("Coordination")
    MEDICINE = "medicine", _("Medicine runs")
    TRANSPORT_ESCORT = "transport_escort", _("Transport escort")


class Affiliation(models.TextChoices):
    RESIDENT = "resident", _("Resident of the compound")
    EMPLOYER = "employer", _("Staff of an employer reporting to the community")
    OUTSIDE = "outside", _("Outside helper")


class VolunteerStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class TestKind(models.TextChoices):
    ANTIGEN = "antigen", _("Antigen test")
    PCR = "pcr", _("PCR test")


class VolunteerSettings(models.Model):
    """What a committee sets for its volunteers: how long a negative test keeps one eligible."""

    committee = models.OneToOneField(
        Committee,
        verbose_name=_("committee"),
        on_delete=models.PROTECT,
        related_name="volunteer_settings",
    )
    test_valid_hours = models.PositiveSmallIntegerField(
        _("a negative test is valid for (hours)"), default=48
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = field_history()

    class Meta:
        verbose_name = _("volunteer settings")
        verbose_name_plural = _("volunteer settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(test_valid_hours__gte=1), name="volunteer_settings_hours_min"
            )
        ]

    def __str__(self) -> str:
        return str(self.committee)


DEFAULT_TEST_VALID_HOURS = 48


class Volunteer(Tracked):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        on_delete=models.PROTECT,
        related_name="volunteer",
    )
    committee = models.ForeignKey(
        Committee, verbose_name=_("committee"), on_delete=models.PROTECT, related_name="volunteers"
    )
    name = models.CharField(_("name"), max_length=60)
    phone = models.CharField(_("phone"), max_length=20, validators=[phone_validator])
    affiliation = models.CharField(
        _("affiliation"), max_length=20, choices=Affiliation.choices, default=Affiliation.RESIDENT
    )
    employer = models.CharField(
        _("employer"), max_length=100, blank=True, help_text=_("For staff of an employer.")
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="volunteers",
        help_text=_("For a resident of the compound."),
    )
    compounds = models.ManyToManyField(
        Compound, verbose_name=_("compounds"), related_name="volunteers", blank=True
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=VolunteerStatus.choices,
        default=VolunteerStatus.PENDING,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = actor_field(_("decided by"))
    rejection_reason = models.CharField(_("reason for rejection"), max_length=300, blank=True)
    # The latest negative test, kept here so that eligibility is one comparison.
    test_kind = models.CharField(_("test"), max_length=10, choices=TestKind.choices, blank=True)
    tested_at = models.DateTimeField(_("latest negative test at"), null=True, blank=True)

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["committee", "name", "pk"]

    def __str__(self) -> str:
        return self.name


class VolunteerWorkgroup(models.Model):
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("volunteer"), on_delete=models.CASCADE, related_name="workgroups"
    )
    workgroup = models.CharField(_("workgroup"), max_length=20, choices=Workgroup.choices)

    class Meta:
        verbose_name = _("workgroup of a volunteer")
        verbose_name_plural = _("workgroups of volunteers")
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer", "workgroup"], name="volunteer_workgroup_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.get_workgroup_display()}"


class TestRecord(models.Model):
    """A negative test a volunteer reported, kept as history."""

    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("volunteer"), on_delete=models.PROTECT, related_name="tests"
    )
    kind = models.CharField(_("test"), max_length=10, choices=TestKind.choices)
    taken_at = models.DateTimeField(_("taken at"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = actor_field(_("recorded by"))

    class Meta:
        verbose_name = _("test record")
        verbose_name_plural = _("test records")
        ordering = ["-taken_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.get_kind_display()} · {self.taken_at:%Y-%m-%d %H:%M}"


class Shift(Tracked):
    compound = models.ForeignKey(
        Compound, verbose_name=_("compound"), on_delete=models.PROTECT, related_name="shifts"
    )
    workgroup = models.CharField(_("workgroup"), max_length=20, choices=Workgroup.choices)
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))
    needed = models.PositiveSmallIntegerField(_("people needed"))
    # Moved with F() by sign-up and cancel, so that a full shift is refused under concurrency.
    taken = models.PositiveSmallIntegerField(_("people signed up"), default=0)
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = actor_field(_("cancelled by"))

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["start", "compound", "workgroup", "pk"]
        indexes = [models.Index(fields=["compound", "workgroup", "start"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="shift_ends_after_start",
                violation_error_message=_("A shift must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(needed__gte=1),
                name="shift_needs_someone",
                violation_error_message=_("A shift needs at least one person."),
            ),
            models.CheckConstraint(condition=Q(taken__lte=F("needed")), name="shift_not_over"),
        ]

    def __str__(self) -> str:
        return f"{self.compound} · {self.get_workgroup_display()} · {self.start:%m-%d %H:%M}"


class SignupStatus(models.TextChoices):
    SIGNED_UP = "signed_up", _("Signed up")
    CANCELLED = "cancelled", _("Cancelled")


class ShiftSignup(models.Model):
    shift = models.ForeignKey(
        Shift, verbose_name=_("shift"), on_delete=models.PROTECT, related_name="signups"
    )
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("volunteer"), on_delete=models.PROTECT, related_name="signups"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=SignupStatus.choices, default=SignupStatus.SIGNED_UP
    )
    signed_up_at = models.DateTimeField(_("signed up at"), auto_now_add=True)
    signed_up_by = actor_field(_("signed up by"))
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = actor_field(_("cancelled by"))
    cancel_reason = models.CharField(_("why cancelled"), max_length=300, blank=True)
    relay = models.ForeignKey(
        "Relay",
        verbose_name=_("relay"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signups",
        help_text=_("The relay move that made or ended this sign-up."),
    )

    class Meta:
        verbose_name = _("shift sign-up")
        verbose_name_plural = _("shift sign-ups")
        ordering = ["shift", "signed_up_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["shift", "volunteer"],
                condition=Q(status="signed_up"),
                name="signup_once_per_shift",
            )
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.shift}"


class Relay(Tracked):
    """A group of volunteers moved to another compound or workgroup for a time block (接力)."""

    to_compound = models.ForeignKey(
        Compound, verbose_name=_("to compound"), on_delete=models.PROTECT, related_name="+"
    )
    to_workgroup = models.CharField(_("to workgroup"), max_length=20, choices=Workgroup.choices)
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=300)
    shift = models.OneToOneField(
        Shift,
        verbose_name=_("shift"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="relay",
        help_text=_("The shift the moved volunteers work in."),
    )
    volunteers = models.ManyToManyField(Volunteer, verbose_name=_("volunteers"), related_name="+")

    class Meta:
        verbose_name = _("relay move")
        verbose_name_plural = _("relay moves")
        ordering = ["-start", "-pk"]

    def __str__(self) -> str:
        return f"{self.to_compound} · {self.get_to_workgroup_display()} · {self.start:%m-%d %H:%M}"


class VolunteerEvent(Event):
    """A change of a volunteer's status: registered, approved, rejected, withdrawn."""

    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("volunteer"), on_delete=models.CASCADE, related_name="events"
    )
    to_status = models.CharField(_("status after"), max_length=12, choices=VolunteerStatus.choices)

    class Meta(Event.Meta):
        verbose_name = _("volunteer event")
        verbose_name_plural = _("volunteer events")

    def __str__(self) -> str:
        return self.get_to_status_display()
