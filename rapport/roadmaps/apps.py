from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoadmapsConfig(AppConfig):
    name = "rapport.roadmaps"
    label = "roadmaps"
    verbose_name = _("Roadmaps and handoffs")

    def ready(self) -> None:
        from rapport.roadmaps import sources

        sources.register_all()
