from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveriesConfig(AppConfig):
    name = "deliveries"
    verbose_name = _("Deliveries")

    def ready(self) -> None:
        from core.panels import VOLUNTEER_HOME, panel_register
        from deliveries import panels, receivers, wordings  # noqa: F401 - wordings registers what it says
        from residents.signals import closure_changed
        from supplies.signals import round_closed

        round_closed.connect(receivers.plan_closed_round, dispatch_uid="deliveries-plan-round")
        closure_changed.connect(receivers.replan_closure, dispatch_uid="deliveries-replan")
        panel_register(VOLUNTEER_HOME, panels.volunteer_today)
