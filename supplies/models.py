"""Supply rounds: free allocations and group buys, their offers, and households' orders."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.history import field_history
from core.models import Event, Tracked, actor_field
from residents.models import Committee, Compound, Household, Street


class Supplier(Tracked):
    street = models.ForeignKey(
        Street, verbose_name=_("street"), on_delete=models.PROTECT, related_name="suppliers"
    )
    name = models.CharField(_("name"), max_length=100)
    licence_number = models.CharField(_("licence number"), max_length=50)
    licence_checked_at = models.DateTimeField(_("licence checked at"), null=True, blank=True)
    licence_checked_by = actor_field(_("licence checked by"))
    contact_name = models.CharField(_("contact"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)

    history = field_history()

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["street", "name"], name="supplier_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def licence_checked(self) -> bool:
        return self.licence_checked_at is not None


class Category(models.TextChoices):
    VEGETABLE = "vegetable", _("Vegetables")
    MEAT_AND_EGGS = "meat_eggs", _("Meat and eggs")
    MILK = "milk", _("Milk")
    STAPLES = "staples", _("Staples")
    BABY = "baby", _("Baby products")
    HOUSEHOLD_GOODS = "household_goods", _("Household goods (no medicine)")
    OTHER = "other", _("Other")


ESSENTIAL_CATEGORIES = frozenset(
    {
        Category.VEGETABLE,
        Category.MEAT_AND_EGGS,
        Category.MILK,
        Category.STAPLES,
        Category.BABY,
        Category.HOUSEHOLD_GOODS,
    }
)


class PackageType(Tracked):
    supplier = models.ForeignKey(
        Supplier, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="packages"
    )
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    contents = models.TextField(_("contents"), blank=True)
    unit_price = models.DecimalField(_("unit price"), max_digits=8, decimal_places=2, default=0)
    essential = models.BooleanField(_("essential"), default=True)

    history = field_history()

    class Meta:
        verbose_name = _("package type")
        verbose_name_plural = _("package types")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="package_price_min")
        ]

    def __str__(self) -> str:
        return self.name


class RoundKind(models.TextChoices):
    ALLOCATION = "allocation", _("Government allocation")
    GROUP_BUY = "group_buy", _("Group buy")


class RoundStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class AllocationRule(models.TextChoices):
    PER_HOUSEHOLD = "per_household", _("Same quantity per household")
    PER_PERSON = "per_person", _("Quantity per person in the household")


class SupplyRound(Tracked):
    committee = models.ForeignKey(
        Committee, verbose_name=_("committee"), on_delete=models.PROTECT, related_name="rounds"
    )
    title = models.CharField(_("title"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=RoundKind.choices)
    compounds = models.ManyToManyField(Compound, verbose_name=_("compounds"), related_name="rounds")
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"))
    status = models.CharField(
        _("status"), max_length=20, choices=RoundStatus.choices, default=RoundStatus.DRAFT
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("group leader"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_rounds",
    )
    allocation_rule = models.CharField(
        _("allocation rule"),
        max_length=20,
        choices=AllocationRule.choices,
        default=AllocationRule.PER_HOUSEHOLD,
    )
    rejection_reason = models.CharField(_("rejection reason"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("supply round")
        verbose_name_plural = _("supply rounds")
        ordering = ["-closes_at", "-pk"]
        indexes = [models.Index(fields=["status", "closes_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN and timezone.now() < self.closes_at


class RoundEvent(Event):
    """Every status change of a round, with who and when."""

    round = models.ForeignKey(
        SupplyRound, verbose_name=_("round"), on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(_("status before"), max_length=20, choices=RoundStatus.choices)
    to_status = models.CharField(_("status after"), max_length=20, choices=RoundStatus.choices)

    class Meta(Event.Meta):
        verbose_name = _("round event")
        verbose_name_plural = _("round events")

    def __str__(self) -> str:
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


class Offer(models.Model):
    round = models.ForeignKey(
        SupplyRound, verbose_name=_("round"), on_delete=models.PROTECT, related_name="offers"
    )
    package_type = models.ForeignKey(
        PackageType, verbose_name=_("package type"), on_delete=models.PROTECT, related_name="+"
    )
    stock = models.PositiveIntegerField(
        _("stock left"), help_text=_("Packs still available; orders take from it.")
    )
    limit_per_household = models.PositiveSmallIntegerField(_("limit per household"), default=1)
    limit_per_person = models.PositiveSmallIntegerField(
        _("limit per person"), null=True, blank=True
    )
    allocation_quantity = models.PositiveSmallIntegerField(
        _("allocated quantity"),
        default=1,
        help_text=_("Allocation rounds: packs per household, or per person by the round's rule."),
    )

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["round", "pk"]
        constraints = [
            # The last guard against overselling: the database refuses a negative stock.
            models.CheckConstraint(condition=Q(stock__gte=0), name="offer_stock_not_negative"),
            models.UniqueConstraint(fields=["round", "package_type"], name="offer_unique_package"),
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.package_type}"


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("Placed")
    CANCELLED = "cancelled", _("Cancelled")


class PaymentStatus(models.TextChoices):
    UNPAID = "unpaid", _("Unpaid")
    PAID = "paid", _("Paid")
    WAIVED = "waived", _("Waived for hardship")


class Channel(models.TextChoices):
    RESIDENT = "resident", _("Resident, on their phone")
    HOTLINE = "hotline", _("Staff on the hotline")
    LEADER = "leader", _("Group leader")
    ALLOCATION = "allocation", _("Allocated automatically")
    API = "api", _("API")


class Order(Tracked):
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="orders"
    )
    round = models.ForeignKey(
        SupplyRound, verbose_name=_("round"), on_delete=models.PROTECT, related_name="orders"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.PLACED
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    pickup_code = models.CharField(_("pickup code"), max_length=12, unique=True)
    payment_status = models.CharField(
        _("payment"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID
    )
    payment_method = models.CharField(_("payment method"), max_length=40, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=80, blank=True)
    payment_recorded_by = actor_field(_("payment recorded by"))
    payment_recorded_at = models.DateTimeField(_("payment recorded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One order per household per round, whatever happens to it later.
            models.UniqueConstraint(fields=["household", "round"], name="order_one_per_household")
        ]

    def __str__(self) -> str:
        return f"{self.pickup_code} · {self.household}"

    @property
    def total(self) -> Decimal:
        """The price of the order's lines; prefetch `lines` when listing many."""
        return sum((line.total for line in self.lines.all()), Decimal("0"))


class OrderLine(models.Model):
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines"
    )
    offer = models.ForeignKey(
        Offer, verbose_name=_("offer"), on_delete=models.PROTECT, related_name="lines"
    )
    quantity = models.PositiveSmallIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), max_digits=8, decimal_places=2)

    history = field_history()

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "offer"]
        constraints = [
            models.UniqueConstraint(fields=["order", "offer"], name="order_line_unique_offer"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity_min"),
        ]

    def __str__(self) -> str:
        return f"{self.offer.package_type} × {self.quantity}"

    @property
    def total(self):
        return self.quantity * self.unit_price


class OrderEvent(Event):
    """Every change of an order (placed, edited, cancelled, payment), with who and when."""

    class Kind(models.TextChoices):
        PLACED = "placed", _("Placed")
        EDITED = "edited", _("Edited")
        CANCELLED = "cancelled", _("Cancelled")
        PAYMENT = "payment", _("Payment recorded")

    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)

    class Meta(Event.Meta):
        verbose_name = _("order event")
        verbose_name_plural = _("order events")

    def __str__(self) -> str:
        return self.get_kind_display()
