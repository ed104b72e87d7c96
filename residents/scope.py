"""Who may see what: the staff pages' decorator, and the bases every app's staff admin and
inline builds on, so that a staff member sees and changes only what their committee's scope
returns, nothing is ever deleted in the admin, and a membership (not a Django model
permission) is the permission."""

import functools

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from residents import selectors
from residents.models import Building


def is_staff_member(request: HttpRequest) -> bool:
    if not hasattr(request, "_is_staff_member"):
        request._is_staff_member = selectors.user_is_staff_member(request.user)
    return request._is_staff_member


def require_staff_member(request: HttpRequest) -> None:
    """Anyone but committee or street staff gets a 404: the page does not exist for them."""
    if not is_staff_member(request):
        raise Http404


def staff_required(view):
    """A staff page: a login is asked for, then `require_staff_member`."""

    @functools.wraps(view)
    @login_required
    def staff_view(request: HttpRequest, *args, **kwargs):
        require_staff_member(request)
        return view(request, *args, **kwargs)

    return staff_view


class StaffOnly(permissions.BasePermission):
    """The API's staff rule: only committee or street staff, refused before the input is read,
    so that a resident gets a 403 and not a 400 about an object they may not use. An app gives
    its own `message` in a subclass."""

    message = _("Only the committee's staff may do this.")

    def has_permission(self, request, view):
        return selectors.user_is_staff_member(request.user)


class StaffWrites(StaffOnly):
    """Everyone signed in reads (their own scope); only staff write."""

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or super().has_permission(request, view)


class StaffScopedAdmin(admin.ModelAdmin):
    """Staff members see and change only what their scope's selector returns; nothing is
    ever deleted here. Subclasses define `scoped(request)`."""

    def scoped(self, request: HttpRequest) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self, request):
        return self.scoped(request)

    def has_module_permission(self, request):
        return is_staff_member(request)

    def has_view_permission(self, request, obj=None):
        return is_staff_member(request)

    def has_add_permission(self, request):
        return is_staff_member(request)

    def has_change_permission(self, request, obj=None):
        return is_staff_member(request)

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyForStaff(StaffScopedAdmin):
    """Only superusers change these; staff see their own."""

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser


class StaffInline(admin.TabularInline):
    """Staff hold no Django model permissions: their membership is their permission."""

    extra = 0

    def has_view_permission(self, request, obj=None):
        return is_staff_member(request)


class ReadOnlyInline(StaffInline):
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BuildingListFilter(admin.RelatedOnlyFieldListFilter):
    """The buildings in scope, named with their compound: read together in one query."""

    def field_choices(self, field, request, model_admin):
        in_scope = (
            model_admin.get_queryset(request)
            .distinct()
            .values_list(f"{self.field_path}__pk", flat=True)
        )
        buildings = Building.objects.filter(pk__in=in_scope).select_related("compound")
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            buildings = buildings.order_by(*ordering)
        return [(building.pk, str(building)) for building in buildings]
