"""Collection points and compound policies: created and changed by the compound's staff."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from deliveries.models import CollectionPoint, CompoundPolicy, ControlledPolicy
from residents.models import Compound

POINT_FIELDS = (
    "name",
    "position_x",
    "position_y",
    "capacity",
    "crowd_cap",
    "opens_at",
    "closes_at",
    "slot_minutes",
    "active",
)


def _validated(point: CollectionPoint) -> CollectionPoint:
    if point.opens_at and point.closes_at and point.closes_at <= point.opens_at:
        raise ApplicationError(
            _("The point must close after it opens."), extra={"fields": {"closes_at": "hours"}}
        )
    if point.crowd_cap is not None and point.crowd_cap < 1:
        raise ApplicationError(_("The crowd cap must be at least one person."))
    if point.slot_minutes is not None and point.slot_minutes < 1:
        raise ApplicationError(_("A slot must last at least one minute."))
    try:
        # The fields too (a blank name, a negative capacity), not only the constraints.
        point.full_clean()
    except ValidationError as error:
        raise ApplicationError(
            " ".join(error.messages), extra={"fields": error.message_dict}
        ) from error
    return point


@transaction.atomic
def point_create(*, compound: Compound, by: User, **fields) -> CollectionPoint:
    point = CollectionPoint(compound=compound, created_by=by, updated_by=by, **fields)
    _validated(point).save()
    return point


@transaction.atomic
def point_update(*, point: CollectionPoint, by: User, **fields) -> CollectionPoint:
    """Change a point; a point is never deleted, only taken out of use (`active=False`)."""
    for name, value in fields.items():
        if name not in POINT_FIELDS:
            raise ApplicationError(_("Unknown field %(name)s.") % {"name": name})
        setattr(point, name, value)
    point.updated_by = by
    _validated(point).save()
    return point


@transaction.atomic
def policy_set(*, compound: Compound, controlled_fulfilment: str, by: User) -> CompoundPolicy:
    if controlled_fulfilment not in ControlledPolicy.values:
        raise ApplicationError(_("Unknown policy for controlled buildings."))
    policy, _created = CompoundPolicy.objects.update_or_create(
        compound=compound,
        defaults={"controlled_fulfilment": controlled_fulfilment, "updated_by": by},
        create_defaults={
            "controlled_fulfilment": controlled_fulfilment,
            "created_by": by,
            "updated_by": by,
        },
    )
    return policy
