"""The supplies pages: a resident ordering on a phone, the staff hotline, a group leader."""

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from residents.models import Role
from residents.services import membership_grant
from supplies.models import (
    Channel,
    Offer,
    Order,
    OrderStatus,
    PaymentStatus,
    RoundKind,
    RoundStatus,
    SupplyRound,
)
from supplies.services.orders import order_place
from supplies.services.rounds import (
    OfferSpec,
    round_close,
    round_create,
    round_open,
    round_propose,
    round_reject,
)
from tests.factories import HouseholdFactory, ResidentFactory, UserFactory

CODE = re.compile(r"\b[A-Z2-9]{4} [A-Z2-9]{4}\b")


def page_text(response) -> str:
    return response.content.decode()


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def stock(offer: Offer) -> int:
    return Offer.objects.get(pk=offer.pk).stock


def quantities(offers: dict, **by_name) -> dict[str, int]:
    """POST data of the order form: {"offer-<pk>": quantity} for every offer of the round."""
    names = {"veg": "蔬菜包", "meat": "肉蛋包"}
    return {
        f"offer-{offer.pk}": by_name.get(key, 0)
        for key, name in names.items()
        for offer in [offers[name]]
    }


def place(household, group_buy, offers, *, by, veg=0, meat=0, channel=Channel.RESIDENT):
    wanted = {offers["蔬菜包"].pk: veg, offers["肉蛋包"].pk: meat}
    return order_place(
        household=household,
        supply_round=group_buy,
        quantities=wanted,
        placed_by=by,
        channel=channel,
    )


def household_with_login(building, room: str, username: str):
    household = HouseholdFactory(building=building, unit=1, room=room)
    ResidentFactory(household=household)
    household.account = UserFactory(username=username)
    household.save(update_fields=["account"])
    return household


@pytest.fixture(autouse=True)
def english(client, settings):
    """The pages in English, as the language button would leave them; zh is the default."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def as_resident(client, resident_user, resident):
    client.force_login(resident_user)
    return client


@pytest.fixture
def as_staff(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def as_leader(client, leader):
    client.force_login(leader)
    return client


@pytest.fixture
def neighbour(building, group_buy, offers):
    """Another household of the same compound, with a login and an order of 1 vegetable pack."""
    household = household_with_login(building, "102", "neighbour")
    order = place(household, group_buy, offers, by=household.account, veg=1)
    return order


class TestOpenRounds:
    def test_it_lists_the_rounds_open_for_the_households_compound_with_their_offers(
        self, as_resident, group_buy, other_committee, other_compound, vegetables, other_staff
    ):
        elsewhere = round_create(
            committee=other_committee,
            title="香樟苑蔬菜团购",
            kind=RoundKind.ALLOCATION,
            compounds=[other_compound],
            closes_at=timezone.now() + datetime.timedelta(days=1),
            offers=[OfferSpec(package_type=vegetables, stock=10)],
            by=other_staff,
        )
        round_open(supply_round=elsewhere, by=other_staff)

        response = as_resident.get(reverse("rounds-open"))

        assert response.status_code == 200
        text = page_text(response)
        assert "第一批蔬菜团购" in text
        assert "蔬菜包" in text
        assert "50 left" in text
        assert "¥88.00" in text
        assert "香樟苑蔬菜团购" not in text
        assert reverse("round-order", args=[group_buy.pk]) in text

    def test_it_links_a_round_already_ordered_to_the_order(
        self, as_resident, household, group_buy, offers, resident_user
    ):
        order = place(household, group_buy, offers, by=resident_user, veg=1)

        response = as_resident.get(reverse("rounds-open"))

        assert reverse("order-detail", args=[order.pk]) in page_text(response)

    def test_it_says_so_when_no_round_is_open(self, as_resident):
        response = as_resident.get(reverse("rounds-open"))

        assert "No round is open for your household now." in page_text(response)

    def test_it_is_not_found_for_a_user_without_a_household(self, as_staff, group_buy):
        assert as_staff.get(reverse("rounds-open")).status_code == 404
        assert as_staff.get(reverse("round-order", args=[group_buy.pk])).status_code == 404

    @pytest.mark.parametrize("name", ["rounds-open", "order-list", "hotline", "leader-rounds"])
    def test_it_sends_anonymous_visitors_to_the_login_page(self, client, db, name):
        response = client.get(reverse(name))

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_it_links_the_residents_home_page_to_open_rounds_and_my_orders(self, as_resident):
        text = page_text(as_resident.get(reverse("home")))

        assert reverse("rounds-open") in text
        assert reverse("order-list") in text


class TestResidentOrdering:
    def test_it_shows_each_offer_with_its_price_stock_and_limit(self, as_resident, group_buy):
        response = as_resident.get(reverse("round-order", args=[group_buy.pk]))

        text = page_text(response)
        assert "青菜 2 斤、土豆 3 个、洋葱 2 个" in text
        assert "¥128.00" in text
        assert "20 left" in text
        assert "at most 2 per household" in text
        assert 'max="2"' in text
        assert "Place order" in text

    def test_it_places_an_order_and_shows_its_total_pickup_code_and_qr_code(
        self, as_resident, group_buy, offers, household, resident_user
    ):
        response = as_resident.post(
            reverse("round-order", args=[group_buy.pk]), quantities(offers, veg=2), follow=True
        )

        order = Order.objects.get(household=household, round=group_buy)
        assert response.redirect_chain == [(reverse("order-detail", args=[order.pk]), 302)]
        assert (order.channel, order.created_by, order.status) == (
            Channel.RESIDENT,
            resident_user,
            OrderStatus.PLACED,
        )
        assert [(line.offer_id, line.quantity) for line in order.lines.all()] == [
            (offers["蔬菜包"].pk, 2)
        ]
        assert stock(offers["蔬菜包"]) == 48
        text = page_text(response)
        assert "Your order is placed." in text
        assert f"{order.pickup_code[:4]} {order.pickup_code[4:]}" in text
        assert "<svg" in text
        assert "¥176.00" in text
        assert reverse("order-edit", args=[order.pk]) in text
        assert reverse("order-cancel", args=[order.pk]) in text

    @pytest.mark.parametrize(
        ("veg_packs", "meat_packs", "message"),
        [
            (3, 0, "At most 2 packs of 蔬菜包 per household."),
            (0, 0, "Choose at least one pack."),
        ],
    )
    def test_it_refuses_an_order_the_rules_do_not_allow_and_changes_nothing(
        self, as_resident, group_buy, offers, veg_packs, meat_packs, message
    ):
        response = as_resident.post(
            reverse("round-order", args=[group_buy.pk]),
            quantities(offers, veg=veg_packs, meat=meat_packs),
        )

        assert response.status_code == 200
        assert message in page_text(response)
        assert f'value="{veg_packs}"' in page_text(response)  # what was entered is kept
        assert not Order.objects.exists()
        assert (stock(offers["蔬菜包"]), stock(offers["肉蛋包"])) == (50, 20)

    def test_it_refuses_a_negative_quantity_and_changes_nothing(
        self, as_resident, group_buy, offers
    ):
        response = as_resident.post(
            reverse("round-order", args=[group_buy.pk]), quantities(offers, veg=-1)
        )

        assert response.status_code == 200
        assert "greater than or equal to 0" in page_text(response)
        assert not Order.objects.exists()

    def test_it_refuses_a_sold_out_pack_and_changes_nothing(self, as_resident, group_buy, offers):
        Offer.objects.filter(pk=offers["肉蛋包"].pk).update(stock=0)

        response = as_resident.post(
            reverse("round-order", args=[group_buy.pk]), quantities(offers, veg=1, meat=1)
        )

        assert "肉蛋包 is sold out or has fewer packs left than you asked for." in page_text(
            response
        )
        assert not Order.objects.exists()
        assert stock(offers["蔬菜包"]) == 50

    def test_it_refuses_an_order_once_the_round_has_closed(
        self, as_resident, group_buy, offers, staff
    ):
        form = as_resident.get(reverse("round-order", args=[group_buy.pk]))
        assert form.status_code == 200
        round_close(supply_round=group_buy, by=staff)

        response = as_resident.post(
            reverse("round-order", args=[group_buy.pk]), quantities(offers, veg=1)
        )

        assert "The round 第一批蔬菜团购 is not open for orders." in page_text(response)
        assert "Place order" not in page_text(response)
        assert not Order.objects.exists()

    def test_it_takes_a_round_already_ordered_to_the_orders_edit_page(
        self, as_resident, household, group_buy, offers, resident_user
    ):
        order = place(household, group_buy, offers, by=resident_user, veg=1)

        response = as_resident.get(reverse("round-order", args=[group_buy.pk]))

        assert response.status_code == 302
        assert response["Location"] == reverse("order-edit", args=[order.pk])

    def test_it_edits_an_order_and_keeps_its_pickup_code(
        self, as_resident, household, group_buy, offers, resident_user
    ):
        order = place(household, group_buy, offers, by=resident_user, veg=2)
        form = as_resident.get(reverse("order-edit", args=[order.pk]))
        assert 'value="2"' in page_text(form)
        assert "Save changes" in page_text(form)

        response = as_resident.post(
            reverse("order-edit", args=[order.pk]), quantities(offers, veg=1, meat=1), follow=True
        )

        assert "Your order is changed." in page_text(response)
        assert "¥216.00" in page_text(response)
        assert (stock(offers["蔬菜包"]), stock(offers["肉蛋包"])) == (49, 19)
        assert Order.objects.get(pk=order.pk).pickup_code == order.pickup_code
        assert f"{order.pickup_code[:4]} {order.pickup_code[4:]}" in page_text(response)

    def test_it_refuses_an_edit_over_the_limit_and_changes_nothing(
        self, as_resident, household, group_buy, offers, resident_user
    ):
        order = place(household, group_buy, offers, by=resident_user, veg=1)

        response = as_resident.post(
            reverse("order-edit", args=[order.pk]), quantities(offers, veg=1, meat=2)
        )

        assert "At most 1 pack of 肉蛋包 per household." in page_text(response)
        assert [(line.offer_id, line.quantity) for line in order.lines.all()] == [
            (offers["蔬菜包"].pk, 1)
        ]
        assert (stock(offers["蔬菜包"]), stock(offers["肉蛋包"])) == (49, 20)

    def test_it_asks_before_cancelling_and_then_returns_the_packs_to_stock(
        self, as_resident, household, group_buy, offers, resident_user
    ):
        order = place(household, group_buy, offers, by=resident_user, veg=2)

        confirm = as_resident.get(reverse("order-cancel", args=[order.pk]))
        assert "Cancel this order?" in page_text(confirm)
        assert Order.objects.get(pk=order.pk).status == OrderStatus.PLACED

        response = as_resident.post(reverse("order-cancel", args=[order.pk]), follow=True)

        assert "Your order is cancelled; its packs are back in stock." in page_text(response)
        assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
        assert stock(offers["蔬菜包"]) == 50
        assert reverse("order-edit", args=[order.pk]) not in page_text(response)

    def test_it_hides_edit_and_cancel_once_the_round_has_closed(
        self, as_resident, household, group_buy, offers, resident_user, staff
    ):
        order = place(household, group_buy, offers, by=resident_user, veg=2)
        round_close(supply_round=group_buy, by=staff)

        detail = as_resident.get(reverse("order-detail", args=[order.pk]))
        assert reverse("order-edit", args=[order.pk]) not in page_text(detail)
        assert reverse("order-cancel", args=[order.pk]) not in page_text(detail)

        response = as_resident.post(reverse("order-cancel", args=[order.pk]))

        assert "The round 第一批蔬菜团购 is not open for orders." in message_texts(response)
        assert Order.objects.get(pk=order.pk).status == OrderStatus.PLACED
        assert stock(offers["蔬菜包"]) == 48

    def test_it_lists_only_the_households_own_orders(
        self, as_resident, household, group_buy, offers, resident_user, neighbour
    ):
        mine = place(household, group_buy, offers, by=resident_user, veg=2, meat=1)

        response = as_resident.get(reverse("order-list"))

        text = page_text(response)
        assert reverse("order-detail", args=[mine.pk]) in text
        assert "¥304.00" in text
        assert reverse("order-detail", args=[neighbour.pk]) not in text

    @pytest.mark.parametrize("name", ["order-detail", "order-edit", "order-cancel"])
    def test_it_does_not_show_another_households_order(self, as_resident, neighbour, offers, name):
        assert as_resident.get(reverse(name, args=[neighbour.pk])).status_code == 404

        response = as_resident.post(reverse(name, args=[neighbour.pk]), quantities(offers, veg=2))

        # The order's page only shows (POST is 405); editing and cancelling are a 404.
        assert response.status_code == (405 if name == "order-detail" else 404)
        neighbour.refresh_from_db()
        assert neighbour.status == OrderStatus.PLACED
        assert [line.quantity for line in neighbour.lines.all()] == [1]


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


class TestQueryCounts:
    def _rounds(self, count, *, committee, compound, packages, staff):
        """`count` open allocation rounds of the compound, each offering every package."""
        for number in range(count):
            supply_round = round_create(
                committee=committee,
                title=f"保供第{number}批",
                kind=RoundKind.ALLOCATION,
                compounds=[compound],
                closes_at=timezone.now() + datetime.timedelta(days=1),
                offers=[OfferSpec(package_type=package, stock=1000) for package in packages],
                by=staff,
            )
            round_open(supply_round=supply_round, by=staff)

    @pytest.mark.parametrize("name", ["rounds-open", "order-list"])
    def test_it_reads_the_residents_pages_in_the_same_queries_however_many_rounds(
        self, as_resident, committee, compound, vegetables, meat, staff, name
    ):
        args = {"committee": committee, "compound": compound, "staff": staff}
        self._rounds(2, packages=[vegetables], **args)
        few = count_queries(as_resident, reverse(name))
        self._rounds(18, packages=[vegetables, meat], **args)
        assert Order.objects.count() == 20

        assert count_queries(as_resident, reverse(name)) == few

    def test_it_reads_the_leaders_orders_in_the_same_queries_however_many_orders(
        self, as_leader, building, group_buy, offers
    ):
        for room in ("201", "202"):
            household = household_with_login(building, room, f"r{room}")
            place(household, group_buy, offers, by=household.account, veg=1)
        few = count_queries(as_leader, reverse("leader-round", args=[group_buy.pk]))
        for number in range(18):
            household = household_with_login(building, f"3{number:02d}", f"r3{number}")
            place(household, group_buy, offers, by=household.account, veg=2, meat=1)
        assert group_buy.orders.count() == 20

        assert count_queries(as_leader, reverse("leader-round", args=[group_buy.pk])) == few


class TestHotline:
    def hotline(self, client, **query):
        return client.get(reverse("hotline"), query)

    @pytest.mark.parametrize("who", ["resident_user", "volunteer", "leader"])
    def test_it_is_not_found_for_anyone_but_staff(self, client, request, household, who):
        client.force_login(request.getfixturevalue(who))

        assert client.get(reverse("hotline")).status_code == 404
        step_two = reverse("hotline-household", args=[household.pk])
        assert client.get(step_two).status_code == 404

    def test_it_finds_a_household_by_building_unit_and_room(
        self, as_staff, household, building, resident
    ):
        HouseholdFactory(building=building, unit=2, room="101")

        response = self.hotline(as_staff, building="1", unit="1", room="101")

        assert response.context["households"] == [household]
        assert "张秀英" in page_text(response)
        assert reverse("hotline-household", args=[household.pk]) in page_text(response)

    def test_it_finds_a_household_by_a_residents_phone_however_it_is_written(
        self, as_staff, household, resident
    ):
        resident.phone = "139-1234-5678"
        resident.save(update_fields=["phone"])

        response = self.hotline(as_staff, phone="139 1234 5678")

        assert response.context["households"] == [household]

    def test_it_shows_the_phones_it_found_as_people_read_them(self, as_staff, household, resident):
        resident.phone = "13912345678"
        resident.save(update_fields=["phone"])

        text = page_text(self.hotline(as_staff, phone="13912345678"))

        assert "139 1234 5678" in text and "+8613912345678" not in text

    def test_it_finds_a_household_by_its_contact_phone(self, as_staff, household, building):
        HouseholdFactory(building=building, room="102", contact_phone="13911112222")

        response = self.hotline(as_staff, phone=household.contact_phone)

        assert response.context["households"] == [household]

    @pytest.mark.parametrize("stored", ["13912345678", "+86 139 1234 5678"])
    @pytest.mark.parametrize(
        "typed", ["13912345678", "139 1234 5678", "+86 139 1234 5678", "+8613912345678"]
    )
    def test_it_finds_a_contact_phone_however_it_was_stored_or_typed(
        self, as_staff, household, building, stored, typed
    ):
        household.contact_phone = stored
        household.save(update_fields=["contact_phone"])
        HouseholdFactory(building=building, room="102", contact_phone="13911112222")

        response = self.hotline(as_staff, phone=typed)

        assert response.context["households"] == [household]

    def test_it_finds_a_landline_typed_with_its_brackets(self, as_staff, household):
        household.contact_phone = "021-62345678"
        household.save(update_fields=["contact_phone"])

        assert self.hotline(as_staff, phone="(021) 6234 5678").context["households"] == [household]

    def test_it_finds_only_households_in_the_staff_members_own_compounds(
        self, client, household, other_household, other_staff
    ):
        """Both households are building 1, unit 1, room 101 of their own compounds."""
        client.force_login(other_staff)

        by_address = self.hotline(client, building="1", unit="1", room="101")
        by_phone = self.hotline(client, phone=household.contact_phone)

        assert by_address.context["households"] == [other_household]
        assert by_phone.context["households"] == [other_household]
        assert client.get(reverse("hotline-household", args=[household.pk])).status_code == 404

    def test_it_asks_for_an_address_or_a_phone(self, as_staff, household):
        response = self.hotline(as_staff, building="1")

        assert "Give the building and room, or a phone number." in page_text(response)
        assert response.context["households"] is None

    def test_it_shows_the_open_rounds_of_the_household_and_its_existing_order(
        self, as_staff, household, resident_user, group_buy, offers
    ):
        place(household, group_buy, offers, by=resident_user, veg=2)

        response = as_staff.get(reverse("hotline-household", args=[household.pk]))

        text = page_text(response)
        assert "第一批蔬菜团购" in text
        assert "蔬菜包 × 2" in text
        assert reverse("hotline-order", args=[household.pk, group_buy.pk]) in text

    def test_it_places_an_order_for_the_household_and_shows_the_code_to_read_out(
        self, as_staff, staff, household, group_buy, offers
    ):
        url = reverse("hotline-order", args=[household.pk, group_buy.pk])

        response = as_staff.post(url, quantities(offers, veg=1, meat=1), follow=True)

        order = Order.objects.get(household=household, round=group_buy)
        assert (order.channel, order.created_by) == (Channel.HOTLINE, staff)
        code = f"{order.pickup_code[:4]} {order.pickup_code[4:]}"
        assert f"Order saved. Read out the pickup code: {code}" in message_texts(response)
        assert code in page_text(response)
        assert "¥216.00" in page_text(response)
        assert (stock(offers["蔬菜包"]), stock(offers["肉蛋包"])) == (49, 19)

    def test_it_edits_the_order_the_household_placed_itself(
        self, as_staff, staff, household, resident_user, group_buy, offers
    ):
        order = place(household, group_buy, offers, by=resident_user, veg=2)
        url = reverse("hotline-order", args=[household.pk, group_buy.pk])

        as_staff.post(url, quantities(offers, veg=1, meat=1))

        order.refresh_from_db()
        assert sorted(line.quantity for line in order.lines.all()) == [1, 1]
        assert order.updated_by == staff
        assert Order.objects.count() == 1

    def test_it_shows_a_refusal_and_changes_nothing(self, as_staff, household, group_buy, offers):
        url = reverse("hotline-order", args=[household.pk, group_buy.pk])

        response = as_staff.post(url, quantities(offers, meat=2))

        assert "At most 1 pack of 肉蛋包 per household." in page_text(response)
        assert not Order.objects.exists()

    def test_it_does_not_order_for_a_household_of_another_committee(
        self, client, other_staff, household, group_buy, offers
    ):
        client.force_login(other_staff)
        url = reverse("hotline-order", args=[household.pk, group_buy.pk])

        response = client.post(url, quantities(offers, veg=1))

        assert response.status_code == 404
        assert not Order.objects.exists()


def group_buy_post(*, compounds, packages, title="第二批肉蛋团购", closes_in_hours=24, **extra):
    closes_at = timezone.localtime() + datetime.timedelta(hours=closes_in_hours)
    data = {
        "title": title,
        "compounds": [compound.pk for compound in compounds],
        "closes_at": closes_at.strftime("%Y-%m-%dT%H:%M"),
        "notes": "",
        "offers-TOTAL_FORMS": "4",
        "offers-INITIAL_FORMS": "0",
        "offers-MIN_NUM_FORMS": "0",
        "offers-MAX_NUM_FORMS": "12",
    }
    for index, (package, stock, limit) in enumerate(packages):
        data[f"offers-{index}-package_type"] = package.pk
        data[f"offers-{index}-stock"] = stock
        data[f"offers-{index}-limit_per_household"] = limit
    return data | extra


class TestGroupLeader:
    @pytest.mark.parametrize("who", ["resident_user", "staff", "volunteer"])
    def test_it_is_not_found_for_anyone_but_group_leaders(self, client, request, group_buy, who):
        client.force_login(request.getfixturevalue(who))

        for url in [
            reverse("leader-rounds"),
            reverse("leader-round-new"),
            reverse("leader-round", args=[group_buy.pk]),
        ]:
            assert client.get(url).status_code == 404, url

    def test_it_links_the_leaders_home_page_to_their_group_buys(self, as_leader):
        assert reverse("leader-rounds") in page_text(as_leader.get(reverse("home")))

    def test_it_proposes_a_group_buy_for_the_committee_to_approve(
        self, as_leader, leader, compound, vegetables, meat
    ):
        data = group_buy_post(compounds=[compound], packages=[(meat, 30, 1), (vegetables, 60, 2)])

        response = as_leader.post(reverse("leader-round-new"), data, follow=True)

        supply_round = SupplyRound.objects.get(title="第二批肉蛋团购")
        assert response.redirect_chain == [(reverse("leader-round", args=[supply_round.pk]), 302)]
        assert "Your group buy is sent to the committee for approval." in page_text(response)
        assert (supply_round.kind, supply_round.status, supply_round.leader) == (
            RoundKind.GROUP_BUY,
            RoundStatus.PROPOSED,
            leader,
        )
        assert list(supply_round.compounds.all()) == [compound]
        assert sorted(
            supply_round.offers.values_list("package_type__name", "stock", "limit_per_household")
        ) == [("肉蛋包", 30, 1), ("蔬菜包", 60, 2)]

    def test_it_offers_only_its_committees_compounds_and_its_streets_packages(
        self, as_leader, compound, other_compound, vegetables
    ):
        response = as_leader.get(reverse("leader-round-new"))

        assert list(response.context["form"].fields["compounds"].queryset) == [compound]
        assert "蔬菜包" in page_text(response)
        assert other_compound.name not in page_text(response)

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"packages": []}, "Offer at least one package."),
            ({"closes_in_hours": -2}, "The closing time must be in the future."),
        ],
    )
    def test_it_refuses_a_group_buy_it_cannot_propose_and_creates_nothing(
        self, as_leader, compound, vegetables, change, message
    ):
        arguments = {"compounds": [compound], "packages": [(vegetables, 10, 1)]} | change
        response = as_leader.post(reverse("leader-round-new"), group_buy_post(**arguments))

        assert response.status_code == 200
        assert message in page_text(response)
        assert not SupplyRound.objects.exists()

    def test_it_refuses_the_same_package_twice(self, as_leader, compound, vegetables):
        data = group_buy_post(compounds=[compound], packages=[(vegetables, 10, 1)] * 2)

        response = as_leader.post(reverse("leader-round-new"), data)

        assert "Offer each package only once." in page_text(response)
        assert not SupplyRound.objects.exists()

    def test_it_lists_the_leaders_rounds_with_status_and_rejection_reason(
        self, as_leader, leader, staff, committee, compound, meat, group_buy
    ):
        rejected = round_create(
            committee=committee,
            title="零食团购",
            kind=RoundKind.GROUP_BUY,
            compounds=[compound],
            closes_at=timezone.now() + datetime.timedelta(days=1),
            offers=[OfferSpec(package_type=meat, stock=5)],
            leader=leader,
            by=leader,
        )
        round_propose(supply_round=rejected, by=leader)
        round_reject(supply_round=rejected, by=staff, reason="供应商资质过期")

        response = as_leader.get(reverse("leader-rounds"))

        text = page_text(response)
        assert "第一批蔬菜团购" in text
        assert "Open" in text
        assert "零食团购" in text
        assert "Rejected: 供应商资质过期" in text

    def test_it_does_not_show_another_leaders_round(self, client, committee, group_buy):
        other_leader = UserFactory(username="other-leader")
        membership_grant(user=other_leader, role=Role.GROUP_LEADER, committee=committee)
        client.force_login(other_leader)

        assert client.get(reverse("leader-round", args=[group_buy.pk])).status_code == 404
        assert "第一批蔬菜团购" not in page_text(client.get(reverse("leader-rounds")))

    def test_it_shows_the_rounds_orders_with_household_items_total_and_payment(
        self, as_leader, household, resident_user, group_buy, offers, neighbour
    ):
        place(household, group_buy, offers, by=resident_user, veg=2, meat=1)

        response = as_leader.get(reverse("leader-round", args=[group_buy.pk]))

        text = page_text(response)
        assert "Building 1, unit 1, room 101" in text
        assert "Building 1, unit 1, room 102" in text
        assert "蔬菜包 × 2, 肉蛋包 × 1" in text
        assert "¥304.00" in text
        assert "¥392.00" in text  # the round's sum: 304 + 88
        assert text.count("Unpaid") >= 2

    def test_it_records_a_payment_with_method_and_reference(
        self, as_leader, leader, household, resident_user, group_buy, offers
    ):
        order = place(household, group_buy, offers, by=resident_user, veg=1)
        prefix = f"pay-{order.pk}"
        data = {
            f"{prefix}-status": PaymentStatus.PAID,
            f"{prefix}-method": "微信支付",
            f"{prefix}-reference": "4200001234",
        }

        response = as_leader.post(
            reverse("leader-order-payment", args=[order.pk]), data, follow=True
        )

        order.refresh_from_db()
        assert (order.payment_status, order.payment_method, order.payment_reference) == (
            PaymentStatus.PAID,
            "微信支付",
            "4200001234",
        )
        assert order.payment_recorded_by == leader
        assert "微信支付" in page_text(response)
        assert any("recorded" in text for text in message_texts(response))

    def test_it_waives_a_payment_for_hardship(
        self, as_leader, household, resident_user, group_buy, offers
    ):
        order = place(household, group_buy, offers, by=resident_user, veg=1)

        as_leader.post(
            reverse("leader-order-payment", args=[order.pk]),
            {f"pay-{order.pk}-status": PaymentStatus.WAIVED},
        )

        order.refresh_from_db()
        assert order.payment_status == PaymentStatus.WAIVED

    def test_it_refuses_paid_without_a_method_and_changes_nothing(
        self, as_leader, household, resident_user, group_buy, offers
    ):
        order = place(household, group_buy, offers, by=resident_user, veg=1)

        response = as_leader.post(
            reverse("leader-order-payment", args=[order.pk]),
            {f"pay-{order.pk}-status": PaymentStatus.PAID},
            follow=True,
        )

        assert any("Say how it was paid." in text for text in message_texts(response))
        order.refresh_from_db()
        assert (order.payment_status, order.payment_recorded_by) == (PaymentStatus.UNPAID, None)

    def test_it_does_not_record_payments_of_another_leaders_round(
        self, client, committee, household, resident_user, group_buy, offers
    ):
        order = place(household, group_buy, offers, by=resident_user, veg=1)
        other_leader = UserFactory(username="other-leader")
        membership_grant(user=other_leader, role=Role.GROUP_LEADER, committee=committee)
        client.force_login(other_leader)

        response = client.post(
            reverse("leader-order-payment", args=[order.pk]),
            {f"pay-{order.pk}-status": PaymentStatus.WAIVED},
        )

        assert response.status_code == 404
        order.refresh_from_db()
        assert order.payment_status == PaymentStatus.UNPAID


class TestProposingAgain:
    @pytest.fixture
    def rejected(self, group_buy_draft, leader, staff):
        round_propose(supply_round=group_buy_draft, by=leader)
        return round_reject(supply_round=group_buy_draft, by=staff, reason="请补充供应商许可证")

    @pytest.fixture
    def group_buy_draft(self, committee, compound, vegetables, leader, closes_at):
        return round_create(
            committee=committee,
            title="第三批团购",
            kind=RoundKind.GROUP_BUY,
            compounds=[compound],
            closes_at=closes_at,
            offers=[OfferSpec(package_type=vegetables, stock=30)],
            leader=leader,
            by=leader,
        )

    def test_it_shows_the_leader_the_reason_and_lets_them_send_it_again(self, as_leader, rejected):
        page = page_text(as_leader.get(reverse("leader-round", args=[rejected.pk])))
        assert "请补充供应商许可证" in page

        as_leader.post(reverse("leader-round-propose", args=[rejected.pk]))

        rejected.refresh_from_db()
        assert rejected.status == RoundStatus.PROPOSED

    def test_it_refuses_to_propose_an_open_round_again(self, as_leader, group_buy):
        response = as_leader.post(reverse("leader-round-propose", args=[group_buy.pk]), follow=True)

        group_buy.refresh_from_db()
        assert group_buy.status == RoundStatus.OPEN
        assert "cannot become" in page_text(response)

    def test_it_is_not_found_for_another_leader(self, client, committee, rejected):
        stranger = UserFactory(username="other-leader")
        membership_grant(user=stranger, role=Role.GROUP_LEADER, committee=committee)
        client.force_login(stranger)

        response = client.post(reverse("leader-round-propose", args=[rejected.pk]))

        assert response.status_code == 404
        rejected.refresh_from_db()
        assert rejected.status == RoundStatus.DRAFT
