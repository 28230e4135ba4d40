from django.db import models
from django.utils.translation import gettext_lazy as _


class TouchpointKind(models.TextChoices):
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    EMAIL = "email", _("E-mail")
    BUSINESS_REVIEW = "business_review", _("Business review")
    SITE_VISIT = "site_visit", _("Site visit")
    CHAT = "chat", _("Chat")
    NOTE = "note", _("Note")


# A note records what we know; every other kind is an exchange with the client.
EXCHANGE_KINDS: frozenset[str] = frozenset(TouchpointKind.values) - {TouchpointKind.NOTE}


class Sentiment(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")


class TouchpointSource(models.TextChoices):
    MANUAL = "manual", _("Logged by hand")
    CALENDAR = "calendar", _("Calendar file")
    EMAIL = "email", _("E-mail file")
    API = "api", _("API")
    SALESFORCE = "salesforce", _("Salesforce import")
    SPREADSHEET = "import", _("Spreadsheet import")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class CadenceKind(models.TextChoices):
    CHECK_IN = "check_in", _("Check-in")
    BUSINESS_REVIEW = "business_review", _("Business review")
    EXECUTIVE_TOUCH = "executive_touch", _("Executive touch")


class CadenceState(models.TextChoices):
    OVERDUE = "overdue", _("Overdue")
    DUE_SOON = "due_soon", _("Due this week")
    ON_TRACK = "on_track", _("On track")


class InboundStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for an account")
    ASSIGNED = "assigned", _("Assigned")
    DISMISSED = "dismissed", _("Dismissed")
