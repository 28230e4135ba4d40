from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RevenueConfig(AppConfig):
    name = "rapport.revenue"
    label = "revenue"
    verbose_name = _("Revenue")

    def ready(self) -> None:
        from rapport.revenue import sources

        sources.register_all()
