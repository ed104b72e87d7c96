"""The gate: a volunteer on shift at a collection point checks a resident's pickup code and
hands the packs over. `pickup_verify` only reads; `pickup_hand_over` checks again under a row
lock and records who handed the packs over and when, so that a code works once.

Outside the household's slot only staff may hand over (`pickup_hand_over_late`, with a
reason); what else staff do for a household that missed its slot is in
`deliveries.services.uncollected`."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from deliveries.models import (
    SLOT_GRACE,
    CollectionPoint,
    Fulfilment,
    OrderPlan,
    PickupEvent,
    PickupEventKind,
)
from residents.selectors import compounds_staffed_by
from supplies.models import OrderLine, OrderStatus
from volunteers.models import ShiftSignup, SignupStatus, VolunteerStatus, Workgroup
from volunteers.selectors import volunteer_compounds, volunteer_of


@dataclass(frozen=True)
class Pickup:
    """What is handed over at the gate for one code."""

    plan: OrderPlan
    building: str
    unit: int
    room: str
    items: list[tuple[str, int]]
    slot_start: datetime.datetime | None
    slot_end: datetime.datetime | None


def pickup_code_clean(code: str) -> str:
    """What a person types or a QR code holds → the stored code: "abcd efgh" → "ABCDEFGH"."""
    return "".join(code.split()).replace("-", "").upper()


def points_at_gate(user: User, *, at: datetime.datetime) -> QuerySet[CollectionPoint]:
    """The active points a user may hand packs over at: staff at their compounds' points, a
    volunteer at the points of compounds where they are on a supply shift now."""
    compounds = set(compounds_staffed_by(user).values_list("pk", flat=True))
    volunteer = volunteer_of(user)
    if volunteer is not None and volunteer.status == VolunteerStatus.APPROVED:
        # One query for all their compounds, with the shift rules of `volunteers_on_shift`.
        on_shift = ShiftSignup.objects.filter(
            volunteer=volunteer,
            status=SignupStatus.SIGNED_UP,
            shift__compound__in=volunteer_compounds(volunteer).values("pk"),
            shift__workgroup=Workgroup.SUPPLY,
            shift__cancelled_at=None,
            shift__start__lt=at + datetime.timedelta(seconds=1),
            shift__end__gt=at,
        )
        compounds.update(on_shift.values_list("shift__compound_id", flat=True))
    return (
        CollectionPoint.objects.filter(compound__in=compounds, active=True)
        .select_related("compound")
        .order_by("compound__name", "name")
    )


def _refuse(message: str, code: str, **extra) -> ApplicationError:
    return ApplicationError(message, extra={"code": code, **extra})


def _moment(value: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def _clock(value: datetime.datetime) -> str:
    return formats.time_format(timezone.localtime(value), "H:i")


def _check(
    plan: OrderPlan | None, *, point: CollectionPoint, at: datetime.datetime, late: bool = False
) -> Pickup:
    if plan is None or plan.order.household.building.compound_id != point.compound_id:
        raise _refuse(_("No order has this pickup code."), "unknown_code")
    if plan.order.status == OrderStatus.CANCELLED:
        raise _refuse(_("This order was cancelled; there is nothing to hand over."), "cancelled")
    if plan.fulfilment != Fulfilment.PICKUP:
        raise _refuse(
            _("This order is carried to the household by a volunteer; it is not collected here."),
            "not_pickup",
        )
    if plan.handed_over_at is not None:
        who = plan.handed_over_by
        name = (who.get_full_name() or who.username) if who else _("someone")
        raise _refuse(
            _("Already collected at %(at)s, handed over by %(who)s.")
            % {"at": _moment(plan.handed_over_at), "who": name},
            "already_collected",
        )
    if plan.point_id != point.pk:
        right = plan.point.name if plan.point else _("no point yet")
        raise _refuse(
            _("This order is collected at %(point)s, not here.") % {"point": right},
            "wrong_point",
            point=plan.point_id,
        )
    slot = plan.slot
    if slot is None and not late:
        raise _refuse(_("This order has no pickup slot yet."), "not_scheduled")
    if not late and not slot.start - SLOT_GRACE <= at <= slot.end + SLOT_GRACE:
        raise _refuse(
            _("This household's slot is %(day)s %(start)s–%(end)s; please come back then.")
            % {
                "day": formats.date_format(timezone.localtime(slot.start), "SHORT_DATE_FORMAT"),
                "start": _clock(slot.start),
                "end": _clock(slot.end),
            },
            "wrong_slot",
        )
    household = plan.order.household
    lines = (
        OrderLine.objects.filter(order=plan.order)
        .order_by("offer")
        .values_list("offer__package_type__name", "quantity")
    )
    return Pickup(
        plan=plan,
        building=household.building.label,
        unit=household.unit,
        room=household.room,
        items=list(lines),
        slot_start=slot.start if slot else None,
        slot_end=slot.end if slot else None,
    )


def _require_at_gate(point: CollectionPoint, by: User, at: datetime.datetime) -> None:
    if not points_at_gate(by, at=at).filter(pk=point.pk).exists():
        raise _refuse(
            _("Only a volunteer on a supply shift at this compound, or its staff, may do this."),
            "not_on_shift",
        )


def _plan_of_code(code: str) -> QuerySet[OrderPlan]:
    return OrderPlan.objects.filter(order__pickup_code=pickup_code_clean(code)).select_related(
        "order__household__building", "point", "slot", "handed_over_by"
    )


def pickup_verify(*, code: str, point: CollectionPoint, by: User, at: datetime.datetime) -> Pickup:
    """What would be handed over for the code at this point now, or a refusal that says why;
    changes nothing."""
    _require_at_gate(point, by, at)
    return _check(_plan_of_code(code).first(), point=point, at=at)


@transaction.atomic
def pickup_hand_over(
    *, code: str, point: CollectionPoint, by: User, at: datetime.datetime
) -> Pickup:
    """Hand the packs over: checked again under a lock, so that two phones cannot both."""
    _require_at_gate(point, by, at)
    plan = _plan_of_code(code).select_for_update(of=("self",)).first()
    pickup = _check(plan, point=point, at=at)
    plan.handed_over_at, plan.handed_over_by = at, by
    plan.save(update_fields=["handed_over_at", "handed_over_by", "updated_at"])
    return pickup


# Refusals of the slot that staff may overrule, with a reason.
LATE_REFUSALS = frozenset({"wrong_slot", "not_scheduled"})


def staff_at_point(user: User, point: CollectionPoint) -> bool:
    """Whether the user is staff of the point's compound (volunteers are not)."""
    return compounds_staffed_by(user).filter(pk=point.compound_id).exists()


@transaction.atomic
def pickup_hand_over_late(
    *, code: str, point: CollectionPoint, by: User, at: datetime.datetime, reason: str
) -> Pickup:
    """Staff hand the packs over outside the household's slot, saying why; recorded with who
    and when as a late handover. Every other refusal still holds."""
    _require_at_gate(point, by, at)
    if not staff_at_point(by, point):
        raise _refuse(
            _("Only the committee's staff may hand packs over outside the household's slot."),
            "staff_only",
        )
    reason = " ".join(reason.split())[:300]
    if not reason:
        raise _refuse(
            _("Say why the packs are handed over outside the household's slot."),
            "reason_required",
        )
    plan = _plan_of_code(code).select_for_update(of=("self",)).first()
    pickup = _check(plan, point=point, at=at, late=True)
    plan.handed_over_at, plan.handed_over_by, plan.late_reason = at, by, reason
    plan.save(update_fields=["handed_over_at", "handed_over_by", "late_reason", "updated_at"])
    PickupEvent.objects.create(
        plan=plan,
        kind=PickupEventKind.LATE_HANDOVER,
        from_slot=plan.slot,
        actor=by,
        at=at,
        note=reason,
    )
    return pickup
