"""Medical transport (就医转运): requested, confirmed with an escort and a vehicle, done or
cancelled, each step a compare-and-set recorded as a TransportEvent; and the exit pass code
the gate checks.

An exit pass lets the resident out only while its trip is confirmed and on the day of the
appointment; `transport_pass_refusal` says why not otherwise, in the words and with the codes
of the gate's pickup refusals (`deliveries.services.pickups`), and the gate's check
(`transport_pass_check`) is scoped like a pickup code's: to the points the user serves."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from core.codes import code_new
from core.exceptions import ApplicationError
from core.status import status_move
from deliveries.models import CollectionPoint
from deliveries.services.pickups import pickup_code_clean, points_at_gate
from medical.models import MedicalTransport, TransportEvent, TransportKind, TransportStatus
from medical.services.access import check_volunteer_for, require_staff_of, staffs_resident
from residents.models import Resident
from volunteers.models import Volunteer

T = TransportStatus


def _new_code() -> str:
    while True:
        code = code_new()
        if not MedicalTransport.objects.filter(code=code).exists():
            return code


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
    if not by_household and not staffs_resident(by, resident):
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
    if escort is not None:
        check_volunteer_for(resident, escort)
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
    require_staff_of(transport.resident, by)

    status_move(
        transport,
        to=to_status,
        allowed_from=from_statuses,
        by=by,
        event=(TransportEvent, "transport"),
        refusal=_("This transport is %(status)s; it cannot become %(next)s now."),
        code="out_of_order",
        note=note,
        **fields,
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
        check_volunteer_for(transport.resident, escort)
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


# The exit pass at the gate ------------------------------------------------------------------


def _refuse(message: str, code: str) -> ApplicationError:
    return ApplicationError(message, extra={"code": code})


def _day(moment: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(moment).date(), "SHORT_DATE_FORMAT")


def transport_pass_refusal(
    transport: MedicalTransport, *, at: datetime.datetime
) -> ApplicationError | None:
    """Why the exit pass does not let the resident out at `at`, or None when it does: only a
    confirmed trip, on the (local) day of its appointment."""
    if transport.status == T.CANCELLED:
        return _refuse(_("This trip was cancelled; the exit pass is not valid."), "cancelled")
    if transport.status == T.DONE:
        return _refuse(
            _("This trip is over: the resident is back. The exit pass is not valid."),
            "already_done",
        )
    if transport.status == T.REQUESTED:
        return _refuse(
            _(
                "This trip is only requested: the exit pass is not valid until the committee "
                "confirms the trip."
            ),
            "not_confirmed",
        )
    day, today = timezone.localtime(transport.appointment_at).date(), timezone.localdate(at)
    if today < day:
        return _refuse(
            _("This exit pass is valid on %(day)s only, not today.")
            % {"day": _day(transport.appointment_at)},
            "wrong_day",
        )
    if today > day:
        return _refuse(
            _("The day of this trip (%(day)s) has passed; the exit pass is not valid.")
            % {"day": _day(transport.appointment_at)},
            "wrong_day",
        )
    return None


def transport_pass_check(
    *, code: str, point: CollectionPoint, by: User, at: datetime.datetime
) -> MedicalTransport:
    """The trip an exit pass code lets out through this point's gate now, or a refusal that
    says why (the code is not one of this compound's, the trip is not confirmed, cancelled,
    over, or not today); changes nothing."""
    if not points_at_gate(by, at=at).filter(pk=point.pk).exists():
        raise _refuse(
            _("Only a volunteer on a supply shift at this compound, or its staff, may do this."),
            "not_on_shift",
        )
    transport = (
        MedicalTransport.objects.filter(
            code=pickup_code_clean(code),
            resident__household__building__compound=point.compound_id,
        )
        .select_related("resident__household__building", "escort")
        .first()
    )
    if transport is None:
        raise _refuse(_("No exit pass has this code."), "unknown_code")
    refusal = transport_pass_refusal(transport, at=at)
    if refusal is not None:
        raise refusal
    return transport
