from django.db import models
from django.utils.translation import gettext_lazy as _


class RiskFlag(models.TextChoices):
    SINGLE_THREADED = "single_threaded", _("Single-threaded")
    NO_CHAMPION = "no_champion", _("No champion")
    CHAMPION_LEFT = "champion_left", _("Champion left")
    DECISION_MAKER_LEFT = "decision_maker_left", _("Decision maker left")
    HOSTILE_BLOCKER = "hostile_blocker", _("Hostile blocker")
    UNOWNED_DECISION_MAKER = "unowned_decision_maker", _("Decision maker without an owner")
    DISENGAGED_DECISION_MAKER = "disengaged_decision_maker", _("Decision maker out of touch")
