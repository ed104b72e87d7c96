"""A volunteer at the door: a delivery marked delivered or failed, put back for a retry, or
given by hand to another volunteer.

Taps come from phones that may have been offline: `tapped_at` is the moment of the tap, kept
as `done_at`, and a tap sent twice by an offline queue is a success that changes nothing."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from deliveries.models import Delivery, DeliveryEvent, DeliveryFailure, DeliveryStatus
from deliveries.signals import delivery_finished
from residents.selectors import compounds_staffed_by
from volunteers.models import Volunteer, VolunteerStatus

TAP_FUTURE_GRACE = datetime.timedelta(minutes=5)
TAP_MAX_AGE = datetime.timedelta(hours=48)


def delivery_staffed_by(delivery: Delivery, user: User) -> bool:
    """Whether the user is staff of the committee whose household the delivery goes to."""
    return compounds_staffed_by(user).filter(pk=delivery.household.building.compound_id).exists()


def _require_may_act(delivery: Delivery, by: User) -> None:
    if delivery.volunteer_id is not None and delivery.volunteer.user_id == by.pk:
        return
    if delivery_staffed_by(delivery, by):
        return
    raise ApplicationError(
        _("Only the volunteer it is assigned to, or the committee's staff, may do this."),
        extra={"code": "not_yours"},
    )


def _require_staff(delivery: Delivery, by: User) -> None:
    if not delivery_staffed_by(delivery, by):
        raise ApplicationError(
            _("Only the committee's staff may do this."), extra={"code": "staff_only"}
        )


def _require_tap_time(tapped_at: datetime.datetime) -> None:
    now = timezone.now()
    if tapped_at > now + TAP_FUTURE_GRACE:
        raise ApplicationError(
            _("The tap's time is in the future; check the phone's clock."),
            extra={"code": "tap_in_future"},
        )
    if tapped_at < now - TAP_MAX_AGE:
        raise ApplicationError(
            _("The tap is more than 48 hours old; ask the committee's staff to record it."),
            extra={"code": "tap_too_old"},
        )


def _locked(delivery: Delivery) -> Delivery:
    return (
        Delivery.objects.select_for_update(of=("self",))
        .select_related("volunteer", "household__building")
        .get(pk=delivery.pk)
    )


def _announce(delivery: Delivery, *, by: User, at: datetime.datetime) -> None:
    """Tell the app that asked for the delivery, once the tap is committed; its failure is
    logged and does not undo the tap."""
    status = delivery.status
    transaction.on_commit(
        lambda: delivery_finished.send(
            sender=Delivery, delivery=delivery, status=status, by=by, at=at
        ),
        robust=True,
    )


def _record(delivery: Delivery, *, before: str, by: User, at, note: str = "") -> None:
    delivery.updated_by = by
    delivery.save()
    DeliveryEvent.objects.create(
        delivery=delivery,
        from_status=before,
        to_status=delivery.status,
        actor=by,
        at=at,
        note=note[:300],
    )


@transaction.atomic
def delivery_complete(*, delivery: Delivery, by: User, tapped_at: datetime.datetime) -> Delivery:
    """Mark a delivery delivered at the moment of the tap; a repeat changes nothing."""
    delivery = _locked(delivery)
    _require_may_act(delivery, by)
    if delivery.status == DeliveryStatus.DELIVERED:
        return delivery  # the same tap sent again
    if delivery.status == DeliveryStatus.CANCELLED:
        raise ApplicationError(
            _("This delivery was cancelled; nothing needs carrying."),
            extra={"code": "cancelled"},
        )
    _require_tap_time(tapped_at)
    before = delivery.status
    delivery.status, delivery.done_at = DeliveryStatus.DELIVERED, tapped_at
    delivery.failure, delivery.failure_note = "", ""
    _record(delivery, before=before, by=by, at=tapped_at)
    _announce(delivery, by=by, at=tapped_at)
    return delivery


@transaction.atomic
def delivery_fail(
    *,
    delivery: Delivery,
    by: User,
    tapped_at: datetime.datetime,
    reason: str,
    note: str = "",
) -> Delivery:
    """Mark a delivery failed (nobody at home, or a problem with a note) at the tap's moment."""
    if reason not in DeliveryFailure.values:
        raise ApplicationError(
            _("Say why the delivery failed: nobody at home, or a problem."),
            extra={"code": "reason_unknown"},
        )
    note = note.strip()
    if reason == DeliveryFailure.PROBLEM and not note:
        raise ApplicationError(
            _("Describe the problem in a few words."), extra={"code": "note_missing"}
        )
    delivery = _locked(delivery)
    _require_may_act(delivery, by)
    if delivery.status == DeliveryStatus.FAILED and delivery.failure == reason:
        return delivery  # the same tap sent again
    if delivery.status == DeliveryStatus.DELIVERED:
        raise ApplicationError(
            _("This delivery is already marked delivered; it cannot fail now."),
            extra={"code": "already_delivered"},
        )
    if delivery.status == DeliveryStatus.CANCELLED:
        raise ApplicationError(
            _("This delivery was cancelled; nothing needs carrying."),
            extra={"code": "cancelled"},
        )
    _require_tap_time(tapped_at)
    before = delivery.status
    delivery.status, delivery.done_at = DeliveryStatus.FAILED, tapped_at
    delivery.failure, delivery.failure_note = reason, note[:300]
    _record(delivery, before=before, by=by, at=tapped_at, note=note)
    _announce(delivery, by=by, at=tapped_at)
    return delivery


@transaction.atomic
def delivery_retry(*, delivery: Delivery, by: User, volunteer: Volunteer | None = None) -> Delivery:
    """Staff put a failed delivery back to planned, for the same volunteer or, when one is
    given, for another: both happen or neither."""
    if volunteer is not None:
        delivery_reassign(delivery=delivery, volunteer=volunteer, by=by)
    delivery = _locked(delivery)
    _require_staff(delivery, by)
    if delivery.status != DeliveryStatus.FAILED:
        raise ApplicationError(
            _("Only a failed delivery can be tried again."), extra={"code": "not_failed"}
        )
    note = _("Tried again after: %(why)s") % {"why": delivery.get_failure_display()}
    delivery.status, delivery.done_at = DeliveryStatus.PLANNED, None
    delivery.failure, delivery.failure_note = "", ""
    _record(delivery, before=DeliveryStatus.FAILED, by=by, at=timezone.now(), note=note)
    return delivery


@transaction.atomic
def delivery_reassign(*, delivery: Delivery, volunteer: Volunteer, by: User) -> Delivery:
    """Staff give an open delivery by hand to an approved volunteer of their committee."""
    delivery = _locked(delivery)
    _require_staff(delivery, by)
    if delivery.status in (DeliveryStatus.DELIVERED, DeliveryStatus.CANCELLED):
        raise ApplicationError(
            _("Only an open delivery can be given to another volunteer."),
            extra={"code": "not_open"},
        )
    committee_id = delivery.household.building.compound.committee_id
    if volunteer.committee_id != committee_id or volunteer.status != VolunteerStatus.APPROVED:
        raise ApplicationError(
            _("Choose an approved volunteer of the committee."),
            extra={"code": "volunteer_not_eligible"},
        )
    now = timezone.now()
    delivery.volunteer, delivery.assigned_at, delivery.assigned_by = volunteer, now, by
    _record(
        delivery,
        before=delivery.status,
        by=by,
        at=now,
        note=_("Given to %(name)s.") % {"name": volunteer.name},
    )
    return delivery
