from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from core.auth import TokenView
from core.health import HealthView
from deliveries.api_urls import router as deliveries_router
from medical.api_urls import router as medical_router
from residents.api_urls import router as residents_router
from supplies.api_urls import router as supplies_router
from volunteers.api_urls import router as volunteers_router

admin.site.site_header = _("Last Hundred Metres")
admin.site.site_title = _("Last Hundred Metres")
admin.site.index_title = _("Committee administration")

# One router for the API, so that its root lists every app's endpoints.
api_router = DefaultRouter()
# supplies last: its rounds/ list is the one the root names (deliveries only adds actions).
for app_router in (
    residents_router,
    volunteers_router,
    deliveries_router,
    medical_router,
    supplies_router,
):
    api_router.registry.extend(app_router.registry)

api_v1 = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    *api_router.urls,
]

urlpatterns = [
    path("health/", HealthView.as_view(), name="health"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI's script comes as a file of its own (the split view); its page keeps a
    # small inline stylesheet.
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
    path("", include("core.urls")),
    path("", include("volunteers.urls")),
    path("", include("deliveries.urls")),
    path("", include("supplies.urls")),
    path("", include("residents.urls")),
    path("", include("medical.urls")),
]

# Under /api/ every error answers JSON with a `detail`; pages keep Django's.
handler400 = "core.error_views.bad_request"
handler403 = "core.error_views.permission_denied"
handler404 = "core.error_views.page_not_found"
handler500 = "core.error_views.server_error"
