"""Supplies fixtures: a licensed supplier, packages, a group leader and rounds in each state."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.translation import override

from residents.models import Role
from residents.services import membership_grant
from supplies.models import Category, PackageType, RoundKind, Supplier
from supplies.services.rounds import (
    OfferSpec,
    round_approve,
    round_create,
    round_open,
    round_propose,
)
from tests.factories import UserFactory


@pytest.fixture
def supplier(street, staff):
    return Supplier.objects.create(
        street=street,
        name="盒马保供",
        licence_number="JY13101120000001",
        licence_checked_at=timezone.now(),
        licence_checked_by=staff,
    )


@pytest.fixture
def unlicensed_supplier(street):
    return Supplier.objects.create(street=street, name="无证商户", licence_number="?")


@pytest.fixture
def vegetables(supplier):
    return PackageType.objects.create(
        supplier=supplier,
        name="蔬菜包",
        category=Category.VEGETABLE,
        contents="青菜 2 斤、土豆 3 个、洋葱 2 个",
        unit_price=Decimal("88.00"),
    )


@pytest.fixture
def meat(supplier):
    return PackageType.objects.create(
        supplier=supplier,
        name="肉蛋包",
        category=Category.MEAT_AND_EGGS,
        unit_price=Decimal("128.00"),
    )


@pytest.fixture
def leader(committee):
    user = UserFactory(username="leader")
    membership_grant(user=user, role=Role.GROUP_LEADER, committee=committee)
    return user


@pytest.fixture
def closes_at():
    return timezone.now() + datetime.timedelta(days=1)


@pytest.fixture
def group_buy(committee, compound, vegetables, meat, leader, staff, closes_at):
    """A group buy of vegetables (stock 50, 2 per household) and meat (stock 20, 1), open."""
    supply_round = round_create(
        committee=committee,
        title="第一批蔬菜团购",
        kind=RoundKind.GROUP_BUY,
        compounds=[compound],
        closes_at=closes_at,
        offers=[
            OfferSpec(package_type=vegetables, stock=50, limit_per_household=2),
            OfferSpec(package_type=meat, stock=20, limit_per_household=1),
        ],
        leader=leader,
        by=leader,
    )
    round_propose(supply_round=supply_round, by=leader)
    round_approve(supply_round=supply_round, by=staff)
    round_open(supply_round=supply_round, by=staff)
    return supply_round


@pytest.fixture
def offers(group_buy):
    """The open group buy's offers by package name."""
    return {
        offer.package_type.name: offer for offer in group_buy.offers.select_related("package_type")
    }


@pytest.fixture(autouse=True)
def english_messages():
    """Refusals are asserted in English here; the catalogue is checked in test_translations."""
    with override("en"):
        yield
