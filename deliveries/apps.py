from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveriesConfig(AppConfig):
    name = "deliveries"
    verbose_name = _("Deliveries")

    def ready(self) -> None:
        from deliveries import panels, receivers
        from residents.signals import closure_changed
        from supplies.signals import round_closed
        from volunteers.panels import panel_register

        round_closed.connect(receivers.plan_closed_round, dispatch_uid="deliveries-plan-round")
        closure_changed.connect(receivers.replan_closure, dispatch_uid="deliveries-replan")
        panel_register(panels.volunteer_today)
