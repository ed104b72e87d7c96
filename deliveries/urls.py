from django.urls import path

from deliveries import views

urlpatterns = [
    path("staff/plans/", views.plan_list, name="plan-list"),
    path("staff/plans/<int:pk>/", views.plan_round, name="plan-round"),
    path("staff/plans/jobs/<int:pk>/", views.plan_job, name="plan-job"),
    path("staff/plans/<int:pk>/deliveries/", views.plan_deliveries, name="plan-deliveries"),
    path(
        "staff/plans/<int:pk>/points/<int:point_pk>/manifest/",
        views.plan_manifest,
        name="plan-manifest",
    ),
    path(
        "staff/plans/<int:pk>/points/<int:point_pk>/manifest.xlsx",
        views.plan_manifest_xlsx,
        name="plan-manifest-xlsx",
    ),
    path(
        "staff/plans/<int:pk>/points/<int:point_pk>/calls/",
        views.plan_call_list,
        name="plan-call-list",
    ),
]
