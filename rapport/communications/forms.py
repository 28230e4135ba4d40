"""Forms of the log: touchpoints (full and quick), follow-up tasks, the timeline's filter."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from rapport.accounts.forms import AccountNameField, active_users
from rapport.accounts.models import Account
from rapport.communications import timeline
from rapport.communications.choices import Sentiment, TouchpointKind
from rapport.communications.models import Task, Touchpoint
from rapport.communications.selectors import my_accounts
from rapport.communications.services import TOUCHPOINT_FIELDS
from rapport.core.forms import PlainSelect, VersionedFormMixin
from rapport.stakeholders.models import Stakeholder
from rapport.users.choices import Role
from rapport.users.models import User

# How many of an account's latest touchpoints a task can be linked to from its form.
TOUCHPOINT_CHOICES = 20
DATETIME_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def assignable_users() -> QuerySet[User]:
    """Who may be given a task: people who sign in and may write."""
    return active_users().exclude(role=Role.READ_ONLY, is_superuser=False)


def person_label(person: Stakeholder) -> str:
    return f"{person.full_name} — {person.title}" if person.title else person.full_name


class ParticipantIdsField(forms.MultipleChoiceField):
    """Client people ticked in a form; the form checks they belong to its account.

    The choices only draw the checkboxes: any id passes here, so that the form can refuse a
    person of another account by name instead of with a bare "not a valid choice".
    """

    widget = forms.CheckboxSelectMultiple

    def valid_value(self, value: Any) -> bool:
        return str(value).isdigit()

    def to_python(self, value: Any) -> list[int]:  # type: ignore[override]
        return [int(item) for item in super().to_python(value) if str(item).isdigit()]


def resolve_participants(account: Account, ids: Iterable[int]) -> list[Stakeholder]:
    """The account's people with these ids; anyone else is refused with their name."""
    wanted = set(ids)
    if not wanted:
        return []
    found = list(Stakeholder.all_objects.filter(pk__in=wanted))
    unknown = wanted - {person.pk for person in found}
    strangers = [person for person in found if person.account_id != account.pk]
    trashed = [person for person in found if person.in_trash and person not in strangers]
    if strangers:
        names = ", ".join(sorted(person.full_name for person in strangers))
        raise ValidationError(
            ngettext(
                "%(names)s is not one of %(account)s’s people.",
                "%(names)s are not %(account)s’s people.",
                len(strangers),
            )
            % {"names": names, "account": account.name}
        )
    if trashed:
        names = ", ".join(sorted(person.full_name for person in trashed))
        raise ValidationError(_("%(names)s is in the trash.") % {"names": names})
    if unknown:
        raise ValidationError(_("Some of the people chosen no longer exist. Reload the page."))
    return sorted(found, key=lambda person: (person.last_name, person.first_name, person.pk))


def _people_choices(account: Account, keep: Iterable[int] = ()) -> Any:
    """The account's people as checkbox choices, read only when the boxes are drawn."""

    def choices() -> list[tuple[int, str]]:
        people = Stakeholder.objects.filter(Q(account=account) | Q(pk__in=list(keep)))
        return [(person.pk, person_label(person)) for person in people]

    return choices


def _datetime_field(*, required: bool, label: Any, help_text: Any = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT_FORMAT),
    )


def _sentiment_choices() -> list[tuple[str, Any]]:
    return [("", _("Not recorded")), *Sentiment.choices]


class TouchpointForm(VersionedFormMixin, forms.ModelForm):
    """Every field of a touchpoint, its participants and, when new, a follow-up task."""

    occurred_at = _datetime_field(required=True, label=_("Date and time"))
    stakeholders = ParticipantIdsField(label=_("Their people"), required=False)
    users = forms.ModelMultipleChoiceField(
        label=_("Our people"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    follow_up_title = forms.CharField(
        label=_("Follow-up task"),
        max_length=200,
        required=False,
        help_text=_("Optional: a task for you, linked to this touchpoint."),
    )
    follow_up_due_on = forms.DateField(
        label=_("Follow-up due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = Touchpoint
        fields = TOUCHPOINT_FIELDS
        widgets = {
            "duration_minutes": forms.NumberInput(attrs={"min": 0, "step": 5}),
            "notes": forms.Textarea(attrs={"rows": 8}),
            "next_steps": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, account: Account, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        current_people: list[int] = []
        current_users: list[int] = []
        if self.instance.pk:
            current_people = [person.pk for person in self.instance.stakeholders.all()]
            current_users = [member.pk for member in self.instance.users.all()]
            if not self.is_bound:
                self.initial["stakeholders"] = current_people
                self.initial["users"] = current_users
            # Follow-ups of an existing touchpoint are added from its page.
            del self.fields["follow_up_title"]
            del self.fields["follow_up_due_on"]
        elif not self.is_bound:
            self.initial.setdefault("occurred_at", timezone.now().replace(second=0, microsecond=0))
            self.initial.setdefault("users", [user.pk])
            self.initial.setdefault("kind", TouchpointKind.CALL)
        self.fields["stakeholders"].choices = _people_choices(  # type: ignore[attr-defined]
            account, current_people
        )
        users_field = self.fields["users"]
        assert isinstance(users_field, forms.ModelMultipleChoiceField)
        # Someone who left still took part in the touchpoints they were in.
        users_field.queryset = User.objects.filter(
            Q(is_active=True) | Q(pk__in=current_users)
        ).order_by("first_name", "last_name")
        self.fields["sentiment"].choices = _sentiment_choices()  # type: ignore[attr-defined]
        self.fields["subject"].widget.attrs["autofocus"] = True
        self.order_fields(
            ["kind", "occurred_at", "duration_minutes", "subject", "stakeholders", "users"]
        )

    def clean_stakeholders(self) -> list[Stakeholder]:
        return resolve_participants(self.account, self.cleaned_data.get("stakeholders") or [])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("follow_up_due_on") and not cleaned.get("follow_up_title"):
            self.add_error("follow_up_title", _("Give the follow-up task a title."))
        return cleaned

    def touchpoint_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in TOUCHPOINT_FIELDS}

    def follow_up(self) -> dict[str, Any] | None:
        title = self.cleaned_data.get("follow_up_title")
        if not title:
            return None
        return {"title": title, "due_on": self.cleaned_data.get("follow_up_due_on")}


class AccountPickForm(forms.Form):
    """The first step of logging from nowhere in particular: which account."""

    q = AccountNameField(
        label=_("Account"), help_text=_("Type the start of a name and pick from the suggestions.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update(
            {
                "list": "pick-account-suggestions",
                "autocomplete": "off",
                "autofocus": True,
                "hx-get": reverse("accounts:account_suggest"),
                "hx-trigger": "input changed delay:200ms",
                "hx-target": "#pick-account-suggestions",
            }
        )


class QuickLogForm(forms.Form):
    """Log an exchange in seconds: an account (unless the page fixes it), a kind, a subject.

    Everything else is optional and folded away. The client people of the account are drawn
    only once the account is known; the page fetches them when the extras are opened or the
    account is chosen.
    """

    kind = forms.ChoiceField(label=_("Kind"), choices=TouchpointKind.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    occurred_at = _datetime_field(
        required=False, label=_("Date and time"), help_text=_("Leave empty for now.")
    )
    stakeholders = ParticipantIdsField(label=_("Their people"), required=False)
    sentiment = forms.ChoiceField(label=_("Sentiment"), required=False)
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Markdown is welcome."),
    )
    next_steps = forms.CharField(
        label=_("Next steps"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self, data: Any = None, *, user: User, account: Account | None = None, **kwargs: Any
    ) -> None:
        # The form shares pages with others (the today view, the 360° page): its own ids.
        kwargs.setdefault("auto_id", "quick-log-%s")
        super().__init__(data, **kwargs)
        self.user = user
        self.fixed_account = account
        self.can_log = user.has_perm("communications.add_touchpoint")
        if account is None:
            self.fields["account"] = forms.ModelChoiceField(
                label=_("Account"),
                queryset=my_accounts(user=user).only("id", "name").order_by("search_name", "id"),
                empty_label=_("Choose an account"),
                widget=PlainSelect,
            )
            # Choosing the account fetches its people into the folded extras.
            self.fields["account"].widget.attrs.update(
                {
                    "hx-get": reverse("communications:quick_log"),
                    "hx-trigger": "change",
                    "hx-target": "#quick-log-people",
                    "hx-swap": "innerHTML",
                }
            )
            self.order_fields(["account", "kind", "subject"])
        self.fields["kind"].initial = TouchpointKind.CALL
        self.fields["sentiment"].choices = _sentiment_choices()  # type: ignore[attr-defined]
        self.fields["subject"].widget.attrs.update(
            {"accesskey": "l", "autocomplete": "off", "enterkeyhint": "send"}
        )
        people_account = account or self._posted_account()
        if people_account is not None:
            self.fields["stakeholders"].choices = _people_choices(  # type: ignore[attr-defined]
                people_account
            )

    def _posted_account(self) -> Account | None:
        """The account chosen in a submitted form, to draw its people again with any errors."""
        if not self.is_bound:
            return None
        value = self.data.get(self.add_prefix("account"), "")
        if not str(value).isdigit():
            return None
        field = self.fields["account"]
        assert isinstance(field, forms.ModelChoiceField) and field.queryset is not None
        return field.queryset.filter(pk=int(value)).first()

    @property
    def shows_people(self) -> bool:
        """Whether the people's boxes are drawn now rather than fetched when wanted."""
        return self.is_bound and (
            self.fixed_account is not None or self._posted_account() is not None
        )

    @property
    def extras_have_errors(self) -> bool:
        """Whether the folded extras must open to show what went wrong in them."""
        extras = {"occurred_at", "stakeholders", "sentiment", "notes", "next_steps"}
        return self.is_bound and bool(extras & set(self.errors))

    @property
    def chosen_account(self) -> Account | None:
        if self.fixed_account is not None:
            return self.fixed_account
        return self.cleaned_data.get("account") if hasattr(self, "cleaned_data") else None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        account = self.chosen_account
        if account is not None and "stakeholders" in cleaned:
            try:
                cleaned["stakeholders"] = resolve_participants(account, cleaned["stakeholders"])
            except ValidationError as error:
                self.add_error("stakeholders", error)
        if not cleaned.get("occurred_at"):
            cleaned["occurred_at"] = timezone.now()
        return cleaned

    def account_to_log(self) -> Account:
        """The account of a valid form: the page's, or the one chosen."""
        account = self.chosen_account
        if account is None:
            raise ValueError("The form was not valid.")
        return account

    def touchpoint_data(self) -> dict[str, Any]:
        names = ("kind", "subject", "occurred_at", "sentiment", "notes", "next_steps")
        return {name: self.cleaned_data[name] for name in names}


class TaskForm(VersionedFormMixin, forms.ModelForm):
    """A follow-up task; linked to a touchpoint only among its account's latest ones."""

    account = AccountNameField(
        label=_("Account"),
        required=False,
        help_text=_("Type the start of a name and pick from the suggestions."),
    )

    class Meta:
        model = Task
        fields = ("title", "account", "assignee", "due_on", "touchpoint", "notes")
        widgets = {
            "due_on": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 4}),
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
        instance: Task = self.instance
        account = account or (touchpoint.account if touchpoint else None) or instance.account
        if not self.is_bound:
            if account is not None:
                self.initial["account"] = account.name
            if touchpoint is not None:
                self.initial["touchpoint"] = touchpoint.pk
            if instance.pk is None:
                self.initial.setdefault("assignee", user.pk)
        assignee = self.fields["assignee"]
        assert isinstance(assignee, forms.ModelChoiceField)
        assignee.queryset = assignable_users()
        if instance.assignee_id is not None:
            assignee.queryset = assignee.queryset | User.objects.filter(pk=instance.assignee_id)
        linked = self.fields["touchpoint"]
        assert isinstance(linked, forms.ModelChoiceField)
        if account is None:
            del self.fields["touchpoint"]
        else:
            linked.queryset = Touchpoint.objects.filter(account=account)
            keep = [pk for pk in (instance.touchpoint_id, touchpoint and touchpoint.pk) if pk]
            latest = Touchpoint.objects.filter(Q(account=account) | Q(pk__in=keep)).order_by(
                "-occurred_at", "-id"
            )
            linked.choices = [
                ("", _("None")),
                *[
                    (row.pk, f"{row.occurred_at:%Y-%m-%d} · {row.get_kind_display()} · {row}")
                    for row in latest[:TOUCHPOINT_CHOICES]
                ],
            ]
        self.fields["account"].widget.attrs.update(
            {
                "list": "task-account-suggestions",
                "autocomplete": "off",
                "hx-get": reverse("stakeholders:account_suggest"),
                "hx-trigger": "input changed delay:200ms",
                "hx-target": "#task-account-suggestions",
            }
        )
        self.fields["title"].widget.attrs["autofocus"] = True

    def task_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.fields}


class TimelineFilterForm(forms.Form):
    """The timeline's filter: a kind of event and a person on either side."""

    kind = forms.MultipleChoiceField(label=_("Kind"), required=False)
    person = forms.ChoiceField(label=_("Person"), required=False)

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "timeline-%s")
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = timeline.kind_choices()  # type: ignore[attr-defined]
        people = Stakeholder.objects.filter(account=account).only("first_name", "last_name")
        ours = active_users().only("first_name", "last_name", "email")
        self.people_choices = [(f"s{person.pk}", person.full_name) for person in people]
        self.user_choices = [(f"u{member.pk}", str(member)) for member in ours]
        self.fields["person"].choices = [  # type: ignore[attr-defined]
            ("", _("Anyone")),
            (_("Their people"), self.people_choices),
            (_("Our people"), self.user_choices),
        ]

    def timeline_filters(self) -> timeline.TimelineFilters:
        """What the reader asked for; a value that does not fit is dropped, not fatal."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        person = cleaned.get("person") or ""
        return timeline.TimelineFilters(
            kinds=frozenset(cleaned.get("kind") or ()),
            stakeholder_id=int(person[1:]) if person.startswith("s") else None,
            user_id=int(person[1:]) if person.startswith("u") else None,
        )
