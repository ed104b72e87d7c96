"""Admin of suppliers, rounds and orders for staff, scoped like the register's admin.

A round's status changes only through the actions, which call the round services; orders are
placed through the pages and the API and are read-only here."""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import FieldHistoryAdmin, RefusalsAsMessages
from core.exceptions import ApplicationError
from core.phones import PhoneSearchAdminMixin
from core.spreadsheets import file_response
from residents.models import Role
from residents.scope import (
    BuildingListFilter,
    ReadOnlyForStaff,
    ReadOnlyInline,
    StaffInline,
    StaffScopedAdmin,
    is_staff_member,
)
from residents.selectors import committees_staffed_by, compounds_staffed_by
from supplies import selectors
from supplies.exports import (
    round_export_by_building,
    round_export_by_household,
    round_export_reconciliation,
)
from supplies.models import (
    Offer,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PackageType,
    RoundEvent,
    RoundStatus,
    Supplier,
    SupplyRound,
)
from supplies.services.rounds import (
    round_approve,
    round_cancel,
    round_close,
    round_open,
    round_reject,
)
from supplies.services.suppliers import (
    PACKAGE_TYPE_FIELDS,
    SUPPLIER_FIELDS,
    package_type_create,
    package_type_update,
    supplier_check_licence,
    supplier_create,
    supplier_update,
)

# Offers and the round's terms may change until staff approve it; after that only its closing time.
EDITABLE_STATUSES = (RoundStatus.DRAFT, RoundStatus.PROPOSED)
FINISHED_STATUSES = (RoundStatus.CLOSED, RoundStatus.CANCELLED)

EXPORTS = {
    "by-building": round_export_by_building,
    "by-household": round_export_by_household,
    "reconciliation": round_export_reconciliation,
}


class LicenceCheckedFilter(admin.SimpleListFilter):
    title = _("licence checked")
    parameter_name = "licence_checked"

    def lookups(self, request, model_admin):
        return [("1", _("Yes")), ("0", _("No"))]

    def queryset(self, request, queryset):
        if self.value() not in ("0", "1"):
            return queryset
        return queryset.filter(licence_checked_at__isnull=self.value() == "0")


@admin.register(Supplier)
class SupplierAdmin(FieldHistoryAdmin, PhoneSearchAdminMixin, RefusalsAsMessages, StaffScopedAdmin):
    list_display = [
        "name",
        "licence_number",
        "licence_checked",
        "licence_checked_at",
        "licence_checked_by",
        "contact_name",
        "contact_phone",
    ]
    list_filter = [LicenceCheckedFilter]
    list_select_related = ["licence_checked_by"]
    search_fields = ["name", "licence_number", "contact_name", "contact_phone"]
    fields = [
        "street",
        "name",
        "licence_number",
        "licence_checked_at",
        "licence_checked_by",
        "contact_name",
        "contact_phone",
    ]
    actions = ["mark_licence_checked"]

    def scoped(self, request):
        return selectors.suppliers_managed_by(request.user)

    def get_readonly_fields(self, request, obj=None):
        # The licence is marked checked by the action, which records who checked it.
        readonly = ["licence_checked_at", "licence_checked_by"]
        return ["street", *readonly] if obj else readonly

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "street":
            kwargs["queryset"] = selectors.streets_for_suppliers(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("licence checked"), boolean=True)
    def licence_checked(self, supplier):
        return supplier.licence_checked

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in SUPPLIER_FIELDS}
        if change:
            # The stored supplier, not the form's edited copy: a new licence number unchecks it.
            supplier_update(supplier=self.scoped(request).get(pk=obj.pk), by=request.user, **fields)
        else:
            street = form.cleaned_data["street"]
            obj.pk = supplier_create(street=street, by=request.user, **fields).pk

    @admin.action(description=_("Mark licence checked"))
    def mark_licence_checked(self, request, queryset):
        checked = 0
        for supplier in queryset:
            try:
                supplier_check_licence(supplier=supplier, by=request.user)
            except ApplicationError as error:
                self.message_user(request, f"{supplier}: {error.message}", messages.ERROR)
            else:
                checked += 1
        if checked:
            self.message_user(
                request,
                ngettext(
                    "%(count)d supplier's licence marked checked.",
                    "%(count)d suppliers' licences marked checked.",
                    checked,
                )
                % {"count": checked},
            )


@admin.register(PackageType)
class PackageTypeAdmin(FieldHistoryAdmin, RefusalsAsMessages, StaffScopedAdmin):
    list_display = ["name", "supplier", "category", "unit_price", "essential"]
    list_filter = [("supplier", admin.RelatedOnlyFieldListFilter), "category", "essential"]
    search_fields = ["name", "supplier__name", "contents"]
    fields = [*PACKAGE_TYPE_FIELDS]

    def scoped(self, request):
        return selectors.package_types_managed_by(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "supplier":
            kwargs["queryset"] = selectors.suppliers_managed_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in PACKAGE_TYPE_FIELDS}
        if change:
            stored = self.scoped(request).get(pk=obj.pk)
            package_type_update(package_type=stored, by=request.user, **fields)
        else:
            obj.pk = package_type_create(by=request.user, **fields).pk


class OfferInline(StaffInline):
    model = Offer
    fields = [
        "package_type",
        "stock",
        "limit_per_household",
        "limit_per_person",
        "allocation_quantity",
    ]
    min_num = 1

    @staticmethod
    def editable(supply_round) -> bool:
        return supply_round is None or supply_round.status in EDITABLE_STATUSES

    def has_add_permission(self, request, obj=None):
        return is_staff_member(request) and self.editable(obj)

    def has_change_permission(self, request, obj=None):
        return is_staff_member(request) and self.editable(obj)

    def has_delete_permission(self, request, obj=None):
        # An offer that households have ordered from stays: their order lines point at it.
        if not (is_staff_member(request) and self.editable(obj)):
            return False
        return obj is None or not obj.orders.exists()

    def get_formset(self, request, obj=None, **kwargs):
        # A round offers at least one package: the admin's formsets only show min_num.
        return super().get_formset(request, obj, validate_min=True, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "package_type":
            kwargs["queryset"] = selectors.package_types_managed_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class RoundEventInline(ReadOnlyInline):
    model = RoundEvent
    fields = ["at", "from_status", "to_status", "actor", "note"]
    readonly_fields = fields
    verbose_name_plural = _("history")


class SupplyRoundForm(forms.ModelForm):
    """The terms a round's services check, checked here too for rounds written in the admin."""

    def clean(self):
        cleaned = super().clean()
        round_ = self.instance
        committee = cleaned.get("committee", getattr(round_, "committee", None))
        compounds = cleaned.get("compounds")
        if committee and compounds and any(c.committee_id != committee.pk for c in compounds):
            self.add_error("compounds", _("A round can only serve its committee's compounds."))
        leader = cleaned.get("leader")
        if committee and leader and not selectors.group_leaders_of(committee).contains(leader):
            self.add_error(
                "leader", _("The group leader must be a group leader of the round's committee.")
            )
        closes_at = cleaned.get("closes_at")
        if "closes_at" in self.changed_data and closes_at and closes_at <= timezone.now():
            self.add_error("closes_at", _("The closing time must be in the future."))
        return cleaned


class RoundReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=300)


@admin.register(SupplyRound)
class SupplyRoundAdmin(RefusalsAsMessages, StaffScopedAdmin):
    form = SupplyRoundForm
    list_display = ["title", "committee", "kind", "status", "closes_at", "leader", "order_count"]
    list_filter = ["status", "kind", ("committee", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["committee", "leader"]
    search_fields = ["title", "notes"]
    date_hierarchy = "closes_at"
    fields = [
        "committee",
        "title",
        "kind",
        "compounds",
        "leader",
        "allocation_rule",
        "closes_at",
        "opens_at",
        "status",
        "rejection_reason",
        "notes",
    ]
    filter_horizontal = ["compounds"]
    inlines = [OfferInline, RoundEventInline]
    actions = [
        "approve",
        "reject",
        "open_for_orders",
        "close",
        "cancel",
        "export_by_building",
        "export_by_household",
        "export_reconciliation",
    ]

    def scoped(self, request):
        return selectors.rounds_managed_by(request.user).annotate(
            order_count=Count("orders", filter=Q(orders__status=OrderStatus.PLACED))
        )

    def has_change_permission(self, request, obj=None):
        # A closed or cancelled round is a record; it is viewed, exported, never edited.
        if obj is not None and obj.status in FINISHED_STATUSES:
            return False
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = ["opens_at", "status", "rejection_reason"]
        if obj is not None and obj.status not in EDITABLE_STATUSES:
            return [name for name in self.fields if name not in ("closes_at", "notes")]
        return readonly

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "committee":
            kwargs["queryset"] = committees_staffed_by(request.user)
        elif db_field.name == "leader":
            kwargs["queryset"] = User.objects.filter(
                memberships__role=Role.GROUP_LEADER,
                memberships__committee__in=committees_staffed_by(request.user).values("pk"),
            ).distinct()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "compounds":
            kwargs["queryset"] = compounds_staffed_by(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("orders"), ordering="order_count")
    def order_count(self, supply_round):
        return supply_round.order_count

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        obj.save()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change:  # the round's history starts with its creation, as round_create does
            RoundEvent.objects.create(
                round=form.instance,
                from_status=RoundStatus.DRAFT,
                to_status=RoundStatus.DRAFT,
                actor=request.user,
            )

    # Status changes: each round goes through its service; a refusal is a message.

    def _change_status(self, request, queryset, service: Callable, target: str, **kwargs):
        changed = 0
        for supply_round in queryset:
            try:
                service(supply_round=supply_round, by=request.user, **kwargs)
            except ApplicationError as error:
                self.message_user(request, f"{supply_round}: {error.message}", messages.ERROR)
            else:
                changed += 1
        if changed:
            self.message_user(
                request,
                ngettext(
                    "%(count)d round is now %(status)s.",
                    "%(count)d rounds are now %(status)s.",
                    changed,
                )
                % {"count": changed, "status": RoundStatus(target).label},
            )

    def _with_reason(self, request, queryset, *, action: str, title, intro, button):
        """Ask for a reason on a page of its own; the reason, once given, is returned."""
        form = RoundReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            return form.cleaned_data["reason"], None
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "button": button,
            "action": action,
            "form": form,
            "rounds": queryset,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return None, TemplateResponse(request, "admin/supplies/supplyround/reason.html", context)

    @admin.action(description=_("Approve selected group buys"))
    def approve(self, request, queryset):
        self._change_status(request, queryset, round_approve, RoundStatus.APPROVED)

    @admin.action(description=_("Reject selected group buys, with a reason"))
    def reject(self, request, queryset):
        reason, page = self._with_reason(
            request,
            queryset,
            action="reject",
            title=_("Reject group buys"),
            intro=_("These group buys go back to their leaders as drafts, with your reason."),
            button=_("Reject"),
        )
        if page is not None:
            return page
        self._change_status(request, queryset, round_reject, RoundStatus.DRAFT, reason=reason)
        return None

    @admin.action(description=_("Open selected rounds for orders"))
    def open_for_orders(self, request, queryset):
        self._change_status(request, queryset, round_open, RoundStatus.OPEN)

    @admin.action(description=_("Close selected rounds"))
    def close(self, request, queryset):
        self._change_status(request, queryset, round_close, RoundStatus.CLOSED)

    @admin.action(description=_("Cancel selected rounds, with a reason"))
    def cancel(self, request, queryset):
        reason, page = self._with_reason(
            request,
            queryset,
            action="cancel",
            title=_("Cancel rounds"),
            intro=_("These rounds and all their orders will be cancelled, with your reason."),
            button=_("Cancel rounds"),
        )
        if page is not None:
            return page
        self._change_status(request, queryset, round_cancel, RoundStatus.CANCELLED, reason=reason)
        return None

    # Exports: as actions on one selected round, and as links on the round's page.

    def _export(self, request, queryset, kind: str):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one round to export."), messages.WARNING)
            return None
        return self._export_response(queryset.get(), kind)

    def _export_response(self, supply_round: SupplyRound, kind: str):
        return file_response(
            EXPORTS[kind](supply_round=supply_round),
            filename=f"round-{supply_round.pk}-{kind}",
            file_format="xlsx",
        )

    @admin.action(description=_("Export the round by building (XLSX)"))
    def export_by_building(self, request, queryset):
        return self._export(request, queryset, "by-building")

    @admin.action(description=_("Export the round by household (XLSX)"))
    def export_by_household(self, request, queryset):
        return self._export(request, queryset, "by-household")

    @admin.action(description=_("Export the round's payments for reconciliation (XLSX)"))
    def export_reconciliation(self, request, queryset):
        return self._export(request, queryset, "reconciliation")

    def get_urls(self):
        return [
            path(
                "<path:object_id>/export/<str:kind>/",
                self.admin_site.admin_view(self.export_view),
                name="supplies_supplyround_export",
            ),
        ] + super().get_urls()

    def export_view(self, request: HttpRequest, object_id: str, kind: str):
        if not self.has_view_permission(request):
            raise PermissionDenied
        supply_round = self.get_object(request, unquote(object_id))
        if supply_round is None or kind not in EXPORTS:
            raise Http404
        return self._export_response(supply_round, kind)


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["package", "quantity", "unit_price", "total"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("offer__package_type")

    @admin.display(description=_("package"))
    def package(self, line):
        return line.offer.package_type.name

    @admin.display(description=_("total"))
    def total(self, line):
        return line.total


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ["at", "kind", "actor", "note"]
    readonly_fields = fields
    verbose_name_plural = _("history")


@admin.register(Order)
class OrderAdmin(PhoneSearchAdminMixin, ReadOnlyForStaff):
    """Orders are placed, edited and paid through the pages and the API; here they are read."""

    list_display = [
        "pickup_code",
        "household",
        "round",
        "status",
        "payment_status",
        "channel",
        "total",
        "created_at",
    ]
    list_filter = [
        ("round", admin.RelatedOnlyFieldListFilter),
        "status",
        "payment_status",
        "channel",
        ("household__building__compound", admin.RelatedOnlyFieldListFilter),
        ("household__building", BuildingListFilter),
        "household__building__closure_level",
    ]
    search_fields = [
        "pickup_code",
        "household__room",
        "household__contact_phone",
        "household__residents__name",
        "household__residents__phone",
    ]
    inlines = [OrderLineInline, OrderEventInline]

    def scoped(self, request):
        return selectors.orders_visible_to(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("total"))
    def total(self, order):
        return sum(line.total for line in order.lines.all())
