"""Every list page and endpoint reads a fixed number of queries, whatever the compound's size."""

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from residents.demo import DEFAULT_COMPOUNDS, LARGE_COMPOUND, demo_seed
from residents.models import Compound, Household, Resident
from residents.services import buildings_set_closure
from tests.factories import BuildingFactory, HouseholdFactory, ResidentFactory


def queries_of(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return [query["sql"] for query in captured.captured_queries]


def grow(compound, *, buildings: int, households: int, residents: int) -> None:
    """More of everything, each resident with needs, so that any lookup per row shows up."""
    for _ in range(buildings):
        building = BuildingFactory(compound=compound)
        for _ in range(households):
            household = HouseholdFactory(building=building)
            for _ in range(residents):
                ResidentFactory(household=household, needs=["dialysis", "chronic_medication"])


@pytest.fixture
def as_staff(client, staff):
    client.force_login(staff)
    client.get("/")  # the first request of a session may do one-off work
    return client


@pytest.fixture
def as_api_staff(api_client, staff):
    api_client.force_authenticate(staff)
    return api_client


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/buildings/?compound={compound}",
        "/api/v1/households/?compound={compound}",
        "/api/v1/households/?vulnerable=true",
        "/api/v1/residents/",
        "/api/v1/residents/?compound={compound}&need=dialysis",
    ],
)
def test_it_reads_an_api_list_in_the_same_queries_however_many_rows(
    as_api_staff, compound, resident, url
):
    url = url.format(compound=compound.pk)
    ResidentFactory(household=resident.household, needs=["dialysis"])
    few = queries_of(as_api_staff, url)

    grow(compound, buildings=3, households=3, residents=3)

    many = queries_of(as_api_staff, url)
    assert len(as_api_staff.get(url).json()["results"]) > 2
    assert len(many) == len(few), "\n".join(many)


@pytest.mark.parametrize(
    "url",
    [
        "/staff/compounds/{compound}/",
        "/admin/residents/building/",
        "/admin/residents/household/",
        "/admin/residents/resident/",
        "/admin/residents/resident/?need=dialysis&q=居民",
        "/admin/residents/closurechange/",
    ],
)
def test_it_renders_a_list_page_in_the_same_queries_however_many_rows(
    as_staff, staff, compound, resident, url
):
    url = url.format(compound=compound.pk)
    ResidentFactory(household=resident.household, needs=["dialysis"])
    few = queries_of(as_staff, url)

    grow(compound, buildings=3, households=3, residents=3)
    buildings_set_closure(
        buildings=compound.buildings.all(), level="sealed", reason="阳性", by=staff
    )

    many = queries_of(as_staff, url)
    assert len(many) == len(few), "\n".join(many)


@pytest.mark.slow
@pytest.mark.django_db
def test_it_serves_the_largest_compound_in_the_same_queries_as_the_default_demo(client):
    """Seeds the demo with the large compound (286 buildings, 40,000 residents): ~10 s."""
    demo_seed(scale="large")
    default = Compound.objects.get(name=DEFAULT_COMPOUNDS[0].name)
    large = Compound.objects.get(name=LARGE_COMPOUND.name)
    assert default.committee == large.committee
    assert large.buildings.count() == LARGE_COMPOUND.buildings
    assert Resident.objects.filter(household__building__compound=large).count() > 30_000
    assert Household.objects.filter(building__compound=default).count() == 800
    client.force_login(User.objects.get(username="staff"))
    client.get("/")

    for url in ("/staff/compounds/{pk}/", "/api/v1/buildings/?compound={pk}"):
        small_queries = queries_of(client, url.format(pk=default.pk))
        large_queries = queries_of(client, url.format(pk=large.pk))
        assert len(large_queries) == len(small_queries), "\n".join(large_queries)
