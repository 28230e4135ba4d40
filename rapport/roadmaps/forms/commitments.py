"""The commitment form and the ledger's filter, for the page and any list that reuses it."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django import forms
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from pydantic import Field

from rapport.accounts.forms import AccountNameField
from rapport.accounts.models import Account
from rapport.communications.forms import assignable_users
from rapport.communications.models import Touchpoint
from rapport.core.api import InputSchema, RecordId
from rapport.core.forms import VersionedFormMixin
from rapport.roadmaps.choices import CommitmentSource, CommitmentStatus
from rapport.roadmaps.models import Commitment
from rapport.roadmaps.services import COMMITMENT_FIELDS, commitments_from_lines
from rapport.users.models import User

TITLE_LENGTH = 300


class CommitmentForm(VersionedFormMixin, forms.ModelForm):
    """A promise: what, by when, who keeps it; the account is fixed when the page knows it."""

    account = AccountNameField(
        label=_("Account"),
        help_text=_("Type the start of a name and pick from the suggestions."),
    )

    class Meta:
        model = Commitment
        fields = COMMITMENT_FIELDS
        widgets = {
            "due_on": forms.DateInput(attrs={"type": "date"}),
            "details": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(
        self,
        *args: Any,
        user: User,
        account: Account | None = None,
        touchpoint: Touchpoint | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        instance: Commitment = self.instance
        self.fixed_account = account or (touchpoint.account if touchpoint else None)
        if instance.pk is not None or self.fixed_account is not None:
            del self.fields["account"]
        else:
            self.fields["account"].widget.attrs.update(
                {
                    "list": "commitment-account-suggestions",
                    "autocomplete": "off",
                    "hx-get": reverse("stakeholders:account_suggest"),
                    "hx-trigger": "input changed delay:200ms",
                    "hx-target": "#commitment-account-suggestions",
                }
            )
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = assignable_users()
        owner.help_text = _("Someone who may write and still signs in.")
        if not self.is_bound and instance.pk is None:
            default = self.fixed_account.owner if self.fixed_account is not None else None
            self.initial.setdefault("owner", (default or user).pk)
            if touchpoint is not None:
                self.initial.update(prefill_from_next_steps(touchpoint.next_steps))
        self.fields["title"].widget.attrs["autofocus"] = True

    def chosen_account(self) -> Account:
        account = self.fixed_account or self.cleaned_data["account"]
        assert isinstance(account, Account)
        return account

    def commitment_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in COMMITMENT_FIELDS}


def prefill_from_next_steps(next_steps: str) -> dict[str, str]:
    """Next steps as a promise: the first one as its title, all of them as its details."""
    lines = commitments_from_lines(next_steps)
    if not lines:
        return {}
    prefill = {"title": lines[0][:TITLE_LENGTH]}
    if len(lines) > 1 or len(next_steps.strip()) > TITLE_LENGTH:
        prefill["details"] = next_steps.strip()
    return prefill


class CommitmentFilter(InputSchema):
    account: RecordId | None = Field(default=None, description="Only this account's commitments.")
    owner: Literal["me", "anyone"] | RecordId = Field(
        default="anyone", description="A user id, “me” or “anyone” (the default)."
    )
    status: CommitmentStatus | Literal["any"] = Field(
        default=CommitmentStatus.OPEN, description="A status (open by default) or “any”."
    )
    overdue: bool = Field(default=False, description="Only open commitments past their date.")
    source: CommitmentSource | None = None

    def apply(
        self, queryset: QuerySet[Commitment], *, user: User, today: datetime.date
    ) -> QuerySet[Commitment]:
        if self.account is not None:
            queryset = queryset.filter(account_id=self.account)
        if self.owner == "me":
            queryset = queryset.filter(owner=user)
        elif self.owner != "anyone":
            queryset = queryset.filter(owner_id=self.owner)
        if self.status != "any":
            queryset = queryset.filter(status=self.status)
        if self.overdue:
            queryset = queryset.filter(status=CommitmentStatus.OPEN, due_on__lt=today)
        if self.source:
            queryset = queryset.filter(source=self.source)
        return queryset

    def is_filtered(self) -> bool:
        return bool(
            self.account
            or self.owner != "anyone"
            or self.status != CommitmentStatus.OPEN
            or self.overdue
            or self.source
        )
