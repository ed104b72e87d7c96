from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MedicalConfig(AppConfig):
    name = "medical"
    verbose_name = _("Medical")

    def ready(self) -> None:
        from medical import panels
        from volunteers.panels import panel_register

        panel_register(panels.volunteer_today)
