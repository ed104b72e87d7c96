"""The staff plan pages, the printable outputs, and a household's view of its plan."""

import datetime
import html
import io
import re
from collections import defaultdict

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone
from openpyxl import load_workbook

from core.jobs import subject_of
from core.models import Job, JobStatus
from deliveries.models import (
    CollectionPoint,
    ControlledPolicy,
    Delivery,
    DeliveryStatus,
    OrderPlan,
    PickupSlot,
    Replan,
    RoundPlan,
    Unplaced,
)
from deliveries.services import planning
from deliveries.services.points import policy_set
from deliveries.templatetags.plan_tags import order_plan
from residents.models import ClosureLevel
from residents.services import buildings_set_closure
from supplies.models import Channel, Order, OrderLine, RoundKind
from supplies.selectors import orders_visible_to
from supplies.services.orders import order_place
from supplies.services.rounds import (
    OfferSpec,
    round_approve,
    round_close,
    round_create,
    round_open,
    round_propose,
)
from tests.factories import BuildingFactory, CompoundFactory, HouseholdFactory, UserFactory

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def page_text(response) -> str:
    """The page's text without tags, whitespace collapsed: what a person reads."""
    text = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(text))


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def with_login(household, username: str):
    household.account = UserFactory(username=username)
    household.save(update_fields=["account"])
    return household.account


def plan_url(supply_round) -> str:
    return reverse("plan-round", args=[supply_round.pk])


def tomorrow() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=1)


def allocate(client, supply_round, capture, *, day=None, kind=planning.ALLOCATE):
    """Press a button of the plan page, running the jobs it sends as a worker would."""
    data = {"kind": kind, "pickup_date": (day or tomorrow()).isoformat()}
    with capture(execute=True):
        return client.post(plan_url(supply_round), data)


@pytest.fixture(autouse=True)
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def as_staff(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def planned(closed_round, points, staff, django_capture_on_commit_callbacks):
    """The closed round, allocated and scheduled (points come after closing: planned here)."""
    with django_capture_on_commit_callbacks(execute=True):
        planning.plan_request(supply_round=closed_round, kind=planning.ALLOCATE, by=staff)
    return closed_round


def order_of(estate, supply_round, label: str, unit: int, room: str) -> Order:
    _, households = estate
    return Order.objects.get(household=households[(label, unit, room)], round=supply_round)


class TestScoping:
    ROUND_PAGES = ["plan-round", "plan-deliveries"]
    POINT_PAGES = ["plan-manifest", "plan-manifest-xlsx", "plan-call-list"]

    @pytest.fixture
    def resident_login(self, estate):
        _, households = estate
        return with_login(households[("1", 1, "101")], "resident-1-101")

    @pytest.mark.parametrize("who", ["other_staff", "volunteer", "leader", "resident_login"])
    def test_it_is_not_found_for_anyone_but_the_rounds_committee_staff(
        self, client, request, planned, points, who
    ):
        client.force_login(request.getfixturevalue(who))
        job = Job.objects.filter(subject=subject_of(planned)).first()

        for name in self.ROUND_PAGES:
            assert client.get(reverse(name, args=[planned.pk])).status_code == 404, name
        for name in self.POINT_PAGES:
            url = reverse(name, args=[planned.pk, points[0].pk])
            assert client.get(url).status_code == 404, name
        assert client.get(reverse("plan-job", args=[job.pk])).status_code == 404
        response = client.post(plan_url(planned), {"kind": planning.ALLOCATE})
        assert response.status_code == 404
        assert Job.objects.filter(subject=subject_of(planned)).count() == 2

    @pytest.mark.parametrize("who", ["volunteer", "leader", "resident_login"])
    def test_it_hides_the_rounds_to_plan_from_anyone_but_staff(self, client, request, who):
        client.force_login(request.getfixturevalue(who))

        assert client.get(reverse("plan-list")).status_code == 404

    def test_it_lists_only_the_rounds_of_the_staff_members_committees(
        self, client, other_staff, planned
    ):
        client.force_login(other_staff)

        response = client.get(reverse("plan-list"))

        assert response.status_code == 200
        assert planned.title not in page_text(response)
        assert "No closed rounds to plan." in page_text(response)

    def test_it_does_not_show_a_point_of_another_compound_under_a_round(
        self, as_staff, planned, other_compound
    ):
        elsewhere = CollectionPoint.objects.create(
            compound=other_compound,
            name="东门",
            capacity=10,
            crowd_cap=2,
            opens_at=datetime.time(9),
            closes_at=datetime.time(10),
        )

        url = reverse("plan-manifest", args=[planned.pk, elsewhere.pk])
        assert as_staff.get(url).status_code == 404

    @pytest.mark.parametrize("name", ["plan-list", "inbox"])
    def test_it_sends_anonymous_visitors_to_the_login_page(self, client, db, name):
        response = client.get(reverse(name))

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


class TestPlanList:
    def test_it_lists_closed_rounds_with_their_plan_status_and_not_open_ones(
        self, as_staff, closed_round, points, django_capture_on_commit_callbacks
    ):
        response = as_staff.get(reverse("plan-list"))

        text = page_text(response)
        assert "第一批蔬菜团购" in text
        assert "胜利花园" in text
        assert "12 orders" in text
        assert "Not planned" in text
        assert plan_url(closed_round) in response.content.decode()

        allocate(as_staff, closed_round, django_capture_on_commit_callbacks)

        text = page_text(as_staff.get(reverse("plan-list")))
        assert "Scheduled" in text
        assert f"pickup day {tomorrow():%m-%d}" in text

    def test_it_shows_a_running_job(self, as_staff, closed_round):
        Job.objects.create(
            kind=planning.ALLOCATE,
            subject=subject_of(closed_round),
            status=JobStatus.RUNNING,
            percent=35,
        )

        assert "Allocating 35%" in page_text(as_staff.get(reverse("plan-list")))

    def test_it_leaves_out_rounds_still_open(self, as_staff, group_buy):
        assert group_buy.title not in page_text(as_staff.get(reverse("plan-list")))

    def test_it_is_linked_from_the_compound_overview(self, as_staff, compound):
        response = as_staff.get(reverse("compound-overview", args=[compound.pk]))

        assert reverse("plan-list") in response.content.decode()


class TestPlanRound:
    def test_it_allocates_and_schedules_the_round_and_shows_the_plan(
        self, as_staff, staff, closed_round, points, django_capture_on_commit_callbacks
    ):
        day = timezone.localdate() + datetime.timedelta(days=2)

        response = allocate(as_staff, closed_round, django_capture_on_commit_callbacks, day=day)

        assert response.status_code == 302
        assert response["Location"] == plan_url(closed_round)
        jobs = Job.objects.filter(subject=subject_of(closed_round)).order_by("pk")
        assert [(job.kind, job.status, job.created_by) for job in jobs] == [
            (planning.ALLOCATE, JobStatus.SUCCEEDED, staff),
            (planning.SCHEDULE, JobStatus.SUCCEEDED, staff),
        ]
        assert RoundPlan.objects.get(round=closed_round).pickup_date == day
        assert OrderPlan.objects.filter(round=closed_round).count() == 12

        page = as_staff.get(plan_url(closed_round))

        text = page_text(page)
        assert "Allocation started; pickups are scheduled next." in text
        assert "Pickup scheduling · Succeeded" in text
        assert "3 slots at 2 points; 0 households without a slot." in text
        assert "Orders 12 Packs 36" in text
        assert "Door delivery 5" in text
        assert "Drop at the unit entrance 0" in text
        assert "Staggered pickup at the gate 7" in text
        assert "36 packs ordered; the points hold 40." in text
        assert "Buildings whose packs are split between points: building 3" in text
        assert "北门 18 of 20 packs 3 pickups · 3 to the door · 0 to unit entrances" in text
        assert "1 slot, 09:00–09:15" in text
        assert "南门 18 of 20 packs 4 pickups · 2 to the door" in text
        assert "2 slots, 09:00–09:30" in text
        assert "Every pickup household has a slot." in text
        assert "Door delivery: 5 · Drop at the unit entrance: 0" in text
        content = page.content.decode()
        for point in points:
            assert reverse("plan-manifest", args=[closed_round.pk, point.pk]) in content
            assert reverse("plan-call-list", args=[closed_round.pk, point.pk]) in content
        assert reverse("plan-deliveries", args=[closed_round.pk]) in content
        assert f'value="{day.isoformat()}"' in content
        assert "js/job-progress.js" not in content  # nothing left to watch

    def test_it_refuses_to_plan_an_open_round_and_changes_nothing(
        self, as_staff, group_buy, points, django_capture_on_commit_callbacks
    ):
        response = allocate(as_staff, group_buy, django_capture_on_commit_callbacks)

        assert "Only a closed round can be planned; this one is Open." in message_texts(response)
        assert not Job.objects.exists()
        assert not RoundPlan.objects.exists()
        assert not OrderPlan.objects.exists()

    def test_it_refuses_to_schedule_a_round_not_allocated_and_changes_nothing(
        self, as_staff, closed_round, points, django_capture_on_commit_callbacks
    ):
        response = allocate(
            as_staff, closed_round, django_capture_on_commit_callbacks, kind=planning.SCHEDULE
        )

        assert "Allocate the round to collection points before scheduling pickups." in (
            message_texts(response)
        )
        assert not Job.objects.exists()
        assert not RoundPlan.objects.exists()

    def test_it_refuses_a_pickup_day_in_the_past(
        self, as_staff, closed_round, points, django_capture_on_commit_callbacks
    ):
        yesterday = timezone.localdate() - datetime.timedelta(days=1)

        response = allocate(
            as_staff, closed_round, django_capture_on_commit_callbacks, day=yesterday
        )

        assert response.status_code == 200
        assert "The pickup day cannot be before today." in page_text(response)
        assert not Job.objects.exists()

    def test_it_schedules_the_pickups_again_on_another_day(
        self, as_staff, planned, django_capture_on_commit_callbacks
    ):
        day = timezone.localdate() + datetime.timedelta(days=5)

        response = allocate(
            as_staff, planned, django_capture_on_commit_callbacks, day=day, kind=planning.SCHEDULE
        )

        assert "Scheduling of pickups started." in message_texts(response)
        starts = {timezone.localtime(slot.start).date() for slot in PickupSlot.objects.all()}
        assert starts == {day}

    def test_it_says_plainly_how_many_packs_the_points_are_short_and_for_which_buildings(
        self, as_staff, closed_round, points, django_capture_on_commit_callbacks
    ):
        CollectionPoint.objects.update(capacity=9)

        allocate(as_staff, closed_round, django_capture_on_commit_callbacks)

        summary = RoundPlan.objects.get(round=closed_round).allocation["compounds"][0]
        without_point = OrderPlan.objects.filter(unplaced=Unplaced.NO_CAPACITY).count()
        assert (summary["shortfall"], without_point) == (18, 6)
        text = page_text(as_staff.get(plan_url(closed_round)))
        assert "36 packs ordered; the points hold 18." in text
        assert "The points are 18 packs short. These buildings' packs have no point:" in text
        for entry in summary["unserved"]:
            assert f"Building {entry['building']}: {entry['packs']} packs" in text
        assert "6 orders have no collection point: no point has room for their packs." in text

    def test_it_names_the_units_that_did_not_fit_into_the_pickup_hours(
        self, as_staff, closed_round, points, django_capture_on_commit_callbacks
    ):
        south = points[1]
        south.closes_at = datetime.time(9, 15)  # one slot of 3 people for 4 households
        south.save(update_fields=["closes_at"])

        allocate(as_staff, closed_round, django_capture_on_commit_callbacks)

        schedule = RoundPlan.objects.get(round=closed_round).schedule
        entry = next(point for point in schedule["points"] if point["name"] == "南门")
        assert entry["unplaced"] and entry["minutes_short"]
        text = page_text(as_staff.get(plan_url(closed_round)))
        assert f"The opening hours are {entry['minutes_short']} minutes short" in text
        assert "Units that did not fit:" in text
        for unit in entry["unplaced"]:
            assert (
                f"Building {unit['building']}, unit {unit['unit']}: {unit['people']} households"
                in text
            )
        unplaced = OrderPlan.objects.filter(unplaced=Unplaced.WINDOW_TOO_SHORT).count()
        assert f"{unplaced} households did not fit into the pickup slots." in text

    def test_it_lists_the_re_plans_after_closure_changes(
        self, as_staff, staff, planned, estate, django_capture_on_commit_callbacks
    ):
        buildings, _ = estate
        with django_capture_on_commit_callbacks(execute=True):
            buildings_set_closure(
                buildings=[buildings["1"]], level=ClosureLevel.SEALED, reason="阳性病例", by=staff
            )

        replan = Replan.objects.get(round=planned)
        assert replan.to_delivery == 3
        text = page_text(as_staff.get(plan_url(planned)))
        assert "Re-plans after closure changes" in text
        assert "Building 1 Precaution → Sealed" in text
        assert "阳性病例" in text
        assert (
            "3 pickups turned into deliveries · 0 deliveries turned into pickups · "
            f"{replan.slots_freed} slot places freed · 0 households without a slot"
        ) in text
        assert "Door delivery: 8" in text

    def test_it_shows_the_latest_job_with_a_progress_bar_that_polls_its_progress(
        self, as_staff, closed_round
    ):
        job = Job.objects.create(
            kind=planning.ALLOCATE,
            subject=subject_of(closed_round),
            status=JobStatus.RUNNING,
            percent=40,
            message="Saved 4 of 12 orders.",
        )

        response = as_staff.get(plan_url(closed_round))

        content = response.content.decode()
        assert '<progress max="100" value="40"' in content
        assert f'data-job-url="{reverse("plan-job", args=[job.pk])}"' in content
        assert 'data-finished="false"' in content
        assert "js/job-progress.js" in content
        assert "Allocation · Running" in page_text(response)
        assert "Saved 4 of 12 orders." in page_text(response)

    def test_it_answers_a_jobs_progress_as_json(self, as_staff, closed_round):
        job = Job.objects.create(
            kind=planning.SCHEDULE,
            subject=subject_of(closed_round),
            status=JobStatus.RUNNING,
            percent=65,
            message="北门",
        )

        response = as_staff.get(reverse("plan-job", args=[job.pk]))

        assert response.json() == {
            "id": job.pk,
            "status": "running",
            "status_display": "Running",
            "percent": 65,
            "message": "北门",
            "finished": False,
        }

    def test_it_shows_a_failed_jobs_error(self, as_staff, closed_round):
        Job.objects.create(
            kind=planning.ALLOCATE,
            subject=subject_of(closed_round),
            status=JobStatus.FAILED,
            message="Only a closed round can be planned.",
        )

        response = as_staff.get(plan_url(closed_round))

        assert '<p class="job-message error"' in response.content.decode()
        assert "Allocation · Failed" in page_text(response)


class TestOutputs:
    def test_it_prints_each_points_manifest_with_the_packs_of_its_order_lines(
        self, as_staff, planned, points
    ):
        expected = defaultdict(lambda: defaultdict(int))
        for line in OrderLine.objects.filter(order__round=planned).select_related(
            "order__plan", "offer__package_type"
        ):
            expected[line.order.plan.point_id][line.offer.package_type.name] += line.quantity
        assert sum(sum(packs.values()) for packs in expected.values()) == 36

        for point in points:
            response = as_staff.get(reverse("plan-manifest", args=[planned.pk, point.pk]))

            rows = sorted(expected[point.pk].items())
            assert response.context["rows"] == rows
            text = page_text(response)
            for name, packs in rows:
                assert f"{name} {packs}" in text
            assert f"Total {sum(expected[point.pk].values())}" in text
            assert f"Manifest of {point.name}" in text
        assert sorted(expected[points[0].pk].items()) == [("肉蛋包", 6), ("蔬菜包", 12)]

    def test_it_downloads_a_manifest_as_a_spreadsheet(self, as_staff, planned, points):
        response = as_staff.get(reverse("plan-manifest-xlsx", args=[planned.pk, points[1].pk]))

        assert response["Content-Type"] == XLSX
        assert (
            f'filename="round-{planned.pk}-point-{points[1].pk}-manifest.xlsx"'
            in (response["Content-Disposition"])
        )
        sheet = load_workbook(io.BytesIO(response.content)).active
        day = tomorrow().isoformat()
        assert [tuple(cell or "" for cell in row) for row in sheet.iter_rows(values_only=True)] == [
            ("Round", "Collection point", "Pickup day", "Package", "Packs"),
            ("第一批蔬菜团购", "南门", day, "肉蛋包", 6),
            ("第一批蔬菜团购", "南门", day, "蔬菜包", 12),
            ("", "", "", "Total", 18),
        ]

    def test_it_prints_the_call_list_of_a_point_slot_by_slot(self, as_staff, planned, points):
        response = as_staff.get(reverse("plan-call-list", args=[planned.pk, points[1].pk]))

        text = page_text(response)
        assert "Call list of 南门" in text
        first, second = text.index("09:00–09:15"), text.index("09:15–09:30")
        assert first < text.index("Building 2, unit 1 : 101, 201") < second
        assert second < text.index("Building 2, unit 2 : 101, 201")
        assert "2 households" in text

    def test_it_says_when_a_point_has_no_slots_yet(self, as_staff, closed_round, points):
        response = as_staff.get(reverse("plan-call-list", args=[closed_round.pk, points[0].pk]))

        assert "No slots at this point yet: schedule the pickups first." in page_text(response)

    def test_it_prints_the_deliveries_grouped_by_building_and_unit(self, as_staff, planned):
        cancelled = Delivery.objects.get(
            household__building__label="3", household__unit=2, household__room="201"
        )
        Delivery.objects.filter(pk=cancelled.pk).update(status=DeliveryStatus.CANCELLED)

        response = as_staff.get(reverse("plan-deliveries", args=[planned.pk]))

        content = response.content.decode()
        assert re.findall(r'data-building="([^"]+)"', content) == ["1", "3"]
        text = page_text(response)
        assert "4 deliveries" in text
        building_3 = text[text.index("Building 3") :]
        assert re.search(
            r"Unit 1 101 · Door delivery .* 201 · Door delivery .* Unit 2 101", building_3
        )
        assert "201 · Door delivery" not in building_3[building_3.index("Unit 2") :]
        assert "蔬菜包 × 2, 肉蛋包 × 1" in text
        assert "A vulnerable resident lives here" in text
        assert "The building is sealed" in text


class TestHouseholdsPlan:
    def detail(self, client, order):
        return client.get(reverse("order-detail", args=[order.pk]))

    def test_it_shows_the_household_its_point_slot_and_pickup_code(self, client, planned, estate):
        order = order_of(estate, planned, "1", 1, "101")
        client.force_login(with_login(order.household, "resident-1-101"))
        slot = OrderPlan.objects.get(order=order).slot

        text = page_text(self.detail(client, order))

        assert "How your packs reach you" in text
        assert "Collection point 北门" in text
        assert re.search(r"Time 09:00\s*–\s*09:15", text)
        day = timezone.localtime(slot.start).date()
        assert f"Day {formats.date_format(day, 'DATE_FORMAT')}" in text
        assert f"{order.pickup_code[:4]} {order.pickup_code[4:]}" in text

    def test_it_tells_a_sealed_household_its_packs_come_to_the_door(self, client, planned, estate):
        order = order_of(estate, planned, "3", 1, "101")
        client.force_login(with_login(order.household, "resident-3-101"))

        text = page_text(self.detail(client, order))

        assert "Delivered to your door" in text
        assert "Collection point" not in text

    def test_it_tells_a_controlled_household_its_packs_are_left_at_the_unit_entrance(
        self,
        client,
        closed_round,
        points,
        estate,
        compound,
        staff,
        django_capture_on_commit_callbacks,
    ):
        policy_set(
            compound=compound, controlled_fulfilment=ControlledPolicy.UNIT_ENTRANCE, by=staff
        )
        with django_capture_on_commit_callbacks(execute=True):
            planning.plan_request(supply_round=closed_round, kind=planning.ALLOCATE, by=staff)
        order = order_of(estate, closed_round, "2", 2, "201")
        client.force_login(with_login(order.household, "resident-2-201"))

        assert "Left at the entrance of unit 2" in page_text(self.detail(client, order))

    def test_it_says_when_the_round_is_not_planned_yet(self, client, closed_round, estate):
        order = order_of(estate, closed_round, "1", 1, "101")
        client.force_login(with_login(order.household, "resident-1-101"))

        text = page_text(self.detail(client, order))

        assert "Not planned yet." in text
        assert "The committee is planning the round; you will get a notice." in text

    def test_it_says_when_the_packs_could_not_be_placed(
        self, client, closed_round, points, staff, estate, django_capture_on_commit_callbacks
    ):
        CollectionPoint.objects.update(capacity=9)
        with django_capture_on_commit_callbacks(execute=True):
            planning.plan_request(supply_round=closed_round, kind=planning.ALLOCATE, by=staff)
        plan = OrderPlan.objects.filter(unplaced=Unplaced.NO_CAPACITY).first()
        client.force_login(with_login(plan.household, "resident-unplaced"))

        text = page_text(self.detail(client, plan.order))

        assert "Your packs could not be placed yet: No collection point has room." in text
        assert "The committee will tell you when and where to collect them." in text

    def test_it_does_not_show_another_households_order(self, client, planned, estate):
        mine = order_of(estate, planned, "1", 1, "101")
        client.force_login(with_login(mine.household, "resident-1-101"))

        assert self.detail(client, order_of(estate, planned, "1", 1, "201")).status_code == 404

    def test_it_reads_the_plan_in_one_query(self, planned, estate, django_assert_num_queries):
        order = order_of(estate, planned, "1", 1, "101")
        user = with_login(order.household, "resident-1-101")
        order = orders_visible_to(user).get(pk=order.pk)

        with django_assert_num_queries(1):
            context = order_plan(order)

        assert (context["plan"].point.name, context["plan"].slot.index) == ("北门", 0)


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def open_group_buy(*, committee, compound, leader, staff, vegetables, meat, title: str):
    supply_round = round_create(
        committee=committee,
        title=title,
        kind=RoundKind.GROUP_BUY,
        compounds=[compound],
        closes_at=timezone.now() + datetime.timedelta(days=1),
        offers=[
            OfferSpec(package_type=vegetables, stock=1000, limit_per_household=2),
            OfferSpec(package_type=meat, stock=1000, limit_per_household=1),
        ],
        leader=leader,
        by=leader,
    )
    round_propose(supply_round=supply_round, by=leader)
    round_approve(supply_round=supply_round, by=staff)
    round_open(supply_round=supply_round, by=staff)
    return supply_round


@pytest.fixture
def bigger_round(committee, leader, staff, vegetables, meat, django_capture_on_commit_callbacks):
    """A second compound of the committee: 5 buildings × 2 units × 3 rooms, three points, a
    round with 30 orders planned when it closes, and a building sealed afterwards."""
    compound = CompoundFactory(committee=committee, name="第二小区")
    buildings = [
        BuildingFactory(compound=compound, label=str(n), position_x=n * 20, position_y=5)
        for n in range(1, 6)
    ]
    for n in range(3):
        CollectionPoint.objects.create(
            compound=compound,
            name=f"{n + 1}号门",
            position_x=n * 50,
            capacity=40,
            crowd_cap=4,
            opens_at=datetime.time(8),
            closes_at=datetime.time(11),
        )
    supply_round = open_group_buy(
        committee=committee,
        compound=compound,
        leader=leader,
        staff=staff,
        vegetables=vegetables,
        meat=meat,
        title="第二批",
    )
    offers = list(supply_round.offers.order_by("pk"))
    for building in buildings:
        for unit in (1, 2):
            for room in ("101", "201", "301"):
                order_place(
                    household=HouseholdFactory(building=building, unit=unit, room=room),
                    supply_round=supply_round,
                    quantities={offers[0].pk: 2, offers[1].pk: 1},
                    placed_by=staff,
                    channel=Channel.HOTLINE,
                )
    supply_round.closes_at = timezone.now()
    supply_round.save(update_fields=["closes_at"])
    with django_capture_on_commit_callbacks(execute=True):
        round_close(supply_round=supply_round, by=staff)  # planned at once: it has points
    with django_capture_on_commit_callbacks(execute=True):
        buildings_set_closure(
            buildings=[buildings[0]], level=ClosureLevel.SEALED, reason="阳性", by=staff
        )
    assert OrderPlan.objects.filter(round=supply_round).count() == 30
    assert Replan.objects.filter(round=supply_round).exists()
    return supply_round


class TestQueryCounts:
    def test_it_reads_the_plan_page_in_the_same_queries_however_big_the_plan(
        self, as_staff, planned, bigger_round, django_assert_max_num_queries
    ):
        as_staff.get(plan_url(planned))  # the session's first request does one-off work
        few = count_queries(as_staff, plan_url(planned))

        with django_assert_max_num_queries(few):
            assert as_staff.get(plan_url(bigger_round)).status_code == 200

    @pytest.mark.parametrize("name", ["plan-manifest", "plan-call-list"])
    def test_it_reads_a_points_outputs_in_the_same_queries_however_many_orders(
        self, as_staff, planned, points, bigger_round, name, django_assert_max_num_queries
    ):
        few = count_queries(as_staff, reverse(name, args=[planned.pk, points[0].pk]))
        busiest = CollectionPoint.objects.filter(compound__name="第二小区").first()

        with django_assert_max_num_queries(few):
            as_staff.get(reverse(name, args=[bigger_round.pk, busiest.pk]))

    def test_it_reads_the_deliveries_in_the_same_queries_however_many(
        self, as_staff, planned, bigger_round, django_assert_max_num_queries
    ):
        few = count_queries(as_staff, reverse("plan-deliveries", args=[planned.pk]))
        assert Delivery.objects.filter(order_plan__round=bigger_round).count() > 5

        with django_assert_max_num_queries(few):
            as_staff.get(reverse("plan-deliveries", args=[bigger_round.pk]))

    def test_it_reads_the_rounds_to_plan_in_the_same_queries_however_many(
        self,
        as_staff,
        planned,
        committee,
        compound,
        leader,
        staff,
        vegetables,
        meat,
        django_assert_max_num_queries,
    ):
        as_staff.get(reverse("plan-list"))
        few = count_queries(as_staff, reverse("plan-list"))
        for number in range(5):
            supply_round = open_group_buy(
                committee=committee,
                compound=compound,
                leader=leader,
                staff=staff,
                vegetables=vegetables,
                meat=meat,
                title=f"第{number + 3}批",
            )
            round_close(supply_round=supply_round, by=staff)  # its job waits for a worker

        with django_assert_max_num_queries(few):
            response = as_staff.get(reverse("plan-list"))
        assert len(response.context["page"]) == 6


class TestAdmin:
    CHANGELISTS = [
        "deliveries_collectionpoint",
        "deliveries_compoundpolicy",
        "deliveries_roundplan",
        "deliveries_orderplan",
        "deliveries_pickupslot",
        "deliveries_delivery",
        "deliveries_replan",
    ]

    def point_form(self, compound, **changes) -> dict:
        return {
            "compound": compound.pk,
            "name": "西门",
            "position_x": "0",
            "position_y": "50",
            "capacity": "30",
            "crowd_cap": "4",
            "opens_at": "08:00",
            "closes_at": "10:00",
            "slot_minutes": "20",
            "active": "on",
            **changes,
        }

    @pytest.mark.parametrize("name", CHANGELISTS)
    def test_it_shows_staff_the_plan_of_their_rounds(self, as_staff, planned, name):
        response = as_staff.get(reverse(f"admin:{name}_changelist"))

        assert response.status_code == 200
        assert response.context["cl"].result_count > 0 or name in (
            "deliveries_compoundpolicy",
            "deliveries_replan",
        )

    @pytest.mark.parametrize("name", CHANGELISTS)
    def test_it_shows_another_committees_staff_nothing_of_it(
        self, client, other_staff, planned, name
    ):
        client.force_login(other_staff)

        response = client.get(reverse(f"admin:{name}_changelist"))

        assert response.status_code == 200
        assert response.context["cl"].result_count == 0

    def test_it_adds_a_point_through_the_service_recording_who(self, as_staff, staff, compound):
        response = as_staff.post(
            reverse("admin:deliveries_collectionpoint_add"), self.point_form(compound)
        )

        assert response.status_code == 302
        point = CollectionPoint.objects.get(name="西门")
        assert (point.compound, point.capacity, point.created_by) == (compound, 30, staff)

    def test_it_changes_a_point_through_the_service_keeping_its_compound(
        self, as_staff, staff, points, compound, other_compound
    ):
        north = points[0]
        form = self.point_form(other_compound, name="北门", capacity="25")

        response = as_staff.post(
            reverse("admin:deliveries_collectionpoint_change", args=[north.pk]), form
        )

        assert response.status_code == 302
        north.refresh_from_db()
        assert (north.capacity, north.compound, north.updated_by) == (25, compound, staff)

    def test_it_refuses_a_point_that_closes_before_it_opens(self, as_staff, compound):
        response = as_staff.post(
            reverse("admin:deliveries_collectionpoint_add"),
            self.point_form(compound, closes_at="07:00"),
            follow=True,
        )

        assert not CollectionPoint.objects.filter(name="西门").exists()
        assert "The point must close after it opens." in page_text(response)
        assert "Constraint" not in page_text(response)

    def test_it_offers_only_the_staff_members_compounds(self, as_staff, compound, other_compound):
        response = as_staff.get(reverse("admin:deliveries_collectionpoint_add"))

        choices = list(response.context["adminform"].form.fields["compound"].queryset)
        assert choices == [compound]

    def test_it_sets_a_compounds_policy_through_the_service(self, as_staff, staff, compound):
        response = as_staff.post(
            reverse("admin:deliveries_compoundpolicy_add"),
            {"compound": compound.pk, "controlled_fulfilment": ControlledPolicy.UNIT_ENTRANCE},
        )

        assert response.status_code == 302
        policy = compound.policy
        assert (policy.controlled_fulfilment, policy.created_by) == (
            ControlledPolicy.UNIT_ENTRANCE,
            staff,
        )

    def test_it_lets_nobody_change_the_plan_by_hand(self, client, superuser, planned):
        client.force_login(superuser)
        plan = OrderPlan.objects.first()

        assert client.get(reverse("admin:deliveries_orderplan_add")).status_code == 403
        response = client.post(
            reverse("admin:deliveries_orderplan_change", args=[plan.pk]), {"packs": 99}
        )
        assert response.status_code == 403
        assert OrderPlan.objects.get(pk=plan.pk).packs == plan.packs

    def test_it_shows_a_deliverys_history(self, as_staff, planned):
        delivery = Delivery.objects.first()

        response = as_staff.get(reverse("admin:deliveries_delivery_change", args=[delivery.pk]))

        assert response.status_code == 200
        assert "Round plan" in page_text(response)

    def test_it_shows_jobs_and_notices_to_superusers_only(self, client, staff, superuser, planned):
        client.force_login(staff)
        assert client.get(reverse("admin:core_job_changelist")).status_code == 403
        assert client.get(reverse("admin:core_notice_changelist")).status_code == 403

        client.force_login(superuser)
        jobs = client.get(reverse("admin:core_job_changelist"))
        assert jobs.context["cl"].result_count == 2
        assert client.get(reverse("admin:core_notice_changelist")).status_code == 200
        assert client.get(reverse("admin:core_job_add")).status_code == 403
