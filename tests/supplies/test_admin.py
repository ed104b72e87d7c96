"""The supplies admin as committee staff use it: scope, round actions, offers, orders, exports."""

import datetime
import io

import openpyxl
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from residents.services import buildings_set_closure
from supplies.models import (
    Channel,
    Offer,
    Order,
    OrderStatus,
    RoundEvent,
    RoundKind,
    RoundStatus,
    Supplier,
    SupplyRound,
)
from supplies.services.orders import order_place
from supplies.services.rounds import OfferSpec, round_create, round_open, round_propose
from tests.factories import BuildingFactory, HouseholdFactory, ResidentFactory, StreetFactory


def changelist(model: str) -> str:
    return reverse(f"admin:supplies_{model}_changelist")


def change(model: str, pk: int) -> str:
    return reverse(f"admin:supplies_{model}_change", args=[pk])


def listed(response) -> set:
    assert response.status_code == 200, response.get("Location")
    return set(response.context["cl"].result_list)


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def run_action(client, action: str, *rounds, **extra):
    return client.post(
        changelist("supplyround"),
        {"action": action, ACTION_CHECKBOX_NAME: [r.pk for r in rounds], **extra},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def history(supply_round) -> list[tuple]:
    return [
        (event.from_status, event.to_status, event.actor.username if event.actor else None)
        for event in RoundEvent.objects.filter(round=supply_round)
    ]


def workbook_rows(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    return list(workbook.worksheets[0].iter_rows(values_only=True))


@pytest.fixture
def as_staff(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def as_other_staff(client, other_staff):
    client.force_login(other_staff)
    return client


@pytest.fixture
def proposed(committee, compound, vegetables, leader, closes_at):
    """A group buy of vegetables its leader has proposed to the committee."""
    supply_round = round_create(
        committee=committee,
        title="第二批蔬菜团购",
        kind=RoundKind.GROUP_BUY,
        compounds=[compound],
        closes_at=closes_at,
        offers=[OfferSpec(package_type=vegetables, stock=30, limit_per_household=2)],
        leader=leader,
        by=leader,
    )
    return round_propose(supply_round=supply_round, by=leader)


@pytest.fixture
def order(group_buy, offers, household, resident, resident_user):
    return order_place(
        household=household,
        supply_round=group_buy,
        quantities={offers["蔬菜包"].pk: 2},
        placed_by=resident_user,
        channel=Channel.RESIDENT,
    )


@pytest.fixture
def other_round(other_committee, other_compound, other_staff, vegetables, closes_at):
    """Another committee's allocation round, open, with an order for its one household."""
    ResidentFactory(household=HouseholdFactory(building__compound=other_compound), name="陈建国")
    supply_round = round_create(
        committee=other_committee,
        title="香樟苑政府保供",
        kind=RoundKind.ALLOCATION,
        compounds=[other_compound],
        closes_at=closes_at,
        offers=[OfferSpec(package_type=vegetables, stock=10)],
        by=other_staff,
    )
    return round_open(supply_round=supply_round, by=other_staff)


class TestScope:
    def test_it_lists_only_the_committees_own_rounds(self, as_staff, group_buy, other_round):
        assert listed(as_staff.get(changelist("supplyround"))) == {group_buy}

    def test_it_lists_only_the_committees_own_orders(self, as_staff, order, other_round):
        assert other_round.orders.exists()

        assert listed(as_staff.get(changelist("order"))) == {order}

    def test_it_shows_the_other_committee_only_its_own(self, as_other_staff, order, other_round):
        assert listed(as_other_staff.get(changelist("supplyround"))) == {other_round}
        assert listed(as_other_staff.get(changelist("order"))) == set(other_round.orders.all())

    @pytest.mark.parametrize("model", ["supplyround", "order"])
    def test_it_does_not_open_another_committees_round_or_order(self, as_other_staff, order, model):
        record = order if model == "order" else order.round

        response = as_other_staff.get(change(model, record.pk), follow=True)

        assert response.redirect_chain == [("/admin/", 302)]
        assert "第一批蔬菜团购" not in response.content.decode()

    def test_it_does_not_export_another_committees_round(self, as_other_staff, order):
        url = reverse("admin:supplies_supplyround_export", args=[order.round_id, "by-household"])

        assert as_other_staff.get(url).status_code == 404

    def test_it_does_not_act_on_another_committees_round(self, as_other_staff, group_buy):
        run_action(as_other_staff, "close", group_buy)

        group_buy.refresh_from_db()
        assert group_buy.status == RoundStatus.OPEN

    @pytest.mark.parametrize("role", ["volunteer", "leader", "resident_user"])
    def test_it_keeps_volunteers_leaders_and_residents_out(self, client, request, group_buy, role):
        client.force_login(request.getfixturevalue(role))

        response = client.get(changelist("supplyround"))

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


class TestRoundActions:
    def test_it_approves_a_proposed_group_buy_and_records_who(self, as_staff, proposed):
        response = run_action(as_staff, "approve", proposed)

        assert response.status_code == 302
        proposed.refresh_from_db()
        assert proposed.status == RoundStatus.APPROVED
        assert history(proposed)[-1] == ("proposed", "approved", "staff")
        assert message_texts(response) == ["1 round is now Approved."]

    def test_it_refuses_to_approve_a_group_buy_of_an_unchecked_supplier_and_says_why(
        self, as_staff, proposed, supplier
    ):
        supplier.licence_checked_at = None
        supplier.save()
        events_before = history(proposed)

        response = run_action(as_staff, "approve", proposed)

        assert response.status_code == 302
        [message] = message_texts(response)
        assert "The licence of 盒马保供 has not been checked." in message
        proposed.refresh_from_db()
        assert proposed.status == RoundStatus.PROPOSED
        assert history(proposed) == events_before

    def test_it_asks_for_a_reason_before_rejecting(self, as_staff, proposed):
        response = run_action(as_staff, "reject", proposed)

        assert response.status_code == 200
        assert "admin/supplies/supplyround/reason.html" in [t.name for t in response.templates]
        assert "第二批蔬菜团购" in response.content.decode()
        proposed.refresh_from_db()
        assert proposed.status == RoundStatus.PROPOSED

    def test_it_asks_again_and_changes_nothing_without_a_reason(self, as_staff, proposed):
        response = run_action(as_staff, "reject", proposed, apply="1", reason="")

        assert response.status_code == 200
        assert response.context["form"].errors
        proposed.refresh_from_db()
        assert proposed.status == RoundStatus.PROPOSED

    def test_it_rejects_with_the_reason_the_leader_sees(self, as_staff, proposed):
        response = run_action(as_staff, "reject", proposed, apply="1", reason="蔬菜包价格过高")

        assert response.status_code == 302
        proposed.refresh_from_db()
        assert proposed.status == RoundStatus.DRAFT
        assert proposed.rejection_reason == "蔬菜包价格过高"
        last = RoundEvent.objects.filter(round=proposed).last()
        assert (last.to_status, last.actor.username, last.note) == (
            "draft",
            "staff",
            "蔬菜包价格过高",
        )

    def test_it_opens_an_approved_group_buy(self, as_staff, proposed):
        run_action(as_staff, "approve", proposed)

        run_action(as_staff, "open_for_orders", proposed)

        proposed.refresh_from_db()
        assert proposed.status == RoundStatus.OPEN
        assert proposed.opens_at is not None
        assert history(proposed)[-1] == ("approved", "open", "staff")

    def test_it_closes_an_open_round(self, as_staff, group_buy):
        response = run_action(as_staff, "close", group_buy)

        group_buy.refresh_from_db()
        assert group_buy.status == RoundStatus.CLOSED
        assert history(group_buy)[-1] == ("open", "closed", "staff")
        assert message_texts(response) == ["1 round is now Closed."]

    def test_it_cancels_a_round_and_its_orders_with_a_reason(self, as_staff, group_buy, order):
        asked = run_action(as_staff, "cancel", group_buy)
        assert asked.status_code == 200
        group_buy.refresh_from_db()
        assert group_buy.status == RoundStatus.OPEN

        run_action(as_staff, "cancel", group_buy, apply="1", reason="供应商无法发货")

        group_buy.refresh_from_db()
        order.refresh_from_db()
        assert group_buy.status == RoundStatus.CANCELLED
        assert order.status == OrderStatus.CANCELLED
        last = RoundEvent.objects.filter(round=group_buy).last()
        assert (last.to_status, last.actor.username, last.note) == (
            "cancelled",
            "staff",
            "供应商无法发货",
        )

    def test_it_says_why_a_transition_is_refused_and_changes_nothing(self, as_staff, group_buy):
        events_before = history(group_buy)

        response = run_action(as_staff, "open_for_orders", group_buy)

        assert response.status_code == 302
        assert message_texts(response) == [
            "第一批蔬菜团购: The round is Open; it cannot become Open."
        ]
        assert history(group_buy) == events_before

    def test_it_changes_the_rounds_it_can_and_explains_the_others(
        self, as_staff, group_buy, proposed
    ):
        response = run_action(as_staff, "close", group_buy, proposed)

        group_buy.refresh_from_db()
        proposed.refresh_from_db()
        assert (group_buy.status, proposed.status) == (RoundStatus.CLOSED, RoundStatus.PROPOSED)
        messages = message_texts(response)
        assert "第二批蔬菜团购: The round is Proposed; it cannot become Closed." in messages
        assert "1 round is now Closed." in messages


def round_form(supply_round=None, **fields) -> dict:
    """What the round's change form posts, with its offers' and history's inline forms."""
    closes_at = timezone.localtime(timezone.now() + datetime.timedelta(days=2))
    data = {
        "title": "新团购",
        "kind": RoundKind.GROUP_BUY,
        "allocation_rule": "per_household",
        "closes_at_0": closes_at.strftime("%Y-%m-%d"),
        "closes_at_1": closes_at.strftime("%H:%M:%S"),
        "notes": "",
        "offers-TOTAL_FORMS": "0",
        "offers-INITIAL_FORMS": "0",
        "offers-MIN_NUM_FORMS": "1",
        "offers-MAX_NUM_FORMS": "1000",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
        "events-MIN_NUM_FORMS": "0",
        "events-MAX_NUM_FORMS": "1000",
    }
    if supply_round is not None:
        data.update(
            title=supply_round.title,
            kind=supply_round.kind,
            committee=supply_round.committee_id,
            compounds=[c.pk for c in supply_round.compounds.all()],
            leader=supply_round.leader_id or "",
        )
        offers = list(supply_round.offers.all())
        data.update({"offers-TOTAL_FORMS": len(offers), "offers-INITIAL_FORMS": len(offers)})
        for index, offer in enumerate(offers):
            data.update(
                {
                    f"offers-{index}-id": offer.pk,
                    f"offers-{index}-round": supply_round.pk,
                    f"offers-{index}-package_type": offer.package_type_id,
                    f"offers-{index}-stock": offer.stock,
                    f"offers-{index}-limit_per_household": offer.limit_per_household,
                    f"offers-{index}-limit_per_person": offer.limit_per_person or "",
                    f"offers-{index}-allocation_quantity": offer.allocation_quantity,
                }
            )
        events = supply_round.events.count()
        data.update({"events-TOTAL_FORMS": events, "events-INITIAL_FORMS": events})
        for index, event in enumerate(supply_round.events.all()):
            data[f"events-{index}-id"] = event.pk
            data[f"events-{index}-round"] = supply_round.pk
    data.update(fields)
    return data


class TestRoundPage:
    def test_it_creates_a_draft_round_with_its_offers_and_history(
        self, as_staff, committee, compound, leader, vegetables
    ):
        data = round_form(
            committee=committee.pk,
            compounds=[compound.pk],
            leader=leader.pk,
            **{
                "offers-TOTAL_FORMS": "1",
                "offers-0-package_type": vegetables.pk,
                "offers-0-stock": "40",
                "offers-0-limit_per_household": "2",
                "offers-0-allocation_quantity": "1",
            },
        )

        response = as_staff.post(reverse("admin:supplies_supplyround_add"), data)

        assert response.status_code == 302, response.context["adminform"].form.errors
        supply_round = SupplyRound.objects.get(title="新团购")
        assert supply_round.status == RoundStatus.DRAFT
        assert supply_round.created_by.username == "staff"
        assert [(o.package_type, o.stock) for o in supply_round.offers.all()] == [(vegetables, 40)]
        assert history(supply_round) == [("draft", "draft", "staff")]

    def test_it_refuses_a_round_for_another_committees_compound(
        self, as_staff, committee, other_compound, vegetables
    ):
        data = round_form(
            committee=committee.pk,
            compounds=[other_compound.pk],
            **{
                "offers-TOTAL_FORMS": "1",
                "offers-0-package_type": vegetables.pk,
                "offers-0-stock": "40",
                "offers-0-limit_per_household": "1",
                "offers-0-allocation_quantity": "1",
            },
        )

        response = as_staff.post(reverse("admin:supplies_supplyround_add"), data)

        assert response.status_code == 200
        assert "compounds" in response.context["adminform"].form.errors
        assert not SupplyRound.objects.exists()

    def test_it_refuses_a_round_without_offers(self, as_staff, committee, compound):
        data = round_form(committee=committee.pk, compounds=[compound.pk])

        response = as_staff.post(reverse("admin:supplies_supplyround_add"), data)

        assert response.status_code == 200
        assert not SupplyRound.objects.exists()

    def test_it_shows_an_empty_round_form_with_a_row_for_an_offer(
        self, as_staff, committee, other_committee
    ):
        page = as_staff.get(reverse("admin:supplies_supplyround_add"))

        assert page.status_code == 200
        offers_inline = page.context["inline_admin_formsets"][0]
        assert len(offers_inline.formset.forms) == 1
        committees = page.context["adminform"].form.fields["committee"].queryset
        assert list(committees) == [committee]

    def test_it_lets_staff_change_a_proposed_rounds_offers(self, as_staff, proposed):
        data = round_form(proposed, **{"offers-0-stock": "45"})

        response = as_staff.post(change("supplyround", proposed.pk), data)

        assert response.status_code == 302
        assert proposed.offers.get().stock == 45

    def test_it_keeps_an_open_rounds_offers_and_status_as_they_are(
        self, as_staff, group_buy, order
    ):
        page = as_staff.get(change("supplyround", group_buy.pk))
        offers_inline = page.context["inline_admin_formsets"][0]
        assert not offers_inline.has_add_permission
        assert not offers_inline.has_change_permission
        assert not offers_inline.has_delete_permission
        stock = {offer.pk: offer.stock for offer in group_buy.offers.all()}
        data = round_form(
            group_buy,
            status=RoundStatus.DRAFT,
            **{"offers-0-stock": "500", "offers-0-DELETE": "on"},
        )

        response = as_staff.post(change("supplyround", group_buy.pk), data)

        assert response.status_code == 302
        group_buy.refresh_from_db()
        assert group_buy.status == RoundStatus.OPEN
        assert {offer.pk: offer.stock for offer in group_buy.offers.all()} == stock

    def test_it_shows_the_rounds_history_with_who_and_when(self, as_staff, group_buy):
        page = as_staff.get(change("supplyround", group_buy.pk), HTTP_ACCEPT_LANGUAGE="en")

        events = page.context["inline_admin_formsets"][1].formset.queryset
        assert [(e.to_status, e.actor.username) for e in events] == [
            ("draft", "leader"),
            ("proposed", "leader"),
            ("approved", "staff"),
            ("open", "staff"),
        ]

    def test_it_links_the_exports_from_the_rounds_page(self, as_staff, group_buy, order):
        page = as_staff.get(change("supplyround", group_buy.pk))
        url = reverse("admin:supplies_supplyround_export", args=[group_buy.pk, "by-household"])
        assert url in page.content.decode()

        rows = workbook_rows(as_staff.get(url, HTTP_ACCEPT_LANGUAGE="en"))

        assert rows[0][:6] == (
            "Compound",
            "Building",
            "Unit",
            "Room",
            "Contact phone",
            "Pickup code",
        )
        assert [row[5] for row in rows[1:]] == [order.pickup_code]

    def test_it_lets_a_closed_round_be_seen_and_exported_but_not_changed(
        self, as_staff, group_buy, order
    ):
        run_action(as_staff, "close", group_buy)

        page = as_staff.get(change("supplyround", group_buy.pk))

        assert page.status_code == 200
        assert not page.context["has_change_permission"]
        url = reverse("admin:supplies_supplyround_export", args=[group_buy.pk, "by-building"])
        assert url in page.content.decode()


class TestExportActions:
    @pytest.mark.parametrize(
        ("action", "headers"),
        [
            ("export_by_building", ("Compound", "Building", "Package")),
            ("export_by_household", ("Compound", "Building", "Unit", "Room", "Contact phone")),
            ("export_reconciliation", ("Compound", "Building", "Unit", "Room", "Pickup code")),
        ],
    )
    def test_it_downloads_the_export_of_one_selected_round(
        self, as_staff, group_buy, order, action, headers
    ):
        rows = workbook_rows(run_action(as_staff, action, group_buy))

        assert rows[0][: len(headers)] == headers
        assert len(rows) == 2  # the header and the one order's row

    def test_it_asks_for_exactly_one_round(self, as_staff, group_buy, proposed):
        response = run_action(as_staff, "export_by_building", group_buy, proposed)

        assert response.status_code == 302
        assert message_texts(response) == ["Select exactly one round to export."]


class TestSuppliers:
    def test_it_marks_a_licence_checked_with_who_checked_it(self, as_staff, unlicensed_supplier):
        response = as_staff.post(
            changelist("supplier"),
            {"action": "mark_licence_checked", ACTION_CHECKBOX_NAME: [unlicensed_supplier.pk]},
        )

        assert response.status_code == 302
        unlicensed_supplier.refresh_from_db()
        assert unlicensed_supplier.licence_checked
        assert unlicensed_supplier.licence_checked_by.username == "staff"

    def test_it_unchecks_the_licence_when_its_number_changes(self, as_staff, supplier):
        response = as_staff.post(
            change("supplier", supplier.pk),
            {"name": supplier.name, "licence_number": "JY-NEW-0002"},
        )

        assert response.status_code == 302
        supplier.refresh_from_db()
        assert supplier.licence_number == "JY-NEW-0002"
        assert not supplier.licence_checked

    def test_it_says_why_a_change_is_refused_instead_of_failing(
        self, as_staff, supplier, unlicensed_supplier
    ):
        response = as_staff.post(
            change("supplier", unlicensed_supplier.pk),
            {"name": supplier.name, "licence_number": "X-1"},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="en",
        )

        assert response.status_code == 200
        assert "A supplier named 盒马保供 is already registered in this street." in message_texts(
            response
        )
        unlicensed_supplier.refresh_from_db()
        assert unlicensed_supplier.name == "无证商户"

    def test_it_registers_a_supplier_unchecked_and_its_package(self, as_staff, street):
        as_staff.post(
            reverse("admin:supplies_supplier_add"),
            {"street": street.pk, "name": "叮咚保供", "licence_number": "JY-0003"},
        )
        supplier = Supplier.objects.get(name="叮咚保供")
        assert (supplier.created_by.username, supplier.licence_checked) == ("staff", False)

        response = as_staff.post(
            reverse("admin:supplies_packagetype_add"),
            {
                "supplier": supplier.pk,
                "name": "牛奶包",
                "category": "milk",
                "unit_price": "45.00",
                "essential": "on",
            },
        )

        assert response.status_code == 302
        assert supplier.packages.get().created_by.username == "staff"

    def test_it_does_not_show_another_streets_suppliers(self, as_staff, supplier):
        elsewhere = Supplier.objects.create(street=StreetFactory(), name="外街", licence_number="1")

        assert listed(as_staff.get(changelist("supplier"))) == {supplier}
        assert elsewhere not in listed(as_staff.get(changelist("supplier")))


class TestOrders:
    @pytest.fixture
    def two_orders(self, group_buy, offers, order, building, staff):
        """The resident's order (101, resident 张秀英) and a hotline order for 102."""
        neighbour = ResidentFactory(
            household=HouseholdFactory(building=building, room="102", contact_phone="13700137000"),
            name="李建华",
        )
        hotline = order_place(
            household=neighbour.household,
            supply_round=group_buy,
            quantities={offers["肉蛋包"].pk: 1},
            placed_by=staff,
            channel=Channel.HOTLINE,
        )
        return order, hotline

    @pytest.mark.parametrize(
        ("term", "expected"),
        [("张秀英", 0), ("13700137000", 1), ("102", 1)],
    )
    def test_it_finds_orders_by_resident_name_phone_and_room(
        self, as_staff, two_orders, term, expected
    ):
        found = listed(as_staff.get(changelist("order"), {"q": term}))

        assert found == {two_orders[expected]}

    def test_it_finds_an_order_by_its_pickup_code_as_read_out(self, as_staff, two_orders):
        code = two_orders[1].pickup_code
        read_out = f"{code[:4]} {code[4:]}".lower()

        assert listed(as_staff.get(changelist("order"), {"q": read_out})) == {two_orders[1]}

    def test_it_filters_orders_by_channel_and_payment(self, as_staff, two_orders):
        assert listed(as_staff.get(changelist("order"), {"channel": "hotline"})) == {two_orders[1]}
        assert listed(as_staff.get(changelist("order"), {"payment_status": "paid"})) == set()

    def test_it_filters_orders_by_building_and_closure_level(
        self, as_staff, two_orders, compound, offers, staff, group_buy, street_staff
    ):
        sealed = BuildingFactory(compound=compound, label="7")
        buildings_set_closure(buildings=[sealed], level="sealed", reason="阳性", by=street_staff)
        behind_the_seal = order_place(
            household=HouseholdFactory(building=sealed, room="301"),
            supply_round=group_buy,
            quantities={offers["蔬菜包"].pk: 1},
            placed_by=staff,
            channel=Channel.HOTLINE,
        )
        by_level = {"household__building__closure_level": "sealed"}
        by_building = {"household__building__id__exact": sealed.pk}

        assert listed(as_staff.get(changelist("order"), by_level)) == {behind_the_seal}
        assert listed(as_staff.get(changelist("order"), by_building)) == {behind_the_seal}

    def test_it_shows_an_order_with_its_lines_and_history_read_only(self, as_staff, order):
        page = as_staff.get(change("order", order.pk))

        assert page.status_code == 200
        assert not page.context["has_change_permission"]
        lines, events = (
            inline.formset.queryset for inline in page.context["inline_admin_formsets"]
        )
        assert [(line.quantity, line.offer.package_type.name) for line in lines] == [(2, "蔬菜包")]
        assert [(event.kind, event.actor.username) for event in events] == [("placed", "resident")]

    def test_it_neither_adds_nor_deletes_orders(self, as_staff, order):
        assert as_staff.get(reverse("admin:supplies_order_add")).status_code == 403
        assert (
            as_staff.post(reverse("admin:supplies_order_delete", args=[order.pk])).status_code
            == 403
        )
        assert (
            as_staff.post(
                changelist("order"), {"action": "delete_selected", ACTION_CHECKBOX_NAME: [order.pk]}
            ).status_code
            == 200
        )
        assert Order.objects.filter(pk=order.pk, status=OrderStatus.PLACED).exists()

    def test_it_changes_nothing_when_an_order_is_posted(self, as_staff, order):
        as_staff.post(change("order", order.pk), {"status": "cancelled", "payment_status": "paid"})

        order.refresh_from_db()
        assert (order.status, order.payment_status) == ("placed", "unpaid")


class TestOffersStock:
    @pytest.fixture
    def two_offers(self, proposed, meat):
        Offer.objects.create(round=proposed, package_type=meat, stock=10)
        return list(proposed.offers.order_by("pk"))

    def test_it_lets_staff_delete_an_offer_of_a_proposed_round(
        self, as_staff, proposed, two_offers
    ):
        data = round_form(proposed, **{"offers-0-DELETE": "on"})

        response = as_staff.post(change("supplyround", proposed.pk), data)

        assert response.status_code == 302
        assert list(proposed.offers.all()) == two_offers[1:]

    def test_it_does_not_let_staff_delete_an_offer_once_orders_exist(
        self, as_staff, proposed, two_offers, household, resident
    ):
        # Orders only exist once a round opens; one made by hand stands in for them.
        Order.objects.create(
            household=household, round=proposed, channel=Channel.HOTLINE, pickup_code="TESTCODE"
        )
        data = round_form(proposed, **{"offers-0-DELETE": "on"})

        response = as_staff.post(change("supplyround", proposed.pk), data)

        assert response.status_code == 302
        assert list(proposed.offers.all()) == two_offers


class TestQueries:
    @pytest.mark.parametrize("model", ["order", "supplyround"])
    def test_it_lists_many_as_cheaply_as_few(
        self, as_staff, group_buy, offers, building, staff, model
    ):
        def place(room):
            household = ResidentFactory(household=HouseholdFactory(building=building, room=room))
            order_place(
                household=household.household,
                supply_round=group_buy,
                quantities={offers["蔬菜包"].pk: 1, offers["肉蛋包"].pk: 1},
                placed_by=staff,
                channel=Channel.HOTLINE,
            )

        place("101")
        with CaptureQueriesContext(connection) as few:
            as_staff.get(changelist(model))
        for room in ("102", "103", "104", "105", "106"):
            place(room)

        with CaptureQueriesContext(connection) as many:
            response = as_staff.get(changelist(model))

        assert response.status_code == 200
        assert len(many) == len(few)
