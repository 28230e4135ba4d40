"""The client's people: who they are and whom they report to."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from rapport.accounts.models import Account
from rapport.core.models import (
    ChoiceSetField,
    SearchKeyField,
    TimeStampedModel,
    VersionedModel,
    salesforce_id_field,
    salesforce_id_unique,
)
from rapport.core.text import search_key
from rapport.stakeholders.choices import (
    DecisionRole,
    Influence,
    RelationshipKind,
    StakeholderStatus,
    Stance,
)

# No real organisation is this deep; the bound keeps a corrupt chain from hanging a save.
MAX_REPORTING_DEPTH = 100


class StakeholderQuerySet(models.QuerySet["Stakeholder"]):
    def alive(self) -> StakeholderQuerySet:
        return self.filter(deleted_at__isnull=True)

    def in_trash(self) -> StakeholderQuerySet:
        return self.filter(deleted_at__isnull=False)


class ActiveStakeholderManager(models.Manager["Stakeholder"]):
    """The default manager hides stakeholders in the trash."""

    def get_queryset(self) -> StakeholderQuerySet:
        return StakeholderQuerySet(self.model, using=self._db).alive()


class Stakeholder(VersionedModel):
    """A person at the client: a name on the account map."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="stakeholders"
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    search_name = SearchKeyField(max_length=201, editable=False)
    search_last_name = SearchKeyField(max_length=100, editable=False)
    title = models.CharField(_("job title"), max_length=150, blank=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    profile_url = models.URLField(_("profile URL"), blank=True)
    reports_to = models.ForeignKey(
        "self",
        verbose_name=_("reports to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="direct_reports",
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=StakeholderStatus.choices,
        default=StakeholderStatus.ACTIVE,
    )
    left_on = models.DateField(_("left on"), null=True, blank=True)
    decision_roles = ChoiceSetField(_("decision roles"), options=DecisionRole)
    stance = models.CharField(
        _("stance toward us"),
        max_length=12,
        choices=Stance.choices,
        blank=True,
        help_text=_("Leave empty while unknown."),
    )
    influence = models.CharField(
        _("influence"), max_length=8, choices=Influence.choices, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    is_placeholder = models.BooleanField(
        _("placeholder"),
        default=False,
        help_text=_("A person still to identify, put on the map to show a role nobody fills."),
    )
    # Derived from the communications log: the latest exchange this person took part in.
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True, editable=False)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    salesforce_id = salesforce_id_field()

    history = HistoricalRecords(
        excluded_fields=["search_name", "search_last_name", "updated_at", "last_contact_at"],
        # Read by person and account: other indexes would only slow every change written.
        no_db_index=["reports_to", "deleted_by"],
    )

    objects = ActiveStakeholderManager()
    all_objects = StakeholderQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["search_last_name", "search_name", "id"]
        base_manager_name = "all_objects"
        default_manager_name = "objects"
        verbose_name = _("stakeholder")
        verbose_name_plural = _("stakeholders")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["account", "deleted_at", "search_last_name"],
                name="stakeholder_account_name",
            ),
            models.Index(fields=["search_name"], name="stakeholder_name"),
            # Many people share a last name: the first name in the key keeps the order in the index.
            models.Index(fields=["search_last_name", "search_name"], name="stakeholder_full_name"),
            models.Index(fields=["email"], name="stakeholder_email"),
            # E-mail keeps its linguistic collation; this index serves its prefix search.
            models.Index(
                fields=["email"], name="stakeholder_email_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            salesforce_id_unique(),
            models.CheckConstraint(
                condition=~Q(reports_to=F("id")),
                name="%(app_label)s_%(class)s_not_own_manager",
                violation_error_message=_("A person cannot report to themselves."),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return reverse("stakeholders:stakeholder_detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def initials(self) -> str:
        return (self.first_name[:1] + self.last_name[:1]).upper()

    @property
    def role_labels(self) -> list[str]:
        field = self._meta.get_field("decision_roles")
        assert isinstance(field, ChoiceSetField)
        return field.labels(self.decision_roles)

    def has_role(self, role: str) -> bool:
        return role in self.decision_roles

    @property
    def has_left(self) -> bool:
        return self.status == StakeholderStatus.LEFT

    @property
    def in_trash(self) -> bool:
        return self.deleted_at is not None

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_name = search_key(self.full_name)
        self.search_last_name = search_key(self.last_name)
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self) -> None:
        super().clean()
        if self.status == StakeholderStatus.ACTIVE:
            self.left_on = None
        if self.reports_to_id is None:
            return
        manager = (
            Stakeholder.all_objects.filter(pk=self.reports_to_id)
            .values("account_id", "reports_to_id")
            .first()
        )
        if manager is None:
            raise ValidationError({"reports_to": _("This person does not exist.")})
        if manager["account_id"] != self.account_id:
            raise ValidationError(
                {"reports_to": _("A person can only report to someone of the same account.")}
            )
        if self.pk is not None and self.reports_to_id == self.pk:
            raise ValidationError({"reports_to": _("A person cannot report to themselves.")})
        ancestor_id: int | None = manager["reports_to_id"]
        for _depth in range(MAX_REPORTING_DEPTH):
            if ancestor_id is None:
                return
            if self.pk is not None and ancestor_id == self.pk:
                raise ValidationError(
                    {
                        "reports_to": _(
                            "This would make a loop: %(manager)s already reports, "
                            "directly or not, to this person."
                        )
                        % {"manager": self.reports_to}
                    }
                )
            ancestor_id = (
                Stakeholder.all_objects.filter(pk=ancestor_id)
                .values_list("reports_to_id", flat=True)
                .first()
            )
        raise ValidationError({"reports_to": _("The reporting chain is too long.")})


class RelationshipOwner(TimeStampedModel):
    """One of our people who owns the relationship with a stakeholder."""

    stakeholder = models.ForeignKey(
        Stakeholder,
        verbose_name=_("stakeholder"),
        on_delete=models.CASCADE,
        related_name="relationship_owners",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner on our side"),
        on_delete=models.PROTECT,
        related_name="owned_relationships",
    )
    strength = models.PositiveSmallIntegerField(
        _("strength"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("0 to 100; empty while unknown. Later computed from logged exchanges."),
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering: ClassVar[list[str]] = ["stakeholder_id", "id"]
        verbose_name = _("relationship owner")
        verbose_name_plural = _("relationship owners")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["stakeholder", "user"],
                name="%(app_label)s_%(class)s_once_per_person",
                violation_error_message=_("This person already owns this relationship."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.stakeholder}"


class StakeholderRelationship(TimeStampedModel):
    """A tie between two people of the same account, beyond the reporting line."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="relationships"
    )
    source = models.ForeignKey(
        Stakeholder,
        verbose_name=_("from"),
        on_delete=models.CASCADE,
        related_name="relationships_out",
    )
    target = models.ForeignKey(
        Stakeholder, verbose_name=_("to"), on_delete=models.CASCADE, related_name="relationships_in"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RelationshipKind.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering: ClassVar[list[str]] = ["account_id", "id"]
        verbose_name = _("relationship")
        verbose_name_plural = _("relationships")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=~Q(source=F("target")),
                name="%(app_label)s_%(class)s_two_people",
                violation_error_message=_("A relationship links two different people."),
            ),
            models.UniqueConstraint(
                fields=["source", "target", "kind"],
                name="%(app_label)s_%(class)s_once",
                violation_error_message=_("This relationship is already recorded."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} — {self.get_kind_display()} — {self.target}"

    def clean(self) -> None:
        super().clean()
        if self.source_id is None or self.target_id is None:
            return
        accounts = set(
            Stakeholder.all_objects.filter(pk__in=[self.source_id, self.target_id]).values_list(
                "account_id", flat=True
            )
        )
        if len(accounts) != 1:
            raise ValidationError({"target": _("Both people must belong to the same account.")})
        self.account_id = accounts.pop()


class AccountLink(TimeStampedModel):
    """A stakeholder's tie to an account other than their own (a holding, a subsidiary)."""

    stakeholder = models.ForeignKey(
        Stakeholder,
        verbose_name=_("stakeholder"),
        on_delete=models.CASCADE,
        related_name="account_links",
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="linked_stakeholders",
    )
    role = models.CharField(_("role there"), max_length=150, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)

    salesforce_id = salesforce_id_field()

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering: ClassVar[list[str]] = ["stakeholder_id", "start_date", "id"]
        verbose_name = _("account link")
        verbose_name_plural = _("account links")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            salesforce_id_unique(),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="%(app_label)s_%(class)s_end_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stakeholder} @ {self.account}"

    def clean(self) -> None:
        super().clean()
        if self.stakeholder_id and self.account_id:
            own = (
                Stakeholder.all_objects.filter(pk=self.stakeholder_id)
                .values_list("account_id", flat=True)
                .first()
            )
            if own == self.account_id:
                raise ValidationError({"account": _("This is the person's own account already.")})


class JobPosition(TimeStampedModel):
    """A step in a stakeholder's career: where they worked, as what, when."""

    stakeholder = models.ForeignKey(
        Stakeholder,
        verbose_name=_("stakeholder"),
        on_delete=models.CASCADE,
        related_name="positions",
    )
    company = models.CharField(_("company"), max_length=200)
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("When the company is one of our accounts."),
    )
    title = models.CharField(_("job title"), max_length=150, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    is_opportunity = models.BooleanField(
        _("opportunity"),
        default=False,
        help_text=_("A friend of ours arrived at a company that is, or could be, an account."),
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering: ClassVar[list[str]] = ["stakeholder_id", "-start_date", "-id"]
        verbose_name = _("job position")
        verbose_name_plural = _("job positions")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="%(app_label)s_%(class)s_end_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} @ {self.company}".strip()
