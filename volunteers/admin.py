"""Admin of volunteers, shifts, relay moves and tests for staff, scoped like the register's.

Statuses, sign-ups and moves change only through the services (the pages, the API and the
actions here), so that places are counted and every change is recorded."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.exceptions import ApplicationError
from core.phones import PhoneSearchAdminMixin
from residents.scope import ReadOnlyForStaff, ReadOnlyInline, is_staff_member
from residents.selectors import compounds_staffed_by
from volunteers import selectors
from volunteers.models import Relay, Shift, ShiftSignup, TestRecord, Volunteer, VolunteerEvent
from volunteers.services import shift_cancel, volunteer_approve


class SignupInline(ReadOnlyInline):
    model = ShiftSignup
    fields = [
        "volunteer",
        "status",
        "signed_up_at",
        "signed_up_by",
        "cancelled_at",
        "cancel_reason",
    ]
    readonly_fields = fields


class VolunteerEventInline(ReadOnlyInline):
    model = VolunteerEvent
    fields = ["at", "to_status", "actor", "note"]
    readonly_fields = fields


class ReadOnlyScoped(ReadOnlyForStaff):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _run(model_admin, request, queryset, service, done) -> None:
    count = 0
    for row in queryset:
        try:
            service(row, request.user)
        except ApplicationError as error:
            model_admin.message_user(request, f"{row}: {error.message}", messages.ERROR)
        else:
            count += 1
    if count:
        model_admin.message_user(request, done(count), messages.SUCCESS)


@admin.register(Volunteer)
class VolunteerAdmin(PhoneSearchAdminMixin, ReadOnlyScoped):
    list_display = ["name", "committee", "phone", "affiliation", "status", "tested_at"]
    list_filter = ["status", "affiliation", ("committee", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["committee"]
    search_fields = ["name", "phone", "employer", "user__username"]
    inlines = [VolunteerEventInline]
    actions = ["approve"]

    def scoped(self, request):
        return selectors.volunteers_visible_to(request.user)

    def get_actions(self, request):
        # The actions of a read-only admin need no model permission; staff scope is enough.
        actions = super().get_actions(request)
        if is_staff_member(request):
            actions["approve"] = self.get_action("approve")
        return actions

    @admin.action(description=_("Approve the chosen volunteers"))
    def approve(self, request, queryset):
        managed = selectors.volunteers_managed_by(request.user).filter(pk__in=queryset.values("pk"))
        _run(
            self,
            request,
            managed,
            lambda volunteer, by: volunteer_approve(volunteer=volunteer, by=by),
            lambda count: (
                ngettext("%(count)d volunteer approved.", "%(count)d volunteers approved.", count)
                % {"count": count}
            ),
        )


@admin.register(Shift)
class ShiftAdmin(ReadOnlyScoped):
    list_display = ["start", "end", "compound", "workgroup", "needed", "taken", "cancelled_at"]
    list_filter = ["workgroup", ("compound", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["compound"]
    date_hierarchy = "start"
    inlines = [SignupInline]
    actions = ["cancel"]

    def scoped(self, request):
        return selectors.shifts_managed_by(request.user)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if is_staff_member(request):
            actions["cancel"] = self.get_action("cancel")
        return actions

    @admin.action(description=_("Cancel the chosen shifts"))
    def cancel(self, request, queryset):
        _run(
            self,
            request,
            queryset.filter(cancelled_at=None),
            lambda shift, by: shift_cancel(shift=shift, by=by),
            lambda count: (
                ngettext("%(count)d shift cancelled.", "%(count)d shifts cancelled.", count)
                % {"count": count}
            ),
        )


@admin.register(Relay)
class RelayAdmin(ReadOnlyScoped):
    list_display = ["start", "end", "to_compound", "to_workgroup", "reason", "created_by"]
    list_select_related = ["to_compound", "created_by"]
    filter_horizontal = ["volunteers"]

    def scoped(self, request):
        return Relay.objects.filter(to_compound__in=compounds_staffed_by(request.user).values("pk"))


@admin.register(TestRecord)
class TestRecordAdmin(PhoneSearchAdminMixin, ReadOnlyScoped):
    list_display = ["volunteer", "kind", "taken_at", "recorded_at", "recorded_by"]
    list_filter = ["kind"]
    list_select_related = ["volunteer", "recorded_by"]
    search_fields = ["volunteer__name", "volunteer__phone"]

    def scoped(self, request):
        return TestRecord.objects.filter(
            volunteer__in=selectors.volunteers_visible_to(request.user).values("pk")
        )
