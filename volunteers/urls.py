from django.urls import path

from volunteers import views

app_name = "volunteers"

urlpatterns = [
    path("volunteer/register/", views.register_choose, name="register-choose"),
    path("volunteer/register/<int:committee_id>/", views.register, name="register"),
    path("volunteer/", views.home, name="home"),
    path("volunteer/tests/", views.test_new, name="test-new"),
    path("volunteer/shifts/<int:pk>/signup/", views.signup, name="signup"),
    path("volunteer/signups/<int:pk>/cancel/", views.signup_cancel, name="signup-cancel"),
    path("staff/volunteers/", views.staff_volunteers, name="staff-volunteers"),
    path("staff/volunteers/<int:pk>/approve/", views.staff_approve, name="staff-approve"),
    path("staff/volunteers/<int:pk>/reject/", views.staff_reject, name="staff-reject"),
    path(
        "staff/volunteers/settings/<int:committee_id>/",
        views.staff_settings,
        name="staff-settings",
    ),
    path("staff/shifts/<int:pk>/cancel/", views.staff_shift_cancel, name="staff-shift-cancel"),
    path("staff/roster/", views.staff_roster, name="staff-roster"),
    path("staff/relay/", views.staff_relay, name="staff-relay"),
    path("staff/volunteer-hours/", views.staff_hours, name="staff-hours"),
]
