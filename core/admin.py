"""Background jobs and notices, for superusers to read when something went wrong; the field
history every scoped admin shows."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from simple_history.admin import SimpleHistoryAdmin

from core.exceptions import ApplicationError
from core.models import Job, Notice


class SuperuserReadOnly(admin.ModelAdmin):
    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FieldHistoryAdmin(SimpleHistoryAdmin):
    """The "History" of a row (core.history): each version with who and when and what changed,
    only for rows the admin's queryset lets the user see, and never reverted or edited (a
    change goes through the app's services, not through an old version's form)."""

    def _out_of_scope(self, request, object_id):
        """The admin's own answer to a row it cannot see: back to the index, "doesn't exist"."""
        if self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            return None
        return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)

    def history_view(self, request, object_id, extra_context=None):
        refusal = self._out_of_scope(request, object_id)
        return refusal or super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        refusal = self._out_of_scope(request, object_id)
        if refusal is None and request.method != "GET":
            refusal = HttpResponseNotAllowed(["GET"])
        return refusal or super().history_form_view(request, object_id, version_id, extra_context)


@admin.register(Job)
class JobAdmin(SuperuserReadOnly):
    list_display = ["pk", "kind", "subject", "status", "percent", "message", "created_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["created_by"]
    search_fields = ["subject", "message"]
    date_hierarchy = "created_at"


@admin.register(Notice)
class NoticeAdmin(SuperuserReadOnly):
    list_display = ["title", "recipient", "phone", "sent_at", "sent_by", "read_at", "created_at"]
    list_filter = ["sent_by"]
    list_select_related = ["recipient"]
    search_fields = ["title", "key", "phone", "email", "recipient__username"]
    date_hierarchy = "created_at"
    raw_id_fields = ["recipient"]


class RefusalsAsMessages:
    """A service's refusal on saving becomes a message on the form again, never a 500;
    the admin's own transaction has rolled everything back by then."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
