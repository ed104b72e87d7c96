"""Medicine requests from filing to closing, the custody of cards and booklets, and runs.

Every status change is a compare-and-set `UPDATE … WHERE status IN (…)`, so two taps at once
move a request once and a step out of order is refused; each change is a MedicineEvent."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.status import status_move
from deliveries.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
)
from deliveries.services.fulfilment import delivery_complete
from deliveries.services.requests import DeliveryAsk, delivery_request
from medical.models import (
    OPEN_FOR_RUNS,
    CustodyEvent,
    CustodyItem,
    Holder,
    MedicineEvent,
    MedicineItem,
    MedicineRequest,
    MedicineStatus,
    Urgency,
)
from medical.services.access import check_volunteer_for, staffs_resident
from residents.models import Resident
from volunteers.models import Volunteer

S = MedicineStatus


# Who is asking ----------------------------------------------------------------------------


def is_staff_of(request: MedicineRequest, user: User) -> bool:
    return staffs_resident(user, request.resident)


def is_assigned_volunteer(request: MedicineRequest, user: User) -> bool:
    return request.volunteer_id is not None and request.volunteer.user_id == user.pk


def is_household_of(request: MedicineRequest, user: User) -> bool:
    return request.resident.household.account_id == user.pk


def _require(allowed: bool, message: str | None = None) -> None:
    if not allowed:
        raise ApplicationError(
            message or _("You may not do this with this request."), extra={"code": "not_allowed"}
        )


def _require_staff(request: MedicineRequest, by: User) -> None:
    _require(is_staff_of(request, by), _("Only the committee's staff may do this."))


def _require_volunteer_or_staff(request: MedicineRequest, by: User) -> None:
    _require(
        is_assigned_volunteer(request, by) or is_staff_of(request, by),
        _("Only the volunteer it is assigned to, or the committee's staff, may do this."),
    )


# Transitions ------------------------------------------------------------------------------


def _fresh(request: MedicineRequest) -> MedicineRequest:
    return MedicineRequest.objects.select_related(
        "resident__household__building__compound", "volunteer", "delivery"
    ).get(pk=request.pk)


def _move(
    request: MedicineRequest,
    *,
    from_statuses: Sequence[str],
    to_status: str,
    by: User,
    note: str = "",
    **fields,
) -> MedicineRequest:
    """Compare-and-set the status; refuse if the request is not in one of `from_statuses`."""

    status_move(
        request,
        to=to_status,
        allowed_from=from_statuses,
        by=by,
        event=(MedicineEvent, "request"),
        refusal=_("This request is %(status)s; it cannot become %(next)s now."),
        code="out_of_order",
        note=note,
        **fields,
    )
    return _fresh(request)


@transaction.atomic
def medicine_request_file(
    *,
    resident: Resident,
    hospital: str,
    urgency: str,
    items: Sequence[dict],
    chronic: bool = False,
    by: User,
) -> MedicineRequest:
    """A resident (or staff on the phone for them) asks for medicine: one or more items."""
    hospital = hospital.strip()
    if not hospital:
        raise ApplicationError(
            _("Say which hospital or pharmacy to go to."), extra={"code": "required"}
        )
    if urgency not in Urgency.values:
        raise ApplicationError(_("Choose how urgent it is."), extra={"code": "invalid"})
    rows = [item for item in items if str(item.get("medicine", "")).strip()]
    if not rows:
        raise ApplicationError(_("Name at least one medicine."), extra={"code": "no_items"})
    # Left out means one; 0 is a slip to refuse, never "one".
    quantities = [
        1 if item.get("quantity") in (None, "") else int(item["quantity"]) for item in rows
    ]
    if min(quantities) < 1:
        raise ApplicationError(_("A quantity must be at least one."), extra={"code": "invalid"})
    request = MedicineRequest.objects.create(
        resident=resident,
        hospital=hospital[:100],
        urgency=urgency,
        chronic=chronic,
        created_by=by,
        updated_by=by,
    )
    MedicineItem.objects.bulk_create(
        MedicineItem(
            request=request,
            medicine=str(item["medicine"]).strip()[:100],
            strength=str(item.get("strength", "")).strip()[:50],
            quantity=quantity,
            notes=str(item.get("notes", "")).strip()[:200],
        )
        for item, quantity in zip(rows, quantities, strict=True)
    )
    MedicineEvent.objects.create(request=request, to_status=S.SUBMITTED, actor=by)
    return _fresh(request)


@transaction.atomic
def medicine_request_triage(
    *, request: MedicineRequest, by: User, urgency: str | None = None, note: str = ""
) -> MedicineRequest:
    """Staff read the request, may change its urgency, and make it ready for a run."""
    request = _fresh(request)
    _require_staff(request, by)
    fields = {}
    if urgency:
        if urgency not in Urgency.values:
            raise ApplicationError(_("Choose how urgent it is."), extra={"code": "invalid"})
        fields["urgency"] = urgency
    return _move(
        request, from_statuses=[S.SUBMITTED], to_status=S.TRIAGED, by=by, note=note, **fields
    )


@transaction.atomic
def medicine_request_assign(
    *, request: MedicineRequest, volunteer: Volunteer, by: User
) -> MedicineRequest:
    """Staff give a triaged (or assigned) request to an approved volunteer of the committee."""
    request = _fresh(request)
    _require_staff(request, by)
    check_volunteer_for(request.resident, volunteer)
    return _move(
        request,
        from_statuses=OPEN_FOR_RUNS,
        to_status=S.ASSIGNED,
        by=by,
        note=_("Given to %(name)s.") % {"name": volunteer.name},
        volunteer=volunteer,
    )


@transaction.atomic
def medicine_run_assign(
    *, requests: Sequence[MedicineRequest], volunteer: Volunteer, by: User
) -> list[MedicineRequest]:
    """One volunteer takes a batch of open requests (a run to one hospital), all or none."""
    if not requests:
        raise ApplicationError(_("Choose at least one request."), extra={"code": "required"})
    ordered = sorted(requests, key=lambda row: row.pk)
    return [medicine_request_assign(request=row, volunteer=volunteer, by=by) for row in ordered]


@transaction.atomic
def medicine_request_purchasing(*, request: MedicineRequest, by: User) -> MedicineRequest:
    """The volunteer is at the hospital buying."""
    request = _fresh(request)
    _require_volunteer_or_staff(request, by)
    return _move(request, from_statuses=[S.ASSIGNED], to_status=S.PURCHASING, by=by)


@transaction.atomic
def medicine_substitute_propose(
    *, request: MedicineRequest, item: MedicineItem, substitute: str, note: str = "", by: User
) -> MedicineRequest:
    """The medicine is out; the volunteer proposes another, which must be confirmed first."""
    request = _fresh(request)
    _require_volunteer_or_staff(request, by)
    substitute = substitute.strip()
    if not substitute:
        raise ApplicationError(_("Name the substitute."), extra={"code": "required"})
    if item.request_id != request.pk:
        raise ApplicationError(
            _("This item is not part of the request."), extra={"code": "invalid"}
        )
    request = _move(
        request,
        from_statuses=[S.PURCHASING],
        to_status=S.SUBSTITUTE_PENDING,
        by=by,
        note=f"{item.medicine} → {substitute}",
        substitute_confirmed=False,
    )
    MedicineItem.objects.filter(pk=item.pk).update(
        substitute=substitute[:150], substitute_note=note.strip()[:300]
    )
    return request


def _require_confirmer(request: MedicineRequest, by: User) -> None:
    _require(
        is_household_of(request, by) or is_staff_of(request, by),
        _("Only the resident, or the committee's staff after a call, may decide on a substitute."),
    )


@transaction.atomic
def medicine_substitute_confirm(
    *, request: MedicineRequest, by: User, note: str = ""
) -> MedicineRequest:
    """The resident, or staff after a call with the doctor, accept the substitute."""
    request = _fresh(request)
    _require_confirmer(request, by)
    return _move(
        request,
        from_statuses=[S.SUBSTITUTE_PENDING],
        to_status=S.PURCHASING,
        by=by,
        note=note or _("Substitute confirmed."),
        substitute_confirmed=True,
    )


@transaction.atomic
def medicine_substitute_refuse(
    *, request: MedicineRequest, by: User, note: str = ""
) -> MedicineRequest:
    """The substitute is refused: the volunteer buys what was asked, or marks it unavailable."""
    request = _fresh(request)
    _require_confirmer(request, by)
    request = _move(
        request,
        from_statuses=[S.SUBSTITUTE_PENDING],
        to_status=S.PURCHASING,
        by=by,
        note=note or _("Substitute refused."),
        substitute_confirmed=False,
    )
    request.items.exclude(substitute="").update(substitute="", substitute_note="")
    return request


def medicine_key(request_id: int) -> str:
    return f"medicine:{request_id}"


def _delivery_for(request: MedicineRequest, by: User) -> Delivery:
    """The request's one door delivery, made once whatever happens twice."""
    items = "\n".join(
        f"{item.substitute or item.medicine} {item.strength} × {item.quantity}".replace("  ", " ")
        for item in request.items.all()
    )
    ask = DeliveryAsk(
        key=medicine_key(request.pk),
        kind=DeliveryKind.MEDICINE,
        household_id=request.resident.household_id,
        items=items,
        notes=_("Medicine for %(name)s from %(hospital)s")
        % {"name": request.resident.name, "hospital": request.hospital},
        volunteer=request.volunteer,
    )
    return delivery_request(ask, by=by)


@transaction.atomic
def medicine_request_purchased(
    *, request: MedicineRequest, by: User, cost: Decimal | None = None, receipt: str = ""
) -> MedicineRequest:
    """The volunteer has bought it: cost and receipt kept, and a door delivery made for them.
    Refused while a substitute waits for confirmation."""
    request = _fresh(request)
    _require_volunteer_or_staff(request, by)
    if request.status == S.SUBSTITUTE_PENDING:
        raise ApplicationError(
            _("The substitute is not confirmed yet; wait for the resident or the staff."),
            extra={"code": "substitute_unconfirmed"},
        )
    if cost is not None and cost < 0:
        raise ApplicationError(_("The cost cannot be negative."), extra={"code": "invalid"})
    request = _move(
        request,
        from_statuses=[S.PURCHASING],
        to_status=S.PURCHASED,
        by=by,
        cost=cost,
        receipt=receipt.strip()[:200],
    )
    delivery = _delivery_for(request, by)
    MedicineRequest.objects.filter(pk=request.pk, delivery__isnull=True).update(delivery=delivery)
    return _fresh(request)


@transaction.atomic
def medicine_request_delivered(
    *, request: MedicineRequest, by: User, tapped_at: datetime.datetime | None = None
) -> MedicineRequest:
    """The medicine reached the door: the request and its delivery are marked delivered."""
    request = _fresh(request)
    _require_volunteer_or_staff(request, by)
    request = _move(request, from_statuses=[S.PURCHASED], to_status=S.DELIVERED, by=by)
    if request.delivery_id and request.delivery.status != DeliveryStatus.DELIVERED:
        delivery_complete(delivery=request.delivery, by=by, tapped_at=tapped_at or timezone.now())
    return _fresh(request)


def medicine_sync_delivered(*, request: MedicineRequest, by: User) -> MedicineRequest:
    """If the volunteer marked the request's delivery delivered, mark the request too."""
    if (
        request.status == S.PURCHASED
        and request.delivery_id
        and request.delivery.status == DeliveryStatus.DELIVERED
    ):
        return medicine_request_delivered(request=request, by=by)
    return request


@transaction.atomic
def medicine_follow_delivery(
    *, delivery_id: int, status: str, by: User | None, at: datetime.datetime
) -> MedicineRequest | None:
    """The request whose door delivery was marked delivered moves to delivered, by whoever
    tapped it and at the tap's moment; a failed delivery leaves the medicine with the
    volunteer (still purchased, for staff to try again) and is written in the request's
    history. A request already moved on is left alone, so hearing it twice is harmless.
    Runs when deliveries sends `delivery_finished` (see medical.receivers)."""
    request = MedicineRequest.objects.select_for_update().filter(delivery_id=delivery_id).first()
    if request is None or request.status != S.PURCHASED:
        return request
    if status == DeliveryStatus.DELIVERED:
        MedicineRequest.objects.filter(pk=request.pk).update(
            status=S.DELIVERED, updated_by=by, updated_at=timezone.now()
        )
        MedicineEvent.objects.create(
            request=request, from_status=S.PURCHASED, to_status=S.DELIVERED, actor=by, at=at
        )
    elif status == DeliveryStatus.FAILED:
        delivery = Delivery.objects.get(pk=delivery_id)
        MedicineEvent.objects.create(
            request=request,
            from_status=S.PURCHASED,
            to_status=S.PURCHASED,
            actor=by,
            at=at,
            note=_("The delivery failed: %(why)s")
            % {"why": delivery.failure_note or delivery.get_failure_display()},
        )
    return _fresh(request)


def custody_holders(request: MedicineRequest) -> dict[str, CustodyEvent]:
    """The latest custody event of each item of the request."""
    latest: dict[str, CustodyEvent] = {}
    for event in request.custody_events.order_by("at", "pk"):
        latest[event.item] = event
    return latest


@transaction.atomic
def medicine_request_close(
    *, request: MedicineRequest, by: User, note: str = ""
) -> MedicineRequest:
    """Staff close a delivered request, once every card and booklet is back with the resident."""
    request = _fresh(request)
    _require_staff(request, by)
    request = medicine_sync_delivered(request=request, by=by)
    away = [
        event for event in custody_holders(request).values() if event.to_holder != Holder.RESIDENT
    ]
    if away:
        raise ApplicationError(
            _("A card or booklet is not back with the resident yet: %(items)s.")
            % {"items": ", ".join(str(CustodyItem(event.item).label) for event in away)},
            extra={"code": "card_not_returned"},
        )
    return _move(request, from_statuses=[S.DELIVERED], to_status=S.CLOSED, by=by, note=note)


@transaction.atomic
def medicine_request_unavailable(
    *, request: MedicineRequest, by: User, note: str = ""
) -> MedicineRequest:
    """The medicine cannot be had anywhere; said with a note."""
    request = _fresh(request)
    _require_volunteer_or_staff(request, by)
    return _move(
        request,
        from_statuses=[S.TRIAGED, S.ASSIGNED, S.PURCHASING, S.SUBSTITUTE_PENDING],
        to_status=S.UNAVAILABLE,
        by=by,
        note=note,
    )


@transaction.atomic
def medicine_request_cancel(
    *, request: MedicineRequest, by: User, note: str = ""
) -> MedicineRequest:
    """The resident or staff call it off before anything is bought."""
    request = _fresh(request)
    _require(is_household_of(request, by) or is_staff_of(request, by))
    return _move(
        request,
        from_statuses=[S.SUBMITTED, S.TRIAGED, S.ASSIGNED, S.PURCHASING, S.SUBSTITUTE_PENDING],
        to_status=S.CANCELLED,
        by=by,
        note=note,
    )


# Custody ----------------------------------------------------------------------------------


@transaction.atomic
def custody_log(
    *,
    request: MedicineRequest,
    item: str,
    to_holder: str,
    by: User,
    at: datetime.datetime | None = None,
) -> CustodyEvent:
    """A card or booklet changes hands: to the assigned volunteer, the hospital, or back home."""
    request = MedicineRequest.objects.select_for_update().get(pk=request.pk)
    request = _fresh(request)
    _require_volunteer_or_staff(request, by)
    if item not in CustodyItem.values or to_holder not in Holder.values:
        raise ApplicationError(_("Choose the item and who has it now."), extra={"code": "invalid"})
    latest = custody_holders(request).get(item)
    from_holder = latest.to_holder if latest else Holder.RESIDENT
    from_volunteer = latest.to_volunteer if latest else None
    if from_holder == to_holder:
        raise ApplicationError(
            _("The %(item)s is already with the %(holder)s.")
            % {"item": CustodyItem(item).label, "holder": Holder(to_holder).label.lower()},
            extra={"code": "already_there"},
        )
    to_volunteer = None
    if to_holder == Holder.VOLUNTEER:
        if request.volunteer_id is None:
            raise ApplicationError(
                _("Assign a volunteer before handing over a card."),
                extra={"code": "no_volunteer"},
            )
        to_volunteer = request.volunteer
    return CustodyEvent.objects.create(
        request=request,
        item=item,
        from_holder=from_holder,
        to_holder=to_holder,
        from_volunteer=from_volunteer,
        to_volunteer=to_volunteer,
        logged_by=by,
        at=at or timezone.now(),
    )
