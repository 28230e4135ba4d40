from django.db import models
from django.utils.translation import gettext_lazy as _


class StakeholderStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    LEFT = "left", _("Left the company")


class DecisionRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("Decision maker")
    ECONOMIC_BUYER = "economic_buyer", _("Economic buyer")
    CHAMPION = "champion", _("Champion")
    INFLUENCER = "influencer", _("Influencer")
    TECHNICAL_EVALUATOR = "technical_evaluator", _("Technical evaluator")
    USER = "user", _("User")
    GATEKEEPER = "gatekeeper", _("Gatekeeper")
    BLOCKER = "blocker", _("Blocker")


class Stance(models.TextChoices):
    ADVOCATE = "advocate", _("Advocate")
    SUPPORTER = "supporter", _("Supporter")
    NEUTRAL = "neutral", _("Neutral")
    SKEPTIC = "skeptic", _("Skeptic")
    OPPONENT = "opponent", _("Opponent")


class Influence(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class RelationshipKind(models.TextChoices):
    INFLUENCES = "influences", _("Influences")
    ALLIED_WITH = "allied_with", _("Allied with")
    IN_CONFLICT_WITH = "in_conflict_with", _("In conflict with")
