"""Meals for the elderly (老人助餐): enrolments, their approval, and the day's meal deliveries.

Who qualifies without an application (the rule of `meal_basis_for`):
- 80 and over (by birth date on the day, or tagged AGED_80_PLUS) with reduced mobility
  (tagged DISABLED, or care level 3 or more); or
- care level 5 or more, whatever the age.
Anyone else applies, and staff approve or reject the application with a reason."""

from __future__ import annotations

import datetime
from collections.abc import Collection

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.wording import Said
from deliveries.models import (
    CARE_LEVEL_ON_ITS_OWN,
    OPEN_MEAL_STATUSES,
    REDUCED_MOBILITY_CARE_LEVEL,
    SERVED_MEAL_STATUSES,
    Delivery,
    DeliveryKind,
    MealBasis,
    MealEnrolment,
    MealEnrolmentEvent,
    MealStatus,
)
from deliveries.services.requests import DeliveryAsk, deliveries_request
from deliveries.wordings import DINNER, LUNCH, MEAL_ITEMS, MEAL_LABELS
from residents.models import Compound, Need, Resident


class MealRefused(ApplicationError):
    pass


def meal_basis_for(resident: Resident, *, day: datetime.date | None = None) -> str | None:
    """The basis on which the resident qualifies without an application, or None."""
    day = day or timezone.localdate()
    needs = set(resident.need_codes)
    if resident.care_level >= CARE_LEVEL_ON_ITS_OWN:
        return MealBasis.CARE_LEVEL
    age = resident.age_on(day)
    aged = (age is not None and age >= 80) or Need.AGED_80_PLUS in needs
    reduced_mobility = Need.DISABLED in needs or resident.care_level >= REDUCED_MOBILITY_CARE_LEVEL
    if aged and reduced_mobility:
        return MealBasis.AGED_80_REDUCED_MOBILITY
    return None


def _meal_flags(meals: Collection[str]) -> tuple[bool, bool]:
    unknown = set(meals) - set(MEAL_LABELS)
    if unknown or not meals:
        raise MealRefused(_("Choose lunch, dinner or both."), extra={"code": "meals_required"})
    return LUNCH in meals, DINNER in meals


def _record(enrolment: MealEnrolment, *, from_status: str, by: User | None, note: str = "") -> None:
    MealEnrolmentEvent.objects.create(
        enrolment=enrolment,
        from_status=from_status,
        to_status=enrolment.status,
        actor=by,
        note=note[:300],
    )


def _create(
    *,
    resident: Resident,
    basis: str,
    status: str,
    meals: Collection[str],
    notes: str,
    starts_on: datetime.date | None,
    by: User | None,
) -> MealEnrolment:
    lunch, dinner = _meal_flags(meals)
    # Locking the resident serialises two enrolments of the same person.
    Resident.objects.select_for_update().filter(pk=resident.pk).first()
    if MealEnrolment.objects.filter(resident=resident, status__in=OPEN_MEAL_STATUSES).exists():
        raise MealRefused(
            _("%(name)s already has an open meal enrolment.") % {"name": resident.name},
            extra={"code": "already_enrolled"},
        )
    now = timezone.now()
    decided = status == MealStatus.APPROVED
    try:
        with transaction.atomic():
            enrolment = MealEnrolment.objects.create(
                resident=resident,
                basis=basis,
                status=status,
                lunch=lunch,
                dinner=dinner,
                dietary_notes=notes[:200],
                starts_on=starts_on or timezone.localdate(),
                decided_by=by if decided else None,
                decided_at=now if decided else None,
                created_by=by,
                updated_by=by,
            )
    except IntegrityError as error:
        raise MealRefused(
            _("%(name)s already has an open meal enrolment.") % {"name": resident.name},
            extra={"code": "already_enrolled"},
        ) from error
    _record(enrolment, from_status="", by=by)
    return enrolment


@transaction.atomic
def meal_enrol(
    *,
    resident: Resident,
    meals: Collection[str],
    notes: str = "",
    basis: str | None = None,
    starts_on: datetime.date | None = None,
    by: User | None,
) -> MealEnrolment:
    """Staff enrol a resident: approved at once when the resident qualifies (see the module
    docstring); otherwise filed as an application waiting for approval. A `basis` of
    APPLICATION files an application whatever the rules say."""
    qualifies = meal_basis_for(resident, day=starts_on)
    if basis == MealBasis.APPLICATION or qualifies is None:
        basis, status = MealBasis.APPLICATION, MealStatus.APPLIED
    else:
        basis, status = qualifies, MealStatus.APPROVED
    return _create(
        resident=resident,
        basis=basis,
        status=status,
        meals=meals,
        notes=notes,
        starts_on=starts_on,
        by=by,
    )


def _locked(enrolment: MealEnrolment) -> MealEnrolment:
    return (
        MealEnrolment.objects.select_for_update(of=("self",))
        .select_related("resident")
        .get(pk=enrolment.pk)
    )


def _decide(enrolment: MealEnrolment, *, status: str, reason: str, by: User | None):
    from_status = enrolment.status
    enrolment.status, enrolment.reason = status, reason[:300]
    enrolment.decided_by, enrolment.decided_at = by, timezone.now()
    enrolment.updated_by = by
    enrolment.save(
        update_fields=["status", "reason", "decided_by", "decided_at", "updated_by", "updated_at"]
    )
    _record(enrolment, from_status=from_status, by=by, note=reason)
    return enrolment


@transaction.atomic
def meal_approve(*, enrolment: MealEnrolment, by: User | None, reason: str = "") -> MealEnrolment:
    """Approve an application; only a pending one can be approved."""
    enrolment = _locked(enrolment)
    if enrolment.status != MealStatus.APPLIED:
        raise MealRefused(
            _("Only a pending application can be approved."), extra={"code": "not_pending"}
        )
    return _decide(enrolment, status=MealStatus.APPROVED, reason=reason, by=by)


@transaction.atomic
def meal_reject(*, enrolment: MealEnrolment, reason: str, by: User | None) -> MealEnrolment:
    """Reject an application, saying why."""
    enrolment = _locked(enrolment)
    if enrolment.status != MealStatus.APPLIED:
        raise MealRefused(
            _("Only a pending application can be rejected."), extra={"code": "not_pending"}
        )
    if not reason.strip():
        raise MealRefused(
            _("Say why the application is rejected."), extra={"code": "reason_required"}
        )
    return _decide(enrolment, status=MealStatus.REJECTED, reason=reason.strip(), by=by)


@transaction.atomic
def meal_end(
    *,
    enrolment: MealEnrolment,
    by: User | None,
    reason: str = "",
    on: datetime.date | None = None,
) -> MealEnrolment:
    """End an enrolment (nothing is deleted): no meals after `on` (today by default)."""
    enrolment = _locked(enrolment)
    if enrolment.status not in OPEN_MEAL_STATUSES:
        raise MealRefused(
            _("This enrolment is not open, so it cannot be ended."), extra={"code": "not_open"}
        )
    from_status = enrolment.status
    enrolment.status, enrolment.updated_by = MealStatus.ENDED, by
    enrolment.ends_on = on or timezone.localdate()
    if reason:
        enrolment.reason = reason[:300]
    enrolment.save(update_fields=["status", "ends_on", "reason", "updated_by", "updated_at"])
    _record(enrolment, from_status=from_status, by=by, note=reason)
    return enrolment


def meal_key(enrolment_id: int, day: datetime.date) -> str:
    return f"meal:{enrolment_id}:{day.isoformat()}"


def meal_items(enrolment: MealEnrolment) -> Said:
    """What the volunteer carries, e.g. "Lunch × 1, Dinner × 1", in the reader's language."""
    chosen = [
        name for name, wanted in ((LUNCH, enrolment.lunch), (DINNER, enrolment.dinner)) if wanted
    ]
    return MEAL_ITEMS(meals=chosen)


def enrolments_served_on(
    day: datetime.date, *, compounds: QuerySet[Compound] | None = None
) -> QuerySet[MealEnrolment]:
    """Enrolments served on `day`, of residents in `compounds` (every compound if None)."""
    enrolments = MealEnrolment.objects.filter(
        status__in=SERVED_MEAL_STATUSES, starts_on__lte=day
    ).exclude(ends_on__lt=day)
    if compounds is not None:
        enrolments = enrolments.filter(
            resident__household__building__compound__in=compounds.values("pk")
        )
    return enrolments.select_related("resident").order_by("pk")


@transaction.atomic
def meals_create_for_day(
    *,
    day: datetime.date,
    compounds: QuerySet[Compound] | None = None,
    by: User | None = None,
) -> dict:
    """One door delivery per served enrolment covering `day` in `compounds` (a staff
    member's: `compounds_staffed_by`; every compound for the daily task when None), keyed on
    enrolment and day, so running twice creates one set. Approved enrolments served for the
    first time become active. Returns {"created", "existing"}."""
    enrolments = list(enrolments_served_on(day, compounds=compounds))
    keys = {meal_key(e.pk, day): e for e in enrolments}
    existing = set(Delivery.objects.filter(key__in=list(keys)).values_list("key", flat=True))
    now = timezone.now()
    made = deliveries_request(
        [
            DeliveryAsk(
                key=key,
                kind=DeliveryKind.MEAL,
                household_id=enrolment.resident.household_id,
                items=(items := meal_items(enrolment)).text,
                items_wording=items.stored(),
                notes=enrolment.dietary_notes,
            )
            for key, enrolment in keys.items()
            if key not in existing
        ],
        by=by,
        note=_("Daily meal."),
    )
    # Locked and re-read: two runs at once (the beat task and a staff member) start each
    # enrolment, and record it, once.
    starting = list(
        MealEnrolment.objects.select_for_update()
        .filter(
            pk__in=[e.pk for e in enrolments if e.status == MealStatus.APPROVED],
            status=MealStatus.APPROVED,
        )
        .values_list("pk", flat=True)
    )
    MealEnrolment.objects.filter(pk__in=starting).update(status=MealStatus.ACTIVE, updated_at=now)
    MealEnrolmentEvent.objects.bulk_create(
        MealEnrolmentEvent(
            enrolment_id=pk,
            from_status=MealStatus.APPROVED,
            to_status=MealStatus.ACTIVE,
            actor=by,
            at=now,
        )
        for pk in starting
    )
    return {"created": len(made), "existing": len(keys) - len(made)}
