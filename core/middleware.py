"""The admin's own scripts set inline styles (Django's widgets and its filter boxes): on
/admin/ only, the Content-Security-Policy lets styles through inline; scripts stay 'self'."""

from django.conf import settings


class AdminInlineStyles:
    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = "/" + settings.ADMIN_URL_PREFIX

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(self.prefix):
            response._csp_update = {"style-src": ["'unsafe-inline'"]}
        return response
