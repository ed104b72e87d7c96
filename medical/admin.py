"""Admin of medical errands for staff, read-only and scoped like the pages: statuses change
only through the services (the pages and the API), so that every step is recorded."""

from django.contrib import admin

from medical import selectors
from medical.models import (
    CheckIn,
    CustodyEvent,
    MedicalTransport,
    MedicineEvent,
    MedicineItem,
    MedicineRequest,
    TransportEvent,
)
from residents.scope import ReadOnlyForStaff, ReadOnlyInline
from residents.selectors import compounds_staffed_by


class ItemInline(ReadOnlyInline):
    model = MedicineItem
    fields = ["medicine", "strength", "quantity", "notes", "substitute", "substitute_note"]
    readonly_fields = fields


class MedicineEventInline(ReadOnlyInline):
    model = MedicineEvent
    fields = ["at", "from_status", "to_status", "actor", "note"]
    readonly_fields = fields


class CustodyInline(ReadOnlyInline):
    model = CustodyEvent
    fk_name = "request"
    fields = ["at", "item", "from_holder", "to_holder", "to_volunteer", "logged_by"]
    readonly_fields = fields


class TransportEventInline(ReadOnlyInline):
    model = TransportEvent
    fields = ["at", "from_status", "to_status", "actor", "note"]
    readonly_fields = fields


class ReadOnlyScoped(ReadOnlyForStaff):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MedicineRequest)
class MedicineRequestAdmin(ReadOnlyScoped):
    list_display = ["resident", "hospital", "urgency", "status", "volunteer", "created_at"]
    list_filter = ["status", "urgency", "chronic"]
    list_select_related = ["resident", "volunteer"]
    search_fields = ["resident__name", "hospital", "items__medicine"]
    inlines = [ItemInline, MedicineEventInline, CustodyInline]

    def scoped(self, request):
        return selectors.medicine_requests_staffed_by(request.user)


@admin.register(MedicalTransport)
class MedicalTransportAdmin(ReadOnlyScoped):
    list_display = ["resident", "kind", "hospital", "appointment_at", "status", "code"]
    list_filter = ["status", "kind"]
    list_select_related = ["resident"]
    search_fields = ["resident__name", "hospital", "code"]
    inlines = [TransportEventInline]

    def scoped(self, request):
        return selectors.transports_staffed_by(request.user)


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyScoped):
    list_display = ["resident", "kind", "at", "by"]
    list_filter = ["kind"]
    list_select_related = ["resident", "by"]

    def scoped(self, request):
        return CheckIn.objects.filter(
            resident__household__building__compound__in=compounds_staffed_by(request.user).values(
                "pk"
            )
        )
