"""The client's people: who they are and whom they report to."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from rapport.accounts.models import Account
from rapport.core.models import SearchKeyField, VersionedModel
from rapport.core.text import search_key
from rapport.stakeholders.choices import StakeholderStatus

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
    notes = models.TextField(_("notes"), blank=True)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["search_name", "search_last_name", "updated_at"])

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
