"""The supplies API, per role: each sees only their own, and bad input gets a JSON 400."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from residents.models import Role
from residents.services import membership_grant
from supplies.models import (
    Category,
    Channel,
    Offer,
    Order,
    OrderStatus,
    PackageType,
    PaymentStatus,
    RoundKind,
    RoundStatus,
    Supplier,
    SupplyRound,
)
from supplies.services.orders import order_place
from supplies.services.rounds import OfferSpec, round_close, round_create, round_open
from tests.factories import (
    CommitteeFactory,
    CompoundFactory,
    HouseholdFactory,
    ResidentFactory,
    StreetFactory,
    UserFactory,
)

API = "/api/v1/"


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")  # refusals are asserted in English
    client.force_authenticate(user)
    return client


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def assert_json_400(response, *fields: str) -> dict:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    for name in fields:
        assert body.get(name), body
    return body


def stock(offer: Offer) -> int:
    return Offer.objects.get(pk=offer.pk).stock


def round_status(supply_round: SupplyRound) -> str:
    return SupplyRound.objects.get(pk=supply_round.pk).status


@pytest.fixture
def neighbour(building):
    """Another household of the same compound, with one resident."""
    household = HouseholdFactory(building=building, room="102")
    ResidentFactory(household=household)
    return household


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
def neighbours_order(group_buy, offers, neighbour, staff):
    return order_place(
        household=neighbour,
        supply_round=group_buy,
        quantities={offers["肉蛋包"].pk: 1},
        placed_by=staff,
        channel=Channel.HOTLINE,
    )


@pytest.fixture
def draft(committee, compound, vegetables, staff, closes_at):
    """A draft allocation round of the committee: staff see it, residents do not yet."""
    return round_create(
        committee=committee,
        title="政府保供草稿",
        kind=RoundKind.ALLOCATION,
        compounds=[compound],
        closes_at=closes_at,
        offers=[OfferSpec(vegetables, 100)],
        by=staff,
    )


@pytest.fixture
def other_round(other_committee, other_compound, vegetables, other_staff, closes_at):
    """An open allocation round of the other committee."""
    supply_round = round_create(
        committee=other_committee,
        title="香樟苑保供",
        kind=RoundKind.ALLOCATION,
        compounds=[other_compound],
        closes_at=closes_at,
        offers=[OfferSpec(vegetables, 100)],
        by=other_staff,
    )
    return round_open(supply_round=supply_round, by=other_staff)


@pytest.fixture
def proposed(committee, compound, vegetables, leader, closes_at):
    supply_round = round_create(
        committee=committee,
        title="第二批团购",
        kind=RoundKind.GROUP_BUY,
        compounds=[compound],
        closes_at=closes_at,
        offers=[OfferSpec(vegetables, 30)],
        leader=leader,
        by=leader,
    )
    SupplyRound.objects.filter(pk=supply_round.pk).update(status=RoundStatus.PROPOSED)
    return supply_round


class TestAuthentication:
    def test_it_accepts_a_token(self, order, resident_user):
        issued = APIClient().post(
            API + "auth/token/", {"username": "resident", "password": "pass-1234"}, format="json"
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {issued.json()['token']}")

        assert ids(client.get(API + "orders/")) == {order.pk}

    @pytest.mark.parametrize("url", ["suppliers/", "package-types/", "rounds/", "orders/"])
    def test_it_refuses_anonymous_reads(self, api_client, order, url):
        response = api_client.get(API + url)

        assert response.status_code in (401, 403)
        assert "results" not in response.json()

    def test_it_refuses_an_anonymous_order(self, api_client, group_buy, offers, household):
        response = api_client.post(
            API + "orders/",
            {"round": group_buy.pk, "lines": [{"offer": offers["蔬菜包"].pk, "quantity": 1}]},
            format="json",
        )

        assert response.status_code in (401, 403)
        assert not Order.objects.exists()


class TestSuppliers:
    def test_staff_and_leaders_see_their_streets_suppliers_and_others_none(
        self, supplier, staff, leader, volunteer, resident_user
    ):
        assert ids(client_for(staff).get(API + "suppliers/")) == {supplier.pk}
        assert ids(client_for(leader).get(API + "suppliers/")) == {supplier.pk}
        assert ids(client_for(volunteer).get(API + "suppliers/")) == set()
        assert ids(client_for(resident_user).get(API + "suppliers/")) == set()

    def test_staff_register_a_supplier_in_their_street(self, street, staff):
        response = client_for(staff).post(
            API + "suppliers/",
            {"name": "叮咚保供", "licence_number": "JY131", "contact_phone": "(021) 6234 5678"},
            format="json",
        )

        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["street"], body["licence_checked"]) == (street.pk, False)
        assert body["contact_phone"] == "+862162345678"  # a landline, stored in E.164
        assert Supplier.objects.get(pk=body["id"]).created_by == staff

    def test_a_group_leader_cannot_register_a_supplier(self, leader):
        response = client_for(leader).post(
            API + "suppliers/", {"name": "叮咚保供", "licence_number": "JY131"}, format="json"
        )

        assert response.status_code == 403
        assert not Supplier.objects.exists()

    def test_it_answers_a_duplicate_name_with_a_json_400(self, supplier, staff):
        response = client_for(staff).post(
            API + "suppliers/", {"name": supplier.name, "licence_number": "JY2"}, format="json"
        )

        assert "already registered" in assert_json_400(response, "detail")["detail"]

    def test_it_answers_a_missing_licence_number_with_a_json_400(self, staff):
        response = client_for(staff).post(API + "suppliers/", {"name": "叮咚"}, format="json")

        assert_json_400(response, "licence_number")

    def test_staff_record_the_licence_check(self, unlicensed_supplier, staff):
        response = client_for(staff).post(
            API + f"suppliers/{unlicensed_supplier.pk}/check-licence/"
        )

        assert response.status_code == 200, response.content
        assert response.json()["licence_checked"] is True
        assert response.json()["licence_checked_by"] == "staff"

    def test_only_staff_of_the_street_check_a_licence(self, unlicensed_supplier, leader):
        far_committee = CommitteeFactory(street=StreetFactory(name="远方街道"))
        far_staff = UserFactory(username="far-staff")
        membership_grant(user=far_staff, role=Role.COMMITTEE_STAFF, committee=far_committee)
        url = API + f"suppliers/{unlicensed_supplier.pk}/check-licence/"

        assert client_for(leader).post(url).status_code == 403
        assert client_for(far_staff).post(url).status_code == 404
        assert not Supplier.objects.get(pk=unlicensed_supplier.pk).licence_checked

    def test_a_new_licence_number_must_be_checked_again(self, supplier, staff):
        response = client_for(staff).patch(
            API + f"suppliers/{supplier.pk}/", {"licence_number": "JY-NEW"}, format="json"
        )

        assert response.status_code == 200, response.content
        assert response.json()["licence_checked"] is False


class TestPackageTypes:
    def test_staff_add_a_package_to_a_supplier(self, supplier, staff):
        response = client_for(staff).post(
            API + "package-types/",
            {"supplier": supplier.pk, "name": "牛奶包", "category": "milk", "unit_price": "45.50"},
            format="json",
        )

        assert response.status_code == 201, response.content
        assert PackageType.objects.get(pk=response.json()["id"]).created_by == staff

    def test_it_answers_a_negative_price_with_a_json_400(self, supplier, staff):
        response = client_for(staff).post(
            API + "package-types/",
            {"supplier": supplier.pk, "name": "牛奶包", "category": "milk", "unit_price": "-1"},
            format="json",
        )

        assert_json_400(response, "unit_price")
        assert not PackageType.objects.filter(name="牛奶包").exists()

    def test_leaders_read_packages_but_do_not_change_them(self, vegetables, leader):
        client = client_for(leader)

        assert vegetables.pk in ids(client.get(API + "package-types/"))
        response = client.patch(
            API + f"package-types/{vegetables.pk}/", {"unit_price": "1.00"}, format="json"
        )
        assert response.status_code == 403
        assert PackageType.objects.get(pk=vegetables.pk).unit_price == vegetables.unit_price

    def test_a_filter_by_another_streets_supplier_finds_nothing_and_says_nothing(
        self, vegetables, staff
    ):
        far_supplier = Supplier.objects.create(
            street=StreetFactory(name="远方街道"), name="远方保供", licence_number="JY9"
        )

        assert (
            ids(client_for(staff).get(API + f"package-types/?supplier={far_supplier.pk}")) == set()
        )

    def test_staff_change_a_packages_price(self, vegetables, staff):
        response = client_for(staff).patch(
            API + f"package-types/{vegetables.pk}/", {"unit_price": "80.00"}, format="json"
        )

        assert response.status_code == 200, response.content
        assert response.json()["unit_price"] == "80.00"


class TestRoundsSeenByRole:
    def test_a_resident_sees_only_open_rounds_serving_their_compound(
        self, group_buy, draft, other_round, resident_user
    ):
        assert ids(client_for(resident_user).get(API + "rounds/")) == {group_buy.pk}

    def test_staff_see_their_committees_rounds_in_every_state(
        self, group_buy, draft, other_round, staff, street_staff
    ):
        assert ids(client_for(staff).get(API + "rounds/")) == {group_buy.pk, draft.pk}
        everything = {group_buy.pk, draft.pk, other_round.pk}
        assert ids(client_for(street_staff).get(API + "rounds/")) == everything

    def test_another_committees_staff_get_a_404(self, group_buy, other_staff):
        client = client_for(other_staff)

        assert client.get(API + f"rounds/{group_buy.pk}/").status_code == 404
        assert client.post(API + f"rounds/{group_buy.pk}/close/").status_code == 404
        assert round_status(group_buy) == RoundStatus.OPEN

    def test_a_volunteer_sees_no_rounds(self, group_buy, volunteer):
        assert ids(client_for(volunteer).get(API + "rounds/")) == set()

    def test_a_round_shows_its_offers_with_price_stock_and_limits(self, group_buy, resident_user):
        response = client_for(resident_user).get(API + f"rounds/{group_buy.pk}/")

        assert response.status_code == 200
        offers = response.json()["offers"]
        assert [
            (o["package_type_name"], o["category"], o["unit_price"], o["stock"]) for o in offers
        ] == [("蔬菜包", "vegetable", "88.00", 50), ("肉蛋包", "meat_eggs", "128.00", 20)]
        assert [(o["limit_per_household"], o["limit_per_person"]) for o in offers] == [
            (2, None),
            (1, None),
        ]

    def test_it_filters_rounds_by_status(self, group_buy, draft, staff):
        assert ids(client_for(staff).get(API + "rounds/?status=draft")) == {draft.pk}


class TestRoundCreation:
    def payload(self, compound, package, **changes):
        closes_at = timezone.now() + datetime.timedelta(days=2)
        return {
            "title": "第二批保供",
            "kind": "allocation",
            "compounds": [compound.pk],
            "closes_at": closes_at.isoformat(),
            "offers": [{"package_type": package.pk, "stock": 100, "limit_per_household": 2}],
            **changes,
        }

    def test_staff_draft_a_round_for_their_compounds(self, compound, vegetables, staff):
        response = client_for(staff).post(
            API + "rounds/", self.payload(compound, vegetables), format="json"
        )

        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["status"], body["kind"], body["compounds"]) == (
            "draft",
            "allocation",
            [compound.pk],
        )
        assert [(o["stock"], o["limit_per_household"]) for o in body["offers"]] == [(100, 2)]

    def test_staff_name_a_leader_of_their_committee_for_a_group_buy(
        self, compound, vegetables, staff, leader, other_committee
    ):
        stranger = UserFactory(username="stranger-leader")
        membership_grant(user=stranger, role=Role.GROUP_LEADER, committee=other_committee)
        client = client_for(staff)

        refused = client.post(
            API + "rounds/",
            self.payload(compound, vegetables, kind="group_buy", leader=stranger.pk),
            format="json",
        )
        named = client.post(
            API + "rounds/",
            self.payload(compound, vegetables, kind="group_buy", leader=leader.pk),
            format="json",
        )

        assert_json_400(refused, "leader")
        assert named.status_code == 201, named.content
        assert named.json()["leader_name"] == "leader"

    def test_staff_cannot_draft_a_round_for_another_committees_compound(
        self, other_compound, vegetables, staff
    ):
        response = client_for(staff).post(
            API + "rounds/", self.payload(other_compound, vegetables), format="json"
        )

        assert_json_400(response, "compounds")
        assert not SupplyRound.objects.exists()

    def test_a_leader_drafts_a_group_buy_they_lead(self, compound, vegetables, leader):
        response = client_for(leader).post(
            API + "rounds/", self.payload(compound, vegetables, kind="group_buy"), format="json"
        )

        assert response.status_code == 201, response.content
        assert SupplyRound.objects.get(pk=response.json()["id"]).leader == leader

    def test_a_leader_cannot_draft_an_allocation(self, compound, vegetables, leader):
        response = client_for(leader).post(
            API + "rounds/", self.payload(compound, vegetables), format="json"
        )

        assert_json_400(response, "kind")
        assert not SupplyRound.objects.exists()

    def test_a_resident_cannot_draft_a_round(self, compound, vegetables, resident_user):
        response = client_for(resident_user).post(
            API + "rounds/", self.payload(compound, vegetables), format="json"
        )

        assert response.status_code == 403
        assert not SupplyRound.objects.exists()

    def test_it_answers_bad_input_with_json_field_errors(self, compound, vegetables, staff):
        response = client_for(staff).post(
            API + "rounds/",
            self.payload(compound, vegetables, kind="raffle", offers=[], closes_at="soon"),
            format="json",
        )

        assert_json_400(response, "kind", "offers", "closes_at")

    @pytest.mark.parametrize(
        "change, field",
        [
            ("no compound", "compounds"),
            ("the same package twice", "offers"),
            ("negative stock", "offers"),
            ("no offer", "offers"),
        ],
    )
    def test_it_answers_an_unusable_round_with_a_json_400(
        self, compound, vegetables, staff, change, field
    ):
        offer = {"package_type": vegetables.pk, "stock": 10}
        changes = {
            "no compound": {"compounds": []},
            "the same package twice": {"offers": [offer, offer]},
            "negative stock": {"offers": [{**offer, "stock": -1}]},
            "no offer": {"offers": []},
        }[change]

        response = client_for(staff).post(
            API + "rounds/", self.payload(compound, vegetables, **changes), format="json"
        )

        assert_json_400(response, field)
        assert not SupplyRound.objects.exists()

    def test_it_answers_a_closing_time_in_the_past_with_a_json_400(
        self, compound, vegetables, staff
    ):
        past = (timezone.now() - datetime.timedelta(hours=1)).isoformat()
        response = client_for(staff).post(
            API + "rounds/", self.payload(compound, vegetables, closes_at=past), format="json"
        )

        assert "future" in assert_json_400(response, "detail")["detail"]


class TestRoundActions:
    def test_a_leader_proposes_and_staff_approve_and_open(self, proposed, leader, staff):
        SupplyRound.objects.filter(pk=proposed.pk).update(status=RoundStatus.DRAFT)
        url = API + f"rounds/{proposed.pk}/"

        assert client_for(leader).post(url + "propose/").json()["status"] == "proposed"
        assert client_for(staff).post(url + "approve/").json()["status"] == "approved"
        assert client_for(staff).post(url + "open/").json()["status"] == "open"

    def test_a_leader_cannot_approve_their_own_group_buy(self, proposed, leader):
        response = client_for(leader).post(API + f"rounds/{proposed.pk}/approve/")

        assert response.status_code == 403
        assert round_status(proposed) == RoundStatus.PROPOSED

    def test_street_staff_may_approve(self, proposed, street_staff):
        response = client_for(street_staff).post(API + f"rounds/{proposed.pk}/approve/")

        assert response.status_code == 200, response.content
        assert round_status(proposed) == RoundStatus.APPROVED

    def test_approval_refused_lists_the_problems(self, proposed, staff, supplier):
        Supplier.objects.filter(pk=supplier.pk).update(licence_checked_at=None)

        response = client_for(staff).post(API + f"rounds/{proposed.pk}/approve/")

        body = assert_json_400(response, "detail", "problems")
        assert "盒马保供" in body["detail"]
        assert round_status(proposed) == RoundStatus.PROPOSED

    def test_a_rejection_needs_a_reason_that_the_leader_then_sees(self, proposed, staff, leader):
        url = API + f"rounds/{proposed.pk}/reject/"

        assert "reason" in assert_json_400(client_for(staff).post(url), "detail")["detail"]
        assert client_for(staff).post(url, {"reason": "价格过高"}, format="json").status_code == 200

        seen = client_for(leader).get(API + f"rounds/{proposed.pk}/").json()
        assert (seen["status"], seen["rejection_reason"]) == ("draft", "价格过高")

    def test_staff_open_an_allocation_that_places_the_orders(self, draft, staff, resident):
        response = client_for(staff).post(API + f"rounds/{draft.pk}/open/")

        assert response.status_code == 200, response.content
        assert response.json()["opens_at"]
        order = Order.objects.get(round=draft)
        assert (order.household, order.channel) == (resident.household, Channel.ALLOCATION)

    def test_staff_close_a_round(self, group_buy, staff):
        response = client_for(staff).post(API + f"rounds/{group_buy.pk}/close/")

        assert response.json()["status"] == "closed"

    def test_a_resident_who_sees_a_round_cannot_close_it(self, group_buy, resident_user):
        response = client_for(resident_user).post(API + f"rounds/{group_buy.pk}/close/")

        assert response.status_code == 403
        assert round_status(group_buy) == RoundStatus.OPEN

    def test_staff_cancel_a_round_with_a_reason_and_its_orders_go_too(self, order, staff):
        url = API + f"rounds/{order.round_id}/cancel/"

        assert_json_400(client_for(staff).post(url, {"reason": ""}, format="json"), "detail")
        response = client_for(staff).post(url, {"reason": "供应商停业"}, format="json")

        assert response.json()["status"] == "cancelled"
        assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED

    def test_a_second_close_is_a_json_400(self, group_buy, staff):
        round_close(supply_round=group_buy, by=staff)

        response = client_for(staff).post(API + f"rounds/{group_buy.pk}/close/")

        assert assert_json_400(response, "detail")["code"] == "bad_transition"


class TestOrdersSeenByRole:
    def test_a_resident_sees_only_their_households_orders(
        self, order, neighbours_order, resident_user
    ):
        client = client_for(resident_user)

        assert ids(client.get(API + "orders/")) == {order.pk}
        assert client.get(API + f"orders/{neighbours_order.pk}/").status_code == 404

    def test_staff_see_their_compounds_orders_and_another_committee_gets_a_404(
        self, order, neighbours_order, staff, other_staff
    ):
        assert ids(client_for(staff).get(API + "orders/")) == {order.pk, neighbours_order.pk}
        outsider = client_for(other_staff)
        assert ids(outsider.get(API + "orders/")) == set()
        assert outsider.get(API + f"orders/{order.pk}/").status_code == 404
        assert outsider.post(API + f"orders/{order.pk}/cancel/").status_code == 404
        assert Order.objects.get(pk=order.pk).status == OrderStatus.PLACED

    def test_the_leader_sees_the_orders_of_their_round(
        self, order, neighbours_order, other_round, other_household, leader, other_staff
    ):
        ResidentFactory(household=other_household)
        elsewhere = order_place(
            household=other_household,
            supply_round=other_round,
            quantities={other_round.offers.get().pk: 1},
            placed_by=other_staff,
            channel=Channel.HOTLINE,
        )

        seen = ids(client_for(leader).get(API + "orders/"))

        assert seen == {order.pk, neighbours_order.pk}
        assert elsewhere.pk not in seen

    def test_a_volunteer_sees_no_orders(self, order, volunteer):
        client = client_for(volunteer)

        assert ids(client.get(API + "orders/")) == set()
        assert client.get(API + f"orders/{order.pk}/").status_code == 404

    def test_an_order_shows_its_lines_total_code_and_payment(self, order, resident_user):
        body = client_for(resident_user).get(API + f"orders/{order.pk}/").json()

        assert [(line["package_type_name"], line["quantity"]) for line in body["lines"]] == [
            ("蔬菜包", 2)
        ]
        assert body["total"] == "176.00"
        assert body["pickup_code"] == order.pickup_code
        assert body["payment_status"] == "unpaid"


class TestPlacingOrders:
    def lines(self, *pairs):
        return [{"offer": offer.pk, "quantity": quantity} for offer, quantity in pairs]

    def test_a_resident_orders_for_their_household(
        self, group_buy, offers, household, resident, resident_user
    ):
        response = client_for(resident_user).post(
            API + "orders/",
            {"round": group_buy.pk, "lines": self.lines((offers["蔬菜包"], 2))},
            format="json",
        )

        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["household"], body["channel"], body["total"]) == (
            household.pk,
            "resident",
            "176.00",
        )
        assert len(body["pickup_code"]) == 8
        assert stock(offers["蔬菜包"]) == 48

    def test_an_app_holding_a_residents_token_orders_through_the_api_channel(
        self, group_buy, offers, household, resident, resident_user
    ):
        client = APIClient()
        token = client.post(
            API + "auth/token/", {"username": "resident", "password": "pass-1234"}, format="json"
        ).json()["token"]
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

        response = client.post(
            API + "orders/",
            {"round": group_buy.pk, "lines": self.lines((offers["蔬菜包"], 1))},
            format="json",
        )

        assert response.json()["channel"] == "api"

    def test_a_resident_cannot_order_for_another_household(
        self, group_buy, offers, neighbour, resident_user
    ):
        response = client_for(resident_user).post(
            API + "orders/",
            {
                "round": group_buy.pk,
                "household": neighbour.pk,
                "lines": self.lines((offers["蔬菜包"], 1)),
            },
            format="json",
        )

        assert_json_400(response, "household")
        assert not Order.objects.exists()

    def test_staff_order_for_a_household_from_the_hotline(
        self, group_buy, offers, neighbour, staff
    ):
        response = client_for(staff).post(
            API + "orders/",
            {
                "round": group_buy.pk,
                "household": neighbour.pk,
                "lines": self.lines((offers["肉蛋包"], 1)),
            },
            format="json",
        )

        assert response.status_code == 201, response.content
        assert Order.objects.get(household=neighbour).channel == Channel.HOTLINE

    def test_staff_must_say_which_household(self, group_buy, offers, staff):
        response = client_for(staff).post(
            API + "orders/",
            {"round": group_buy.pk, "lines": self.lines((offers["肉蛋包"], 1))},
            format="json",
        )

        assert_json_400(response, "household")

    def test_the_leader_orders_for_a_household_of_their_round(
        self, group_buy, offers, neighbour, leader
    ):
        response = client_for(leader).post(
            API + "orders/",
            {
                "round": group_buy.pk,
                "household": neighbour.pk,
                "lines": self.lines((offers["蔬菜包"], 1)),
            },
            format="json",
        )

        assert response.status_code == 201, response.content
        assert response.json()["channel"] == "leader"

    def test_the_leader_cannot_order_for_a_household_outside_their_round(
        self, group_buy, offers, other_household, leader
    ):
        response = client_for(leader).post(
            API + "orders/",
            {
                "round": group_buy.pk,
                "household": other_household.pk,
                "lines": self.lines((offers["蔬菜包"], 1)),
            },
            format="json",
        )

        assert_json_400(response, "household")
        assert stock(offers["蔬菜包"]) == 50

    def test_a_sold_out_pack_answers_code_sold_out_and_keeps_the_stock(
        self, group_buy, offers, household, resident, resident_user
    ):
        Offer.objects.filter(pk=offers["肉蛋包"].pk).update(stock=0)

        response = client_for(resident_user).post(
            API + "orders/",
            {
                "round": group_buy.pk,
                "lines": self.lines((offers["蔬菜包"], 2), (offers["肉蛋包"], 1)),
            },
            format="json",
        )

        body = assert_json_400(response, "detail")
        assert (body["code"], body["offer"]) == ("sold_out", offers["肉蛋包"].pk)
        assert "肉蛋包" in body["detail"]
        assert stock(offers["蔬菜包"]) == 50

    def test_a_closed_round_answers_code_round_not_open(
        self, group_buy, offers, household, resident, resident_user, staff
    ):
        round_close(supply_round=group_buy, by=staff)

        response = client_for(resident_user).post(
            API + "orders/",
            {"round": group_buy.pk, "lines": self.lines((offers["蔬菜包"], 1))},
            format="json",
        )

        assert assert_json_400(response, "detail")["code"] == "round_not_open"
        assert not Order.objects.exists()

    def test_the_sold_out_message_follows_the_language(
        self, group_buy, offers, household, resident, resident_user
    ):
        Offer.objects.filter(pk=offers["肉蛋包"].pk).update(stock=0)

        response = client_for(resident_user).post(
            API + "orders/",
            {"round": group_buy.pk, "lines": self.lines((offers["肉蛋包"], 1))},
            format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        )

        assert "sold out" in assert_json_400(response, "detail")["detail"]

    @pytest.mark.parametrize(
        "lines, field",
        [
            ([], "lines"),
            ([{"offer": "veg", "quantity": 1}], "lines"),
            ([{"offer": 1, "quantity": -1}], "lines"),
            (None, "lines"),
        ],
    )
    def test_it_answers_malformed_lines_with_a_json_400(
        self, group_buy, household, resident_user, lines, field
    ):
        payload = {"round": group_buy.pk}
        if lines is not None:
            payload["lines"] = lines

        response = client_for(resident_user).post(API + "orders/", payload, format="json")

        assert_json_400(response, field)
        assert not Order.objects.exists()

    def test_it_refuses_the_same_pack_twice_in_one_order(
        self, group_buy, offers, household, resident_user
    ):
        veg = offers["蔬菜包"]
        response = client_for(resident_user).post(
            API + "orders/",
            {"round": group_buy.pk, "lines": self.lines((veg, 1), (veg, 1))},
            format="json",
        )

        assert_json_400(response, "lines")

    def test_it_answers_a_quantity_over_the_limit_with_a_json_400(
        self, group_buy, offers, household, resident_user
    ):
        response = client_for(resident_user).post(
            API + "orders/",
            {"round": group_buy.pk, "lines": self.lines((offers["蔬菜包"], 3))},
            format="json",
        )

        assert assert_json_400(response, "detail")["code"] == "over_limit"

    def test_a_round_the_resident_cannot_see_is_a_json_400(
        self, draft, offers, household, resident_user
    ):
        response = client_for(resident_user).post(
            API + "orders/",
            {"round": draft.pk, "lines": [{"offer": draft.offers.get().pk, "quantity": 1}]},
            format="json",
        )

        assert_json_400(response, "round")


class TestChangingOrders:
    def test_a_resident_changes_the_lines_with_patch(self, order, offers, resident_user):
        response = client_for(resident_user).patch(
            API + f"orders/{order.pk}/",
            {"lines": [{"offer": offers["肉蛋包"].pk, "quantity": 1}]},
            format="json",
        )

        assert response.status_code == 200, response.content
        assert [line["package_type_name"] for line in response.json()["lines"]] == ["肉蛋包"]
        assert (stock(offers["蔬菜包"]), stock(offers["肉蛋包"])) == (50, 19)

    def test_staff_change_the_lines_with_post(self, order, offers, staff):
        response = client_for(staff).post(
            API + f"orders/{order.pk}/lines/",
            {"lines": [{"offer": offers["蔬菜包"].pk, "quantity": 1}]},
            format="json",
        )

        assert response.status_code == 200, response.content
        assert response.json()["total"] == "88.00"
        assert stock(offers["蔬菜包"]) == 49

    def test_an_order_cannot_be_replaced_or_deleted(self, order, resident_user):
        client = client_for(resident_user)

        assert client.put(API + f"orders/{order.pk}/", {}, format="json").status_code == 405
        assert client.delete(API + f"orders/{order.pk}/").status_code == 405
        assert Order.objects.filter(pk=order.pk).exists()

    def test_a_resident_cancels_and_the_stock_comes_back(self, order, offers, resident_user):
        response = client_for(resident_user).post(
            API + f"orders/{order.pk}/cancel/", {"reason": "邻居送了菜"}, format="json"
        )

        assert response.json()["status"] == "cancelled"
        assert stock(offers["蔬菜包"]) == 50
        assert order.events.last().note == "邻居送了菜"

    def test_cancelling_twice_is_a_json_400(self, order, resident_user):
        client = client_for(resident_user)
        client.post(API + f"orders/{order.pk}/cancel/")

        assert_json_400(client.post(API + f"orders/{order.pk}/cancel/"), "detail")


class TestPayments:
    def test_staff_record_a_payment(self, order, staff):
        response = client_for(staff).post(
            API + f"orders/{order.pk}/payment/",
            {"status": "paid", "method": "微信", "reference": "WX1"},
            format="json",
        )

        assert response.status_code == 200, response.content
        order.refresh_from_db()
        assert (order.payment_status, order.payment_recorded_by) == (PaymentStatus.PAID, staff)

    def test_the_rounds_leader_waives_a_payment(self, order, leader):
        response = client_for(leader).post(
            API + f"orders/{order.pk}/payment/", {"status": "waived"}, format="json"
        )

        assert response.json()["payment_status"] == "waived"

    def test_a_resident_cannot_record_their_own_payment(self, order, resident_user):
        response = client_for(resident_user).post(
            API + f"orders/{order.pk}/payment/", {"status": "paid", "method": "现金"}, format="json"
        )

        assert response.status_code == 403
        assert Order.objects.get(pk=order.pk).payment_status == PaymentStatus.UNPAID

    def test_a_payment_without_a_method_is_a_json_400(self, order, staff):
        response = client_for(staff).post(
            API + f"orders/{order.pk}/payment/", {"status": "paid"}, format="json"
        )

        assert_json_400(response, "detail")
        assert Order.objects.get(pk=order.pk).payment_status == PaymentStatus.UNPAID

    def test_an_unknown_payment_status_is_a_json_400(self, order, staff):
        response = client_for(staff).post(
            API + f"orders/{order.pk}/payment/", {"status": "later"}, format="json"
        )

        assert_json_400(response, "status")


class TestQueryCounts:
    """A list reads the same number of queries for 2 rows as for 20."""

    def queries(self, client, url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        return len(captured.captured_queries)

    def more_orders(self, group_buy, offers, building, staff, count: int) -> None:
        for household in HouseholdFactory.create_batch(count, building=building):
            order_place(
                household=household,
                supply_round=group_buy,
                quantities={offers["蔬菜包"].pk: 1, offers["肉蛋包"].pk: 1},
                placed_by=staff,
                channel=Channel.HOTLINE,
            )

    def test_the_order_list_does_not_grow_with_orders(
        self, group_buy, offers, building, staff, leader
    ):
        self.more_orders(group_buy, offers, building, staff, 2)
        few = {user: self.queries(client_for(user), API + "orders/") for user in (staff, leader)}
        self.more_orders(group_buy, offers, building, staff, 18)

        many = {user: self.queries(client_for(user), API + "orders/") for user in (staff, leader)}

        assert Order.objects.count() == 20
        assert many == few

    def test_the_round_list_does_not_grow_with_rounds_or_offers(
        self,
        committee,
        compound,
        other_compound,
        vegetables,
        meat,
        staff,
        street_staff,
        closes_at,
        leader,
    ):
        def more_rounds(count):
            for n in range(count):
                round_create(
                    committee=committee,
                    title=f"第{n}批",
                    kind=RoundKind.GROUP_BUY,
                    compounds=[compound],
                    closes_at=closes_at,
                    offers=[OfferSpec(vegetables, 10), OfferSpec(meat, 10)],
                    leader=leader,
                    by=staff,
                )

        more_rounds(2)
        few = self.queries(client_for(street_staff), API + "rounds/")
        more_rounds(18)

        assert self.queries(client_for(street_staff), API + "rounds/") == few

    def test_the_supplier_and_package_lists_do_not_grow(self, street, supplier, staff):
        def more(count):
            for n in range(count):
                extra = Supplier.objects.create(
                    street=street,
                    name=f"供应商{n}-{Supplier.objects.count()}",
                    licence_number="JY",
                    licence_checked_at=timezone.now(),
                    licence_checked_by=UserFactory(),
                )
                PackageType.objects.create(supplier=extra, name="菜", category=Category.VEGETABLE)

        more(2)
        client = client_for(staff)
        few = [self.queries(client, API + url) for url in ("suppliers/", "package-types/")]
        more(18)

        assert [self.queries(client, API + url) for url in ("suppliers/", "package-types/")] == few


def test_a_resident_of_another_compound_sees_none_of_it(group_buy, order, other_household):
    stranger = UserFactory(username="stranger")
    other_household.account = stranger
    other_household.save(update_fields=["account"])
    CompoundFactory()  # an unrelated compound changes nothing
    client = client_for(stranger)

    assert ids(client.get(API + "rounds/")) == set()
    assert ids(client.get(API + "orders/")) == set()
    assert client.get(API + f"orders/{order.pk}/").status_code == 404


def test_it_refuses_in_chinese_by_default_and_in_english_when_asked(
    group_buy, offers, staff, household, resident
):
    veg = offers["蔬菜包"]
    Offer.objects.filter(pk=veg.pk).update(stock=0)
    payload = {
        "round": group_buy.pk,
        "household": household.pk,
        "lines": [{"offer": veg.pk, "quantity": 1}],
    }
    chinese, english = APIClient(), APIClient(HTTP_ACCEPT_LANGUAGE="en")
    for client in (chinese, english):
        client.force_authenticate(staff)

    in_chinese = chinese.post("/api/v1/orders/", payload, format="json").json()
    in_english = english.post("/api/v1/orders/", payload, format="json").json()

    assert in_chinese["code"] == in_english["code"] == "sold_out"
    assert "sold out" in in_english["detail"]
    assert re.search(r"[\u4e00-\u9fff]", in_chinese["detail"].replace("蔬菜包", ""))
    assert not Order.objects.exists()
