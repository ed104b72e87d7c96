"""Logging in: the answer to a locked-out login, and the API's token view with its throttle.

Repeated failures lock a user name from one address out (django-axes, configured in
settings); the page says so in the reader's language, the API answers JSON like every other
API error."""

from axes.exceptions import AxesBackendPermissionDenied
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError

from core.throttles import LoginThrottle


def lockout_response(
    request: HttpRequest, original_response=None, credentials=None
) -> HttpResponse:
    """429 for a login refused after too many failures, even with the right password."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _(
        "Too many failed logins. Try again in %(minutes)s minutes, or ask the committee's "
        "staff to unlock your login."
    ) % {"minutes": minutes}
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": "locked_out"}, status=429)
    return render(request, "registration/locked.html", {"message": message}, status=429)


class TokenView(ObtainAuthToken):
    """`POST /api/v1/auth/token/`, throttled per address on top of the lockout per user name."""

    throttle_classes = [LoginThrottle]
    throttle_scope = "login"

    def post(self, request, *args, **kwargs):
        # django-axes marks the DRF request, which its middleware never sees: answer here.
        try:
            return super().post(request, *args, **kwargs)
        except AxesBackendPermissionDenied:
            return lockout_response(request)
        except ValidationError:
            if getattr(request, "axes_locked_out", False):  # this failure was the last allowed
                return lockout_response(request)
            raise
