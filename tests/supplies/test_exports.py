"""A round's spreadsheets, opened as a committee member would open them, numbers checked against
the orders placed: packs by building, orders by household, and the payments' reconciliation."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from supplies.exports import (
    round_export_by_building,
    round_export_by_household,
    round_export_reconciliation,
)
from supplies.models import Channel, PaymentStatus
from supplies.services.orders import order_cancel, order_place, order_record_payment
from tests.factories import BuildingFactory, HouseholdFactory, ResidentFactory


def sheets(content: bytes) -> dict[str, list[tuple]]:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets}


def first_sheet(content: bytes) -> list[tuple]:
    return next(iter(sheets(content).values()))


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def building_2(compound):
    return BuildingFactory(compound=compound, label="2")


@pytest.fixture
def place(group_buy, offers, staff):
    veg, meat = offers["蔬菜包"], offers["肉蛋包"]

    def place(household, vegetables=0, meat_packs=0):
        quantities = {veg.pk: vegetables, meat.pk: meat_packs}
        return order_place(
            household=household,
            supply_round=group_buy,
            quantities=quantities,
            placed_by=staff,
            channel=Channel.HOTLINE,
        )

    return place


@pytest.fixture
def orders(place, household, building, building_2, staff):
    """Building 1: 101 (2 veg, 1 meat, paid), 102 (1 veg, waived), 103 cancelled;
    building 2: 201 (2 veg, unpaid) and 202 (1 meat, unpaid)."""
    household.contact_phone = "13900000101"
    household.save()
    first = place(household, vegetables=2, meat_packs=1)
    second = place(HouseholdFactory(building=building, room="102"), vegetables=1)
    cancelled = place(HouseholdFactory(building=building, room="103"), vegetables=2, meat_packs=1)
    third = place(HouseholdFactory(building=building_2, room="201"), vegetables=2)
    fourth = place(HouseholdFactory(building=building_2, room="202"), meat_packs=1)
    order_cancel(order=cancelled, by=staff, reason="不要了")
    order_record_payment(
        order=first, status=PaymentStatus.PAID, by=staff, method="微信", reference="WX-0001"
    )
    order_record_payment(order=second, status=PaymentStatus.WAIVED, by=staff)
    return {"first": first, "second": second, "third": third, "fourth": fourth}


class TestByBuilding:
    def test_it_counts_packs_and_households_per_building_and_package(self, group_buy, orders):
        header, *rows = first_sheet(round_export_by_building(supply_round=group_buy))

        assert header == ("Compound", "Building", "Package", "Packs", "Households")
        assert rows == [
            ("胜利花园", "1", "蔬菜包", 3, 2),
            ("胜利花园", "1", "肉蛋包", 1, 1),
            ("胜利花园", "2", "蔬菜包", 2, 1),
            ("胜利花园", "2", "肉蛋包", 1, 1),
        ]

    def test_it_lists_building_2_before_building_10(self, group_buy, place, compound):
        place(HouseholdFactory(building=BuildingFactory(compound=compound, label="10")), 1)
        place(HouseholdFactory(building=BuildingFactory(compound=compound, label="2")), 1)

        _header, *rows = first_sheet(round_export_by_building(supply_round=group_buy))

        assert [row[1] for row in rows] == ["2", "10"]

    def test_it_is_only_headers_for_a_round_without_orders(self, group_buy):
        assert len(first_sheet(round_export_by_building(supply_round=group_buy))) == 1


class TestByHousehold:
    def test_it_writes_one_row_per_placed_order_with_a_column_per_package(self, group_buy, orders):
        header, *rows = first_sheet(round_export_by_household(supply_round=group_buy))

        assert header == (
            "Compound",
            "Building",
            "Unit",
            "Room",
            "Contact phone",
            "Pickup code",
            "蔬菜包",
            "肉蛋包",
            "Total price",
            "Payment",
            "Payment method",
            "Payment reference",
        )
        first = orders["first"]
        assert rows[0] == (
            "胜利花园",
            "1",
            1,
            "101",
            "+8613900000101",
            first.pickup_code,
            2,
            1,
            304,  # 2 × 88 + 128
            "Paid",
            "微信",
            "WX-0001",
        )
        assert [(row[3], row[6], row[7], row[8], row[9]) for row in rows] == [
            ("101", 2, 1, 304, "Paid"),
            ("102", 1, 0, 88, "Waived for hardship"),
            ("201", 2, 0, 176, "Unpaid"),
            ("202", 0, 1, 128, "Unpaid"),
        ]

    def test_it_leaves_out_cancelled_orders(self, group_buy, orders):
        _header, *rows = first_sheet(round_export_by_household(supply_round=group_buy))

        assert "103" not in [row[3] for row in rows]


class TestReconciliation:
    def test_it_lists_each_orders_payment_with_who_recorded_it(self, group_buy, orders):
        header, *rows = sheets(round_export_reconciliation(supply_round=group_buy))["Payments"]

        assert header == (
            "Compound",
            "Building",
            "Unit",
            "Room",
            "Pickup code",
            "Payment",
            "Amount due",
            "Payment method",
            "Payment reference",
            "Recorded by",
            "Recorded at",
        )
        paid = rows[0]
        assert paid[3:9] == (
            "101",
            orders["first"].pickup_code,
            "Paid",
            304,
            "微信",
            "WX-0001",
        )
        assert paid[9] == "staff"
        orders["first"].refresh_from_db()
        recorded_at = timezone.localtime(orders["first"].payment_recorded_at)
        assert paid[10] == recorded_at.strftime("%Y-%m-%d %H:%M")
        assert [(row[3], row[5], row[6], row[9]) for row in rows[1:]] == [
            ("102", "Waived for hardship", 88, "staff"),
            ("201", "Unpaid", 176, None),  # an empty cell
            ("202", "Unpaid", 128, None),
        ]

    def test_it_sums_up_orders_and_amounts_paid_and_outstanding(self, group_buy, orders):
        header, summary = sheets(round_export_reconciliation(supply_round=group_buy))["Summary"]

        assert header == (
            "Orders",
            "Paid",
            "Unpaid",
            "Waived",
            "Amount paid",
            "Amount outstanding",
        )
        # The cancelled order counts nowhere; the waived one is neither paid nor outstanding.
        assert summary == (4, 1, 2, 1, 304, 176 + 128)

    def test_it_keeps_the_cents(self, group_buy, place, household, vegetables):
        vegetables.unit_price = Decimal("12.35")
        vegetables.save()
        place(household, vegetables=2)

        _header, summary = sheets(round_export_reconciliation(supply_round=group_buy))["Summary"]

        assert Decimal(str(summary[5])) == Decimal("24.70")


class TestQueries:
    @pytest.mark.parametrize(
        "export",
        [round_export_by_building, round_export_by_household, round_export_reconciliation],
    )
    def test_it_reads_the_same_number_of_times_however_many_orders(
        self, group_buy, place, household, building_2, export
    ):
        place(household, vegetables=1)
        with CaptureQueriesContext(connection) as few:
            export(supply_round=group_buy)
        for room in ("201", "202", "203", "204", "205"):
            resident = ResidentFactory(household=HouseholdFactory(building=building_2, room=room))
            place(resident.household, vegetables=1, meat_packs=1)

        with CaptureQueriesContext(connection) as many:
            content = export(supply_round=group_buy)

        assert len(first_sheet(content)) > 2
        assert len(many) == len(few)
