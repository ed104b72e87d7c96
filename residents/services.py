"""Writes to the register: one function per use case, transactional, keeping who and when."""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.exceptions import ApplicationError
from core.history import CREATED, history_snapshot
from core.jobs import Progress, job_create, job_enqueue, subject_of
from residents.models import (
    STAFF_ROLES,
    Building,
    ClosureChange,
    ClosureLevel,
    Household,
    LoginBatch,
    Membership,
    Need,
    Resident,
    ResidentNeed,
)
from residents.signals import closure_changed

HOUSEHOLD_FIELDS = ("building", "unit", "room", "contact_phone", "account")
RESIDENT_FIELDS = ("household", "name", "phone", "birth_date", "sex", "care_level", "notes")


def _assign(instance, fields: dict, allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(instance, name, value)


@transaction.atomic
def household_create(*, by: User, **fields) -> Household:
    household = Household(created_by=by, updated_by=by)
    _assign(household, fields, HOUSEHOLD_FIELDS)
    household.full_clean()
    household.save()
    return household


@transaction.atomic
def household_update(*, household: Household, by: User, **fields) -> Household:
    _assign(household, fields, HOUSEHOLD_FIELDS)
    household.updated_by = by
    household.full_clean()
    household.save()
    return household


def _set_needs(resident: Resident, needs: Iterable[str]) -> None:
    wanted = set(needs)
    unknown = wanted - set(Need.values)
    if unknown:
        raise ApplicationError(
            _("Unknown special need: %(needs)s.") % {"needs": ", ".join(sorted(unknown))}
        )
    current = set(resident.needs.values_list("need", flat=True))
    for dropped in resident.needs.filter(need__in=current - wanted):
        dropped._history_user = resident.updated_by  # the field history says who removed it
        dropped.delete()
    added = ResidentNeed.objects.bulk_create(
        [ResidentNeed(resident=resident, need=need) for need in sorted(wanted - current)]
    )
    history_snapshot(
        ResidentNeed, [need.pk for need in added], kind=CREATED, by=resident.updated_by
    )
    # A list fetched with prefetch_related("needs") must not show the old tags.
    getattr(resident, "_prefetched_objects_cache", {}).pop("needs", None)


@transaction.atomic
def resident_create(*, by: User, needs: Iterable[str] = (), **fields) -> Resident:
    resident = Resident(created_by=by, updated_by=by)
    _assign(resident, fields, RESIDENT_FIELDS)
    resident.full_clean()
    resident.save()
    _set_needs(resident, needs)
    return resident


@transaction.atomic
def resident_update(
    *, resident: Resident, by: User, needs: Iterable[str] | None = None, **fields
) -> Resident:
    _assign(resident, fields, RESIDENT_FIELDS)
    resident.updated_by = by
    resident.full_clean()
    resident.save()
    if needs is not None:
        _set_needs(resident, needs)
    return resident


@transaction.atomic
def buildings_set_closure(
    *, buildings: Iterable[Building], level: str, reason: str, by: User
) -> list[ClosureChange]:
    """Set the closure level of buildings, logging each change with its reason.

    Buildings already at the level are left alone. Higher apps hear `closure_changed` after
    commit, so that they can re-plan what is still open."""
    if level not in ClosureLevel.values:
        raise ApplicationError(_("Unknown closure level: %(level)s.") % {"level": level})
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Give a reason for the closure change."))
    ids = [building.pk for building in buildings]
    # Lock in primary-key order so that two concurrent bulk changes cannot deadlock.
    locked = list(Building.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    now = timezone.now()
    changes = [
        ClosureChange(
            building=building,
            from_level=building.closure_level,
            to_level=level,
            reason=reason,
            changed_by=by,
            changed_at=now,
        )
        for building in locked
        if building.closure_level != level
    ]
    if not changes:
        return []
    Building.objects.filter(pk__in=[change.building_id for change in changes]).update(
        closure_level=level
    )
    ClosureChange.objects.bulk_create(changes)
    transaction.on_commit(lambda: closure_changed.send(sender=Building, changes=changes))
    return changes


def building_set_closure(
    *, building: Building, level: str, reason: str, by: User
) -> ClosureChange | None:
    changes = buildings_set_closure(buildings=[building], level=level, reason=reason, by=by)
    building.refresh_from_db(fields=["closure_level"])
    return changes[0] if changes else None


@transaction.atomic
def membership_grant(*, user: User, role: str, street=None, committee=None) -> Membership:
    """Give a user a role in a street or committee; staff roles may use the admin."""
    membership, _created = Membership.objects.get_or_create(
        user=user, role=role, street=street, committee=committee
    )
    if role in STAFF_ROLES and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return membership


@dataclass(frozen=True)
class HouseholdLogin:
    household: Household
    username: str
    password: str


# Readable over the phone and on a paper slip: no 0/O, 1/l/I.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


@transaction.atomic
def household_logins_create(*, households: Iterable[Household], by: User) -> list[HouseholdLogin]:
    """Give each household without a login a username and a one-time readable password.

    The passwords are returned once, for staff to print or read out; only their hashes are
    kept. Households that already have a login are left alone."""
    logins = []
    for household in households:
        if household.account_id is not None:
            continue
        building = household.building
        base = f"{building.compound_id}-{building.label}-{household.unit}-{household.room}"
        username, suffix = base, 1
        while User.objects.filter(username=username).exists():
            suffix += 1
            username = f"{base}-{suffix}"
        password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(10))
        household.account = User.objects.create_user(username=username, password=password)
        household.updated_by = by
        household.save(update_fields=["account", "updated_by", "updated_at"])
        logins.append(HouseholdLogin(household=household, username=username, password=password))
    return logins


# --- logins for many households: a background job, its password file handed out once -------

CREATE_LOGINS = "household_logins"
LOGINS_CHUNK = 25  # households whose logins commit together: a killed worker loses no more


@transaction.atomic
def household_logins_request(*, households: Iterable[Household], by: User) -> LoginBatch:
    """Ask a worker to create logins for the households that have none; returns the batch,
    whose job shows the progress. Hashing each password takes a fifth of a second, too long
    for 800 of them in one request."""
    from residents import tasks  # the task calls back into this module

    chosen = [household for household in households if household.account_id is None]
    if not chosen:
        raise ApplicationError(
            _("Every selected household already has a login."), extra={"code": "nothing_to_do"}
        )
    committees = {household.building.compound.committee_id for household in chosen}
    if len(committees) > 1:
        raise ApplicationError(
            _("Select the households of one committee at a time."),
            extra={"code": "several_committees"},
        )
    batch = LoginBatch.objects.create(
        committee_id=committees.pop(),
        households=[household.pk for household in chosen],
        created_by=by,
    )
    batch.job = job_create(
        kind=CREATE_LOGINS, subject=subject_of(batch), by=by, message=_("Waiting for a worker.")
    )
    batch.save(update_fields=["job"])
    job_enqueue(batch.job, tasks.create_household_logins, batch.pk)
    return batch


def household_logins_run(batch_id: int, progress: Progress) -> tuple[dict, str]:
    """The job's work: logins chunk by chunk, each chunk committed with its passwords in the
    batch, so that a run again after a crash goes on where the last one stopped."""
    batch = LoginBatch.objects.select_related("created_by").get(pk=batch_id)
    ids = list(batch.households)
    for start in range(0, len(ids), LOGINS_CHUNK):
        with transaction.atomic():
            locked = LoginBatch.objects.select_for_update().get(pk=batch_id)
            households = (
                Household.objects.select_for_update(of=("self",))
                .select_related("building")
                .filter(pk__in=ids[start : start + LOGINS_CHUNK], account__isnull=True)
                .order_by("pk")
            )
            logins = household_logins_create(households=households, by=batch.created_by)
            locked.pending += [
                {
                    "household": login.household.pk,
                    "username": login.username,
                    "password": login.password,
                }
                for login in logins
            ]
            locked.created_count = len(locked.pending)
            locked.save(update_fields=["pending", "created_count"])
        done = min(start + LOGINS_CHUNK, len(ids))
        progress(
            done * 100 // len(ids),
            _("%(done)d of %(total)d households done.") % {"done": done, "total": len(ids)},
        )
    created = LoginBatch.objects.get(pk=batch_id).created_count
    message = ngettext(
        "%(count)d login created; download the password file once.",
        "%(count)d logins created; download the password file once.",
        created,
    ) % {"count": created}
    return {"created": created}, message


@transaction.atomic
def household_logins_take(*, batch: LoginBatch, by: User) -> list[HouseholdLogin]:
    """The batch's logins with their passwords, once: they are wiped as they are taken, and
    who took them and when is kept. A second call is refused, naming the first."""
    batch = (
        LoginBatch.objects.select_for_update(of=("self",)).select_related("job").get(pk=batch.pk)
    )
    if batch.downloaded_at is not None:
        who = batch.downloaded_by.get_username() if batch.downloaded_by else "?"
        raise ApplicationError(
            _(
                "The password file was already downloaded by %(who)s at %(at)s and is no "
                "longer kept. Reset a household's password to give it a new one."
            )
            % {
                "who": who,
                "at": timezone.localtime(batch.downloaded_at).strftime("%Y-%m-%d %H:%M"),
            },
            extra={"code": "already_downloaded"},
        )
    if batch.job is None or not batch.job.finished:
        raise ApplicationError(
            _("The logins are still being created; wait until the job has finished."),
            extra={"code": "not_finished"},
        )
    households = Household.objects.select_related("building").in_bulk(
        [row["household"] for row in batch.pending]
    )
    logins = [
        HouseholdLogin(
            household=households[row["household"]],
            username=row["username"],
            password=row["password"],
        )
        for row in batch.pending
    ]
    batch.pending = []
    batch.downloaded_by = by
    batch.downloaded_at = timezone.now()
    batch.save(update_fields=["pending", "downloaded_by", "downloaded_at"])
    return logins
