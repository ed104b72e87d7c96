"""Reads of deliveries, each scoped to who is asking, in rooms by use: a round's plan, the door
deliveries, meals, uncollected pickups. Callers read them all from here."""

from deliveries.selectors.doors import (  # noqa: F401
    deliveries_of_volunteer_today,
    deliveries_visible_to,
    failed_deliveries_of_round,
    round_progress,
    walk_groups,
)
from deliveries.selectors.meals import (  # noqa: F401
    meal_candidates_for,
    meal_deliveries_of_day,
    meal_enrolments_visible_to,
)
from deliveries.selectors.plans import (  # noqa: F401
    FulfilmentCount,
    PlanOverview,
    call_list,
    deliveries_of_round,
    deliveries_staffed_by,
    deliveries_to_print,
    jobs_visible_to,
    latest_job_of_round,
    manifest,
    pickup_calls,
    plan_of_order,
    plan_overview,
    plans_of_round,
    point_loads,
    points_visible_to,
    policies_visible_to,
    replans_of,
    round_plan_of,
    rounds_to_plan,
    rounds_to_plan_with_status,
)
from deliveries.selectors.uncollected import (  # noqa: F401
    PickupOutcomes,
    later_slots_with_room,
    pickup_events_of_round,
    pickup_outcomes,
    pickups_uncollected,
    uncollected_filter,
)
