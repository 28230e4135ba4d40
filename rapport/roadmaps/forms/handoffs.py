"""The handoff form (the deal, the account, its people), its live gate, the list's filter."""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal

from django import forms
from django.db.models import F, QuerySet
from django.forms import formset_factory
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from pydantic import Field

from rapport.accounts.choices import Segment, Tier
from rapport.accounts.forms import AccountNameField
from rapport.accounts.models import Account
from rapport.core.api import InputSchema, RecordId
from rapport.core.forms import VersionedFormMixin
from rapport.roadmaps import handoffs
from rapport.roadmaps.choices import HandoffStatus
from rapport.roadmaps.models import Handoff
from rapport.stakeholders.choices import DecisionRole
from rapport.stakeholders.models import Stakeholder
from rapport.users.choices import Role
from rapport.users.models import User
from rapport.users.rules import is_manager_of_the_book

# What the form's buttons ask for.
SAVE_DRAFT = "draft"
SUBMIT = "submit"
MORE_ROWS = "more"
NEW_PEOPLE_ROWS = 3
MAX_NEW_PEOPLE = 50
# A handoff names the few people of a new client; a map larger than this is edited on the map.
KNOWN_PEOPLE_LIMIT = 60


def _role_choices() -> list[tuple[str, Any]]:
    return list(DecisionRole.choices)


class HandoffForm(VersionedFormMixin, forms.ModelForm):
    """The deal and the start: the account is an existing one or a new one named here."""

    account = AccountNameField(
        label=_("Existing account"),
        required=False,
        help_text=_(
            "Type the start of its name and pick from the suggestions; leave empty to create "
            "a new account below."
        ),
    )
    name = forms.CharField(label=_("New account's name"), max_length=200, required=False)
    tier = forms.ChoiceField(label=_("Tier"), choices=Tier.choices, initial=Tier.GROWTH)
    segment = forms.ChoiceField(
        label=_("Segment"), choices=Segment.choices, initial=Segment.MID_MARKET
    )
    domain = forms.CharField(
        label=_("E-mail domain"),
        max_length=120,
        required=False,
        help_text=_("The domain of the client's e-mail addresses, e.g. example.com."),
    )

    class Meta:
        model = Handoff
        fields = handoffs.HANDOFF_FIELDS
        widgets = {
            "kickoff_date": forms.DateInput(attrs={"type": "date"}),
            "what_was_sold": forms.Textarea(attrs={"rows": 3}),
            "client_goals": forms.Textarea(attrs={"rows": 3}),
            "promises": forms.Textarea(attrs={"rows": 4}),
            "risks": forms.Textarea(attrs={"rows": 3}),
            "next_steps": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        instance: Handoff = self.instance
        if instance.pk is not None and not self.is_bound:
            self.initial["account"] = instance.account.name
        manager = self.fields["account_manager"]
        assert isinstance(manager, forms.ModelChoiceField)
        manager.queryset = handoffs.handoff_account_managers()
        manager.label = _("Account manager")
        playbook = self.fields["playbook"]
        assert isinstance(playbook, forms.ModelChoiceField)
        playbook.queryset = handoffs.onboarding_playbooks()
        if is_manager_of_the_book.test(user):
            executive = self.fields["executive"]
            assert isinstance(executive, forms.ModelChoiceField)
            executive.queryset = handoffs.handoff_executives() | User.objects.filter(pk=user.pk)
            self.initial.setdefault("executive", instance.executive_id or user.pk)
        else:
            del self.fields["executive"]
        self.fields["account"].widget.attrs.update(
            {
                "list": "handoff-account-suggestions",
                "autocomplete": "off",
                "hx-get": reverse("stakeholders:account_suggest"),
                "hx-trigger": "input changed delay:200ms",
                "hx-target": "#handoff-account-suggestions",
            }
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "account" in self.errors:
            return cleaned
        if cleaned.get("account") is None and not (cleaned.get("name") or "").strip():
            self.add_error("name", _("Choose an existing account or name the new one."))
        if cleaned.get("account") is not None and (cleaned.get("name") or "").strip():
            self.add_error(
                "name",
                _("An existing account is chosen: leave the new account's name empty."),
            )
        return cleaned

    def chosen_account(self) -> Account | None:
        """The existing account the posted form names, even if other fields are wrong."""
        self.is_valid()
        if "account" in self.errors:
            return None
        account: Account | None = self.cleaned_data.get("account")
        return account

    def handoff_data(self) -> dict[str, Any]:
        data = {
            name: self.cleaned_data[name] for name in handoffs.HANDOFF_FIELDS if name in self.fields
        }
        data.setdefault("executive", self.instance.executive if self.instance.pk else self.user)
        return data

    def new_account(self) -> dict[str, Any] | None:
        if self.cleaned_data.get("account") is not None:
            return None
        return {name: self.cleaned_data[name] for name in handoffs.NEW_ACCOUNT_FIELDS}


class KnownPeopleForm(forms.Form):
    """The decision roles of the account's people already on the map, one set per person.

    ``people_of`` says whose people the boxes were drawn for: unticked boxes are not posted,
    so roles are only taken from a form drawn for the account that is saved.
    """

    people_of = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, account: Account | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        self.people: list[Stakeholder] = []
        if account is None or account.pk is None:
            return
        self.people = list(handoffs.gate_people(account)[:KNOWN_PEOPLE_LIMIT])
        self.initial["people_of"] = account.pk
        for person in self.people:
            self.fields[self.field_name(person)] = forms.MultipleChoiceField(
                label=person.full_name,
                choices=_role_choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                initial=list(person.decision_roles),
            )

    @staticmethod
    def field_name(person: Stakeholder) -> str:
        return f"roles_{person.pk}"

    def rows(self) -> list[tuple[Stakeholder, forms.BoundField]]:
        return [(person, self[self.field_name(person)]) for person in self.people]

    @property
    def drawn_for_account(self) -> bool:
        return (
            self.account is not None
            and self.is_bound
            and self.is_valid()
            and self.cleaned_data.get("people_of") == self.account.pk
        )

    def role_changes(self) -> dict[int, list[str]]:
        """The roles each person should hold, when the boxes were drawn for this account."""
        if not self.drawn_for_account:
            return {}
        return {
            person.pk: list(self.cleaned_data.get(self.field_name(person)) or [])
            for person in self.people
        }


class NewPersonForm(forms.Form):
    """A client person to add to the map, with their decision roles."""

    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    title = forms.CharField(label=_("Job title"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    decision_roles = forms.MultipleChoiceField(
        label=_("Decision roles"),
        choices=_role_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


NewPeopleFormSet = formset_factory(NewPersonForm, extra=NEW_PEOPLE_ROWS, max_num=MAX_NEW_PEOPLE)


class HandoffSheet:
    """The three parts of the handoff page, read and checked together."""

    def __init__(
        self,
        data: QueryDict | None,
        *,
        user: User,
        handoff: Handoff | None = None,
        account: Account | None = None,
    ) -> None:
        self.data = data
        self.user = user
        self.handoff = handoff
        initial = {"account": account.name} if account is not None and data is None else None
        self.form = HandoffForm(data, instance=handoff, user=user, initial=initial)
        if data is not None:
            self.account = self.form.chosen_account()
        else:
            self.account = account or (handoff.account if handoff is not None else None)
        self.people = KnownPeopleForm(data, account=self.account, prefix="known")
        if data is not None and not self.people.drawn_for_account:
            # The boxes posted were drawn for another account (or none): show this one's as
            # they stand rather than every box unticked.
            self.people = KnownPeopleForm(None, account=self.account, prefix="known")
        self.new_people = NewPeopleFormSet(data, prefix="people")
        if data is not None and self.action == MORE_ROWS:
            self.new_people = self._with_more_rows(data)

    @property
    def action(self) -> str:
        if self.data is None:
            return SAVE_DRAFT
        return str(self.data.get("action", SAVE_DRAFT))

    def _with_more_rows(self, data: QueryDict) -> Any:
        """The same rows and a few empty ones more: posted again, nothing saved."""
        copy = data.copy()
        key = "people-TOTAL_FORMS"
        total = copy.get(key, "")
        rows = int(total) if total.isdigit() else NEW_PEOPLE_ROWS
        copy[key] = str(min(rows + NEW_PEOPLE_ROWS, MAX_NEW_PEOPLE))
        formset = NewPeopleFormSet(copy, prefix="people")
        # Nothing is saved: the page is drawn again as typed, without errors that are only noise.
        for form in [self.form, self.people, *formset.forms]:
            form.is_valid()
            form.errors.clear()
        return formset

    def is_valid(self) -> bool:
        people_valid = not self.people.is_bound or self.people.is_valid()
        valid = [self.form.is_valid(), people_valid, self.new_people.is_valid()]
        return all(valid)

    def added_people(self) -> list[dict[str, Any]]:
        return [
            form.cleaned_data
            for form in self.new_people.forms
            if form.is_valid() and form.cleaned_data.get("first_name")
        ]

    def service_arguments(self) -> dict[str, Any]:
        return {
            "handoff": self.handoff,
            "account": self.form.cleaned_data.get("account"),
            "new_account": self.form.new_account(),
            "data": self.form.handoff_data(),
            "new_people": self.added_people(),
            "role_changes": self.people.role_changes(),
            "submit": self.action == SUBMIT,
            "expected_version": self.form.expected_version,
        }

    @cached_property
    def gate(self) -> handoffs.HandoffGate:
        """The gate as the page stands: the map's people with the form's changes, unsaved."""
        if self.data is None:
            goals = self.handoff.client_goals if self.handoff is not None else ""
            return handoffs.handoff_gate(account=self.account, client_goals=goals)
        self.people.is_valid()
        return handoffs.handoff_gate(
            account=self.account,
            client_goals=self.data.get("client_goals", ""),
            role_changes=self.people.role_changes(),
            new_people=[person.get("decision_roles") or [] for person in self.added_people()],
        )


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the account executive"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional: questions, or what you will do first."),
    )


class HandoffBox:
    TO_ME = "to_me"
    BY_ME = "by_me"
    ALL = "all"


class HandoffFilter(InputSchema):
    box: Literal["to_me", "by_me", "all"] | None = Field(
        default=None,
        description="Handoffs to me, given by me, or all of them (managers of the book).",
    )
    status: Literal["pending", "acknowledged", "draft", "any"] = Field(
        default="pending", description="Waiting for acknowledgement (the default), or another."
    )
    account: RecordId | None = Field(default=None, description="Only this account's handoffs.")

    def box_for(self, user: User) -> str:
        """The box asked for, or the reader's natural one; "all" is for managers of the book."""
        manager = is_manager_of_the_book.test(user)
        if (self.box == HandoffBox.ALL and manager) or self.box in (
            HandoffBox.TO_ME,
            HandoffBox.BY_ME,
        ):
            return str(self.box)
        if manager:
            return HandoffBox.ALL
        if user.role == Role.ACCOUNT_EXECUTIVE:
            return HandoffBox.BY_ME
        return HandoffBox.TO_ME

    def apply(self, queryset: QuerySet[Handoff], *, user: User) -> QuerySet[Handoff]:
        box = self.box_for(user)
        if box == HandoffBox.TO_ME:
            queryset = queryset.filter(account_manager=user)
        elif box == HandoffBox.BY_ME:
            queryset = queryset.filter(executive=user)
        if self.account is not None:
            queryset = queryset.filter(account_id=self.account)
        statuses = {
            "pending": HandoffStatus.SUBMITTED,
            "acknowledged": HandoffStatus.ACKNOWLEDGED,
            "draft": HandoffStatus.DRAFT,
        }
        if self.status in statuses:
            queryset = queryset.filter(status=statuses[self.status])
        if self.status == "pending":
            # The longest waiting first: they are the most urgent.
            return queryset.order_by("submitted_at", "id")
        if self.status == "acknowledged":
            return queryset.order_by(F("acknowledged_at").desc(nulls_last=True), "-id")
        return queryset.order_by("-created_at", "-id")

    def is_filtered(self) -> bool:
        return bool(self.box or self.status != "pending" or self.account)
