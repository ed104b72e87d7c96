"""Admin for committee and street staff, every list and choice scoped by the selectors."""

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import FieldHistoryAdmin
from core.exceptions import ApplicationError
from core.phones import PhoneSearchAdminMixin
from core.spreadsheets import file_response
from residents import selectors
from residents.forms import ClosureChangeForm, RegisterImportForm, ResidentAdminForm
from residents.importing import (
    RegisterImportRejected,
    register_export,
    register_import,
    register_template,
)
from residents.models import (
    VULNERABILITY_NEEDS,
    Building,
    ClosureChange,
    Committee,
    Compound,
    Household,
    Membership,
    Need,
    Resident,
    Street,
)
from residents.scope import (
    BuildingListFilter,
    ReadOnlyForStaff,
    StaffScopedAdmin,
    is_staff_member,
)
from residents.services import (
    HOUSEHOLD_FIELDS,
    RESIDENT_FIELDS,
    buildings_set_closure,
    household_create,
    household_logins_request,
    household_update,
    resident_create,
    resident_update,
)


class VulnerableFilter(admin.SimpleListFilter):
    title = _("vulnerable")
    parameter_name = "vulnerable"

    def lookups(self, request, model_admin):
        return [("1", _("Yes")), ("0", _("No"))]

    def queryset(self, request, queryset):
        if self.value() not in ("0", "1"):
            return queryset
        if queryset.model is Household:
            vulnerable = selectors.households_vulnerable(queryset)
        else:
            vulnerable = selectors.residents_vulnerable(queryset)
        if self.value() == "1":
            return vulnerable
        return queryset.exclude(pk__in=vulnerable.values("pk"))


class NeedFilter(admin.SimpleListFilter):
    title = _("special need")
    parameter_name = "need"

    def lookups(self, request, model_admin):
        return Need.choices

    def queryset(self, request, queryset):
        if self.value() not in Need.values:
            return queryset
        path = "needs__need" if queryset.model is Resident else "residents__needs__need"
        return queryset.filter(**{path: self.value()}).distinct()


@admin.register(Street)
class StreetAdmin(ReadOnlyForStaff):
    search_fields = ["name"]

    def scoped(self, request):
        if request.user.is_superuser:
            return Street.objects.all()
        committees = selectors.committees_staffed_by(request.user)
        return Street.objects.filter(committees__in=committees).distinct()


@admin.register(Committee)
class CommitteeAdmin(ReadOnlyForStaff):
    list_display = ["name", "street"]
    list_select_related = ["street"]
    search_fields = ["name"]

    def scoped(self, request):
        return selectors.committees_staffed_by(request.user).select_related("street")


@admin.register(Compound)
class CompoundAdmin(ReadOnlyForStaff):
    list_display = ["name", "committee", "address", "building_count"]
    list_select_related = ["committee"]
    search_fields = ["name", "address"]

    def scoped(self, request):
        return (
            selectors.compounds_staffed_by(request.user)
            .select_related("committee")
            .annotate(building_count=Count("buildings"))
        )

    @admin.display(description=_("buildings"), ordering="building_count")
    def building_count(self, compound):
        return compound.building_count


@admin.register(Building)
class BuildingAdmin(StaffScopedAdmin):
    list_display = ["label", "compound", "units", "floors", "closure_level", "household_count"]
    list_filter = [("compound", admin.RelatedOnlyFieldListFilter), "closure_level"]
    search_fields = ["label", "compound__name"]
    actions = ["set_closure_level"]

    def scoped(self, request):
        return selectors.buildings_with_counts(selectors.buildings_staffed_by(request.user))

    def get_readonly_fields(self, request, obj=None):
        # Closure changes go through the action, which asks for a reason and logs it.
        return ["closure_level"] if obj else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "compound":
            kwargs["queryset"] = selectors.compounds_staffed_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("households"), ordering="household_count")
    def household_count(self, building):
        return building.household_count

    @admin.action(description=_("Set closure level of selected buildings"))
    def set_closure_level(self, request, queryset):
        form = ClosureChangeForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                changes = buildings_set_closure(
                    buildings=queryset,
                    level=form.cleaned_data["level"],
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except ApplicationError as error:
                self.message_user(request, error.message, messages.ERROR)
                return None
            self.message_user(
                request,
                ngettext(
                    "%(count)d building changed closure level.",
                    "%(count)d buildings changed closure level.",
                    len(changes),
                )
                % {"count": len(changes)},
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Set closure level"),
            "form": form,
            "buildings": queryset,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/residents/building/set_closure.html", context)


class ResidentInline(admin.TabularInline):
    model = Resident
    fields = ["name", "phone", "birth_date", "sex", "care_level"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_view_permission(self, request, obj=None):
        # Staff hold no Django model permissions: their membership is their permission.
        return is_staff_member(request)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Household)
class HouseholdAdmin(FieldHistoryAdmin, PhoneSearchAdminMixin, StaffScopedAdmin):
    list_display = ["__str__", "unit", "room", "contact_phone", "resident_count", "vulnerable"]
    list_filter = [
        ("building__compound", admin.RelatedOnlyFieldListFilter),
        ("building", BuildingListFilter),
        "building__closure_level",
        VulnerableFilter,
        NeedFilter,
    ]
    search_fields = ["room", "contact_phone", "residents__name", "residents__phone"]
    autocomplete_fields = ["building"]
    readonly_fields = ["created_at", "created_by", "updated_at", "updated_by"]
    inlines = [ResidentInline]
    actions = ["create_logins"]

    def get_readonly_fields(self, request, obj=None):
        # Logins are users; only superusers, who manage users, link them to households.
        if request.user.is_superuser:
            return self.readonly_fields
        return ["account", *self.readonly_fields]

    def scoped(self, request):
        # Distinct: searching or filtering by residents joins them again, multiplying rows.
        return selectors.households_visible_to(request.user).annotate(
            resident_count=Count("residents", distinct=True)
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "building":
            kwargs["queryset"] = selectors.buildings_staffed_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.action(description=_("Create logins for the selected households"))
    def create_logins(self, request, queryset):
        try:
            batch = household_logins_request(
                households=queryset.select_related("building__compound").order_by(
                    "building", "unit", "room"
                ),
                by=request.user,
            )
        except ApplicationError as error:
            self.message_user(request, error.message, messages.WARNING)
            return None
        return redirect("household-logins", pk=batch.pk)

    @admin.display(description=_("residents"), ordering="resident_count")
    def resident_count(self, household):
        return household.resident_count

    @admin.display(description=_("vulnerable"), boolean=True, ordering="is_vulnerable")
    def vulnerable(self, household):
        return household.is_vulnerable

    def save_model(self, request, obj, form, change):
        fields = {name: getattr(obj, name) for name in HOUSEHOLD_FIELDS}
        if change:
            household_update(household=obj, by=request.user, **fields)
        else:
            obj.pk = household_create(by=request.user, **fields).pk


@admin.register(Resident)
class ResidentAdmin(FieldHistoryAdmin, PhoneSearchAdminMixin, StaffScopedAdmin):
    form = ResidentAdminForm
    list_display = ["name", "household", "age", "sex", "needs_display", "care_level", "phone"]
    list_filter = [
        ("household__building__compound", admin.RelatedOnlyFieldListFilter),
        ("household__building", BuildingListFilter),
        "household__building__closure_level",
        NeedFilter,
        VulnerableFilter,
        "care_level",
        "sex",
    ]
    search_fields = ["name", "phone", "household__room", "household__contact_phone"]
    autocomplete_fields = ["household"]
    readonly_fields = ["created_at", "created_by", "updated_at", "updated_by"]
    actions = ["export_xlsx", "export_csv"]

    def scoped(self, request):
        return selectors.residents_visible_to(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "household":
            kwargs["queryset"] = selectors.households_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("age"))
    def age(self, resident):
        return resident.age

    @admin.display(description=_("special needs"))
    def needs_display(self, resident):
        labels = dict(Need.choices)
        return "、".join(
            f"{labels[code]}{'!' if code in VULNERABILITY_NEEDS else ''}"
            for code in resident.need_codes
        )

    def save_model(self, request, obj, form, change):
        fields = {name: getattr(obj, name) for name in RESIDENT_FIELDS}
        needs = form.cleaned_data.get("needs", [])
        if change:
            resident_update(resident=obj, by=request.user, needs=needs, **fields)
        else:
            obj.pk = resident_create(by=request.user, needs=needs, **fields).pk

    @admin.action(description=_("Export selected residents (XLSX)"))
    def export_xlsx(self, request, queryset):
        return self._export(queryset, "xlsx")

    @admin.action(description=_("Export selected residents (CSV)"))
    def export_csv(self, request, queryset):
        return self._export(queryset, "csv")

    def _export(self, queryset, file_format):
        content = register_export(
            residents=queryset.order_by("household", "pk"), file_format=file_format
        )
        return file_response(content, filename="residents", file_format=file_format)

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="residents_resident_import",
            ),
            path(
                "import-template.<str:file_format>",
                self.admin_site.admin_view(self.template_view),
                name="residents_resident_import_template",
            ),
        ] + super().get_urls()

    def template_view(self, request, file_format):
        if file_format not in ("csv", "xlsx"):
            file_format = "xlsx"
        return file_response(
            register_template(file_format=file_format),
            filename="residents-template",
            file_format=file_format,
        )

    def import_view(self, request):
        if not self.has_add_permission(request):
            return redirect("admin:index")
        compounds = selectors.compounds_staffed_by(request.user)
        form = RegisterImportForm(request.POST or None, request.FILES or None, compounds=compounds)
        errors = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = register_import(
                    compound=form.cleaned_data["compound"],
                    content=upload.read(),
                    filename=upload.name,
                    by=request.user,
                )
            except RegisterImportRejected as rejection:
                errors = rejection.errors
                self.message_user(request, rejection.message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    _(
                        "Imported: %(hc)d households created, %(hu)d updated; "
                        "%(rc)d residents created, %(ru)d updated."
                    )
                    % {
                        "hc": result.households_created,
                        "hu": result.households_updated,
                        "rc": result.residents_created,
                        "ru": result.residents_updated,
                    },
                )
                return redirect(reverse("admin:residents_resident_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import households and residents"),
            "form": form,
            "errors": errors[: settings.IMPORT_ERRORS_SHOWN],
            "errors_total": len(errors),
            "errors_more": max(len(errors) - settings.IMPORT_ERRORS_SHOWN, 0),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/residents/resident/import.html", context)


@admin.register(ClosureChange)
class ClosureChangeAdmin(StaffScopedAdmin):
    list_display = ["changed_at", "building", "from_level", "to_level", "reason", "changed_by"]
    list_filter = [
        ("building__compound", admin.RelatedOnlyFieldListFilter),
        "to_level",
        "changed_at",
    ]
    list_select_related = ["building__compound", "changed_by"]
    search_fields = ["building__label", "reason"]
    date_hierarchy = "changed_at"

    def scoped(self, request):
        return ClosureChange.objects.filter(
            building__in=selectors.buildings_staffed_by(request.user)
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Membership)
class MembershipAdmin(FieldHistoryAdmin):
    """Roles are granted by superusers only (Django's own permissions apply)."""

    list_display = ["user", "role", "street", "committee", "created_at"]
    list_filter = ["role", "street", "committee"]
    search_fields = ["user__username"]
    autocomplete_fields = ["user"]
