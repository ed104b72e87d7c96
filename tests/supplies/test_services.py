"""Rounds, orders, payments and pickup codes as the committee and the households meet them."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.codes import CODE_ALPHABET
from core.exceptions import ApplicationError
from residents.models import Household
from supplies.errors import RoundNotOpen, SoldOut
from supplies.models import (
    AllocationRule,
    Category,
    Channel,
    Offer,
    Order,
    OrderEvent,
    OrderStatus,
    PackageType,
    PaymentStatus,
    RoundEvent,
    RoundKind,
    RoundStatus,
    Supplier,
    SupplyRound,
)
from supplies.selectors import rounds_visible_to
from supplies.services.orders import (
    order_cancel,
    order_place,
    order_record_payment,
    order_update,
    unused_pickup_codes,
)
from supplies.services.rounds import (
    OfferSpec,
    round_approve,
    round_cancel,
    round_close,
    round_create,
    round_open,
    round_propose,
    round_reject,
)
from supplies.services.suppliers import (
    package_type_create,
    package_type_update,
    supplier_check_licence,
    supplier_create,
    supplier_update,
)
from tests.factories import BuildingFactory, HouseholdFactory, ResidentFactory, StreetFactory


def stock(offer: Offer) -> int:
    return Offer.objects.get(pk=offer.pk).stock


def status(supply_round: SupplyRound) -> str:
    return SupplyRound.objects.get(pk=supply_round.pk).status


@pytest.fixture
def draft_group_buy(committee, compound, vegetables, leader, closes_at):
    return round_create(
        committee=committee,
        title="团购草稿",
        kind=RoundKind.GROUP_BUY,
        compounds=[compound],
        closes_at=closes_at,
        offers=[OfferSpec(package_type=vegetables, stock=30, limit_per_household=2)],
        leader=leader,
        by=leader,
    )


@pytest.fixture
def proposed_group_buy(draft_group_buy, leader):
    return round_propose(supply_round=draft_group_buy, by=leader)


def allocation(committee, compounds, closes_at, staff, offers, rule=AllocationRule.PER_HOUSEHOLD):
    return round_create(
        committee=committee,
        title="政府保供",
        kind=RoundKind.ALLOCATION,
        compounds=compounds,
        closes_at=closes_at,
        offers=offers,
        allocation_rule=rule,
        by=staff,
    )


def place(household, supply_round, quantities, by, channel=Channel.RESIDENT):
    return order_place(
        household=household,
        supply_round=supply_round,
        quantities=quantities,
        placed_by=by,
        channel=channel,
    )


class TestSuppliers:
    def test_it_registers_a_supplier_in_the_staffs_street_unchecked(self, street, staff):
        supplier = supplier_create(street=street, name=" 叮咚保供 ", licence_number="JY1", by=staff)

        assert (supplier.street, supplier.name, supplier.licence_checked) == (
            street,
            "叮咚保供",
            False,
        )
        assert supplier.created_by == staff

    def test_it_refuses_a_supplier_in_another_street(self, staff):
        elsewhere = StreetFactory(name="别的街道")

        with pytest.raises(ApplicationError, match="own street"):
            supplier_create(street=elsewhere, name="叮咚", licence_number="JY1", by=staff)

        assert not Supplier.objects.filter(name="叮咚").exists()

    def test_it_refuses_a_supplier_from_someone_who_is_not_staff(self, street, leader):
        with pytest.raises(ApplicationError):
            supplier_create(street=street, name="叮咚", licence_number="JY1", by=leader)

    def test_it_refuses_a_second_supplier_of_the_same_name(self, supplier, street, staff):
        with pytest.raises(ApplicationError, match="already registered"):
            supplier_create(street=street, name=supplier.name, licence_number="JY2", by=staff)

    def test_it_records_who_checked_the_licence_and_when(self, unlicensed_supplier, staff):
        supplier_check_licence(supplier=unlicensed_supplier, by=staff)

        unlicensed_supplier.refresh_from_db()
        assert unlicensed_supplier.licence_checked_by == staff
        assert unlicensed_supplier.licence_checked_at is not None

    def test_it_asks_for_a_new_check_when_the_licence_number_changes(self, supplier, staff):
        supplier_update(supplier=supplier, by=staff, contact_name="王经理")
        assert Supplier.objects.get(pk=supplier.pk).licence_checked

        supplier_update(supplier=supplier, by=staff, licence_number="JY-NEW")

        assert not Supplier.objects.get(pk=supplier.pk).licence_checked

    def test_it_creates_and_updates_a_package_type(self, supplier, staff):
        package = package_type_create(
            supplier=supplier,
            name="牛奶包",
            category=Category.MILK,
            unit_price=Decimal("45.50"),
            by=staff,
        )
        package_type_update(package_type=package, by=staff, unit_price=Decimal("40"))

        assert PackageType.objects.get(pk=package.pk).unit_price == Decimal("40.00")

    def test_it_refuses_a_negative_price_and_an_unknown_category(self, supplier, staff):
        with pytest.raises(ApplicationError, match="negative"):
            package_type_create(
                supplier=supplier, name="牛奶包", category=Category.MILK, unit_price=-1, by=staff
            )
        with pytest.raises(ApplicationError, match="category"):
            package_type_create(supplier=supplier, name="牛奶包", category="toys", by=staff)

        assert not PackageType.objects.filter(name="牛奶包").exists()


class TestRoundCreation:
    def test_it_creates_a_draft_with_its_offers_and_a_history(self, draft_group_buy, leader):
        assert draft_group_buy.status == RoundStatus.DRAFT
        assert [o.stock for o in draft_group_buy.offers.all()] == [30]
        assert RoundEvent.objects.get(round=draft_group_buy).actor == leader

    def test_it_refuses_a_compound_of_another_committee(
        self, committee, other_compound, vegetables, staff, closes_at
    ):
        with pytest.raises(ApplicationError, match="committee"):
            allocation(committee, [other_compound], closes_at, staff, [OfferSpec(vegetables, 5)])

        assert not SupplyRound.objects.exists()

    def test_it_refuses_a_closing_time_in_the_past(self, committee, compound, vegetables, staff):
        past = timezone.now() - datetime.timedelta(minutes=1)

        with pytest.raises(ApplicationError, match="future"):
            allocation(committee, [compound], past, staff, [OfferSpec(vegetables, 5)])

    def test_it_refuses_a_round_with_no_offer_or_no_compound(
        self, committee, compound, vegetables, staff, closes_at
    ):
        with pytest.raises(ApplicationError):
            allocation(committee, [compound], closes_at, staff, [])
        with pytest.raises(ApplicationError):
            allocation(committee, [], closes_at, staff, [OfferSpec(vegetables, 5)])

        assert not SupplyRound.objects.exists()


class TestGroupBuyApproval:
    def test_it_goes_from_draft_to_proposed_to_approved_to_open(
        self, proposed_group_buy, staff, leader
    ):
        round_approve(supply_round=proposed_group_buy, by=staff)
        round_open(supply_round=proposed_group_buy, by=staff)

        assert status(proposed_group_buy) == RoundStatus.OPEN
        events = RoundEvent.objects.filter(round=proposed_group_buy)
        assert [(e.to_status, e.actor) for e in events][1:] == [
            (RoundStatus.PROPOSED, leader),
            (RoundStatus.APPROVED, staff),
            (RoundStatus.OPEN, staff),
        ]

    def test_it_proposes_only_group_buys(self, committee, compound, vegetables, staff, closes_at):
        supply_round = allocation(
            committee, [compound], closes_at, staff, [OfferSpec(vegetables, 5)]
        )

        with pytest.raises(ApplicationError, match="group buys"):
            round_propose(supply_round=supply_round, by=staff)

    def test_it_refuses_approval_while_the_suppliers_licence_is_unchecked(
        self, committee, compound, unlicensed_supplier, leader, staff, closes_at
    ):
        package = PackageType.objects.create(
            supplier=unlicensed_supplier, name="散装菜", category=Category.VEGETABLE
        )
        supply_round = round_create(
            committee=committee,
            title="无证团购",
            kind=RoundKind.GROUP_BUY,
            compounds=[compound],
            closes_at=closes_at,
            offers=[OfferSpec(package, 10)],
            leader=leader,
            by=leader,
        )
        round_propose(supply_round=supply_round, by=leader)

        with pytest.raises(ApplicationError, match="无证商户"):
            round_approve(supply_round=supply_round, by=staff)

        assert status(supply_round) == RoundStatus.PROPOSED

    @pytest.mark.parametrize(
        "category, essential", [(Category.OTHER, True), (Category.VEGETABLE, False)]
    )
    def test_it_refuses_approval_of_a_non_essential_package(
        self, committee, compound, supplier, leader, staff, closes_at, category, essential
    ):
        package = PackageType.objects.create(
            supplier=supplier, name="零食礼盒", category=category, essential=essential
        )
        supply_round = round_create(
            committee=committee,
            title="零食团购",
            kind=RoundKind.GROUP_BUY,
            compounds=[compound],
            closes_at=closes_at,
            offers=[OfferSpec(package, 10)],
            leader=leader,
            by=leader,
        )
        round_propose(supply_round=supply_round, by=leader)

        with pytest.raises(ApplicationError, match="零食礼盒 is not an essential good"):
            round_approve(supply_round=supply_round, by=staff)

        assert status(supply_round) == RoundStatus.PROPOSED

    def test_it_refuses_approval_without_a_named_leader(
        self, committee, compound, vegetables, staff, closes_at
    ):
        supply_round = round_create(
            committee=committee,
            title="无团长",
            kind=RoundKind.GROUP_BUY,
            compounds=[compound],
            closes_at=closes_at,
            offers=[OfferSpec(vegetables, 10)],
            by=staff,
        )
        round_propose(supply_round=supply_round, by=staff)

        with pytest.raises(ApplicationError, match="leader"):
            round_approve(supply_round=supply_round, by=staff)

    def test_it_approves_only_a_proposed_round(self, draft_group_buy, staff):
        with pytest.raises(ApplicationError, match="cannot become"):
            round_approve(supply_round=draft_group_buy, by=staff)

        assert status(draft_group_buy) == RoundStatus.DRAFT

    def test_it_needs_a_reason_to_reject(self, proposed_group_buy, staff):
        with pytest.raises(ApplicationError, match="reason"):
            round_reject(supply_round=proposed_group_buy, by=staff, reason="  ")

        assert status(proposed_group_buy) == RoundStatus.PROPOSED

    def test_it_sends_a_rejected_round_back_to_its_leader_with_the_reason(
        self, proposed_group_buy, staff, leader
    ):
        round_reject(supply_round=proposed_group_buy, by=staff, reason="价格过高")

        seen = rounds_visible_to(leader).get(pk=proposed_group_buy.pk)
        assert (seen.status, seen.rejection_reason) == (RoundStatus.DRAFT, "价格过高")

    def test_it_clears_the_reason_when_the_round_is_approved_later(
        self, proposed_group_buy, staff, leader
    ):
        round_reject(supply_round=proposed_group_buy, by=staff, reason="价格过高")
        round_propose(supply_round=proposed_group_buy, by=leader)
        round_approve(supply_round=proposed_group_buy, by=staff)

        assert SupplyRound.objects.get(pk=proposed_group_buy.pk).rejection_reason == ""

    @pytest.mark.parametrize("stage", ["draft", "proposed"])
    def test_it_opens_a_group_buy_only_after_approval(self, draft_group_buy, leader, staff, stage):
        if stage == "proposed":
            round_propose(supply_round=draft_group_buy, by=leader)

        with pytest.raises(ApplicationError, match="cannot become"):
            round_open(supply_round=draft_group_buy, by=staff)

        assert status(draft_group_buy) == stage


class TestAllocation:
    @pytest.fixture
    def households(self, building, other_building):
        """Two households of one and three people in scope, an empty flat, and one outside."""
        single = HouseholdFactory(building=building, room="201")
        ResidentFactory(household=single)
        family = HouseholdFactory(building=building, room="202")
        ResidentFactory.create_batch(3, household=family)
        empty = HouseholdFactory(building=building, room="203")
        outside = HouseholdFactory(building=other_building, room="204")
        ResidentFactory(household=outside)
        return {"single": single, "family": family, "empty": empty, "outside": outside}

    def test_it_places_one_free_order_per_household_with_residents_in_scope(
        self, committee, compound, vegetables, staff, closes_at, households
    ):
        supply_round = allocation(
            committee, [compound], closes_at, staff, [OfferSpec(vegetables, 10)]
        )

        round_open(supply_round=supply_round, by=staff)

        orders = Order.objects.filter(round=supply_round)
        assert {o.household for o in orders} == {households["single"], households["family"]}
        assert {(o.channel, o.payment_status) for o in orders} == {
            (Channel.ALLOCATION, PaymentStatus.WAIVED)
        }
        assert [line.quantity for o in orders for line in o.lines.all()] == [1, 1]
        assert stock(supply_round.offers.get()) == 8
        assert OrderEvent.objects.filter(order__round=supply_round, actor=staff).count() == 2

    def test_it_multiplies_by_household_size_under_the_per_person_rule(
        self, committee, compound, vegetables, staff, closes_at, households
    ):
        supply_round = allocation(
            committee,
            [compound],
            closes_at,
            staff,
            [OfferSpec(vegetables, 10, allocation_quantity=2)],
            rule=AllocationRule.PER_PERSON,
        )

        round_open(supply_round=supply_round, by=staff)

        quantities = {
            order.household: order.lines.get().quantity
            for order in Order.objects.filter(round=supply_round)
        }
        assert quantities == {households["single"]: 2, households["family"]: 6}
        assert stock(supply_round.offers.get()) == 2

    def test_it_refuses_to_open_when_stock_is_short_and_says_by_how_much(
        self, committee, compound, vegetables, meat, staff, closes_at, households
    ):
        supply_round = allocation(
            committee,
            [compound],
            closes_at,
            staff,
            [OfferSpec(vegetables, 10), OfferSpec(meat, 1)],
        )

        with pytest.raises(ApplicationError, match="2 packs are needed but only 1 are in stock"):
            round_open(supply_round=supply_round, by=staff)

        assert status(supply_round) == RoundStatus.DRAFT
        assert not Order.objects.filter(round=supply_round).exists()
        assert sorted(o.stock for o in Offer.objects.filter(round=supply_round)) == [1, 10]

    def test_it_creates_nothing_more_when_opened_twice(
        self, committee, compound, vegetables, staff, closes_at, households
    ):
        supply_round = allocation(
            committee, [compound], closes_at, staff, [OfferSpec(vegetables, 10)]
        )
        round_open(supply_round=supply_round, by=staff)

        with pytest.raises(ApplicationError, match="cannot become"):
            round_open(supply_round=SupplyRound.objects.get(pk=supply_round.pk), by=staff)

        assert Order.objects.filter(round=supply_round).count() == 2
        assert stock(supply_round.offers.get()) == 8


class TestCloseAndCancel:
    def test_it_closes_an_open_round_and_then_refuses_orders(
        self, group_buy, offers, household, resident_user, staff
    ):
        round_close(supply_round=group_buy, by=staff)

        with pytest.raises(RoundNotOpen):
            place(household, group_buy, {offers["蔬菜包"].pk: 1}, resident_user)

        assert status(group_buy) == RoundStatus.CLOSED
        assert RoundEvent.objects.filter(round=group_buy).last().actor == staff

    def test_it_closes_only_an_open_round(self, draft_group_buy, staff):
        with pytest.raises(ApplicationError, match="cannot become"):
            round_close(supply_round=draft_group_buy, by=staff)

    def test_it_cancels_a_round_with_its_orders_and_says_why(
        self, group_buy, offers, household, resident_user, staff
    ):
        order = place(household, group_buy, {offers["蔬菜包"].pk: 2}, resident_user)

        round_cancel(supply_round=group_buy, by=staff, reason="供应商无法送货")

        order.refresh_from_db()
        assert order.status == OrderStatus.CANCELLED
        cancelled = order.events.get(kind=OrderEvent.Kind.CANCELLED)
        assert (cancelled.actor, cancelled.note) == (staff, "供应商无法送货")

    def test_it_needs_a_reason_to_cancel_a_round(self, group_buy, staff):
        with pytest.raises(ApplicationError, match="reason"):
            round_cancel(supply_round=group_buy, by=staff, reason="")

        assert status(group_buy) == RoundStatus.OPEN

    def test_it_does_not_cancel_a_closed_round(self, group_buy, staff):
        round_close(supply_round=group_buy, by=staff)

        with pytest.raises(ApplicationError, match="cannot become"):
            round_cancel(supply_round=group_buy, by=staff, reason="太晚了")


class TestOrdering:
    def test_it_takes_stock_in_the_same_step_as_the_order(
        self, group_buy, offers, household, resident, resident_user
    ):
        order = place(household, group_buy, {offers["蔬菜包"].pk: 2}, resident_user)

        assert stock(offers["蔬菜包"]) == 48
        assert [(line.quantity, line.unit_price) for line in order.lines.all()] == [
            (2, Decimal("88.00"))
        ]
        assert order.channel == Channel.RESIDENT

    def test_it_refuses_a_second_order_for_the_same_household(
        self, group_buy, offers, household, resident_user, staff
    ):
        place(household, group_buy, {offers["蔬菜包"].pk: 1}, resident_user)

        with pytest.raises(ApplicationError, match="already has an order"):
            place(household, group_buy, {offers["肉蛋包"].pk: 1}, staff, Channel.HOTLINE)

        assert stock(offers["肉蛋包"]) == 20

    def test_the_database_refuses_two_orders_for_one_household_in_one_round(
        self, group_buy, household
    ):
        Order.objects.create(household=household, round=group_buy, channel="api", pickup_code="A")

        with pytest.raises(IntegrityError), transaction.atomic():
            Order.objects.create(
                household=household, round=group_buy, channel="api", pickup_code="B"
            )

    def test_it_keeps_the_limit_per_household(self, group_buy, offers, household, resident_user):
        with pytest.raises(ApplicationError, match="At most 2 packs of 蔬菜包 per household"):
            place(household, group_buy, {offers["蔬菜包"].pk: 3}, resident_user)

        assert stock(offers["蔬菜包"]) == 50
        assert not Order.objects.exists()

    def test_it_keeps_the_limit_per_person(
        self, committee, compound, household, resident, vegetables, leader, staff, closes_at
    ):
        ResidentFactory(household=household)  # two people
        supply_round = round_create(
            committee=committee,
            title="按人限购",
            kind=RoundKind.GROUP_BUY,
            compounds=[compound],
            closes_at=closes_at,
            offers=[OfferSpec(vegetables, 50, limit_per_household=10, limit_per_person=1)],
            leader=leader,
            by=leader,
        )
        round_propose(supply_round=supply_round, by=leader)
        round_approve(supply_round=supply_round, by=staff)
        round_open(supply_round=supply_round, by=staff)
        offer = supply_round.offers.get()

        with pytest.raises(ApplicationError, match="At most 2 packs"):
            place(household, supply_round, {offer.pk: 3}, staff, Channel.HOTLINE)
        place(household, supply_round, {offer.pk: 2}, staff, Channel.HOTLINE)

        assert stock(offer) == 48

    def test_it_refuses_a_negative_quantity(self, group_buy, offers, household, resident_user):
        with pytest.raises(ApplicationError, match="negative"):
            place(household, group_buy, {offers["蔬菜包"].pk: 1, offers["肉蛋包"].pk: -1}, None)

        assert (stock(offers["蔬菜包"]), stock(offers["肉蛋包"])) == (50, 20)

    def test_it_refuses_an_order_of_nothing(self, group_buy, offers, household, resident_user):
        with pytest.raises(ApplicationError, match="at least one"):
            place(household, group_buy, {offers["蔬菜包"].pk: 0}, resident_user)

        assert not Order.objects.exists()

    def test_it_refuses_an_offer_of_another_round(
        self, group_buy, household, resident_user, committee, compound, vegetables, staff
    ):
        other_round = allocation(
            committee,
            [compound],
            group_buy.closes_at,
            staff,
            [OfferSpec(vegetables, 5)],
        )

        with pytest.raises(ApplicationError, match="not offered in this round"):
            place(household, group_buy, {other_round.offers.get().pk: 1}, resident_user)

    def test_it_refuses_a_household_the_round_does_not_serve(
        self, group_buy, offers, other_household, staff
    ):
        with pytest.raises(ApplicationError, match="does not serve"):
            place(other_household, group_buy, {offers["蔬菜包"].pk: 1}, staff, Channel.HOTLINE)

        assert stock(offers["蔬菜包"]) == 50

    def test_it_refuses_an_order_after_the_closing_time_even_before_the_beat_runs(
        self, group_buy, offers, household, resident_user
    ):
        SupplyRound.objects.filter(pk=group_buy.pk).update(
            closes_at=timezone.now() - datetime.timedelta(seconds=1)
        )

        with pytest.raises(RoundNotOpen) as refused:
            place(
                household, SupplyRound.objects.get(pk=group_buy.pk), {offers["蔬菜包"].pk: 1}, None
            )

        assert refused.value.extra["code"] == "round_not_open"

    def test_it_refuses_a_sold_out_pack_and_leaves_stock_alone(
        self, group_buy, offers, building, household, resident_user
    ):
        Offer.objects.filter(pk=offers["肉蛋包"].pk).update(stock=1)
        neighbour = HouseholdFactory(building=building, room="102")
        place(neighbour, group_buy, {offers["肉蛋包"].pk: 1}, None)

        with pytest.raises(SoldOut) as refused:
            place(
                household,
                group_buy,
                {offers["蔬菜包"].pk: 2, offers["肉蛋包"].pk: 1},
                resident_user,
            )

        assert refused.value.extra == {"code": "sold_out", "offer": offers["肉蛋包"].pk}
        assert "肉蛋包 is sold out" in refused.value.message
        assert (stock(offers["蔬菜包"]), stock(offers["肉蛋包"])) == (50, 0)
        assert not Order.objects.filter(household=household).exists()

    def test_an_edit_takes_and_returns_only_the_difference(
        self, group_buy, offers, household, resident_user
    ):
        veg, meat = offers["蔬菜包"], offers["肉蛋包"]
        order = place(household, group_buy, {veg.pk: 1}, resident_user)

        order_update(order=order, quantities={veg.pk: 2, meat.pk: 1}, by=resident_user)
        assert (stock(veg), stock(meat)) == (48, 19)

        order_update(order=order, quantities={meat.pk: 1}, by=resident_user)
        assert (stock(veg), stock(meat)) == (50, 19)
        assert [line.offer for line in order.lines.all()] == [meat]

    def test_a_refused_edit_changes_nothing(self, group_buy, offers, household, resident_user):
        veg, meat = offers["蔬菜包"], offers["肉蛋包"]
        order = place(household, group_buy, {veg.pk: 1}, resident_user)
        Offer.objects.filter(pk=meat.pk).update(stock=0)

        with pytest.raises(SoldOut):
            order_update(order=order, quantities={veg.pk: 2, meat.pk: 1}, by=resident_user)

        assert stock(veg) == 49
        assert [(line.offer, line.quantity) for line in order.lines.all()] == [(veg, 1)]

    def test_it_returns_the_stock_of_a_cancelled_order(
        self, group_buy, offers, household, resident_user
    ):
        order = place(household, group_buy, {offers["蔬菜包"].pk: 2}, resident_user)

        order_cancel(order=order, by=resident_user, reason="买到了")

        assert stock(offers["蔬菜包"]) == 50
        assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
        with pytest.raises(ApplicationError, match="already cancelled"):
            order_cancel(order=order, by=resident_user)
        with pytest.raises(ApplicationError, match="cancelled order cannot be edited"):
            order_update(order=order, quantities={offers["蔬菜包"].pk: 1}, by=resident_user)
        assert stock(offers["蔬菜包"]) == 50

    def test_it_reuses_the_one_order_when_a_household_orders_again_after_cancelling(
        self, group_buy, offers, household, resident_user
    ):
        first = place(household, group_buy, {offers["蔬菜包"].pk: 2}, resident_user)
        order_cancel(order=first, by=resident_user)

        again = place(household, group_buy, {offers["肉蛋包"].pk: 1}, resident_user)

        assert again.pk == first.pk
        assert again.status == OrderStatus.PLACED
        assert [line.offer for line in again.lines.all()] == [offers["肉蛋包"]]
        assert (stock(offers["蔬菜包"]), stock(offers["肉蛋包"])) == (50, 19)

    def test_it_refuses_edits_and_cancellations_after_the_round_closes(
        self, group_buy, offers, household, resident_user, staff
    ):
        order = place(household, group_buy, {offers["蔬菜包"].pk: 2}, resident_user)
        round_close(supply_round=group_buy, by=staff)

        with pytest.raises(RoundNotOpen):
            order_update(order=order, quantities={offers["蔬菜包"].pk: 1}, by=resident_user)
        with pytest.raises(RoundNotOpen):
            order_cancel(order=order, by=resident_user)

        assert stock(offers["蔬菜包"]) == 48

    def test_it_records_every_change_with_who_made_it(
        self, group_buy, offers, household, resident_user, staff, leader
    ):
        order = place(household, group_buy, {offers["蔬菜包"].pk: 1}, staff, Channel.HOTLINE)
        order_update(order=order, quantities={offers["蔬菜包"].pk: 2}, by=resident_user)
        order_record_payment(order=order, status=PaymentStatus.PAID, method="微信", by=leader)
        order_cancel(order=order, by=resident_user, reason="不要了")

        assert [(e.kind, e.actor) for e in order.events.all()] == [
            (OrderEvent.Kind.PLACED, staff),
            (OrderEvent.Kind.EDITED, resident_user),
            (OrderEvent.Kind.PAYMENT, leader),
            (OrderEvent.Kind.CANCELLED, resident_user),
        ]


class TestPayments:
    @pytest.fixture
    def order(self, group_buy, offers, household, resident_user):
        return place(household, group_buy, {offers["蔬菜包"].pk: 1}, resident_user)

    def test_it_needs_a_method_to_record_a_payment(self, order, leader):
        with pytest.raises(ApplicationError, match="how it was paid"):
            order_record_payment(order=order, status=PaymentStatus.PAID, method=" ", by=leader)

        order.refresh_from_db()
        assert (order.payment_status, order.payment_recorded_by) == (PaymentStatus.UNPAID, None)

    def test_it_records_who_recorded_a_payment_and_when(self, order, leader):
        order_record_payment(
            order=order, status=PaymentStatus.PAID, method="微信", reference="WX123", by=leader
        )

        order.refresh_from_db()
        assert (order.payment_status, order.payment_method, order.payment_reference) == (
            PaymentStatus.PAID,
            "微信",
            "WX123",
        )
        assert order.payment_recorded_by == leader
        assert order.payment_recorded_at is not None

    def test_it_waives_payment_for_hardship_without_a_method(self, order, staff):
        order_record_payment(order=order, status=PaymentStatus.WAIVED, by=staff)

        assert Order.objects.get(pk=order.pk).payment_status == PaymentStatus.WAIVED

    def test_it_refuses_an_unknown_payment_status(self, order, staff):
        with pytest.raises(ApplicationError, match="Unknown payment status"):
            order_record_payment(order=order, status="maybe", by=staff)


class TestPickupCodes:
    @pytest.fixture
    def many_orders(self, committee, compound, vegetables, staff, closes_at):
        building = BuildingFactory(compound=compound)
        households = Household.objects.bulk_create(
            Household(building=building, unit=1 + n // 100, room=str(n)) for n in range(200)
        )
        for household in households:
            ResidentFactory(household=household)
        supply_round = allocation(
            committee, [compound], closes_at, staff, [OfferSpec(vegetables, 200)]
        )
        round_open(supply_round=supply_round, by=staff)
        return list(Order.objects.filter(round=supply_round).order_by("pk"))

    def test_it_gives_every_order_a_distinct_readable_code(self, many_orders):
        codes = [order.pickup_code for order in many_orders]

        assert len(codes) == 200
        assert len(set(codes)) == 200
        readable = re.compile(f"[{CODE_ALPHABET}]{{8}}")
        assert all(readable.fullmatch(code) for code in codes), codes
        assert not set("01OIL") & set("".join(codes))

    def test_it_gives_orders_next_to_each_other_codes_with_nothing_in_common(self, many_orders):
        for before, after in zip(many_orders, many_orders[1:], strict=False):
            same = sum(a == b for a, b in zip(before.pickup_code, after.pickup_code, strict=True))
            # A counter in disguise would change one or two places; a random code about seven.
            assert same <= 5, (before.pickup_code, after.pickup_code)


class TestRoundCreationGuards:
    def _create(self, committee, compound, closes_at, staff, offers, leader=None):
        return round_create(
            committee=committee,
            title="团购",
            kind=RoundKind.GROUP_BUY,
            compounds=[compound],
            closes_at=closes_at,
            offers=offers,
            leader=leader,
            by=staff,
        )

    def test_it_refuses_the_same_package_twice(
        self, committee, compound, closes_at, staff, vegetables
    ):
        twice = [
            OfferSpec(package_type=vegetables, stock=5),
            OfferSpec(package_type=vegetables, stock=9),
        ]

        with pytest.raises(ApplicationError, match="only once"):
            self._create(committee, compound, closes_at, staff, twice)
        assert not SupplyRound.objects.exists()

    def test_it_refuses_a_leader_of_another_committee(
        self, committee, compound, closes_at, staff, vegetables, other_staff
    ):
        with pytest.raises(ApplicationError, match="not a group leader"):
            self._create(
                committee,
                compound,
                closes_at,
                staff,
                [OfferSpec(package_type=vegetables, stock=5)],
                leader=other_staff,
            )
        assert not SupplyRound.objects.exists()


def test_it_puts_the_packs_of_a_cancelled_round_back_in_stock(
    group_buy, offers, household, resident, resident_user, staff
):
    veg = offers["蔬菜包"]
    order_place(
        household=household,
        supply_round=group_buy,
        quantities={veg.pk: 2},
        placed_by=resident_user,
        channel=Channel.RESIDENT,
    )

    round_cancel(supply_round=group_buy, by=staff, reason="供应商无法供货")

    assert Offer.objects.get(pk=veg.pk).stock == 50
    assert Order.objects.get().status == OrderStatus.CANCELLED


def test_it_never_hands_out_a_pickup_code_an_order_already_has(
    group_buy, offers, household, resident, resident_user, monkeypatch
):
    first = order_place(
        household=household,
        supply_round=group_buy,
        quantities={offers["蔬菜包"].pk: 1},
        placed_by=resident_user,
        channel=Channel.RESIDENT,
    )
    draws = iter([first.pickup_code, "ZZZZ2222"])
    monkeypatch.setattr("supplies.services.orders.code_new", lambda: next(draws))

    assert unused_pickup_codes(1) == ["ZZZZ2222"]
