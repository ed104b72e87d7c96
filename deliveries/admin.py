"""Admin of collection points and compound policies for staff; the plan, read-only.

Points and policies are saved through their services; the plan's rows (round plans, order
plans, slots, deliveries, re-plans) are written only by the planning jobs and are read here."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import FieldHistoryAdmin, RefusalsAsMessages
from core.phones import PhoneSearchAdminMixin
from deliveries import selectors
from deliveries.forms import CollectionPointAdminForm
from deliveries.models import (
    CollectionPoint,
    CompoundPolicy,
    Delivery,
    DeliveryEvent,
    MealEnrolment,
    MealEnrolmentEvent,
    OrderPlan,
    PickupEvent,
    PickupSlot,
    Replan,
    RoundPlan,
)
from deliveries.services.points import POINT_FIELDS, point_create, point_update, policy_set
from residents.scope import ReadOnlyInline, StaffScopedAdmin
from residents.selectors import compounds_staffed_by
from supplies.selectors import rounds_managed_by


@admin.register(CollectionPoint)
class CollectionPointAdmin(FieldHistoryAdmin, RefusalsAsMessages, StaffScopedAdmin):
    form = CollectionPointAdminForm
    list_display = [
        "name",
        "compound",
        "capacity",
        "crowd_cap",
        "opens_at",
        "closes_at",
        "slot_minutes",
        "active",
    ]
    list_filter = [("compound", admin.RelatedOnlyFieldListFilter), "active"]
    list_select_related = ["compound"]
    search_fields = ["name", "compound__name"]
    fields = ["compound", *POINT_FIELDS]

    def scoped(self, request):
        return selectors.points_visible_to(request.user)

    def get_readonly_fields(self, request, obj=None):
        # A point stays in its compound: its plans and deliveries point at it.
        return ["compound"] if obj else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "compound":
            kwargs["queryset"] = compounds_staffed_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in POINT_FIELDS}
        if change:
            point_update(point=self.scoped(request).get(pk=obj.pk), by=request.user, **fields)
        else:
            compound = form.cleaned_data["compound"]
            obj.pk = point_create(compound=compound, by=request.user, **fields).pk


@admin.register(CompoundPolicy)
class CompoundPolicyAdmin(FieldHistoryAdmin, RefusalsAsMessages, StaffScopedAdmin):
    list_display = ["compound", "controlled_fulfilment", "updated_at", "updated_by"]
    list_select_related = ["compound", "updated_by"]
    fields = ["compound", "controlled_fulfilment"]

    def scoped(self, request):
        return selectors.policies_visible_to(request.user)

    def get_readonly_fields(self, request, obj=None):
        return ["compound"] if obj else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "compound":
            kwargs["queryset"] = compounds_staffed_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        compound = obj.compound if change else form.cleaned_data["compound"]
        policy = policy_set(
            compound=compound,
            controlled_fulfilment=form.cleaned_data["controlled_fulfilment"],
            by=request.user,
        )
        obj.pk = policy.pk


class ReadOnlyAdmin(StaffScopedAdmin):
    """Written by the planning jobs only: staff and superusers read."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _of_managed_rounds(request, model):
    return model.objects.filter(round__in=rounds_managed_by(request.user).values("pk"))


@admin.register(RoundPlan)
class RoundPlanAdmin(ReadOnlyAdmin):
    list_display = ["round", "pickup_date", "allocated_at", "scheduled_at"]
    list_select_related = ["round"]
    search_fields = ["round__title"]
    date_hierarchy = "pickup_date"

    def scoped(self, request):
        return _of_managed_rounds(request, RoundPlan)


class PickupEventInline(ReadOnlyInline):
    model = PickupEvent
    fields = ["at", "kind", "from_slot", "to_slot", "actor", "note"]
    readonly_fields = fields
    verbose_name_plural = _("history")


@admin.register(OrderPlan)
class OrderPlanAdmin(PhoneSearchAdminMixin, ReadOnlyAdmin):
    inlines = [PickupEventInline]
    list_display = [
        "pickup_code",
        "household",
        "round",
        "fulfilment",
        "reason",
        "point",
        "slot",
        "unplaced",
        "handed_over_at",
        "late_reason",
    ]
    list_filter = [
        ("round", admin.RelatedOnlyFieldListFilter),
        ("point", admin.RelatedOnlyFieldListFilter),
        "fulfilment",
        "reason",
        "unplaced",
    ]
    list_select_related = [
        "order",
        "round",
        "household__building__compound",
        "point__compound",
        "slot__point",
    ]
    search_fields = ["order__pickup_code", "household__room", "household__contact_phone"]
    raw_id_fields = ["order", "household", "building", "delivery"]

    def scoped(self, request):
        return _of_managed_rounds(request, OrderPlan)

    @admin.display(description=_("pickup code"), ordering="order__pickup_code")
    def pickup_code(self, plan):
        return plan.order.pickup_code


@admin.register(PickupSlot)
class PickupSlotAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "round", "point", "start", "end"]
    list_filter = [
        ("round", admin.RelatedOnlyFieldListFilter),
        ("point", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["round", "point__compound"]

    def scoped(self, request):
        return _of_managed_rounds(request, PickupSlot)


class DeliveryEventInline(ReadOnlyInline):
    model = DeliveryEvent
    fields = ["at", "from_status", "to_status", "actor", "note"]
    readonly_fields = fields
    verbose_name_plural = _("history")


@admin.register(Delivery)
class DeliveryAdmin(PhoneSearchAdminMixin, ReadOnlyAdmin):
    list_display = [
        "household",
        "kind",
        "destination",
        "from_point",
        "status",
        "volunteer",
        "done_at",
        "items",
    ]
    list_filter = [
        "kind",
        "destination",
        "status",
        "failure",
        ("from_point", admin.RelatedOnlyFieldListFilter),
        ("volunteer", admin.RelatedOnlyFieldListFilter),
        "household__building__closure_level",
    ]
    list_select_related = ["household__building__compound", "from_point__compound", "volunteer"]
    search_fields = ["key", "household__room", "household__contact_phone", "items"]
    raw_id_fields = ["household"]
    inlines = [DeliveryEventInline]

    def scoped(self, request):
        return selectors.deliveries_staffed_by(request.user)


@admin.register(Replan)
class ReplanAdmin(ReadOnlyAdmin):
    list_display = [
        "at",
        "round",
        "building",
        "to_delivery",
        "to_pickup",
        "slots_freed",
        "unplaced",
    ]
    list_filter = [("round", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["round", "building__compound"]
    date_hierarchy = "at"

    def scoped(self, request):
        return _of_managed_rounds(request, Replan)


class MealEnrolmentEventInline(ReadOnlyInline):
    model = MealEnrolmentEvent
    fields = ["at", "actor", "from_status", "to_status", "note"]
    readonly_fields = fields
    extra = 0


@admin.register(MealEnrolment)
class MealEnrolmentAdmin(StaffScopedAdmin):
    """Read-only: enrolments change only through the meals services (the staff page, API)."""

    list_display = ["resident", "status", "basis", "lunch", "dinner", "starts_on", "ends_on"]
    list_filter = ["status", "basis"]
    search_fields = ["resident__name"]
    inlines = [MealEnrolmentEventInline]
    readonly_fields = [
        "resident",
        "basis",
        "status",
        "lunch",
        "dinner",
        "dietary_notes",
        "starts_on",
        "ends_on",
        "decided_by",
        "decided_at",
        "reason",
    ]
    fields = readonly_fields

    def scoped(self, request):
        return selectors.meal_enrolments_visible_to(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
