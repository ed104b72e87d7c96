"""`{% load medical %}{% no_contact_box %}`: the "no contact in 48 h" box for any staff page."""

from django import template

from medical import selectors

register = template.Library()


@register.inclusion_tag("medical/_no_contact.html", takes_context=True)
def no_contact_box(context) -> dict:
    """The vulnerable residents the page's user may see who had no contact in 48 h."""
    user = context["request"].user
    return {"no_contact": selectors.no_contact_48h(selectors.vulnerable_register(user))}
