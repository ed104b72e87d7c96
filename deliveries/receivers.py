"""What deliveries does when lower apps report a change (connected in DeliveriesConfig.ready)."""

from deliveries.services.planning import round_closed_receiver


def plan_closed_round(sender, supply_round, by=None, **kwargs) -> None:
    round_closed_receiver(supply_round=supply_round, by=by)


def replan_closure(sender, changes, **kwargs) -> None:
    """A job, so that a closure change still succeeds when the queue is unreachable (the
    re-plan is sent once it is back) and staff can see what it re-planned."""
    from core.jobs import job_create, job_enqueue, subject_of
    from deliveries.tasks import replan_buildings

    changes = list(changes)
    if not changes:
        return
    job = job_create(kind=REPLAN, subject=subject_of(changes[0]), by=changes[0].changed_by)
    job_enqueue(job, replan_buildings, [change.pk for change in changes])


REPLAN = "replan"
