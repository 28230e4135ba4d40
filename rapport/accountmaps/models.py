"""What the account maps app stores: each account's relationship risk and coverage, derived."""

from __future__ import annotations

from typing import ClassVar

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rapport.accountmaps.choices import RiskFlag
from rapport.accounts.models import Account
from rapport.core.models import ChoiceSetField


class AccountMapSummary(models.Model):
    """An account's coverage and risk flags; no history: derived, it is recomputed at will."""

    # The account is the key: one summary per account, and the list joins on the primary key.
    account = models.OneToOneField(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="map_summary",
    )
    coverage = models.PositiveSmallIntegerField(
        _("coverage"),
        default=0,
        db_index=True,
        validators=[MaxValueValidator(100)],
        help_text=_("0 to 100: 25 points for each key role held by someone we have a link to."),
    )
    risk_flags = ChoiceSetField(_("relationship risks"), options=RiskFlag)
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("account map summary")
        verbose_name_plural = _("account map summaries")
        indexes: ClassVar[list[models.Index]] = [
            # Every column the account list reads: SQLite looks a summary up for each account
            # when the list is sorted by coverage, and one search in this index replaces a
            # search in the key's index then another in the table (a third of the page's time).
            models.Index(
                fields=["account", "coverage", "risk_flags", "computed_at"],
                name="mapsummary_list_columns",
            ),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=Q(coverage__lte=100),
                name="%(app_label)s_%(class)s_coverage_at_most_100",
                violation_error_message=_("Coverage is a score out of 100."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.coverage}"

    @property
    def flag_choices(self) -> list[tuple[str, str]]:
        """Each flag with its label, for badges."""
        names = dict(RiskFlag.choices)
        return [(flag, str(names.get(flag, flag))) for flag in self.risk_flags]
