from django.urls import path

from medical import views

app_name = "medical"

urlpatterns = [
    path("medicine/", views.medicine_home, name="home"),
    path("medicine/trips/", views.trip_request, name="trip-request"),
    path("medicine/<int:pk>/", views.medicine_detail, name="detail"),
    path("medicine/<int:pk>/<slug:step>/", views.medicine_step, name="step"),
    path("staff/medicine/", views.staff_medicine, name="staff"),
    path("staff/medicine/runs/", views.staff_run, name="staff-run"),
    path("volunteer/medicine/", views.volunteer_medicine, name="volunteer"),
]

urlpatterns += [
    path("staff/transports/", views.staff_transports, name="staff-transports"),
    path(
        "staff/transports/<int:pk>/<slug:step>/",
        views.staff_transport_step,
        name="staff-transport-step",
    ),
    path("transports/<int:pk>/pass/", views.transport_pass, name="transport-pass"),
    path("volunteer/gate/pass/", views.gate_pass, name="gate-pass"),
    path("staff/vulnerable/", views.staff_vulnerable, name="staff-vulnerable"),
    path(
        "staff/vulnerable/<int:resident_id>/check-in/",
        views.staff_check_in,
        name="staff-check-in",
    ),
]
