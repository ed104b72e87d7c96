from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MedicalConfig(AppConfig):
    name = "medical"
    verbose_name = _("Medical")

    def ready(self) -> None:
        from deliveries.signals import delivery_finished
        from medical import receivers

        delivery_finished.connect(receivers.follow_delivery, dispatch_uid="medical-follow")

        from medical import panels
        from volunteers.panels import panel_register

        panel_register(panels.volunteer_today)
