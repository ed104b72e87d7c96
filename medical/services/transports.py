"""Medical transport (就医转运): requested, confirmed with an escort and a vehicle, done or
cancelled, each step a compare-and-set recorded as a TransportEvent; and the exit pass code
the gate checks."""

from __future__ import annotations

import datetime
import secrets

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from medical.models import MedicalTransport, TransportEvent, TransportKind, TransportStatus
from residents.models import Resident
from residents.selectors import compounds_staffed_by
from volunteers.models import Volunteer, VolunteerStatus

# No 0/O, 1/I/L: a code read out at the gate must not be misheard (as supplies' pickup codes).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8

T = TransportStatus


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not MedicalTransport.objects.filter(code=code).exists():
            return code


def _require_staff(transport: MedicalTransport, by: User) -> None:
    compound_id = transport.resident.household.building.compound_id
    if not compounds_staffed_by(by).filter(pk=compound_id).exists():
        raise ApplicationError(
            _("Only the committee's staff may do this."), extra={"code": "not_allowed"}
        )


def _check_escort(resident: Resident, escort: Volunteer | None) -> None:
    if escort is None:
        return
    committee_id = resident.household.building.compound.committee_id
    if escort.status != VolunteerStatus.APPROVED or escort.committee_id != committee_id:
        raise ApplicationError(
            _("Choose an approved volunteer of the committee."),
            extra={"code": "volunteer_not_eligible"},
        )


@transaction.atomic
def transport_request(
    *,
    resident: Resident,
    kind: str,
    hospital: str,
    appointment_at: datetime.datetime,
    recurrence: str = "",
    escort: Volunteer | None = None,
    vehicle: str = "",
    by: User,
) -> MedicalTransport:
    """Book a trip to a hospital for a resident, by staff or by the resident's own household
    (who cannot choose an escort or a vehicle); it gets an exit pass code at once."""
    by_household = resident.household.account_id == by.pk
    compound_id = resident.household.building.compound_id
    if not by_household and not compounds_staffed_by(by).filter(pk=compound_id).exists():
        raise ApplicationError(
            _("You cannot book a trip for this resident."), extra={"code": "not_allowed"}
        )
    if by_household and (escort is not None or vehicle):
        raise ApplicationError(
            _("The committee's staff choose the escort and the vehicle."),
            extra={"code": "not_allowed"},
        )
    if kind not in TransportKind.values:
        raise ApplicationError(_("Choose the kind of trip."), extra={"code": "invalid"})
    if not hospital.strip():
        raise ApplicationError(_("Say which hospital to go to."), extra={"code": "required"})
    _check_escort(resident, escort)
    transport = MedicalTransport.objects.create(
        resident=resident,
        kind=kind,
        hospital=hospital.strip()[:100],
        appointment_at=appointment_at,
        recurrence=recurrence.strip()[:100],
        escort=escort,
        vehicle=vehicle.strip()[:60],
        code=_new_code(),
        created_by=by,
        updated_by=by,
    )
    TransportEvent.objects.create(transport=transport, to_status=T.REQUESTED, actor=by)
    return transport


def _move(transport, *, from_statuses, to_status, by, note="", **fields) -> MedicalTransport:
    transport = MedicalTransport.objects.select_related(
        "resident__household__building__compound", "escort"
    ).get(pk=transport.pk)
    _require_staff(transport, by)
    before = transport.status
    moved = MedicalTransport.objects.filter(pk=transport.pk, status__in=list(from_statuses)).update(
        status=to_status, updated_by=by, updated_at=timezone.now(), **fields
    )
    if not moved:
        raise ApplicationError(
            _("This transport is %(status)s; it cannot become %(next)s now.")
            % {"status": T(before).label, "next": T(to_status).label},
            extra={"code": "out_of_order", "status": before},
        )
    TransportEvent.objects.create(
        transport=transport, from_status=before, to_status=to_status, actor=by, note=note[:300]
    )
    transport.refresh_from_db()
    return transport


@transaction.atomic
def transport_confirm(
    *,
    transport: MedicalTransport,
    by: User,
    escort: Volunteer | None = None,
    vehicle: str = "",
    note: str = "",
) -> MedicalTransport:
    """Staff confirm the trip with the hospital, naming an escort and a vehicle if known."""
    fields = {}
    if escort is not None:
        _check_escort(transport.resident, escort)
        fields["escort"] = escort
    if vehicle.strip():
        fields["vehicle"] = vehicle.strip()[:60]
    return _move(
        transport,
        from_statuses=[T.REQUESTED],
        to_status=T.CONFIRMED,
        by=by,
        note=note,
        **fields,
    )


@transaction.atomic
def transport_done(*, transport: MedicalTransport, by: User, note: str = "") -> MedicalTransport:
    """The resident is back home."""
    return _move(
        transport,
        from_statuses=[T.CONFIRMED],
        to_status=T.DONE,
        by=by,
        note=note,
        done_at=timezone.now(),
    )


@transaction.atomic
def transport_cancel(*, transport: MedicalTransport, by: User, note: str = "") -> MedicalTransport:
    """Call the trip off, with why."""
    return _move(
        transport, from_statuses=[T.REQUESTED, T.CONFIRMED], to_status=T.CANCELLED, by=by, note=note
    )
