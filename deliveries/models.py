"""The last hundred metres: collection points, the plan of a round, pickup slots, deliveries."""

import datetime

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.history import field_history
from core.models import Event, Tracked, actor_field
from residents.models import Building, ClosureChange, Compound, Household
from supplies.models import Order, SupplyRound
from volunteers.models import Volunteer


class Fulfilment(models.TextChoices):
    DOOR = "door", _("Door delivery")
    UNIT_ENTRANCE = "unit_entrance", _("Drop at the unit entrance")
    PICKUP = "pickup", _("Staggered pickup at the gate")


DELIVERED_FULFILMENTS = (Fulfilment.DOOR, Fulfilment.UNIT_ENTRANCE)


class FulfilmentReason(models.TextChoices):
    SEALED = "sealed", _("The building is sealed")
    VULNERABLE = "vulnerable", _("A vulnerable resident lives here")
    CONTROLLED = "controlled", _("The building is controlled")
    PRECAUTION = "precaution", _("The building is in precaution")
    MISSED_PICKUP = "missed_pickup", _("The household missed its pickup")


class ControlledPolicy(models.TextChoices):
    """How a compound serves its controlled (管控) buildings."""

    PICKUP = "pickup", _("Staggered pickup at the gate")
    UNIT_ENTRANCE = "unit_entrance", _("Drop at the unit entrance")


class CompoundPolicy(Tracked):
    compound = models.OneToOneField(
        Compound, verbose_name=_("compound"), on_delete=models.PROTECT, related_name="policy"
    )
    controlled_fulfilment = models.CharField(
        _("controlled buildings"),
        max_length=20,
        choices=ControlledPolicy.choices,
        default=ControlledPolicy.PICKUP,
    )

    history = field_history()

    class Meta:
        verbose_name = _("compound policy")
        verbose_name_plural = _("compound policies")

    def __str__(self) -> str:
        return f"{self.compound}: {self.get_controlled_fulfilment_display()}"


class CollectionPoint(Tracked):
    """A place at a gate where trucks drop packs and residents come down for them."""

    compound = models.ForeignKey(
        Compound,
        verbose_name=_("compound"),
        on_delete=models.PROTECT,
        related_name="collection_points",
    )
    name = models.CharField(_("name"), max_length=60, help_text=_("For example North gate."))
    position_x = models.FloatField(_("position x (m)"), default=0)
    position_y = models.FloatField(_("position y (m)"), default=0)
    capacity = models.PositiveIntegerField(
        _("capacity (packs)"), help_text=_("The most packs the point can hold for one round.")
    )
    crowd_cap = models.PositiveSmallIntegerField(
        _("crowd cap (people)"), help_text=_("The most people called down in one slot.")
    )
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=15)
    active = models.BooleanField(
        _("in use"), default=True, help_text=_("A point out of use gets no packs in new plans.")
    )

    history = field_history()

    class Meta:
        verbose_name = _("collection point")
        verbose_name_plural = _("collection points")
        ordering = ["compound", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "name"],
                name="point_unique_name",
                violation_error_message=_("The compound already has a point of this name."),
            ),
            models.CheckConstraint(
                condition=Q(crowd_cap__gte=1),
                name="point_crowd_cap_min",
                violation_error_message=_("The crowd cap must be at least one person."),
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=1),
                name="point_slot_min",
                violation_error_message=_("A slot must last at least one minute."),
            ),
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")),
                name="point_hours",
                violation_error_message=_("The point must close after it opens."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.compound} · {self.name}"


class RoundPlan(models.Model):
    """The plan of a closed round: when it was made and what it could not place."""

    round = models.OneToOneField(
        SupplyRound, verbose_name=_("round"), on_delete=models.PROTECT, related_name="plan"
    )
    pickup_date = models.DateField(_("pickup day"))
    allocated_at = models.DateTimeField(_("allocated at"), null=True, blank=True)
    scheduled_at = models.DateTimeField(_("scheduled at"), null=True, blank=True)
    allocation = models.JSONField(_("allocation summary"), default=dict, blank=True)
    schedule = models.JSONField(_("schedule summary"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("round plan")
        verbose_name_plural = _("round plans")

    def __str__(self) -> str:
        return str(self.round)


class PickupSlot(models.Model):
    """A time window in which named units come down to a point (错峰领取时段)."""

    round = models.ForeignKey(
        SupplyRound, verbose_name=_("round"), on_delete=models.PROTECT, related_name="slots"
    )
    point = models.ForeignKey(
        CollectionPoint, verbose_name=_("point"), on_delete=models.PROTECT, related_name="slots"
    )
    index = models.PositiveSmallIntegerField(_("number"))
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))

    class Meta:
        verbose_name = _("pickup slot")
        verbose_name_plural = _("pickup slots")
        ordering = ["point", "index"]
        constraints = [
            models.UniqueConstraint(fields=["round", "point", "index"], name="slot_unique_index")
        ]

    def __str__(self) -> str:
        return f"{self.point.name} #{self.index + 1}"


# How long before and after its slot a household may still collect at the gate; after that
# its pickup counts as not collected.
SLOT_GRACE = datetime.timedelta(minutes=15)


class Unplaced(models.TextChoices):
    NO_CAPACITY = "no_capacity", _("No collection point has room")
    WINDOW_TOO_SHORT = "window_too_short", _("The pickup window is too short")


class OrderPlan(models.Model):
    """How one order reaches its household: which point, how, and when it is called down."""

    order = models.OneToOneField(
        Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="plan"
    )
    round = models.ForeignKey(
        SupplyRound, verbose_name=_("round"), on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="+"
    )
    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.PROTECT, related_name="+"
    )
    packs = models.PositiveIntegerField(_("packs"))
    fulfilment = models.CharField(_("fulfilment"), max_length=20, choices=Fulfilment.choices)
    reason = models.CharField(_("why"), max_length=20, choices=FulfilmentReason.choices)
    point = models.ForeignKey(
        CollectionPoint,
        verbose_name=_("point"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="order_plans",
    )
    slot = models.ForeignKey(
        PickupSlot,
        verbose_name=_("slot"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="order_plans",
    )
    unplaced = models.CharField(
        _("not placed"), max_length=20, choices=Unplaced.choices, blank=True
    )
    delivery = models.OneToOneField(
        "Delivery",
        verbose_name=_("delivery"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="order_plan",
    )
    notified = models.CharField(
        _("last told"),
        max_length=60,
        blank=True,
        help_text=_("What the household was last told about this plan (a notice key)."),
    )
    times_told = models.PositiveSmallIntegerField(_("times told"), default=0)
    handed_over_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    handed_over_by = actor_field(_("handed over by"))
    late_reason = models.CharField(
        _("why handed over late"),
        max_length=300,
        blank=True,
        help_text=_("Set when staff handed the packs over outside the household's slot."),
    )
    uncollected_told_at = models.DateTimeField(
        _("told uncollected at"),
        null=True,
        blank=True,
        help_text=_("When the household was told its packs were not collected and what is next."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("order plan")
        verbose_name_plural = _("order plans")
        ordering = ["round", "building", "household"]
        indexes = [
            models.Index(fields=["round", "point"]),
            models.Index(fields=["building", "handed_over_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.order} · {self.get_fulfilment_display()}"


class PickupEventKind(models.TextChoices):
    LATE_HANDOVER = "late_handover", _("Handed over late")
    MOVED = "moved", _("Moved to a later slot")
    TO_DOOR = "to_door", _("Turned into a door delivery")
    TOLD_UNCOLLECTED = "told_uncollected", _("Told the packs were not collected")


class PickupEvent(Event):
    """What staff did about a pickup that was not collected in its slot: who, when, why."""

    plan = models.ForeignKey(
        OrderPlan, verbose_name=_("order plan"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=PickupEventKind.choices)
    from_slot = models.ForeignKey(
        PickupSlot,
        verbose_name=_("from slot"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    to_slot = models.ForeignKey(
        PickupSlot,
        verbose_name=_("to slot"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta(Event.Meta):
        verbose_name = _("pickup event")
        verbose_name_plural = _("pickup events")
        indexes = [models.Index(fields=["plan", "kind"])]

    def __str__(self) -> str:
        return f"{self.plan_id} · {self.get_kind_display()}"


class DeliveryKind(models.TextChoices):
    SUPPLY_ORDER = "supply_order", _("Supply order")
    MEDICINE = "medicine", _("Medicine")
    MEAL = "meal", _("Meal")
    PARCEL = "parcel", _("Parcel")


class DeliveryStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_DELIVERY_STATUSES = (DeliveryStatus.PLANNED, DeliveryStatus.FAILED)


class DeliveryFailure(models.TextChoices):
    NOT_HOME = "not_home", _("Nobody at home")
    PROBLEM = "problem", _("A problem")


class Delivery(Tracked):
    """Carrying something to a door or a unit entrance: what a volunteer needs to see.

    `key` names what asked for it ("supply_order:12"), so that a plan made twice asks once."""

    key = models.CharField(_("key"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=DeliveryKind.choices)
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="deliveries"
    )
    destination = models.CharField(
        _("to"),
        max_length=20,
        choices=[(value, label) for value, label in Fulfilment.choices if value != "pickup"],
    )
    from_point = models.ForeignKey(
        CollectionPoint,
        verbose_name=_("from point"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    items = models.TextField(_("items"))
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PLANNED
    )
    volunteer = models.ForeignKey(
        Volunteer,
        verbose_name=_("volunteer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    assigned_by = actor_field(_("assigned by"))
    done_at = models.DateTimeField(
        _("done at"),
        null=True,
        blank=True,
        help_text=_("When the volunteer tapped delivered or failed, not when it reached us."),
    )
    failure = models.CharField(
        _("why it failed"), max_length=12, choices=DeliveryFailure.choices, blank=True
    )
    failure_note = models.CharField(_("what went wrong"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["household__building", "household__unit", "household__room", "pk"]
        indexes = [
            models.Index(fields=["status", "kind"]),
            models.Index(fields=["volunteer", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.household}"


class DeliveryEvent(Event):
    delivery = models.ForeignKey(
        Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(
        _("status before"), max_length=12, choices=DeliveryStatus.choices, blank=True
    )
    to_status = models.CharField(_("status after"), max_length=12, choices=DeliveryStatus.choices)

    class Meta(Event.Meta):
        verbose_name = _("delivery event")
        verbose_name_plural = _("delivery events")

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


class Replan(models.Model):
    """What a closure level change did to the open plans of a building, for staff to read."""

    round = models.ForeignKey(
        SupplyRound, verbose_name=_("round"), on_delete=models.PROTECT, related_name="replans"
    )
    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.PROTECT, related_name="+"
    )
    change = models.ForeignKey(
        ClosureChange, verbose_name=_("closure change"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    to_delivery = models.PositiveIntegerField(_("pickups turned into deliveries"), default=0)
    to_pickup = models.PositiveIntegerField(_("deliveries turned into pickups"), default=0)
    slots_freed = models.PositiveIntegerField(_("slot places freed"), default=0)
    unplaced = models.PositiveIntegerField(_("households without a slot"), default=0)

    class Meta:
        verbose_name = _("re-plan")
        verbose_name_plural = _("re-plans")
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["round", "change"], name="replan_once_per_change")
        ]

    def __str__(self) -> str:
        return f"{self.building} · {self.change}"


# The meals rule's care levels (see deliveries.services.meals): reduced mobility, and enough alone.
REDUCED_MOBILITY_CARE_LEVEL = 3
CARE_LEVEL_ON_ITS_OWN = 5


class MealBasis(models.TextChoices):
    AGED_80_REDUCED_MOBILITY = "aged_80_reduced_mobility", _("80 and over with reduced mobility")
    CARE_LEVEL = "care_level", _("Care level 5 or more")
    APPLICATION = "application", _("Application")


class MealStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


# An enrolment that still counts: a resident has at most one of these at a time.
OPEN_MEAL_STATUSES = (MealStatus.APPLIED, MealStatus.APPROVED, MealStatus.ACTIVE)
# An enrolment that gets meals (on the days it covers).
SERVED_MEAL_STATUSES = (MealStatus.APPROVED, MealStatus.ACTIVE)


class MealEnrolment(Tracked):
    """A resident's enrolment in meals for the elderly (老人助餐): lunch, dinner or both
    carried to the door every day from `starts_on` until `ends_on` (or until ended)."""

    resident = models.ForeignKey(
        "residents.Resident",
        verbose_name=_("resident"),
        on_delete=models.PROTECT,
        related_name="meal_enrolments",
    )
    basis = models.CharField(_("basis"), max_length=30, choices=MealBasis.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=MealStatus.choices, default=MealStatus.APPLIED
    )
    lunch = models.BooleanField(_("lunch"), default=True)
    dinner = models.BooleanField(_("dinner"), default=False)
    dietary_notes = models.CharField(
        _("dietary notes"), max_length=200, blank=True, help_text=_("For example soft food.")
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    decided_by = actor_field(_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("meal enrolment")
        verbose_name_plural = _("meal enrolments")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(status__in=["applied", "approved", "active"]),
                name="meal_one_open_enrolment",
                violation_error_message=_("The resident already has an open meal enrolment."),
            ),
            models.CheckConstraint(
                condition=Q(lunch=True) | Q(dinner=True),
                name="meal_at_least_one",
                violation_error_message=_("Choose lunch, dinner or both."),
            ),
        ]
        indexes = [models.Index(fields=["status", "starts_on"])]

    def __str__(self) -> str:
        return f"{self.resident} · {self.get_status_display()}"

    def covers(self, day) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class MealEnrolmentEvent(Event):
    enrolment = models.ForeignKey(
        MealEnrolment,
        verbose_name=_("meal enrolment"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    from_status = models.CharField(
        _("status before"), max_length=12, choices=MealStatus.choices, blank=True
    )
    to_status = models.CharField(_("status after"), max_length=12, choices=MealStatus.choices)

    class Meta(Event.Meta):
        verbose_name = _("meal enrolment event")
        verbose_name_plural = _("meal enrolment events")

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"
