"""The register: who lives where, who is vulnerable, and how closed each building is."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from core.history import field_history
from core.models import Tracked, actor_field
from core.validators import validate_birth_date

phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 \-]{4,18}[0-9]$",
    _("Enter a phone number of digits, optionally with spaces, dashes or a leading +."),
)


class ClosureLevel(models.TextChoices):
    """Spelled in the API as stored here."""

    SEALED = "sealed", _("Sealed")
    CONTROLLED = "controlled", _("Controlled")
    PRECAUTION = "precaution", _("Precaution")


class Need(models.TextChoices):
    """The fixed list of special-needs tags ("one person, one file, one label")."""

    ELDERLY_ALONE = "elderly_alone", _("Elderly living alone")
    AGED_80_PLUS = "aged_80_plus", _("80 and over")
    DISABLED = "disabled", _("Disabled")
    DIALYSIS = "dialysis", _("Dialysis")
    CHEMOTHERAPY = "chemotherapy", _("Chemotherapy")
    PREGNANT = "pregnant", _("Pregnant")
    INFANT = "infant", _("Infant in household")
    CHRONIC_MEDICATION = "chronic_medication", _("Chronic medication")
    FOREIGN_LANGUAGE = "foreign_language", _("Needs a foreign language")


# A household with a member carrying one of these is vulnerable: door delivery whatever the
# building's level. Chronic medication and a foreign language are needs, not vulnerability.
VULNERABILITY_NEEDS = frozenset(
    {
        Need.ELDERLY_ALONE,
        Need.AGED_80_PLUS,
        Need.DISABLED,
        Need.DIALYSIS,
        Need.CHEMOTHERAPY,
        Need.PREGNANT,
        Need.INFANT,
    }
)


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")


class Street(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("street")
        verbose_name_plural = _("streets")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Committee(models.Model):
    street = models.ForeignKey(
        Street, verbose_name=_("street"), on_delete=models.PROTECT, related_name="committees"
    )
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("committee")
        verbose_name_plural = _("committees")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["street", "name"], name="committee_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Compound(models.Model):
    committee = models.ForeignKey(
        Committee, verbose_name=_("committee"), on_delete=models.PROTECT, related_name="compounds"
    )
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("compound")
        verbose_name_plural = _("compounds")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "name"], name="compound_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    compound = models.ForeignKey(
        Compound, verbose_name=_("compound"), on_delete=models.PROTECT, related_name="buildings"
    )
    label = models.CharField(_("label"), max_length=30, help_text=_("For example 12 or 12号楼."))
    units = models.PositiveSmallIntegerField(
        _("units"), default=1, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    floors = models.PositiveSmallIntegerField(
        _("floors"), default=6, validators=[MaxValueValidator(200)]
    )
    position_x = models.FloatField(
        _("position x (m)"), null=True, blank=True, help_text=_("Metres east on the plan.")
    )
    position_y = models.FloatField(
        _("position y (m)"), null=True, blank=True, help_text=_("Metres north on the plan.")
    )
    closure_level = models.CharField(
        _("closure level"),
        max_length=20,
        choices=ClosureLevel.choices,
        default=ClosureLevel.PRECAUTION,
    )

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["compound", "label"]
        constraints = [
            models.UniqueConstraint(fields=["compound", "label"], name="building_unique_label"),
            models.CheckConstraint(
                condition=models.Q(closure_level__in=ClosureLevel.values),
                name="building_closure_level_valid",
            ),
            models.CheckConstraint(condition=models.Q(units__gte=1), name="building_units_min"),
        ]

    def __str__(self) -> str:
        return f"{self.compound.name} {self.label}"


class Household(Tracked):
    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.PROTECT, related_name="households"
    )
    unit = models.PositiveSmallIntegerField(_("unit"), default=1)
    room = models.CharField(_("room"), max_length=20)
    contact_phone = models.CharField(
        _("contact phone"), max_length=20, blank=True, validators=[phone_validator]
    )
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="household",
    )

    history = field_history()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["building", "unit", "room"]
        constraints = [
            models.UniqueConstraint(
                fields=["building", "unit", "room"], name="household_unique_address"
            ),
            models.CheckConstraint(condition=models.Q(unit__gte=1), name="household_unit_min"),
        ]

    def __str__(self) -> str:
        return f"{self.building} {self.unit}-{self.room}"

    def clean(self) -> None:
        if self.building_id and self.unit is not None and self.unit < 1:
            # Said here, as the database's unit check would only name its constraint.
            raise ValidationError(
                {
                    "unit": _("Unit must be a whole number from 1 to %(units)s.")
                    % {"units": self.building.units}
                }
            )
        if self.building_id and self.unit and self.unit > self.building.units:
            raise ValidationError(
                {
                    "unit": ngettext(
                        "Building %(building)s has only %(units)d unit.",
                        "Building %(building)s has only %(units)d units.",
                        self.building.units,
                    )
                    % {"building": self.building.label, "units": self.building.units}
                }
            )


class Resident(Tracked):
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="residents"
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=60)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[phone_validator])
    birth_date = models.DateField(
        _("birth date"), null=True, blank=True, validators=[validate_birth_date]
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    care_level = models.PositiveSmallIntegerField(
        _("care level"),
        default=0,
        validators=[MaxValueValidator(6)],
        help_text=_("0 (independent) to 6 (fully dependent)."),
    )
    notes = models.TextField(_("notes"), blank=True)

    history = field_history()

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["household", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(care_level__lte=6), name="resident_care_level_range"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.birth_date and self.birth_date > timezone.localdate():
            raise ValidationError({"birth_date": _("The birth date is in the future.")})

    def age_on(self, day: datetime.date) -> int | None:
        if self.birth_date is None:
            return None
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - before_birthday

    @property
    def age(self) -> int | None:
        return self.age_on(timezone.localdate())

    @property
    def need_codes(self) -> list[str]:
        """The resident's tags; prefetch `needs` when listing many."""
        return sorted(n.need for n in self.needs.all())

    @property
    def is_vulnerable(self) -> bool:
        return any(code in VULNERABILITY_NEEDS for code in self.need_codes)


class ResidentNeed(models.Model):
    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="needs"
    )
    need = models.CharField(_("need"), max_length=30, choices=Need.choices)

    history = field_history()

    class Meta:
        verbose_name = _("special need")
        verbose_name_plural = _("special needs")
        constraints = [
            models.UniqueConstraint(fields=["resident", "need"], name="resident_need_unique"),
            models.CheckConstraint(
                condition=models.Q(need__in=Need.values), name="resident_need_valid"
            ),
        ]
        indexes = [models.Index(fields=["need"])]

    def __str__(self) -> str:
        return self.get_need_display()


class ClosureChange(models.Model):
    building = models.ForeignKey(
        Building,
        verbose_name=_("building"),
        on_delete=models.PROTECT,
        related_name="closure_changes",
    )
    from_level = models.CharField(_("level before"), max_length=20, choices=ClosureLevel.choices)
    to_level = models.CharField(_("level after"), max_length=20, choices=ClosureLevel.choices)
    reason = models.CharField(_("reason"), max_length=300)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("closure change")
        verbose_name_plural = _("closure changes")
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.building}: {self.get_from_level_display()} → {self.get_to_level_display()}"


class Role(models.TextChoices):
    STREET_STAFF = "street_staff", _("Street staff")
    COMMITTEE_STAFF = "committee_staff", _("Committee staff")
    VOLUNTEER = "volunteer", _("Volunteer")
    GROUP_LEADER = "group_leader", _("Group leader")


STAFF_ROLES = frozenset({Role.STREET_STAFF, Role.COMMITTEE_STAFF})


class Membership(models.Model):
    """A user's role and its scope: a street for street staff, a committee for the others.
    Residents have no membership: their scope is the household whose login they are."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    street = models.ForeignKey(
        Street,
        verbose_name=_("street"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
    )
    committee = models.ForeignKey(
        Committee,
        verbose_name=_("committee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = field_history()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(role="street_staff", street__isnull=False, committee__isnull=True)
                    | (
                        ~models.Q(role="street_staff")
                        & models.Q(street__isnull=True, committee__isnull=False)
                    )
                ),
                name="membership_scope_matches_role",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "street", "committee"], name="membership_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.street or self.committee}"


class LoginBatch(models.Model):
    """Logins created for many households at once by a background job (core.Job, its
    `subject` names this row), and their printable password file, handed out once.

    The passwords wait in `pending` only until the first download, which wipes them and
    records who took the file and when; only their hashes are kept after that."""

    committee = models.ForeignKey(
        Committee, verbose_name=_("committee"), on_delete=models.PROTECT, related_name="+"
    )
    households = models.JSONField(_("households"), default=list)
    job = models.OneToOneField(
        "core.Job",
        verbose_name=_("job"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    pending = models.JSONField(_("passwords not downloaded yet"), default=list, blank=True)
    created_count = models.PositiveIntegerField(_("logins created"), default=0)
    created_by = actor_field(_("started by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    downloaded_by = actor_field(_("downloaded by"))
    downloaded_at = models.DateTimeField(_("downloaded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("batch of household logins")
        verbose_name_plural = _("batches of household logins")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.committee} {self.created_at:%Y-%m-%d %H:%M}"
