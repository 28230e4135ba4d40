"""Moving accounts: what to move and to whom, then the split account by account."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.accounts.forms import AccountNameField
from rapport.accounts.models import Account
from rapport.roadmaps.continuity import (
    Move,
    book_of,
    eligible_receivers,
    receiver_problems,
    suggest_split,
)
from rapport.users.models import User


def book_holders() -> QuerySet[User]:
    """Whoever manages at least one live account, deactivated people included."""
    return User.objects.filter(
        Exists(Account.objects.filter(owner=OuterRef("pk"), is_archived=False))
    ).order_by("first_name", "last_name", "email")


class BookHolderField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        if not obj.is_active:
            return _("%(name)s (can no longer sign in)") % {"name": obj}
        return str(obj)


class ReassignForm(forms.Form):
    """What moves (a whole book or one account), to whom, and why."""

    from_user = BookHolderField(
        label=gettext_lazy("Move the whole book of"),
        queryset=book_holders(),
        required=False,
        empty_label=gettext_lazy("—"),
        help_text=gettext_lazy("Every live account this person manages."),
    )
    account = AccountNameField(
        label=gettext_lazy("Or move one account"),
        required=False,
        help_text=gettext_lazy("The account's exact name."),
    )
    receivers = forms.ModelMultipleChoiceField(
        label=gettext_lazy("To"),
        # Every user validates, so that someone who may not hold accounts is refused with the
        # reason rather than "not a valid choice"; only those who may are offered.
        queryset=User.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("One or several people: the accounts are shared out between them."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("E.g. “Leaving the company”; the receivers see it."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from_user = self.fields["from_user"]
        assert isinstance(from_user, forms.ModelChoiceField)
        from_user.queryset = book_holders()
        self.fields["receivers"].widget.choices = [
            (user.pk, str(user)) for user in eligible_receivers()
        ]
        self.accounts: list[Account] = []

    def clean_receivers(self) -> list[User]:
        receivers = list(self.cleaned_data["receivers"])
        problems = [
            problem for receiver in receivers for problem in receiver_problems(receiver=receiver)
        ]
        if problems:
            raise forms.ValidationError(problems)
        return receivers

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        source: User | None = cleaned.get("from_user")
        account: Account | None = cleaned.get("account")
        if (source is None) == (account is None):
            raise forms.ValidationError(
                _("Choose either a person whose whole book moves, or one account.")
            )
        if source is not None:
            self.accounts = list(book_of(source).select_related("owner"))
            if not self.accounts:
                raise forms.ValidationError(
                    _("%(name)s manages no live account.") % {"name": source}
                )
        elif account is not None:
            self.accounts = [account]
        previous = source or (account.owner if account is not None else None)
        receivers = cleaned.get("receivers") or []
        if previous is not None and any(receiver.pk == previous.pk for receiver in receivers):
            self.add_error(
                "receivers",
                _("%(name)s already manages these accounts: choose other people.")
                % {"name": previous},
            )
        return cleaned


class ReassignPlanForm(forms.Form):
    """Who receives each account: the suggested split, adjusted by the manager."""

    def __init__(
        self,
        *args: Any,
        accounts: Sequence[Account],
        receivers: Sequence[User],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.accounts = list(accounts)
        self.receivers = {receiver.pk: receiver for receiver in receivers}
        suggestion = suggest_split(accounts=self.accounts, receivers=list(receivers))
        for account in self.accounts:
            choices = [
                (receiver.pk, str(receiver))
                for receiver in receivers
                if receiver.pk != account.owner_id
            ]
            suggested = suggestion.get(account.pk)
            self.fields[f"to_{account.pk}"] = forms.TypedChoiceField(
                label=account.name,
                choices=choices,
                coerce=int,
                initial=suggested.pk if suggested else None,
            )
            self.fields[f"version_{account.pk}"] = forms.IntegerField(
                widget=forms.HiddenInput, initial=account.version
            )

    def rows(self) -> list[tuple[Account, forms.BoundField]]:
        """Each account with its receiver field, in the order of the list."""
        return [(account, self[f"to_{account.pk}"]) for account in self.accounts]

    def split(self) -> list[tuple[User, int]]:
        """How many accounts each receiver gets as the form stands (suggested or as posted)."""
        counts = dict.fromkeys(self.receivers, 0)
        for account in self.accounts:
            name = f"to_{account.pk}"
            value = (
                self.cleaned_data.get(name)
                if self.is_bound and hasattr(self, "cleaned_data")
                else self[name].initial
            )
            if value in counts:
                counts[value] += 1
        return [(self.receivers[pk], count) for pk, count in counts.items()]

    def moves(self) -> list[Move]:
        return [
            Move(
                account=account,
                to_user=self.receivers[self.cleaned_data[f"to_{account.pk}"]],
                expected_version=self.cleaned_data[f"version_{account.pk}"],
            )
            for account in self.accounts
        ]
