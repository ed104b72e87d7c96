from django.urls import path

from residents import views

urlpatterns = [
    path("", views.home, name="home"),
    path("staff/compounds/", views.compound_list, name="staff-compounds"),
    path("staff/compounds/<int:pk>/", views.compound_overview, name="compound-overview"),
]
