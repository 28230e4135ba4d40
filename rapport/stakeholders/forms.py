"""Stakeholder forms; also the validators for imported rows later on."""

from __future__ import annotations

from typing import Any

from django import forms

from rapport.accounts.models import Account
from rapport.core.forms import VersionedFormMixin
from rapport.stakeholders.models import Stakeholder
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
