"""Playbooks, the roadmaps started from them, handoffs, commitments and reassignments."""

from __future__ import annotations

import datetime
import hashlib
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from rapport.accounts.choices import TeamRole
from rapport.accounts.models import Account
from rapport.communications.models import Task, Touchpoint
from rapport.core.models import TimeStampedModel, VersionedModel
from rapport.roadmaps.choices import (
    Anchor,
    CommitmentSource,
    CommitmentStatus,
    HandoffStatus,
    ItemKind,
    ItemStatus,
    OwnerSide,
    PlaybookKind,
    Progress,
    RoadmapStatus,
)
from rapport.stakeholders.choices import DecisionRole
from rapport.stakeholders.models import Stakeholder

# Five years either way covers any real journey; the bound catches typing slips.
MAX_OFFSET_DAYS = 5 * 366
MAX_DURATION_DAYS = 366


def owner_role_choices(side: str) -> list[tuple[str, Any]]:
    return list(TeamRole.choices if side == OwnerSide.OURS else DecisionRole.choices)


def owner_role_label(side: str, role: str) -> str:
    return str(dict(owner_role_choices(side)).get(role, role))


class Playbook(VersionedModel):
    """A template of phases, milestones, tasks and communication steps with relative dates.

    ``revision`` counts the edits of its content; a roadmap keeps the revision it was started
    from, and its items are copies, so editing a playbook never rewrites a started roadmap.
    """

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=PlaybookKind.choices)
    description = models.TextField(_("description"), blank=True)
    reference_label = models.CharField(
        _("reference date"),
        max_length=80,
        blank=True,
        help_text=_("What the reference date is, e.g. “contract end”. Empty: no reference date."),
    )
    lead_days = models.PositiveSmallIntegerField(
        _("starts before the reference date (days)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_OFFSET_DAYS)],
        help_text=_("For playbooks started by automation, e.g. 120 days before contract end."),
    )
    is_active = models.BooleanField(_("offered"), default=True)
    revision = models.PositiveIntegerField(_("revision"), default=1, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering: ClassVar[list[str]] = ["kind", "name", "id"]
        verbose_name = _("playbook")
        verbose_name_plural = _("playbooks")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("roadmaps:playbook_detail", args=[self.pk])

    @property
    def uses_reference(self) -> bool:
        return bool(self.reference_label)


class PlaybookPhase(models.Model):
    """A stage of a playbook (e.g. "Set-up", "Adoption")."""

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="phases")
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar[list[str]] = ["position", "id"]
        verbose_name = _("playbook phase")
        verbose_name_plural = _("playbook phases")

    def __str__(self) -> str:
        return self.name


class PlaybookItem(models.Model):
    """One step of a playbook, dated by an offset from the start or from the reference date."""

    phase = models.ForeignKey(PlaybookPhase, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("kind"), max_length=20, choices=ItemKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    anchor = models.CharField(
        _("counted from"), max_length=10, choices=Anchor.choices, default=Anchor.START
    )
    offset_days = models.IntegerField(
        _("offset (days)"),
        validators=[MinValueValidator(-MAX_OFFSET_DAYS), MaxValueValidator(MAX_OFFSET_DAYS)],
    )
    duration_days = models.PositiveSmallIntegerField(
        _("duration (days)"), default=0, validators=[MaxValueValidator(MAX_DURATION_DAYS)]
    )
    owner_side = models.CharField(
        _("owner's side"), max_length=10, choices=OwnerSide.choices, default=OwnerSide.OURS
    )
    owner_role = models.CharField(_("owner's role"), max_length=32, blank=True)
    client_facing = models.BooleanField(
        _("shown to the client"),
        default=True,
        help_text=_("Items not shown to the client stay off the client link."),
    )
    depends_on = models.ForeignKey(
        "self",
        verbose_name=_("after"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dependents",
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar[list[str]] = ["position", "id"]
        verbose_name = _("playbook item")
        verbose_name_plural = _("playbook items")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=~Q(depends_on=F("id")),
                name="%(app_label)s_%(class)s_not_after_itself",
                violation_error_message=_("An item cannot come after itself."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if self.owner_role and self.owner_role not in dict(owner_role_choices(self.owner_side)):
            raise ValidationError({"owner_role": _("This role does not exist on that side.")})


class Roadmap(VersionedModel):
    """An account's planned journey, started from a playbook (or from nothing)."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="roadmaps"
    )
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=PlaybookKind.choices)
    playbook = models.ForeignKey(
        Playbook,
        verbose_name=_("playbook"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="roadmaps",
    )
    playbook_revision = models.PositiveIntegerField(null=True, blank=True, editable=False)
    start_date = models.DateField(_("start date"))
    reference_date = models.DateField(_("reference date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RoadmapStatus.choices, default=RoadmapStatus.ACTIVE
    )
    client_summary = models.TextField(
        _("message to the client"),
        blank=True,
        help_text=_("Shown at the top of the client link."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering: ClassVar[list[str]] = ["-start_date", "-id"]
        verbose_name = _("roadmap")
        verbose_name_plural = _("roadmaps")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["account", "status"], name="roadmap_account"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("roadmaps:roadmap_detail", args=[self.pk])


class RoadmapPhase(models.Model):
    """A stage of a roadmap, copied from its playbook or added by hand."""

    roadmap = models.ForeignKey(Roadmap, on_delete=models.CASCADE, related_name="phases")
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar[list[str]] = ["position", "id"]
        verbose_name = _("roadmap phase")
        verbose_name_plural = _("roadmap phases")

    def __str__(self) -> str:
        return self.name


class RoadmapItem(VersionedModel):
    """A dated step of a roadmap with its owner on our side or the client's."""

    roadmap = models.ForeignKey(Roadmap, on_delete=models.CASCADE, related_name="items")
    phase = models.ForeignKey(
        RoadmapPhase,
        verbose_name=_("phase"),
        on_delete=models.CASCADE,
        related_name="items",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ItemKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    start_on = models.DateField(_("starts"))
    due_on = models.DateField(_("due"))
    owner_side = models.CharField(
        _("owner's side"), max_length=10, choices=OwnerSide.choices, default=OwnerSide.OURS
    )
    owner_role = models.CharField(_("owner's role"), max_length=32, blank=True)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner (our side)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="roadmap_items",
    )
    owner_stakeholder = models.ForeignKey(
        Stakeholder,
        verbose_name=_("owner (client side)"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="roadmap_items",
    )
    client_facing = models.BooleanField(_("shown to the client"), default=True)
    internal_notes = models.TextField(
        _("internal notes"), blank=True, help_text=_("Never shown to the client.")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ItemStatus.choices, default=ItemStatus.PLANNED
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True, editable=False)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    # A communication step or a task on our side becomes a follow-up task in the log.
    task = models.ForeignKey(
        Task, on_delete=models.SET_NULL, null=True, blank=True, related_name="roadmap_items"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering: ClassVar[list[str]] = ["due_on", "position", "id"]
        verbose_name = _("roadmap item")
        verbose_name_plural = _("roadmap items")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["roadmap", "due_on"], name="roadmap_item_due"),
            models.Index(fields=["owner_user", "status", "due_on"], name="roadmap_item_owner"),
            models.Index(fields=["status", "due_on"], name="roadmap_item_open"),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=Q(due_on__gte=F("start_on")),
                name="%(app_label)s_%(class)s_due_after_start",
                violation_error_message=_("An item cannot be due before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("roadmaps:roadmap_detail", args=[self.roadmap_id]) + f"#item-{self.pk}"

    def clean(self) -> None:
        super().clean()
        if self.owner_role and self.owner_role not in dict(owner_role_choices(self.owner_side)):
            raise ValidationError({"owner_role": _("This role does not exist on that side.")})
        if self.owner_stakeholder_id and self.owner_side != OwnerSide.CLIENT:
            raise ValidationError({"owner_stakeholder": _("A client owner is on the client side.")})
        if self.owner_user_id and self.owner_side != OwnerSide.OURS:
            raise ValidationError({"owner_user": _("One of our people is on our side.")})

    def progress(self, today: datetime.date | None = None) -> str:
        if self.status != ItemStatus.PLANNED:
            return Progress.DONE
        today = today or timezone.localdate()
        return Progress.LATE if self.due_on < today else Progress.ON_TRACK

    @property
    def is_milestone(self) -> bool:
        return self.kind == ItemKind.MILESTONE


def hash_link_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ClientLink(models.Model):
    """A read-only link to a roadmap for the client: signed, dated, revocable, no login."""

    roadmap = models.ForeignKey(Roadmap, on_delete=models.CASCADE, related_name="client_links")
    secret_hash = models.CharField(max_length=64, unique=True)
    expires_on = models.DateField(_("expires on"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_opened_at = models.DateTimeField(_("last opened"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]
        verbose_name = _("client link")
        verbose_name_plural = _("client links")

    def __str__(self) -> str:
        return f"{self.roadmap} → {self.expires_on}"

    def is_usable(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.revoked_at is None and today <= self.expires_on


class Handoff(VersionedModel):
    """What the account executive passes on at deal close, acknowledged by the account manager."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="handoffs"
    )
    executive = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account executive"),
        on_delete=models.PROTECT,
        related_name="handoffs_given",
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.PROTECT,
        related_name="handoffs_received",
    )
    what_was_sold = models.TextField(_("what was sold"))
    client_goals = models.TextField(_("the client's goals"), blank=True)
    promises = models.TextField(
        _("promises and commitments made"),
        blank=True,
        help_text=_("One per line; each becomes a commitment in the ledger."),
    )
    risks = models.TextField(_("risks"), blank=True)
    next_steps = models.TextField(_("agreed next steps"), blank=True)
    kickoff_date = models.DateField(_("kickoff date"))
    playbook = models.ForeignKey(
        Playbook,
        verbose_name=_("onboarding playbook"),
        on_delete=models.PROTECT,
        related_name="handoffs",
    )
    roadmap = models.ForeignKey(
        Roadmap, on_delete=models.SET_NULL, null=True, blank=True, related_name="handoffs"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=HandoffStatus.choices, default=HandoffStatus.DRAFT
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, editable=False)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True, editable=False)
    acknowledgement_note = models.TextField(_("note on acknowledgement"), blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        verbose_name = _("handoff")
        verbose_name_plural = _("handoffs")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["account_manager", "status"], name="handoff_manager"),
            models.Index(fields=["executive", "status"], name="handoff_executive"),
        ]

    def __str__(self) -> str:
        return str(_("Handoff of %(account)s") % {"account": self.account})

    def get_absolute_url(self) -> str:
        return reverse("roadmaps:handoff_detail", args=[self.pk])


class Commitment(VersionedModel):
    """A promise made to the client: dated, owned, and kept through every change of hands."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="commitments"
    )
    title = models.CharField(_("promise"), max_length=300)
    details = models.TextField(_("details"), blank=True)
    due_on = models.DateField(_("due"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="commitments",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CommitmentStatus.choices, default=CommitmentStatus.OPEN
    )
    source = models.CharField(
        _("source"),
        max_length=12,
        choices=CommitmentSource.choices,
        default=CommitmentSource.DIRECT,
        editable=False,
    )
    handoff = models.ForeignKey(
        Handoff, on_delete=models.SET_NULL, null=True, blank=True, related_name="commitments"
    )
    touchpoint = models.ForeignKey(
        Touchpoint, on_delete=models.SET_NULL, null=True, blank=True, related_name="commitments"
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering: ClassVar[list[Any]] = [F("due_on").asc(nulls_last=True), "id"]
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["account", "status", "due_on"], name="commitment_account"),
            models.Index(fields=["owner", "status", "due_on"], name="commitment_owner"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("roadmaps:commitment_list") + f"?account={self.account_id}"

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return (
            self.status == CommitmentStatus.OPEN and self.due_on is not None and self.due_on < today
        )


class Reassignment(TimeStampedModel):
    """An account moved from one of our people to another; ``batch`` groups a whole book's move."""

    batch = models.UUIDField(db_index=True)
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="reassignments"
    )
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reassignments_from",
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("to"),
        on_delete=models.PROTECT,
        related_name="reassignments_to",
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        verbose_name = _("reassignment")
        verbose_name_plural = _("reassignments")

    def __str__(self) -> str:
        return f"{self.account}: {self.from_user} → {self.to_user}"

    def get_absolute_url(self) -> str:
        return reverse("roadmaps:handoff_brief", args=[self.pk])


class AutomationRun(models.Model):
    """A playbook started by the periodic job for an account and a reason: started once."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    playbook_kind = models.CharField(max_length=20, choices=PlaybookKind.choices)
    # What made it start (e.g. the contract end date): the same reason never starts it twice.
    reference_date = models.DateField(null=True, blank=True)
    roadmap = models.ForeignKey(
        Roadmap, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["account", "playbook_kind", "reference_date"],
                name="%(app_label)s_%(class)s_once",
            ),
            # NULLs are distinct in a unique index: a reason without a date needs its own.
            models.UniqueConstraint(
                fields=["account", "playbook_kind"],
                condition=Q(reference_date__isnull=True),
                name="%(app_label)s_%(class)s_once_undated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.playbook_kind} {self.reference_date}"
