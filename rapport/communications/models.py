"""Exchanges with the client, the follow-ups they create and the cadence they keep."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from rapport.accounts.choices import Tier
from rapport.accounts.models import Account
from rapport.communications.choices import (
    CadenceKind,
    InboundStatus,
    Sentiment,
    TaskStatus,
    TouchpointKind,
    TouchpointSource,
)
from rapport.core.models import (
    TimeStampedModel,
    VersionedModel,
    salesforce_id_field,
    salesforce_id_unique,
)
from rapport.stakeholders.models import Stakeholder

# A week of meetings is long enough for any real exchange; the bound catches typing slips.
MAX_DURATION_MINUTES = 7 * 24 * 60


class Touchpoint(VersionedModel):
    """One exchange with the client (or a note about them): who, when, how it went."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="touchpoints"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TouchpointKind.choices)
    occurred_at = models.DateTimeField(_("date and time"), default=timezone.now)
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_DURATION_MINUTES)],
    )
    subject = models.CharField(_("subject"), max_length=200)
    notes = models.TextField(_("notes"), blank=True, help_text=_("Markdown is welcome."))
    sentiment = models.CharField(
        _("sentiment"), max_length=10, choices=Sentiment.choices, blank=True
    )
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    stakeholders: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        Stakeholder,
        verbose_name=_("client participants"),
        through="TouchpointStakeholder",
        related_name="touchpoints",
        blank=True,
    )
    users: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("our participants"),
        through="TouchpointUser",
        related_name="touchpoints",
        blank=True,
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="logged_touchpoints",
    )
    source = models.CharField(
        _("source"),
        max_length=10,
        choices=TouchpointSource.choices,
        default=TouchpointSource.MANUAL,
        editable=False,
    )
    # The Message-ID of an imported e-mail or the UID of an imported meeting: never imported twice.
    external_id = models.CharField(max_length=255, blank=True, editable=False)

    salesforce_id = salesforce_id_field()

    history = HistoricalRecords(
        excluded_fields=["updated_at"],
        # Read by touchpoint alone: other indexes would only slow every change written.
        no_db_index=["account", "logged_by"],
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["-occurred_at", "-id"]
        verbose_name = _("touchpoint")
        verbose_name_plural = _("touchpoints")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                F("account"), F("occurred_at").desc(), F("id").desc(), name="touchpoint_timeline"
            ),
            models.Index(
                F("account"),
                F("kind"),
                F("occurred_at").desc(),
                F("id").desc(),
                name="touchpoint_kind_timeline",
            ),
            models.Index(fields=["account", "sentiment", "occurred_at"], name="touchpoint_mood"),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            salesforce_id_unique(),
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="%(app_label)s_%(class)s_imported_once",
                violation_error_message=_("This message or meeting was already imported."),
            ),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("communications:touchpoint_detail", args=[self.pk])

    @property
    def is_exchange(self) -> bool:
        return self.kind != TouchpointKind.NOTE


class TouchpointStakeholder(models.Model):
    """A client participant in a touchpoint; the time and account are copied for fast reads."""

    touchpoint = models.ForeignKey(
        Touchpoint, on_delete=models.CASCADE, related_name="stakeholder_links"
    )
    stakeholder = models.ForeignKey(
        Stakeholder, on_delete=models.CASCADE, related_name="touchpoint_links"
    )
    occurred_at = models.DateTimeField()
    is_exchange = models.BooleanField(default=True)

    history = HistoricalRecords(
        # Read by touchpoint: other indexes would only slow every change written.
        no_db_index=["stakeholder"],
    )

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["touchpoint", "stakeholder"], name="%(app_label)s_%(class)s_once"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                F("stakeholder"), F("occurred_at").desc(), name="touchpoint_stakeholder_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stakeholder_id} @ {self.touchpoint_id}"


class TouchpointUser(models.Model):
    """One of our people in a touchpoint; the time and account are copied for fast reads."""

    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.CASCADE, related_name="user_links")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="touchpoint_links"
    )
    occurred_at = models.DateTimeField()

    history = HistoricalRecords(
        # Read by touchpoint: other indexes would only slow every change written.
        no_db_index=["user"],
    )

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["touchpoint", "user"], name="%(app_label)s_%(class)s_once"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(F("user"), F("occurred_at").desc(), name="touchpoint_user_time"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.touchpoint_id}"


class RelationshipStrength(models.Model):
    """How close one of our people is to one client person, derived from shared touchpoints.

    Refreshed whenever a shared touchpoint changes and every night (recency fades with time);
    see ``services.STRENGTH_FORMULA``.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="relationship_strengths"
    )
    stakeholder = models.ForeignKey(
        Stakeholder, on_delete=models.CASCADE, related_name="relationship_strengths"
    )
    shared_touchpoints = models.PositiveIntegerField(default=0)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    strength = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    refreshed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["stakeholder", "user"], name="%(app_label)s_%(class)s_once"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["user", "strength"], name="strength_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ↔ {self.stakeholder_id}: {self.strength}"


class TaskQuerySet(models.QuerySet["Task"]):
    def open(self) -> TaskQuerySet:
        return self.filter(status=TaskStatus.OPEN)


class Task(VersionedModel):
    """A follow-up someone of ours must do, usually for an account and after a touchpoint."""

    title = models.CharField(_("title"), max_length=200)
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
    )
    touchpoint = models.ForeignKey(
        Touchpoint,
        verbose_name=_("touchpoint"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        related_name="assigned_tasks",
    )
    due_on = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="created_tasks",
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True, editable=False)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    salesforce_id = salesforce_id_field()

    history = HistoricalRecords(
        excluded_fields=["updated_at"],
        # Read by to-do alone: other indexes would only slow every change written.
        no_db_index=["account", "touchpoint", "assignee", "created_by", "completed_by"],
    )

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[Any]] = [F("due_on").asc(nulls_last=True), "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["assignee", "status", "due_on"], name="task_assignee"),
            models.Index(
                F("account"), F("created_at").desc(), F("id").desc(), name="task_timeline"
            ),
            models.Index(fields=["account", "status", "due_on"], name="task_account_open"),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            salesforce_id_unique(),
            models.CheckConstraint(
                condition=Q(status=TaskStatus.OPEN) | Q(completed_at__isnull=False),
                name="%(app_label)s_%(class)s_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("communications:task_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.is_open and self.due_on is not None and self.due_on < today


class CadenceDefault(TimeStampedModel):
    """The cadence an administrator sets for every account of a tier."""

    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    kind = models.CharField(_("cadence"), max_length=20, choices=CadenceKind.choices)
    interval_days = models.PositiveSmallIntegerField(
        _("every (days)"), validators=[MinValueValidator(1), MaxValueValidator(730)]
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering: ClassVar[list[str]] = ["tier", "kind"]
        verbose_name = _("cadence default")
        verbose_name_plural = _("cadence defaults")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["tier", "kind"],
                name="%(app_label)s_%(class)s_once_per_tier",
                violation_error_message=_("This tier already has this cadence."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_tier_display()}: {self.get_kind_display()} / {self.interval_days}"


class CadenceRule(VersionedModel):
    """How often an account must have a kind of exchange, and when the next one is due.

    Rules that follow the tier's default change with it; an edited rule becomes the account's
    own (``is_custom``). The last and next dates are derived from the log by the services.
    """

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="cadence_rules"
    )
    kind = models.CharField(_("cadence"), max_length=20, choices=CadenceKind.choices)
    interval_days = models.PositiveSmallIntegerField(
        _("every (days)"), validators=[MinValueValidator(1), MaxValueValidator(730)]
    )
    is_custom = models.BooleanField(_("set for this account"), default=False)
    starts_on = models.DateField(_("counting from"), default=timezone.localdate)
    last_done_at = models.DateTimeField(_("last done"), null=True, blank=True, editable=False)
    next_due_on = models.DateField(_("next due"), editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at", "last_done_at", "next_due_on"])

    class Meta:
        ordering: ClassVar[list[str]] = ["next_due_on", "id"]
        verbose_name = _("cadence rule")
        verbose_name_plural = _("cadence rules")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["next_due_on", "account"], name="cadence_due"),
            models.Index(fields=["account", "next_due_on"], name="cadence_account_due"),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["account", "kind"],
                name="%(app_label)s_%(class)s_once_per_account",
                violation_error_message=_("This account already has this cadence."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.get_kind_display()}"

    def compute_next_due(self) -> datetime.date:
        if self.last_done_at is not None:
            base = timezone.localdate(self.last_done_at)
        else:
            base = self.starts_on
        return base + datetime.timedelta(days=self.interval_days)

    def state(self, today: datetime.date | None = None) -> str:
        from rapport.communications.choices import CadenceState

        today = today or timezone.localdate()
        if self.next_due_on < today:
            return CadenceState.OVERDUE
        if self.next_due_on <= today + datetime.timedelta(days=7):
            return CadenceState.DUE_SOON
        return CadenceState.ON_TRACK


FEED_TOKEN_PREFIX = "cal_"  # noqa: S105  # marks leaked feed addresses, not a secret


def hash_feed_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class CalendarFeed(models.Model):
    """A user's private iCalendar feed; the secret in its address is stored only as a hash."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last read"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"{self.user} ({self.created_at:%Y-%m-%d})"

    @staticmethod
    def new_token() -> str:
        return FEED_TOKEN_PREFIX + secrets.token_urlsafe(32)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class InboundMessage(TimeStampedModel):
    """An uploaded e-mail that matched no account, kept until someone assigns or dismisses it."""

    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    sender = models.CharField(_("from"), max_length=320, blank=True)
    recipients = models.TextField(_("to and copy"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    body = models.TextField(_("text"), blank=True)
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=InboundStatus.choices, default=InboundStatus.PENDING
    )
    touchpoint = models.ForeignKey(
        Touchpoint, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords(excluded_fields=["updated_at", "body"])

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        verbose_name = _("unmatched e-mail")
        verbose_name_plural = _("unmatched e-mails")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["status", "created_at"], name="inbound_status"),
        ]

    def __str__(self) -> str:
        return self.subject or self.message_id


class DigestDelivery(models.Model):
    """The daily digest sent to a user on a date: sent once, however often the job runs."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["user", "day"], name="%(app_label)s_%(class)s_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}"
