"""Our middleware: inline styles for the admin under the Content-Security-Policy, and a word on
the login page for a form sent after the session ended."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import resolve_url
from django.utils.translation import gettext as _


class AdminInlineStyles:
    """The admin's own scripts set inline styles (Django's widgets and its filter boxes): on
    /admin/ only, the Content-Security-Policy lets styles through inline; scripts stay 'self'."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = "/" + settings.ADMIN_URL_PREFIX

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(self.prefix):
            response._csp_update = {"style-src": ["'unsafe-inline'"]}
        return response


class LoggedOutPost:
    """A form sent after the session ended (a phone left on the page overnight) is turned by
    `login_required` into a redirect to the login page, and what was typed is lost. Say so on
    the login page, rather than let the person believe it was saved."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.method == "POST"
            and not request.user.is_authenticated
            and response.status_code == 302
            and _sent_to_log_in(response.get("Location", ""))
        ):
            messages.warning(
                request,
                _(
                    "You had been logged out, so what you sent was not saved. Log in, then "
                    "send it again."
                ),
            )
        return response


def _sent_to_log_in(location: str) -> bool:
    """`login_required`'s redirect (with `next`), not the logout's own to the login page."""
    return location.startswith(resolve_url(settings.LOGIN_URL)) and "next=" in location
