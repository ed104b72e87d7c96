"""What deliveries does when lower apps report a change (connected in DeliveriesConfig.ready)."""

from deliveries.services.planning import round_closed_receiver


def plan_closed_round(sender, supply_round, by=None, **kwargs) -> None:
    round_closed_receiver(supply_round=supply_round, by=by)


def replan_closure(sender, changes, **kwargs) -> None:
    from deliveries.tasks import replan_buildings

    replan_buildings.delay([change.pk for change in changes])
