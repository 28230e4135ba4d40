from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunicationsConfig(AppConfig):
    name = "rapport.communications"
    label = "communications"
    verbose_name = _("Communications")

    def ready(self) -> None:
        from rapport.communications import signals

        signals.connect()
