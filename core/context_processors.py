from django.utils.functional import SimpleLazyObject

from core.models import Notice


def inbox(request) -> dict:
    """The user's unread notices for the header's inbox link, counted only when shown."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notices": SimpleLazyObject(
            lambda: Notice.objects.filter(recipient=user, read_at__isnull=True).count()
        )
    }
