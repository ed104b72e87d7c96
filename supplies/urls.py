from django.urls import path

from supplies import views

urlpatterns = [
    path("rounds/", views.rounds_open, name="rounds-open"),
    path("rounds/<int:pk>/", views.round_order, name="round-order"),
    path("orders/", views.order_list, name="order-list"),
    path("orders/<int:pk>/", views.order_detail, name="order-detail"),
    path("orders/<int:pk>/edit/", views.order_edit, name="order-edit"),
    path("orders/<int:pk>/cancel/", views.order_cancel_confirm, name="order-cancel"),
    path("hotline/", views.hotline, name="hotline"),
    path("hotline/households/<int:pk>/", views.hotline_household, name="hotline-household"),
    path(
        "hotline/households/<int:pk>/rounds/<int:round_pk>/",
        views.hotline_order,
        name="hotline-order",
    ),
    path("leader/rounds/", views.leader_rounds, name="leader-rounds"),
    path("leader/rounds/new/", views.leader_round_new, name="leader-round-new"),
    path("leader/rounds/<int:pk>/", views.leader_round, name="leader-round"),
    path(
        "leader/rounds/<int:pk>/propose/", views.leader_round_propose, name="leader-round-propose"
    ),
    path(
        "leader/orders/<int:pk>/payment/", views.leader_order_payment, name="leader-order-payment"
    ),
]
