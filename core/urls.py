from django.urls import path

from core import views

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_mark_all_read, name="inbox-read-all"),
    path("inbox/<int:pk>/open/", views.notice_open, name="notice-open"),
]
