"""Every page that acts starts from the caller's scope: each one is tried by people of
another committee (staff, a household, a group leader, a volunteer) and, where a page belongs
to one household or volunteer, by another of the same committee; each answers 404 (or refuses
in the form) and changes nothing in the database. The same POST by the page's own user
changes something, so that a refusal here is never a POST that could not have worked anyway.

The URLconf is walked: a page that accepts POST (anything but 405 to a superuser's POST) must
be in ACTING, a page that answers 405 in READ_ONLY, so a new acting page fails here until
it is added to the table. Every page is also opened (GET) by its own user, and no GET writes."""

import datetime
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from core.jobs import run_job
from core.models import Notice
from deliveries.models import CollectionPoint, Delivery, Fulfilment, MealBasis, OrderPlan
from deliveries.services.fulfilment import delivery_fail
from deliveries.services.meals import meal_enrol, meals_create_for_day
from medical.services import medicine, transports
from residents.models import ClosureLevel, Role
from residents.services import (
    household_logins_request,
    household_logins_run,
    membership_grant,
)
from supplies.models import Channel, RoundKind
from supplies.services.orders import order_place
from supplies.services.rounds import (
    OfferSpec,
    round_approve,
    round_create,
    round_open,
    round_propose,
)
from tests.deliveries import conftest as deliveries_fixtures
from tests.factories import BuildingFactory, HouseholdFactory, ResidentFactory, UserFactory
from tests.medical import conftest as medical_fixtures
from tests.volunteers import conftest as volunteer_fixtures
from volunteers.models import Shift, Workgroup
from volunteers.services import shift_signup

pytestmark = pytest.mark.django_db

# Fixtures shared with the apps' tests: a planned round, points, a supply shift; volunteers,
# medicine requests at each step.
for _module in (deliveries_fixtures, volunteer_fixtures, medical_fixtures):
    for _name in dir(_module):
        _value = getattr(_module, _name)
        if (
            hasattr(_value, "_pytestfixturefunction")
            or type(_value).__name__ == "FixtureFunctionDefinition"
        ):
            globals()[_name] = _value
sign_up = deliveries_fixtures.sign_up


@pytest.fixture
def building(compound):
    """The household's building, beside the planned round's estate (buildings 1 to 3)."""
    return BuildingFactory(compound=compound, label="9", units=2, floors=6)


# Pages outside this table's promise: Django's admin (its own permissions), the API (tried by
# its own tests), signing in and out, the language button, and the public volunteer sign-up
# (anyone may offer to help any committee; staff approve), and the load balancer's health check.
EXEMPT_PREFIXES = ("admin/", "api/")
EXEMPT = {
    "login",
    "logout",
    "set_language",
    "api-schema",
    "api-docs",
    "health",
    "volunteers:register",
}

READ_ONLY = {
    "inbox",
    "home",
    "staff-compounds",
    "rounds-open",
    "order-list",
    "order-detail",
    "hotline",
    "hotline-household",
    "leader-rounds",
    "leader-round",
    "volunteers:register-choose",
    "volunteers:home",
    "volunteers:staff-volunteers",
    "volunteers:staff-hours",
    "plan-list",
    "plan-job",
    "plan-deliveries",
    "plan-manifest",
    "plan-manifest-xlsx",
    "plan-call-list",
    "plan-progress",
    "my-deliveries",
    "volunteer-sw",
    "medical:detail",
    "medical:volunteer",
    "medical:transport-pass",
    "medical:staff-vulnerable",
    "household-logins",
    "household-logins-job",
}

OTHER_COMMITTEE = ("other_staff", "other_resident", "other_leader", "other_volunteer")


@dataclass
class Case:
    owner: str  # the role whose POST acts
    args: object  # world → URL args
    data: object = dict  # world → POST body
    tried_by: tuple[str, ...] = OTHER_COMMITTEE
    # Roles refused inside the page (a form error or a message) rather than by a 404.
    refused_in_page: tuple[str, ...] = ()
    # False for a page whose POST only checks (the gate's pass check) or has nothing to act
    # on in this world; its outsiders are still tried.
    owner_changes: bool = True
    extra: dict = field(default_factory=dict)
    query: object = None  # world → the page's query string, as a dict

    def url(self, name, world):
        url = reverse(name, args=self.args(world))
        return f"{url}?{urlencode(self.query(world))}" if self.query else url


def _chosen_household(world) -> dict:
    return {"household": world["resident"].household_id}


def _later(hours: float) -> str:
    return timezone.localtime(timezone.now() + datetime.timedelta(hours=hours)).strftime(
        "%Y-%m-%dT%H:%M"
    )


def _medicine_form(w):
    return {
        "resident": w["resident"].pk,
        "hospital": "瑞金医院",
        "urgency": "red",
        "medicine_1": "二甲双胍",
        "quantity_1": "1",
    }


def _trip_form(w):
    return {
        "resident": w["resident"].pk,
        "kind": "dialysis",
        "hospital": "瑞金医院",
        "appointment_at": _later(30),
    }


ACTING: dict[str, Case] = {
    # core
    # Marks the caller's own notices: outsiders have none, A's stay unread.
    "inbox-read-all": Case(
        "resident",
        lambda w: [],
        tried_by=("other_staff", "other_resident"),
        refused_in_page=("other_staff", "other_resident"),
    ),
    "notice-open": Case(
        "resident", lambda w: [w["notice"].pk], tried_by=(*OTHER_COMMITTEE, "neighbour")
    ),
    # residents
    "compound-overview": Case(
        "staff",
        lambda w: [w["compound"].pk],
        lambda w: {"building": [w["building"].pk], "level": ClosureLevel.SEALED, "reason": "阳性"},
    ),
    # The password file, taken once: the owner's POST wipes the passwords.
    "household-logins-file": Case("staff", lambda w: [w["login_batch"].pk]),
    # supplies
    "round-order": Case(
        "neighbour",
        lambda w: [w["open_round"].pk],
        lambda w: {f"offer-{w['offer'].pk}": "1"},
    ),
    "order-edit": Case(
        "resident",
        lambda w: [w["order"].pk],
        lambda w: {f"offer-{w['offer'].pk}": "2"},
        tried_by=(*OTHER_COMMITTEE, "neighbour"),
    ),
    "order-cancel": Case(
        "resident", lambda w: [w["order"].pk], tried_by=(*OTHER_COMMITTEE, "neighbour")
    ),
    "hotline-order": Case(
        "staff",
        lambda w: [w["neighbour_household"].pk, w["open_round"].pk],
        lambda w: {f"offer-{w['offer'].pk}": "1"},
    ),
    "leader-round-new": Case(
        "leader",
        lambda w: [],
        lambda w: {
            "title": "第二批团购",
            "compounds": [w["compound"].pk],
            "closes_at": _later(24),
            "offers-TOTAL_FORMS": "1",
            "offers-INITIAL_FORMS": "0",
            "offers-0-package_type": w["vegetables"].pk,
            "offers-0-stock": "10",
            "offers-0-limit_per_household": "1",
        },
        refused_in_page=("other_leader",),
    ),
    "leader-round-propose": Case("leader", lambda w: [w["draft_round"].pk]),
    "leader-order-payment": Case(
        "leader",
        lambda w: [w["order"].pk],
        lambda w: {f"pay-{w['order'].pk}-status": "paid", f"pay-{w['order'].pk}-method": "微信"},
    ),
    # volunteers
    "volunteers:test-new": Case(
        "volunteer",
        lambda w: [],
        lambda w: {"kind": "antigen", "taken_at": _later(-0.5)},
        tried_by=("other_staff", "other_resident", "other_leader"),
    ),
    "volunteers:signup": Case(
        "volunteer", lambda w: [w["future_shift"].pk], tried_by=OTHER_COMMITTEE
    ),
    "volunteers:signup-cancel": Case(
        "volunteer",
        lambda w: [w["signup"].pk],
        tried_by=(*OTHER_COMMITTEE, "colleague"),
    ),
    "volunteers:staff-approve": Case("staff", lambda w: [w["pending"].pk]),
    "volunteers:staff-reject": Case(
        "staff", lambda w: [w["pending"].pk], lambda w: {"reason": "资料不全"}
    ),
    "volunteers:staff-settings": Case(
        "staff", lambda w: [w["committee"].pk], lambda w: {"test_valid_hours": "24"}
    ),
    "volunteers:staff-shift-cancel": Case(
        "staff", lambda w: [w["future_shift"].pk], lambda w: {"reason": "取消"}
    ),
    "volunteers:staff-roster": Case(
        "staff",
        lambda w: [],
        lambda w: {
            "compound": w["compound"].pk,
            "workgroup": Workgroup.SUPPLY,
            "start": _later(20),
            "end": _later(22),
            "needed": "2",
        },
        refused_in_page=("other_staff",),
    ),
    "volunteers:staff-relay": Case(
        "staff",
        lambda w: [],
        lambda w: {
            "volunteers": [w["runner"].pk],
            "to_compound": w["compound"].pk,
            "to_workgroup": Workgroup.DISINFECTION
            if "disinfection" in Workgroup.values
            else Workgroup.SUPPLY,
            "start": _later(30),
            "end": _later(32),
            "reason": "支援",
        },
        refused_in_page=("other_staff",),
    ),
    # deliveries
    "plan-round": Case(
        "staff", lambda w: [w["planned_round"].pk], lambda w: {"kind": "assign_deliveries"}
    ),
    "plan-failed": Case(
        "staff", lambda w: [w["planned_round"].pk], lambda w: {"delivery": w["failed"].pk}
    ),
    "my-delivery-mark": Case(
        "volunteer",
        lambda w: [w["purchased"].delivery_id],
        lambda w: {"outcome": "delivered"},
        tried_by=(*OTHER_COMMITTEE, "colleague"),
    ),
    "gate": Case(
        "volunteer",
        lambda w: [],
        lambda w: {
            "point": w["pickup"].point_id,
            "code": w["pickup"].order.pickup_code,
            "confirm": "1",
        },
        # B's volunteer and staff have B's gate: they see it, and A's code is refused there.
        refused_in_page=("other_volunteer", "other_staff"),
    ),
    "plan-uncollected": Case(
        "staff",
        lambda w: [w["planned_round"].pk],
        lambda w: {"action": "notify"},
        owner_changes=False,  # no slot has passed in this world: nobody to tell
    ),
    "meals": Case(
        "staff",
        lambda w: [],
        lambda w: {"resident": w["elder_without_meals"].pk, "lunch": "on"},
        refused_in_page=("other_staff",),
    ),
    "meal-decide": Case("staff", lambda w: [w["applied_meal"].pk, "approve"]),
    "meals-create-today": Case("staff", lambda w: [], refused_in_page=("other_staff",)),
    "meals-assign-today": Case("staff", lambda w: [], refused_in_page=("other_staff",)),
    # medical
    "medical:gate-pass": Case(
        "volunteer",
        lambda w: [],
        lambda w: {"point": w["pickup"].point_id, "code": w["transport"].code},
        refused_in_page=("other_volunteer", "other_staff"),
        owner_changes=False,  # a check reads; it writes nothing
    ),
    "medical:home": Case(
        "resident", lambda w: [], _medicine_form, refused_in_page=("other_resident",)
    ),
    "medical:trip-request": Case(
        "resident", lambda w: [], _trip_form, refused_in_page=("other_resident",)
    ),
    "medical:step": Case(
        "resident",
        lambda w: [w["submitted"].pk, "cancel"],
        tried_by=(*OTHER_COMMITTEE, "neighbour", "colleague"),
    ),
    # The staff forms act on the household chosen in the query (the resident finder);
    # another committee's household is a 404.
    "medical:staff": Case("staff", lambda w: [], _medicine_form, query=_chosen_household),
    "medical:staff-run": Case(
        "staff",
        lambda w: [],
        lambda w: {"requests": [w["triaged"].pk], "volunteer": w["runner"].pk},
        refused_in_page=("other_staff",),
    ),
    "medical:staff-transports": Case("staff", lambda w: [], _trip_form, query=_chosen_household),
    "medical:staff-transport-step": Case("staff", lambda w: [w["transport"].pk, "confirm"]),
    "medical:staff-check-in": Case(
        "staff", lambda w: [w["resident"].pk], lambda w: {"kind": "call"}
    ),
}

# Extra cases on the same page: (name, label) → Case.
ACTING_VARIANTS: dict[tuple[str, str], Case] = {
    ("medical:step", "custody"): Case(
        "volunteer",
        lambda w: [w["purchased"].pk, "custody"],
        lambda w: {"item": "card", "to_holder": "volunteer"},
        tried_by=(*OTHER_COMMITTEE, "colleague", "neighbour"),
    ),
    ("medical:step", "triage"): Case(
        "staff", lambda w: [w["submitted"].pk, "triage"], tried_by=OTHER_COMMITTEE
    ),
}

ALL_CASES = [(name, "", case) for name, case in ACTING.items()] + [
    (name, label, case) for (name, label), case in ACTING_VARIANTS.items()
]


# The URLconf ----------------------------------------------------------------------------


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", route, entry


def pages() -> dict[str, URLPattern]:
    found = {}
    for name, route, entry in _walk(get_resolver().url_patterns):
        if route.startswith(EXEMPT_PREFIXES) or name in EXEMPT or name.startswith("admin:"):
            continue
        found[name] = entry
    return found


def dummy_url(name: str, entry: URLPattern) -> str:
    kwargs = {
        key: 999999 if type(converter).__name__ == "IntConverter" else "x"
        for key, converter in entry.pattern.converters.items()
    }
    return reverse(name, kwargs=kwargs)


# The world: committee A with one of everything; committee B with its people --------------


def snapshot() -> dict:
    """Every row of the product's tables (and users, without their last login)."""
    rows = {}
    for label in ("core", "residents", "supplies", "volunteers", "deliveries", "medical"):
        for model in apps.get_app_config(label).get_models():
            rows[model._meta.label] = list(model.objects.order_by("pk").values())
    from django.contrib.auth.models import User

    rows["auth.User"] = list(User.objects.order_by("pk").values("pk", "username", "password"))
    return rows


@pytest.fixture
def world(
    committee,
    compound,
    building,
    household,
    resident,
    resident_user,
    staff,
    other_staff,
    other_committee,
    other_compound,
    other_household,
    other_resident,
    leader,
    planned_round,
    points,
    supply_shift,
    runner,
    other_runner,
    outside_runner,
    make_volunteer,
    make_shift,
    purchased,
    file_request,
    vegetables,
):
    w = {
        "committee": committee,
        "compound": compound,
        "building": building,
        "resident": resident,
        "planned_round": planned_round,
        "purchased": purchased,
        "vegetables": vegetables,
        "runner": runner,
    }
    neighbour = HouseholdFactory(building=building, unit=1, room="102")
    neighbour.account = UserFactory(username="neighbour")
    neighbour.save(update_fields=["account"])
    w["neighbour_household"] = neighbour
    other_household.account = UserFactory(username="other-resident")
    other_household.save(update_fields=["account"])
    other_leader = UserFactory(username="other-leader")
    membership_grant(user=other_leader, role=Role.GROUP_LEADER, committee=other_committee)
    w["users"] = {
        "staff": staff,
        "resident": resident_user,
        "neighbour": neighbour.account,
        "leader": leader,
        "volunteer": runner.user,
        "colleague": other_runner.user,
        "other_staff": other_staff,
        "other_resident": other_household.account,
        "other_leader": other_leader,
        "other_volunteer": outside_runner.user,
    }
    w["notice"] = Notice.objects.create(recipient=resident_user, title="通知", body="领取")
    # An open group buy led by the leader, with the household's order in it.
    open_round = round_create(
        committee=committee,
        title="第二批",
        kind=RoundKind.GROUP_BUY,
        compounds=[compound],
        closes_at=timezone.now() + datetime.timedelta(days=1),
        offers=[OfferSpec(package_type=vegetables, stock=50, limit_per_household=2)],
        leader=leader,
        by=leader,
    )
    round_propose(supply_round=open_round, by=leader)
    round_approve(supply_round=open_round, by=staff)
    round_open(supply_round=open_round, by=staff)
    w["open_round"], w["offer"] = open_round, open_round.offers.get()
    w["order"] = order_place(
        household=household,
        supply_round=open_round,
        quantities={w["offer"].pk: 1},
        placed_by=resident_user,
        channel=Channel.RESIDENT,
    )
    w["draft_round"] = round_create(
        committee=committee,
        title="草稿团购",
        kind=RoundKind.GROUP_BUY,
        compounds=[compound],
        closes_at=timezone.now() + datetime.timedelta(days=2),
        offers=[OfferSpec(package_type=vegetables, stock=5, limit_per_household=1)],
        leader=leader,
        by=leader,
    )
    # Volunteers: A's runner on the supply shift now, a later shift, a sign-up to cancel, a
    # pending volunteer; B's volunteer on a supply shift at B's own gate.
    sign_up(runner, supply_shift)
    w["future_shift"] = make_shift(compound, start_in=5, hours=2)
    later = make_shift(compound, start_in=10, hours=2)
    w["signup"] = shift_signup(shift=later, volunteer=runner, by=runner.user)
    w["pending"] = make_volunteer(committee, "待批", approved=False, tested_hours_ago=None)
    CollectionPoint.objects.create(
        compound=other_compound,
        name="香樟北门",
        capacity=20,
        crowd_cap=3,
        opens_at=datetime.time(9),
        closes_at=datetime.time(10),
    )
    now = timezone.now()
    b_shift = Shift.objects.create(
        compound=other_compound,
        workgroup=Workgroup.SUPPLY,
        start=now - datetime.timedelta(hours=1),
        end=now + datetime.timedelta(hours=3),
        needed=3,
        created_by=other_staff,
    )
    sign_up(outside_runner, b_shift)
    # Deliveries: a failed door delivery; a pickup whose slot is now.
    door = Delivery.objects.filter(order_plan__round=planned_round).order_by("pk").first()
    w["failed"] = delivery_fail(
        delivery=door, by=staff, tapped_at=now - datetime.timedelta(minutes=5), reason="not_home"
    )
    pickup = (
        OrderPlan.objects.filter(round=planned_round, fulfilment=Fulfilment.PICKUP)
        .exclude(slot=None)
        .select_related("slot", "order")
        .first()
    )
    pickup.slot.start, pickup.slot.end = (
        now - datetime.timedelta(minutes=5),
        now + datetime.timedelta(minutes=10),
    )
    pickup.slot.save()
    w["pickup"] = pickup
    # Meals: one served enrolment with today's meal made, one approved later, one applied,
    # and an elder not enrolled.
    born = datetime.date(1935, 1, 1)
    first = ResidentFactory(household=household, name="张奶奶", birth_date=born, needs=["disabled"])
    meal_enrol(resident=first, meals=["lunch"], by=staff)
    meals_create_for_day(day=timezone.localdate(), by=staff)
    second = ResidentFactory(
        household=neighbour, name="王爷爷", birth_date=born, needs=["disabled"]
    )
    meal_enrol(resident=second, meals=["lunch"], by=staff)
    w["applied_meal"] = meal_enrol(
        resident=ResidentFactory(
            household=neighbour, name="李阿姨", birth_date=datetime.date(1956, 1, 1)
        ),
        meals=["lunch"],
        basis=MealBasis.APPLICATION,
        by=staff,
    )
    w["elder_without_meals"] = ResidentFactory(
        household=household, name="赵爷爷", birth_date=born, needs=["disabled"]
    )
    # Medicine: a request just filed, one triaged; a trip requested.
    w["submitted"] = file_request(hospital="华山医院")
    w["triaged"] = medicine.medicine_request_triage(
        request=file_request(hospital="中山医院"), by=staff
    )
    w["transport"] = transports.transport_request(
        resident=resident,
        kind="dialysis",
        hospital="瑞金医院",
        appointment_at=now + datetime.timedelta(days=1),
        by=resident_user,
    )
    # Logins asked for the neighbour's household (it has one already: a new household).
    batch = household_logins_request(
        households=[HouseholdFactory(building=building, unit=2, room="601")], by=staff
    )
    run_job(batch.job_id, lambda progress: household_logins_run(batch.pk, progress))
    w["login_batch"] = batch
    return w


# The tests --------------------------------------------------------------------------------


def test_every_page_that_accepts_post_is_in_the_table(client, superuser):
    client.force_login(superuser)
    acting, read_only = set(), set()
    for name, entry in pages().items():
        status = client.post(dummy_url(name, entry)).status_code
        assert status < 500, (name, status)
        (read_only if status == 405 else acting).add(name)
    assert acting == set(ACTING), "acting pages not in ACTING (or stale entries)"
    assert read_only == READ_ONLY, "read-only pages not in READ_ONLY (or stale entries)"


@pytest.mark.parametrize(
    ("name", "label", "role"),
    [(name, label, role) for name, label, case in ALL_CASES for role in case.tried_by],
)
def test_an_outsider_changes_nothing(client, world, name, label, role):
    case = ACTING_VARIANTS[(name, label)] if label else ACTING[name]
    client.force_login(world["users"][role])
    before = snapshot()
    response = client.post(case.url(name, world), case.data(world))
    expected = {200, 302} if role in case.refused_in_page else {403, 404}
    assert response.status_code in expected, (name, role, response.status_code)
    assert snapshot() == before, f"{role} changed something through {name}"


@pytest.mark.parametrize(("name", "label"), [(name, label) for name, label, _case in ALL_CASES])
def test_the_pages_own_user_acts(client, world, name, label):
    case = ACTING_VARIANTS[(name, label)] if label else ACTING[name]
    client.force_login(world["users"][case.owner])
    before = snapshot()
    response = client.post(case.url(name, world), case.data(world))
    assert response.status_code in (200, 302), (name, response.status_code)
    if case.owner_changes:
        assert snapshot() != before, f"the owner's POST to {name} changed nothing: a useless case"


GET_AS = {
    # page → (role, world → args); every page its own user opens, no GET writes.
    "inbox": ("resident", lambda w: []),
    "home": ("resident", lambda w: []),
    "staff-compounds": ("staff", lambda w: []),
    "compound-overview": ("staff", lambda w: [w["compound"].pk]),
    "rounds-open": ("resident", lambda w: []),
    "round-order": ("neighbour", lambda w: [w["open_round"].pk]),
    "order-list": ("resident", lambda w: []),
    "order-detail": ("resident", lambda w: [w["order"].pk]),
    "order-edit": ("resident", lambda w: [w["order"].pk]),
    "order-cancel": ("resident", lambda w: [w["order"].pk]),
    "hotline": ("staff", lambda w: []),
    "hotline-household": ("staff", lambda w: [w["neighbour_household"].pk]),
    "hotline-order": ("staff", lambda w: [w["neighbour_household"].pk, w["open_round"].pk]),
    "leader-rounds": ("leader", lambda w: []),
    "leader-round-new": ("leader", lambda w: []),
    "leader-round": ("leader", lambda w: [w["open_round"].pk]),
    "volunteers:register-choose": ("resident", lambda w: []),
    "volunteers:register": ("resident", lambda w: [w["committee"].pk]),
    "volunteers:home": ("volunteer", lambda w: []),
    "volunteers:staff-volunteers": ("staff", lambda w: []),
    "volunteers:staff-roster": ("staff", lambda w: []),
    "volunteers:staff-relay": ("staff", lambda w: []),
    "volunteers:staff-hours": ("staff", lambda w: []),
    "plan-list": ("staff", lambda w: []),
    "plan-round": ("staff", lambda w: [w["planned_round"].pk]),
    "plan-deliveries": ("staff", lambda w: [w["planned_round"].pk]),
    "plan-manifest": ("staff", lambda w: [w["planned_round"].pk, w["pickup"].point_id]),
    "plan-manifest-xlsx": ("staff", lambda w: [w["planned_round"].pk, w["pickup"].point_id]),
    "plan-call-list": ("staff", lambda w: [w["planned_round"].pk, w["pickup"].point_id]),
    "plan-progress": ("staff", lambda w: [w["planned_round"].pk]),
    "plan-failed": ("staff", lambda w: [w["planned_round"].pk]),
    "my-deliveries": ("volunteer", lambda w: []),
    "volunteer-sw": ("volunteer", lambda w: []),
    "gate": ("volunteer", lambda w: []),
    "medical:gate-pass": ("volunteer", lambda w: []),
    "plan-uncollected": ("staff", lambda w: [w["planned_round"].pk]),
    "meals": ("staff", lambda w: []),
    "medical:home": ("resident", lambda w: []),
    "medical:detail": ("resident", lambda w: [w["submitted"].pk]),
    "medical:staff": ("staff", lambda w: []),
    "medical:volunteer": ("volunteer", lambda w: []),
    "medical:staff-transports": ("staff", lambda w: []),
    "medical:transport-pass": ("resident", lambda w: [w["transport"].pk]),
    "medical:staff-vulnerable": ("staff", lambda w: []),
    "household-logins": ("staff", lambda w: [w["login_batch"].pk]),
    "household-logins-job": ("staff", lambda w: [w["login_batch"].pk]),
}


def test_no_page_get_writes(client, world):
    before = snapshot()
    for name, (role, args) in GET_AS.items():
        client.force_login(world["users"][role])
        response = client.get(reverse(name, args=args(world)))
        # A staff member of one compound is sent straight to it.
        assert response.status_code in ((200, 302) if name == "staff-compounds" else (200,)), (
            name,
            response.status_code,
        )
        assert snapshot() == before, f"GET {name} wrote"
