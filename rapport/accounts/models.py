"""Client accounts and the people of our company who work on them."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from rapport.accounts.choices import Industry, LifecycleStage, Segment, TeamRole, Tier
from rapport.core.models import (
    SearchKeyField,
    TimeStampedModel,
    VersionedModel,
    salesforce_id_field,
    salesforce_id_unique,
)
from rapport.core.text import search_key

# Deep enough for any real group structure, small enough that a corrupt chain cannot hang a save.
MAX_HIERARCHY_DEPTH = 50


class Account(VersionedModel):
    """A client company we keep and grow."""

    name = models.CharField(_("name"), max_length=200)
    search_name = SearchKeyField(max_length=200, editable=False)
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    website = models.URLField(_("website"), blank=True)
    domain = models.CharField(
        _("e-mail domain"),
        max_length=120,
        blank=True,
        db_index=True,
        help_text=_("The domain of the client's e-mail addresses, e.g. example.com."),
    )
    industry = models.CharField(_("industry"), max_length=40, choices=Industry.choices, blank=True)
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("ISO code, e.g. FR.")
    )
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices, default=Tier.GROWTH)
    segment = models.CharField(
        _("segment"), max_length=20, choices=Segment.choices, default=Segment.MID_MARKET
    )
    lifecycle_stage = models.CharField(
        _("lifecycle stage"),
        max_length=20,
        choices=LifecycleStage.choices,
        default=LifecycleStage.ONBOARDING,
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subsidiaries",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_accounts",
    )
    originating_executive = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("originating account executive"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="originated_accounts",
    )
    description = models.TextField(_("description"), blank=True)
    is_archived = models.BooleanField(_("archived"), default=False)
    # Derived from the communications log (the latest exchange with anyone at the client).
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True, editable=False)

    salesforce_id = salesforce_id_field()

    history = HistoricalRecords(
        excluded_fields=["search_name", "updated_at", "last_contact_at"],
        # Read by account alone: other indexes would only slow every change written.
        no_db_index=["parent", "owner", "originating_executive", "domain"],
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["search_name", "id"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["is_archived", "search_name"], name="account_active_name"),
            models.Index(fields=["owner", "is_archived", "search_name"], name="account_owner_name"),
            models.Index(fields=["tier", "search_name"], name="account_tier_name"),
            models.Index(fields=["lifecycle_stage", "search_name"], name="account_stage_name"),
            models.Index(fields=["search_name"], name="account_name"),
            models.Index(fields=["owner", "last_contact_at"], name="account_owner_contact"),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            salesforce_id_unique(),
            models.CheckConstraint(
                condition=~Q(parent=F("id")),
                name="%(app_label)s_%(class)s_not_own_parent",
                violation_error_message=_("An account cannot be its own parent."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("accounts:account_detail", args=[self.pk])

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_name = search_key(self.name)
        self.domain = self.domain.strip().lower()
        self.country = self.country.strip().upper()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        super().clean()
        if self.parent_id is not None:
            if self.pk is not None and self.parent_id == self.pk:
                raise ValidationError({"parent": _("An account cannot be its own parent.")})
            ancestor_id: int | None = self.parent_id
            for _depth in range(MAX_HIERARCHY_DEPTH):
                if ancestor_id is None:
                    break
                if self.pk is not None and ancestor_id == self.pk:
                    raise ValidationError(
                        {"parent": _("This parent is one of the account's own subsidiaries.")}
                    )
                ancestor_id = (
                    Account.objects.filter(pk=ancestor_id)
                    .values_list("parent_id", flat=True)
                    .first()
                )
            else:
                raise ValidationError({"parent": _("The account hierarchy is too deep.")})

    def ancestors(self) -> list[Account]:
        chain: list[Account] = []
        current = self.parent
        while current is not None and len(chain) < MAX_HIERARCHY_DEPTH:
            chain.append(current)
            current = current.parent
        return list(reversed(chain))


class TeamMemberQuerySet(models.QuerySet["TeamMember"]):
    def current(self) -> TeamMemberQuerySet:
        today = timezone.localdate()
        # The end date is the first day off the team: a membership ended today is over.
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gt=today), start_date__lte=today)


class TeamMember(TimeStampedModel):
    """One of our people on an account's team, in one role, for a period."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="team_members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="team_memberships",
    )
    role = models.CharField(_("role"), max_length=32, choices=TeamRole.choices)
    start_date = models.DateField(_("start date"), default=timezone.localdate)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    salesforce_id = salesforce_id_field()

    history = HistoricalRecords(
        excluded_fields=["updated_at"],
        # Read by account: an index per person would only slow every change written.
        no_db_index=["user"],
    )

    objects = TeamMemberQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["role", "start_date", "id"]
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["user", "end_date"], name="teammember_user_end"),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            salesforce_id_unique(),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="%(app_label)s_%(class)s_end_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
            models.UniqueConstraint(
                fields=["account", "user", "role"],
                condition=Q(end_date__isnull=True),
                name="%(app_label)s_%(class)s_one_open_membership_per_role",
                violation_error_message=_("This person already holds this role on the account."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"

    def get_absolute_url(self) -> str:
        return reverse("accounts:account_team", args=[self.account_id])

    @property
    def is_current(self) -> bool:
        today = timezone.localdate()
        return self.start_date <= today and (self.end_date is None or self.end_date > today)
