from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountMapsConfig(AppConfig):
    name = "rapport.accountmaps"
    label = "accountmaps"
    verbose_name = _("Account maps")

    def ready(self) -> None:
        # Imported here: the signal handlers need the models, which exist only once apps load.
        from rapport.accountmaps import signals

        signals.connect()
