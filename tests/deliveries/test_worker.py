"""Planning under real Celery workers on Redis and PostgreSQL, as production runs it: a round
that closes is planned by the worker, and a worker killed half-way through saving the plan
leaves a partial plan that the next run completes, the same as an uninterrupted one."""

import datetime

import pytest
from django.utils import timezone

from core.jobs import subject_of
from core.models import Job, JobStatus, Notice
from deliveries.models import (
    DELIVERED_FULFILMENTS,
    CollectionPoint,
    ControlledPolicy,
    Delivery,
    DeliveryEvent,
    DeliveryStatus,
    Fulfilment,
    OrderPlan,
    RoundPlan,
)
from deliveries.services import allocating, door_deliveries, planning
from deliveries.services.planning import ALLOCATE, SCHEDULE
from deliveries.services.points import policy_set
from residents.models import ClosureLevel, Household, Need, Resident, ResidentNeed
from supplies.models import AllocationRule, Channel, Order, OrderStatus, RoundKind
from supplies.services.orders import order_place
from supplies.services.rounds import OfferSpec, round_close, round_create, round_open
from tests.factories import BuildingFactory
from tests.worker import wait_for

pytestmark = pytest.mark.postgres

BUILDINGS, HOUSEHOLDS_PER_BUILDING = 10, 30
HOUSEHOLDS = BUILDINGS * HOUSEHOLDS_PER_BUILDING
CHUNK = 20  # orders saved per transaction: 15 chunks for 300 orders
CHUNKED = {"DELIVERIES_PLAN_CHUNK": str(CHUNK)}


def jobs_of(supply_round, kind: str):
    return Job.objects.filter(subject=subject_of(supply_round), kind=kind).order_by("pk")


def planned_through(supply_round, allocate_job: Job | None = None):
    """A condition for wait_for: the allocation failed, or the schedule after it finished."""

    def done() -> bool:
        allocations = jobs_of(supply_round, ALLOCATE)
        if allocate_job is not None:
            allocations = allocations.filter(pk__gte=allocate_job.pk)
        allocation = allocations.last()
        if allocation is None or allocation.status == JobStatus.FAILED:
            return allocation is not None
        if allocation.status != JobStatus.SUCCEEDED:
            return False
        schedule = jobs_of(supply_round, SCHEDULE).filter(created_at__gte=allocation.created_at)
        return schedule.exists() and schedule.last().finished

    return done


def succeeded(job: Job) -> Job:
    job.refresh_from_db()
    assert (job.status, job.error) == (JobStatus.SUCCEEDED, "")
    return job


def test_a_real_worker_plans_a_round_from_its_closing_to_the_notices(
    celery_worker_factory, group_buy, offers, estate, points, staff
):
    worker = celery_worker_factory()
    _, households = estate
    group_buy.offers.update(stock=100)
    for household in households.values():
        order_place(
            household=household,
            supply_round=group_buy,
            quantities={offers["蔬菜包"].pk: 2, offers["肉蛋包"].pk: 1},
            placed_by=staff,
            channel=Channel.HOTLINE,
        )

    round_close(supply_round=group_buy, by=staff)  # commits; the receiver enqueues the plan

    wait_for(planned_through(group_buy), seconds=60, what="planning the closed round")
    allocation = succeeded(jobs_of(group_buy, ALLOCATE).get())
    schedule = succeeded(jobs_of(group_buy, SCHEDULE).get())
    assert (allocation.created_by, schedule.created_by) == (staff, staff)
    assert (allocation.attempts, schedule.attempts) == (1, 1)
    log = worker.log.read_text()
    assert "deliveries.tasks.allocate_round" in log and "deliveries.tasks.schedule_pickups" in log

    orders = set(
        Order.objects.filter(round=group_buy, status=OrderStatus.PLACED).values_list(
            "pk", flat=True
        )
    )
    plans = OrderPlan.objects.filter(round=group_buy)
    assert len(orders) == 12
    assert set(plans.values_list("order_id", flat=True)) == orders
    pickups = plans.filter(fulfilment=Fulfilment.PICKUP)
    assert pickups.count() == 7  # building 1 but its vulnerable household, building 2
    assert not pickups.filter(slot=None).exists()
    assert not plans.filter(point=None).exists()
    doors = plans.filter(fulfilment__in=DELIVERED_FULFILMENTS)
    assert doors.count() == 5  # sealed building 3, and the vulnerable household
    assert set(doors.values_list("delivery__status", flat=True)) == {DeliveryStatus.PLANNED}
    assert Delivery.objects.filter(order_plan__round=group_buy).count() == 5
    round_plan = RoundPlan.objects.get(round=group_buy)
    assert round_plan.allocated_at and round_plan.scheduled_at

    assert Notice.objects.filter(key__startswith="plan:").count() == 12
    assert set(plans.values_list("times_told", flat=True)) == {1}

    def all_sent() -> bool:  # the worker also sends them, through the console SMS backend
        return not Notice.objects.filter(sent_at=None).exists()

    wait_for(all_sent, what="sending the notices")


@pytest.fixture
def big_round(committee, compound, vegetables, meat, staff):
    """An allocation round, open, over 300 households in 10 buildings of 2 units on a 5 × 2
    grid: buildings 1–2 sealed, 3–5 controlled (unit-entrance drop by the compound's policy),
    6–10 precaution; 1 to 3 residents a household and one pack of vegetables and one of meat
    a person (2 to 6 packs an order); every 25th household vulnerable. Three gates whose
    capacities add up to 105 % of the demand, so that buildings are split between them."""
    buildings = [
        BuildingFactory(
            compound=compound,
            label=str(number),
            units=2,
            position_x=30.0 + 60 * ((number - 1) % 5),
            position_y=30.0 if number <= 5 else 90.0,
            closure_level=(
                ClosureLevel.SEALED
                if number <= 2
                else ClosureLevel.CONTROLLED
                if number <= 5
                else ClosureLevel.PRECAUTION
            ),
        )
        for number in range(1, BUILDINGS + 1)
    ]
    households = Household.objects.bulk_create(
        Household(
            building=building,
            unit=1 + index % 2,
            room=f"{index // 2 + 1}01",
            contact_phone="13800138000",
        )
        for building in buildings
        for index in range(HOUSEHOLDS_PER_BUILDING)
    )
    people = [1 + number % 3 for number in range(HOUSEHOLDS)]
    residents = Resident.objects.bulk_create(
        Resident(household=household, name=f"居民{number}-{person}", sex="F")
        for number, household in enumerate(households)
        for person in range(people[number])
    )
    heads = {resident.household_id: resident for resident in reversed(residents)}
    ResidentNeed.objects.bulk_create(
        ResidentNeed(resident=heads[household.pk], need=Need.ELDERLY_ALONE)
        for household in households[::25]
    )
    policy_set(compound=compound, controlled_fulfilment=ControlledPolicy.UNIT_ENTRANCE, by=staff)
    packs = 2 * sum(people)
    for name, x, y, share in (
        ("西门", 0, 60, 0.45),
        ("东门", 300, 60, 0.35),
        ("北门", 150, 130, 0.25),
    ):
        CollectionPoint.objects.create(
            compound=compound,
            name=name,
            position_x=x,
            position_y=y,
            capacity=round(packs * share),
            crowd_cap=10,
            opens_at=datetime.time(8),
            closes_at=datetime.time(18),
            slot_minutes=15,
        )
    supply_round = round_create(
        committee=committee,
        title="第二批保供物资",
        kind=RoundKind.ALLOCATION,
        compounds=[compound],
        closes_at=timezone.now() + datetime.timedelta(days=1),
        offers=[
            OfferSpec(package_type=vegetables, stock=packs, allocation_quantity=1),
            OfferSpec(package_type=meat, stock=packs, allocation_quantity=1),
        ],
        allocation_rule=AllocationRule.PER_PERSON,
        by=staff,
    )
    return round_open(supply_round=supply_round, by=staff)  # one order per household


def test_a_worker_killed_while_saving_the_plan_leaves_it_to_the_next_run(
    celery_worker_factory, big_round, staff
):
    slow = celery_worker_factory(
        module="tests.slow_worker", env={**CHUNKED, "SLOW_WORKER_CHUNK_SECONDS": "0.4"}
    )
    round_close(supply_round=big_round, by=staff)  # the receiver asks for the allocation

    def half_saved() -> bool:
        job = jobs_of(big_round, ALLOCATE).last()
        saved = OrderPlan.objects.filter(round=big_round).count()
        return (
            job is not None
            and job.status == JobStatus.RUNNING
            and 50 <= job.percent <= 94  # several chunks saved, several to go
            and 0 < saved < HOUSEHOLDS
        )

    wait_for(half_saved, seconds=60, every=0.05, what="saving half the chunks")
    slow.kill()

    killed = jobs_of(big_round, ALLOCATE).get()
    saved = OrderPlan.objects.filter(round=big_round).count()
    assert (killed.status, killed.attempts) == (JobStatus.RUNNING, 1)
    assert 50 <= killed.percent <= 94
    assert 0 < saved < HOUSEHOLDS and saved % CHUNK == 0  # whole chunks, none half-written
    assert not RoundPlan.objects.filter(round=big_round).exists()
    assert not jobs_of(big_round, SCHEDULE).exists()

    celery_worker_factory(env=CHUNKED)
    again = planning.plan_request(supply_round=big_round, kind=ALLOCATE, by=staff)

    wait_for(planned_through(big_round, again), seconds=90, what="planning the round again")
    killed.refresh_from_db()
    assert killed.status == JobStatus.ABANDONED and killed.finished_at is not None
    assert succeeded(again).attempts == 1
    assert again.result["orders"] == HOUSEHOLDS
    succeeded(jobs_of(big_round, SCHEDULE).get())

    # The same plan as one computed here from the same rows, order by order.
    reference = allocating.allocation_compute(big_round)
    expected = {order.order_id: (order.point_id, order.fulfilment) for order in reference.orders}
    plans = OrderPlan.objects.filter(round=big_round)
    assert {
        order_id: (point_id, fulfilment)
        for order_id, point_id, fulfilment in plans.values_list(
            "order_id", "point_id", "fulfilment"
        )
    } == expected
    assert len(expected) == HOUSEHOLDS and None not in {point for point, _ in expected.values()}
    assert set(reference.summary["fulfilment"]) == {
        Fulfilment.DOOR,
        Fulfilment.UNIT_ENTRANCE,
        Fulfilment.PICKUP,
    }
    assert reference.summary["compounds"][0]["split_buildings"]  # orders cut between gates

    # No duplicates: one plan per order, one delivery (opened once) per door order.
    orders = Order.objects.filter(round=big_round, status=OrderStatus.PLACED)
    assert plans.count() == plans.values("order").distinct().count() == orders.count()
    delivered = plans.filter(fulfilment__in=DELIVERED_FULFILMENTS)
    deliveries = Delivery.objects.filter(
        key__in=[door_deliveries.delivery_key(pk) for pk in orders.values_list("pk", flat=True)]
    )
    assert deliveries.count() == delivered.count() > 0
    assert set(delivered.values_list("delivery_id", flat=True)) == set(
        deliveries.values_list("pk", flat=True)
    )
    assert DeliveryEvent.objects.filter(delivery__in=deliveries).count() == deliveries.count()
    assert not plans.filter(fulfilment=Fulfilment.PICKUP, slot=None).exists()
    assert Notice.objects.filter(key__startswith="plan:").count() == HOUSEHOLDS
