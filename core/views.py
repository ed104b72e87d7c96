"""The inbox: a person's notices, newest first, for any logged-in user."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from core.models import Notice
from core.notifications import notice_mark_read, notices_mark_all_read


def _own_notices(request: HttpRequest):
    return Notice.objects.filter(recipient=request.user)


@login_required
@require_safe
def inbox(request: HttpRequest) -> HttpResponse:
    notices = _own_notices(request).order_by("-created_at", "-pk")
    page = Paginator(notices, 30).get_page(request.GET.get("page"))
    return render(request, "core/inbox.html", {"page": page})


@login_required
@require_POST
def inbox_mark_all_read(request: HttpRequest) -> HttpResponse:
    count = notices_mark_all_read(user=request.user)
    if count:
        messages.success(
            request,
            ngettext("%(count)d notice marked read.", "%(count)d notices marked read.", count)
            % {"count": count},
        )
    else:
        messages.info(request, _("Every notice is already read."))
    return redirect("inbox")


@login_required
@require_POST
def notice_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notice read and follow its link when it points inside this site."""
    notice = get_object_or_404(_own_notices(request), pk=pk)
    notice_mark_read(notice=notice)
    safe = url_has_allowed_host_and_scheme(
        notice.link, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(notice.link if notice.link and safe else "inbox")
