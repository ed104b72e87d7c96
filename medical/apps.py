from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MedicalConfig(AppConfig):
    name = "medical"
    verbose_name = _("Medical")

    def ready(self) -> None:
        from deliveries.signals import delivery_finished
        from medical import receivers

        delivery_finished.connect(receivers.follow_delivery, dispatch_uid="medical-follow")

        from core.panels import COMPOUND_OVERVIEW, VOLUNTEER_HOME, panel_register
        from medical import panels

        panel_register(VOLUNTEER_HOME, panels.volunteer_today)
        panel_register(COMPOUND_OVERVIEW, panels.no_contact)
