from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PlaybookKind(models.TextChoices):
    ONBOARDING = "onboarding", _("Onboarding")
    ADOPTION = "adoption", _("Adoption")
    RENEWAL = "renewal", _("Renewal")
    RECOVERY = "recovery", _("At-risk recovery")
    OTHER = "other", _("Other")


class Anchor(models.TextChoices):
    """What an item's offset counts from."""

    START = "start", _("the roadmap's start")
    REFERENCE = "reference", _("the reference date (e.g. contract end)")


class ItemKind(models.TextChoices):
    MILESTONE = "milestone", _("Milestone")
    TASK = "task", _("Task")
    COMMUNICATION = "communication", _("Communication step")


class OwnerSide(models.TextChoices):
    OURS = "ours", _("Our side")
    CLIENT = "client", _("Client side")


class ItemStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")


class RoadmapStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class Progress(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    LATE = "late", _("Late")
    DONE = "done", _("Done")


class HandoffStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Waiting for acknowledgement")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")


class CommitmentStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("commitment", "Open")
    KEPT = "kept", pgettext_lazy("commitment", "Kept")
    CANCELLED = "cancelled", pgettext_lazy("commitment", "Cancelled")


class CommitmentSource(models.TextChoices):
    HANDOFF = "handoff", _("Handoff")
    TOUCHPOINT = "touchpoint", _("Touchpoint")
    DIRECT = "direct", _("Entered directly")
