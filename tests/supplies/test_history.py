"""An order edit keeps each line's old quantity in the field history, with who changed it;
a line dropped to nothing is kept there too."""

from supplies.models import OrderLine
from supplies.services.orders import order_cancel, order_place, order_update


def line_history(order):
    return [
        (record.history_type, record.offer_id, record.quantity, record.history_user)
        for record in OrderLine.history.filter(order_id=order.pk).order_by(
            "history_date", "history_id"
        )
    ]


def test_an_order_edit_keeps_the_old_quantities(group_buy, offers, household, staff, resident_user):
    vegetables, meat = offers["蔬菜包"].pk, offers["肉蛋包"].pk
    order = order_place(
        household=household,
        supply_round=group_buy,
        quantities={vegetables: 2, meat: 1},
        placed_by=resident_user,
        channel="resident",
    )
    order_update(order=order, quantities={vegetables: 1}, by=staff)

    history = line_history(order)
    assert sorted(history[:2]) == sorted(
        [("+", vegetables, 2, resident_user), ("+", meat, 1, resident_user)]
    )
    assert history[2:] == [("~", vegetables, 1, staff), ("-", meat, 1, staff)]


def test_a_revived_order_keeps_the_lines_of_before(group_buy, offers, household, resident_user):
    vegetables = offers["蔬菜包"].pk
    place = {
        "household": household,
        "supply_round": group_buy,
        "placed_by": resident_user,
        "channel": "resident",
    }
    order = order_place(quantities={vegetables: 2}, **place)
    order_cancel(order=order, by=resident_user)
    order_place(quantities={vegetables: 1}, **place)

    assert [kind for kind, *_ in line_history(order)] == ["+", "-", "+"]
    assert [quantity for _kind, _offer, quantity, _by in line_history(order)] == [2, 2, 1]
