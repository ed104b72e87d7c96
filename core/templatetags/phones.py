"""`{{ household.contact_phone|phone }}`: a stored E.164 number in the national format."""

from django import template

from core.phones import phone_display

register = template.Library()


@register.filter(name="phone")
def phone_filter(value: str | None) -> str:
    return phone_display(value)
