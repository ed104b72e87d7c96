from django.urls import path

from residents import views

urlpatterns = [
    path("", views.home, name="home"),
    path("staff/compounds/", views.compound_list, name="staff-compounds"),
    path("staff/compounds/<int:pk>/", views.compound_overview, name="compound-overview"),
    path("staff/logins/<int:pk>/", views.household_logins, name="household-logins"),
    path("staff/logins/<int:pk>/job/", views.household_logins_job, name="household-logins-job"),
    path(
        "staff/logins/<int:pk>/logins.xlsx",
        views.household_logins_file,
        name="household-logins-file",
    ),
]
