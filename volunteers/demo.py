"""The demo login `volunteer` as an approved volunteer with a fresh test, on a supply shift
of the first demo compound from the next minute (idempotent, on top of `seed_demo`)."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from residents.demo import DEFAULT_COMPOUNDS, STREET
from residents.models import Compound
from volunteers.models import (
    Shift,
    SignupStatus,
    TestKind,
    Volunteer,
    VolunteerStatus,
    VolunteerWorkgroup,
    Workgroup,
)
from volunteers.services import shift_create, shift_signup, test_record, volunteer_approve

SHIFT_HOURS = 12


@transaction.atomic
def demo_volunteer_seed() -> Shift | None:
    """The demo volunteer's supply shift now or next (None before `seed_demo`)."""
    user = User.objects.filter(username="volunteer").first()
    staff = User.objects.filter(username="staff").first()
    compound = Compound.objects.filter(
        committee__street__name=STREET, name=DEFAULT_COMPOUNDS[0].name
    ).first()
    if user is None or staff is None or compound is None:
        return None
    volunteer = Volunteer.objects.filter(user=user).first()
    if volunteer is None:
        volunteer = Volunteer.objects.create(
            user=user, committee=compound.committee, name="王志愿", phone="13900139000"
        )
        volunteer.compounds.add(compound)
        VolunteerWorkgroup.objects.bulk_create(
            VolunteerWorkgroup(volunteer=volunteer, workgroup=workgroup)
            for workgroup in (Workgroup.SUPPLY, Workgroup.MEDICINE)
        )
    if volunteer.status == VolunteerStatus.PENDING:
        volunteer = volunteer_approve(volunteer=volunteer, by=staff)
    now = timezone.now()
    if volunteer.tested_at is None or volunteer.tested_at < now - datetime.timedelta(hours=24):
        test_record(
            volunteer=volunteer,
            kind=TestKind.ANTIGEN,
            taken_at=now - datetime.timedelta(hours=1),
            by=staff,
        )
    current = Shift.objects.filter(
        signups__volunteer=volunteer,
        signups__status=SignupStatus.SIGNED_UP,
        workgroup=Workgroup.SUPPLY,
        cancelled_at=None,
        end__gt=now,
    ).first()
    if current is not None:
        return current
    # A shift cannot be joined once begun: it starts in a minute, so the demo is on it at once.
    start = now.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
    shift = shift_create(
        compound=compound,
        workgroup=Workgroup.SUPPLY,
        start=start,
        end=start + datetime.timedelta(hours=SHIFT_HOURS),
        needed=5,
        notes="物资配送 · 演示班次",
        by=staff,
    )
    shift_signup(shift=shift, volunteer=volunteer, by=user)
    return shift
