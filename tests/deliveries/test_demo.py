"""`make run`'s demo: points, one planned round and a volunteer with deliveries, made once.

Transactional: the plan is asked for once the round's closing commits, as in `make run`."""

import io

from django.core.management import call_command

from core.phones import phone_normalise
from deliveries.models import CollectionPoint, Delivery, OrderPlan, RoundPlan
from residents.models import Household, Resident
from volunteers.models import SignupStatus, Volunteer, VolunteerStatus
from volunteers.selectors import volunteers_on_shift


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo_points", stdout=out)
    return out.getvalue()


def test_it_seeds_a_planned_round_and_a_volunteer_with_its_deliveries_once(transactional_db):
    call_command("seed_demo", stdout=io.StringIO())
    phones = [
        *Resident.objects.exclude(phone="").values_list("phone", flat=True),
        *Household.objects.exclude(contact_phone="").values_list("contact_phone", flat=True),
    ]
    assert phones and all(phone_normalise(phone) == phone for phone in phones)
    assert all(phone.startswith("+86") for phone in phones)  # numbers that exist, stored E.164
    first = seed()

    plan = RoundPlan.objects.get()
    assert plan.allocated_at and plan.scheduled_at
    assert OrderPlan.objects.filter(round=plan.round, point=None).count() == 0
    volunteer = Volunteer.objects.get(user__username="volunteer")
    assert volunteer.status == VolunteerStatus.APPROVED and volunteer.tested_at
    signup = volunteer.signups.get(status=SignupStatus.SIGNED_UP)
    deliveries = Delivery.objects.filter(order_plan__round=plan.round)
    assert deliveries.exists()
    assert set(deliveries.values_list("volunteer", flat=True)) == {volunteer.pk}
    assert list(
        volunteers_on_shift(
            compound=signup.shift.compound,
            workgroup=signup.shift.workgroup,
            start=signup.shift.start,
            end=signup.shift.end,
        )
    ) == [volunteer]
    assert f"{deliveries.count()} deliveries assigned now" in first

    counts = (CollectionPoint.objects.count(), OrderPlan.objects.count(), deliveries.count())
    second = seed()
    assert (CollectionPoint.objects.count(), OrderPlan.objects.count(), deliveries.count()) == (
        counts
    )
    assert volunteer.signups.count() == 1
    assert "0 deliveries assigned now" in second and "already there" in second
