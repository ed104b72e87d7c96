"""The household's view of its order's plan, for the supplies order page.

A template tag, so that supplies never imports deliveries in Python: the order page loads it."""

from django import template

from deliveries.models import DeliveryStatus
from deliveries.selectors import plan_of_order
from supplies.models import OrderStatus

register = template.Library()


@register.inclusion_tag("deliveries/_order_plan.html")
def order_plan(order) -> dict:
    """How the order's packs reach its household: one query (the order is already scoped)."""
    if order.status != OrderStatus.PLACED:
        return {"shown": False}
    plan = plan_of_order(order)
    delivered = bool(plan and plan.delivery_id and plan.delivery.status == DeliveryStatus.DELIVERED)
    return {
        "shown": True,
        "order": order,
        "plan": plan,
        "delivered": delivered,
    }
