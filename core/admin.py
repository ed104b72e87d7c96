"""Background jobs and notices, for superusers to read when something went wrong."""

from django.contrib import admin

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
