from supplies.models import Channel, Offer, OrderStatus
from supplies.services.orders import order_cancel, order_place, order_update


def test_it_places_edits_and_cancels_an_order_with_stock_following(
    group_buy, offers, household, resident, resident_user
):
    veg, meat = offers["蔬菜包"], offers["肉蛋包"]
    order = order_place(
        household=household,
        supply_round=group_buy,
        quantities={veg.pk: 2},
        placed_by=resident_user,
        channel=Channel.RESIDENT,
    )
    assert Offer.objects.get(pk=veg.pk).stock == 48
    order_update(order=order, quantities={veg.pk: 1, meat.pk: 1}, by=resident_user)
    assert (Offer.objects.get(pk=veg.pk).stock, Offer.objects.get(pk=meat.pk).stock) == (49, 19)
    order_cancel(order=order, by=resident_user)
    assert (Offer.objects.get(pk=veg.pk).stock, Offer.objects.get(pk=meat.pk).stock) == (50, 20)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert [e.kind for e in order.events.all()] == ["placed", "edited", "cancelled"]
