"""What deliveries tells people, registered with core.wording: stored as codes and parameters,
put into words in the reader's language (imported by the app's `ready()`, so that every
process that reads a notice or a job knows them)."""

from __future__ import annotations

from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.wording import Params, wording
from deliveries.models import Unplaced

# --- jobs ----------------------------------------------------------------------------------

WAITING = wording("deliveries.job.waiting", _("Waiting for a worker."))
REPLANNED = wording("deliveries.replan.done", _("%(count)s plans changed by the closure change."))
SUPERSEDED = wording("deliveries.job.superseded", _("Superseded by a newer run."))
READING_ORDERS = wording("deliveries.allocation.reading", _("Reading the orders."))
ALLOCATED = wording("deliveries.allocation.allocated", _("Allocated %(count)s orders; saving."))
ORDERS_SAVED = wording("deliveries.allocation.saved", _("Saved %(done)s of %(total)s orders."))
ALLOCATION_DONE = wording(
    "deliveries.allocation.done", _("%(orders)s orders planned, %(unplaced)s without a point.")
)
SCHEDULING = wording("deliveries.schedule.scheduling", _("Scheduling pickup slots."))
SAVING_SLOTS = wording("deliveries.schedule.saving", _("Saving the slots."))
SENDING_NOTICES = wording("deliveries.schedule.sending", _("Sending notices."))
SCHEDULE_DONE = wording(
    "deliveries.schedule.done",
    _("%(slots)s slots at %(points)s points; %(unplaced)s households without a slot."),
)
FINDING_VOLUNTEERS = wording("deliveries.assign.finding", _("Finding the volunteers on shift."))
ASSIGNED = wording("deliveries.assign.done", _("%(assigned)s deliveries assigned."))
ASSIGNED_SOME = wording(
    "deliveries.assign.some",
    _(
        "%(assigned)s deliveries assigned; %(unassigned)s left without a volunteer "
        "(nobody on a supply shift now in: %(compounds)s)."
    ),
    prepare=lambda params: {**params, "compounds": ", ".join(params["compounds"])},
)

# --- what a household is told about its plan -----------------------------------------------

PLAN_TITLE = _("%(round)s: how your packs reach you")


def _clock(moment) -> str:
    return formats.time_format(timezone.localtime(moment), "H:i")


def _slot(params: Params) -> Params:
    start, end = parse_datetime(params["start"]), parse_datetime(params["end"])
    day = formats.date_format(timezone.localtime(start).date(), "SHORT_DATE_FORMAT")
    return {**params, "day": day, "start": _clock(start), "end": _clock(end)}


def _reason(params: Params) -> Params:
    reason = params.get("reason") or ""
    label = Unplaced(reason).label if reason in Unplaced.values else gettext("no slot")
    return {**params, "reason": label}


PLAN_PICKUP = wording(
    "deliveries.plan.pickup",
    _(
        "Come down to %(point)s on %(day)s between %(start)s and %(end)s and show your "
        "pickup code %(code)s."
    ),
    title=PLAN_TITLE,
    prepare=_slot,
)
PLAN_DOOR = wording(
    "deliveries.plan.door",
    _("A volunteer will bring your packs to your door. Please stay at home."),
    title=PLAN_TITLE,
)
PLAN_UNIT_ENTRANCE = wording(
    "deliveries.plan.unit_entrance",
    _(
        "Your packs will be left at the entrance of unit %(unit)s; a volunteer will call "
        "your building's group when they are there."
    ),
    title=PLAN_TITLE,
)
PLAN_UNPLACED = wording(
    "deliveries.plan.unplaced",
    _(
        "Your packs could not be planned yet (%(reason)s). The committee will tell you "
        "when and where to collect them."
    ),
    title=PLAN_TITLE,
    prepare=_reason,
)

# --- what the staff member who changed a closure level is told -----------------------------

REPLAN_ROUND = _(
    "%(round)s: %(to_delivery)s pickups became deliveries, %(to_pickup)s deliveries "
    "became pickups, %(freed)s slot places freed, %(unplaced)s without a slot"
)


def _replan_lines(params: Params) -> Params:
    return {**params, "rounds": "; ".join(str(REPLAN_ROUND) % line for line in params["rounds"])}


REPLANNED = wording(
    "deliveries.replan",
    "%(rounds)s",  # one translated line per round, joined
    title=_("Re-planned %(building)s"),
    prepare=_replan_lines,
)

# --- what a meal delivery carries ----------------------------------------------------------

LUNCH, DINNER = "lunch", "dinner"
MEAL_LABELS = {LUNCH: _("Lunch"), DINNER: _("Dinner")}


def _meals(params: Params) -> Params:
    return {"items": ", ".join(f"{MEAL_LABELS[name]} × 1" for name in params["meals"])}


MEAL_ITEMS = wording("deliveries.meal.items", "%(items)s", prepare=_meals)
