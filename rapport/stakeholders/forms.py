"""Stakeholder forms; also the validators for imported rows later on."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.accounts.forms import AccountNameField, active_users
from rapport.accounts.models import Account
from rapport.core.forms import VersionedFormMixin
from rapport.stakeholders.models import (
    AccountLink,
    JobPosition,
    RelationshipOwner,
    Stakeholder,
    StakeholderRelationship,
)
from rapport.stakeholders.selectors import stakeholder_choices
from rapport.stakeholders.services import STAKEHOLDER_FIELDS


class StakeholderForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Stakeholder
        fields = STAKEHOLDER_FIELDS
        widgets = {
            "left_on": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.account = account
        exclude = self.instance if self.instance.pk else None
        reports_to = self.fields["reports_to"]
        assert isinstance(reports_to, forms.ModelChoiceField)
        reports_to.queryset = stakeholder_choices(account=account, exclude=exclude)
        self.fields["first_name"].widget.attrs["autofocus"] = True


def _suggest_accounts(field: forms.Field, datalist: str) -> None:
    """Offer account names as the user types, from the account suggestions endpoint."""
    field.widget.attrs.update(
        {
            "list": datalist,
            "autocomplete": "off",
            "hx-get": reverse("stakeholders:account_suggest"),
            "hx-trigger": "input changed delay:200ms",
            "hx-target": f"#{datalist}",
        }
    )


class RelationshipOwnerForm(forms.ModelForm):
    class Meta:
        model = RelationshipOwner
        fields = ("user", "strength")
        widgets = {"strength": forms.NumberInput(attrs={"min": 0, "max": 100})}

    def __init__(self, *args: Any, stakeholder: Stakeholder, **kwargs: Any) -> None:
        kwargs.setdefault("instance", RelationshipOwner(stakeholder=stakeholder))
        # Several cards' forms share the person's page: their ids must not collide.
        kwargs.setdefault("auto_id", "owner_%s")
        super().__init__(*args, **kwargs)
        user = self.fields["user"]
        assert isinstance(user, forms.ModelChoiceField)
        user.queryset = active_users().exclude(owned_relationships__stakeholder=stakeholder)


class OwnerStrengthForm(forms.Form):
    strength = forms.IntegerField(
        label=_("Strength"),
        required=False,
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={"min": 0, "max": 100}),
    )


class StakeholderRelationshipForm(forms.ModelForm):
    class Meta:
        model = StakeholderRelationship
        fields = ("kind", "target", "note")
        labels = {"kind": _("This person"), "target": _("Whom")}

    def __init__(self, *args: Any, stakeholder: Stakeholder, **kwargs: Any) -> None:
        kwargs.setdefault(
            "instance", StakeholderRelationship(source=stakeholder, account=stakeholder.account)
        )
        kwargs.setdefault("auto_id", "relationship_%s")
        super().__init__(*args, **kwargs)
        target = self.fields["target"]
        assert isinstance(target, forms.ModelChoiceField)
        target.queryset = stakeholder_choices(account=stakeholder.account, exclude=stakeholder)


class AccountLinkForm(forms.ModelForm):
    account = AccountNameField(
        label=_("Account"), help_text=_("Type the start of a name and pick from the suggestions.")
    )

    class Meta:
        model = AccountLink
        fields = ("account", "role", "start_date", "end_date")
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, stakeholder: Stakeholder, **kwargs: Any) -> None:
        kwargs.setdefault("instance", AccountLink(stakeholder=stakeholder))
        kwargs.setdefault("auto_id", "link_%s")
        super().__init__(*args, **kwargs)
        _suggest_accounts(self.fields["account"], "link-account-suggestions")


class JobPositionForm(forms.ModelForm):
    account = AccountNameField(
        label=_("Account"),
        required=False,
        help_text=_("When the company is one of our accounts."),
    )

    class Meta:
        model = JobPosition
        fields = ("company", "account", "title", "start_date", "end_date")
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, stakeholder: Stakeholder, **kwargs: Any) -> None:
        kwargs.setdefault("instance", JobPosition(stakeholder=stakeholder))
        kwargs.setdefault("auto_id", "position_%s")
        super().__init__(*args, **kwargs)
        # The account's name stands for the company when only the account is given.
        self.fields["company"].required = False
        _suggest_accounts(self.fields["account"], "position-account-suggestions")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        account = cleaned.get("account")
        if not cleaned.get("company") and account is not None:
            cleaned["company"] = account.name
            self.instance.company = account.name
        if not cleaned.get("company") and "account" not in self.errors:
            self.add_error("company", _("Name the company, or pick one of our accounts."))
        return cleaned


class StakeholderMoveForm(forms.Form):
    company = forms.CharField(
        label=_("New company"),
        max_length=200,
        required=False,
        help_text=_("Leave empty when you pick one of our accounts."),
    )
    account = AccountNameField(
        label=_("Account"),
        required=False,
        help_text=_("When the new company is one of our accounts: they are added to its people."),
    )
    title = forms.CharField(label=_("New job title"), max_length=150, required=False)
    date = forms.DateField(
        label=_("Date of the move"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate
        _suggest_accounts(self.fields["account"], "move-account-suggestions")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        missing = not cleaned.get("company") and cleaned.get("account") is None
        if missing and "account" not in self.errors:
            self.add_error("company", _("Name the company, or pick one of our accounts."))
        return cleaned
