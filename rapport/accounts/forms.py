"""Account and team forms; also the validators for imported rows later on."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from rapport.accounts.models import Account, TeamMember
from rapport.accounts.services import ACCOUNT_FIELDS
from rapport.core.forms import VersionedFormMixin
from rapport.core.text import search_key
from rapport.users.models import User


class AccountNameField(forms.CharField):
    """Picks an account by its exact name; a text box with suggestions scales to any book."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 200)
        super().__init__(*args, **kwargs)

    def clean(self, value: Any) -> Account | None:
        name = super().clean(value)
        if not name:
            return None
        matches = list(Account.objects.filter(search_name=search_key(name))[:2])
        if not matches:
            raise ValidationError(_("No account is named “%(name)s”."), params={"name": name})
        if len(matches) > 1:
            raise ValidationError(
                _("Several accounts are named “%(name)s”; rename one of them first."),
                params={"name": name},
            )
        return matches[0]


def active_users() -> Any:
    return User.objects.filter(is_active=True).order_by("first_name", "last_name")


class AccountForm(VersionedFormMixin, forms.ModelForm):
    parent = AccountNameField(
        label=_("Parent account"),
        required=False,
        help_text=_("Type the start of a name and pick from the suggestions."),
    )

    class Meta:
        model = Account
        fields = ACCOUNT_FIELDS
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("owner", "originating_executive"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = active_users()
        if self.instance.pk and self.instance.parent_id and not self.is_bound:
            self.initial["parent"] = self.instance.parent.name
        self.fields["parent"].widget.attrs.update(
            {
                "list": "parent-suggestions",
                "autocomplete": "off",
                "hx-get": reverse("accounts:account_suggest"),
                "hx-trigger": "input changed delay:200ms",
                "hx-target": "#parent-suggestions",
            }
        )
        self.fields["name"].widget.attrs["autofocus"] = True


class TeamMemberForm(forms.ModelForm):
    class Meta:
        model = TeamMember
        fields = ("user", "role", "start_date", "end_date", "note")
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user_field = self.fields["user"]
        assert isinstance(user_field, forms.ModelChoiceField)
        user_field.queryset = active_users()
