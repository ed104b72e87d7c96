"""Medicine requests (代配药): a volunteer buys a resident's medicine at a hospital with their
insurance card, every step recorded; and the custody of cards and booklets while they travel."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import Event, Tracked
from deliveries.models import Delivery
from residents.models import Resident
from volunteers.models import Volunteer


class Urgency(models.TextChoices):
    RED = "red", _("Red: now")
    YELLOW = "yellow", _("Yellow: today")
    GREEN = "green", _("Green: tomorrow")


URGENCY_ORDER = {Urgency.RED: 0, Urgency.YELLOW: 1, Urgency.GREEN: 2}


class MedicineStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    TRIAGED = "triaged", _("Triaged")
    ASSIGNED = "assigned", _("Assigned")
    PURCHASING = "purchasing", _("Purchasing")
    SUBSTITUTE_PENDING = "substitute_pending", _("Substitute waiting for confirmation")
    PURCHASED = "purchased", _("Purchased")
    DELIVERED = "delivered", _("Delivered")
    CLOSED = "closed", pgettext_lazy("medicine request status", "Closed")
    UNAVAILABLE = "unavailable", _("Unavailable")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_FOR_RUNS = (MedicineStatus.TRIAGED, MedicineStatus.ASSIGNED)
FINISHED_STATUSES = (MedicineStatus.CLOSED, MedicineStatus.UNAVAILABLE, MedicineStatus.CANCELLED)


class MedicineRequest(Tracked):
    resident = models.ForeignKey(
        Resident,
        verbose_name=_("resident"),
        on_delete=models.PROTECT,
        related_name="medicine_requests",
    )
    hospital = models.CharField(_("hospital or pharmacy"), max_length=100)
    urgency = models.CharField(_("urgency"), max_length=8, choices=Urgency.choices)
    chronic = models.BooleanField(_("chronic prescription"), default=False)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=MedicineStatus.choices,
        default=MedicineStatus.SUBMITTED,
    )
    volunteer = models.ForeignKey(
        Volunteer,
        verbose_name=_("volunteer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="medicine_requests",
    )
    substitute_confirmed = models.BooleanField(_("substitute confirmed"), default=False)
    cost = models.DecimalField(_("cost"), max_digits=8, decimal_places=2, null=True, blank=True)
    receipt = models.CharField(_("receipt"), max_length=200, blank=True)
    delivery = models.OneToOneField(
        Delivery,
        verbose_name=_("delivery"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="medicine_request",
    )

    class Meta:
        verbose_name = _("medicine request")
        verbose_name_plural = _("medicine requests")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "urgency"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(cost__isnull=True) | Q(cost__gte=0), name="medicine_cost_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resident} · {self.hospital}"


class MedicineItem(models.Model):
    request = models.ForeignKey(
        MedicineRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="items"
    )
    medicine = models.CharField(_("medicine"), max_length=100)
    strength = models.CharField(_("strength"), max_length=50, blank=True)
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)
    notes = models.CharField(_("notes"), max_length=200, blank=True)
    substitute = models.CharField(_("substitute"), max_length=150, blank=True)
    substitute_note = models.CharField(_("about the substitute"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("medicine item")
        verbose_name_plural = _("medicine items")
        ordering = ["request", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="medicine_item_quantity")
        ]

    def __str__(self) -> str:
        return f"{self.medicine} {self.strength} × {self.quantity}".replace("  ", " ")


class MedicineEvent(Event):
    request = models.ForeignKey(
        MedicineRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(
        _("status before"), max_length=20, choices=MedicineStatus.choices, blank=True
    )
    to_status = models.CharField(_("status after"), max_length=20, choices=MedicineStatus.choices)

    class Meta(Event.Meta):
        verbose_name = _("medicine request event")
        verbose_name_plural = _("medicine request events")

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


class CustodyItem(models.TextChoices):
    CARD = "card", _("Insurance card")
    BOOKLET = "booklet", _("Medical booklet")


class Holder(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    VOLUNTEER = "volunteer", _("Volunteer")
    HOSPITAL = "hospital", _("Hospital")


class CustodyEvent(models.Model):
    """A card or booklet changing hands; the latest event of a request's item says who holds it."""

    request = models.ForeignKey(
        MedicineRequest,
        verbose_name=_("request"),
        on_delete=models.PROTECT,
        related_name="custody_events",
    )
    item = models.CharField(_("item"), max_length=10, choices=CustodyItem.choices)
    from_holder = models.CharField(
        pgettext_lazy("custody", "from"), max_length=10, choices=Holder.choices
    )
    to_holder = models.CharField(
        pgettext_lazy("custody", "to"), max_length=10, choices=Holder.choices
    )
    from_volunteer = models.ForeignKey(
        Volunteer,
        verbose_name=_("from volunteer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    to_volunteer = models.ForeignKey(
        Volunteer,
        verbose_name=_("to volunteer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("custody event")
        verbose_name_plural = _("custody events")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["request", "item", "at"])]

    def __str__(self) -> str:
        return f"{self.get_item_display()}: {self.from_holder} → {self.to_holder}"


# Medical transport (就医转运) ---------------------------------------------------------------


class TransportKind(models.TextChoices):
    DIALYSIS = "dialysis", pgettext_lazy("purpose of a trip", "Dialysis")
    CHEMOTHERAPY = "chemotherapy", pgettext_lazy("purpose of a trip", "Chemotherapy")
    PRENATAL = "prenatal", _("Prenatal check")
    BIRTH = "birth", _("Birth")
    OTHER_URGENT = "other_urgent", _("Other urgent care")


class TransportStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    CONFIRMED = "confirmed", _("Confirmed")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class MedicalTransport(Tracked):
    """A closed-loop trip to a hospital and back; the gate lets it out on its exit pass code."""

    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.PROTECT, related_name="transports"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TransportKind.choices)
    hospital = models.CharField(_("hospital"), max_length=100)
    appointment_at = models.DateTimeField(_("appointment at"))
    recurrence = models.CharField(
        _("recurrence"),
        max_length=100,
        blank=True,
        help_text=_("For example Mon, Wed, Fri for dialysis."),
    )
    escort = models.ForeignKey(
        Volunteer,
        verbose_name=_("escort"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transports",
    )
    vehicle = models.CharField(_("vehicle"), max_length=60, blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=TransportStatus.choices,
        default=TransportStatus.REQUESTED,
    )
    code = models.CharField(_("exit pass code"), max_length=12, unique=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("medical transport")
        verbose_name_plural = _("medical transports")
        ordering = ["appointment_at", "pk"]

    def __str__(self) -> str:
        return f"{self.resident} · {self.get_kind_display()} · {self.hospital}"


class TransportEvent(Event):
    transport = models.ForeignKey(
        MedicalTransport,
        verbose_name=_("transport"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    from_status = models.CharField(
        _("status before"), max_length=12, choices=TransportStatus.choices, blank=True
    )
    to_status = models.CharField(_("status after"), max_length=12, choices=TransportStatus.choices)

    class Meta(Event.Meta):
        verbose_name = _("transport event")
        verbose_name_plural = _("transport events")

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


# Vulnerable register ---------------------------------------------------------------------


class CheckInKind(models.TextChoices):
    CALL = "call", _("Phone call")
    VISIT = "visit", _("Visit")


class CheckIn(models.Model):
    """Someone of the committee called or visited a resident."""

    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.PROTECT, related_name="check_ins"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=CheckInKind.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["resident", "at"])]

    def __str__(self) -> str:
        return f"{self.resident} · {self.get_kind_display()}"
