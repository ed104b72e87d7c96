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

urlpatterns += [
    path("staff/plans/<int:pk>/progress/", views.plan_progress, name="plan-progress"),
    path("staff/plans/<int:pk>/failed/", views.plan_failed, name="plan-failed"),
    path("staff/plans/<int:pk>/uncollected/", views.plan_uncollected, name="plan-uncollected"),
    path("volunteer/deliveries/", views.my_deliveries, name="my-deliveries"),
    path("volunteer/deliveries/<int:pk>/mark/", views.my_delivery_mark, name="my-delivery-mark"),
    path("volunteer/sw.js", views.volunteer_service_worker, name="volunteer-sw"),
    path("volunteer/gate/", views.gate, name="gate"),
]

urlpatterns += [
    path("staff/meals/", views.meals_page, name="meals"),
    path("staff/meals/today/", views.meals_create_today, name="meals-create-today"),
    path("staff/meals/today/assign/", views.meals_assign_today, name="meals-assign-today"),
    path(
        "staff/meals/<int:pk>/<str:action>/",
        views.meal_decide,
        name="meal-decide",
    ),
]
