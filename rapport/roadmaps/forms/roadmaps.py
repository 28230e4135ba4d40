"""Forms of the roadmap pages: start a roadmap, add or edit an item, rename, share."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.accounts.models import Account, TeamMember
from rapport.core.forms import VersionedFormMixin
from rapport.roadmaps.clientlinks import MAX_LINK_DAYS, default_expiry
from rapport.roadmaps.models import Playbook, Roadmap, RoadmapItem
from rapport.stakeholders.choices import StakeholderStatus
from rapport.stakeholders.models import Stakeholder
from rapport.users.models import User

USER_PREFIX = "user:"
PERSON_PREFIX = "stakeholder:"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class PlaybookChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        if obj.uses_reference:
            return str(
                _("%(name)s — counts from the %(reference)s")
                % {"name": obj.name, "reference": obj.reference_label}
            )
        return str(obj.name)


class RoadmapStartForm(forms.Form):
    playbook = PlaybookChoiceField(queryset=Playbook.objects.none(), label=_("Playbook"))
    start_date = forms.DateField(label=_("Start date"), widget=DateInput())
    reference_date = forms.DateField(
        label=_("Reference date"),
        required=False,
        widget=DateInput(),
        help_text=_("Only for playbooks that count from a date, such as the contract end."),
    )
    name = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=120,
        help_text=_("Empty: the playbook's name."),
    )

    def __init__(self, *args: Any, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["playbook"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Playbook.objects.filter(is_active=True).order_by("kind", "name", "id")
        self.initial.setdefault("start_date", today)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        playbook = cleaned.get("playbook")
        if playbook is not None and playbook.uses_reference and not cleaned.get("reference_date"):
            self.add_error(
                "reference_date",
                _("“%(playbook)s” counts from the %(reference)s: give that date.")
                % {"playbook": playbook.name, "reference": playbook.reference_label},
            )
        return cleaned

    def start_data(self) -> dict[str, Any]:
        """The keyword arguments of ``services.roadmap_start``."""
        data = self.cleaned_data
        playbook = data["playbook"]
        return {
            "playbook": playbook,
            "start_date": data["start_date"],
            "reference_date": data.get("reference_date") if playbook.uses_reference else None,
            "name": data.get("name") or "",
        }


def person_label(person: Stakeholder) -> str:
    return f"{person.full_name} — {person.title}" if person.title else person.full_name


def owner_choices(account: Account, current: RoadmapItem | None = None) -> list[Any]:
    """Who may own an item: the account team on our side, the account's people on theirs."""
    members = (
        TeamMember.objects.current()
        .filter(account=account, user__is_active=True)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user_id")
    )
    users: dict[int, User] = {}
    if account.owner is not None and account.owner.is_active:
        users[account.owner.pk] = account.owner
    for member in members:
        users.setdefault(member.user.pk, member.user)
    ours = [
        (f"{USER_PREFIX}{pk}", str(user)) for pk, user in users.items() if not user.is_read_only
    ]
    people = Stakeholder.objects.filter(account=account, status=StakeholderStatus.ACTIVE)
    theirs = [
        (f"{PERSON_PREFIX}{person.pk}", person_label(person))
        for person in people.order_by("last_name", "first_name", "id")
    ]
    # Whoever owns the item now stays offered, even off the team, so a save keeps them.
    if current is not None and current.owner_user_id and current.owner_user_id not in users:
        ours.append((f"{USER_PREFIX}{current.owner_user_id}", str(current.owner_user)))
    if current is not None and current.owner_stakeholder_id:
        value = f"{PERSON_PREFIX}{current.owner_stakeholder_id}"
        if all(choice != value for choice, _label in theirs) and current.owner_stakeholder:
            theirs.append((value, current.owner_stakeholder.full_name))
    return [("", _("Nobody yet")), (_("Our team"), ours), (_("Their people"), theirs)]


class RoadmapItemForm(VersionedFormMixin, forms.ModelForm):
    owner = forms.ChoiceField(
        label=_("Owner"),
        required=False,
        help_text=_("One of the account team, or one of the client's people."),
    )

    class Meta:
        model = RoadmapItem
        fields = (
            "phase",
            "kind",
            "title",
            "start_on",
            "due_on",
            "client_facing",
            "description",
            "internal_notes",
        )
        widgets = {
            "start_on": DateInput(),
            "due_on": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
            "internal_notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, roadmap: Roadmap, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.roadmap = roadmap
        phase = self.fields["phase"]
        assert isinstance(phase, forms.ModelChoiceField)
        phase.queryset = roadmap.phases.order_by("position", "id")
        phase.empty_label = None
        current = self.instance if self.instance.pk else None
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ChoiceField)
        owner.choices = owner_choices(roadmap.account, current)
        if current is not None and not self.is_bound:
            if current.owner_user_id:
                self.initial["owner"] = f"{USER_PREFIX}{current.owner_user_id}"
            elif current.owner_stakeholder_id:
                self.initial["owner"] = f"{PERSON_PREFIX}{current.owner_stakeholder_id}"
        self.fields["title"].widget.attrs["autofocus"] = True

    def item_data(self) -> dict[str, Any]:
        """The item's fields, the owner split into our side's person or the client's."""
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        choice: str = self.cleaned_data.get("owner") or ""
        user, person = None, None
        if choice.startswith(USER_PREFIX):
            user = User.objects.filter(pk=int(choice.removeprefix(USER_PREFIX))).first()
        elif choice.startswith(PERSON_PREFIX):
            person = Stakeholder.objects.filter(pk=int(choice.removeprefix(PERSON_PREFIX))).first()
        data["owner_user"] = user
        data["owner_stakeholder"] = person
        return data


class RoadmapForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Roadmap
        fields = ("name", "client_summary")
        widgets = {"client_summary": forms.Textarea(attrs={"rows": 5})}


class ClientLinkForm(forms.Form):
    expires_on = forms.DateField(
        label=_("Works until"),
        widget=DateInput(),
        help_text=_("At most a year from today."),
    )

    def __init__(self, *args: Any, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("expires_on", default_expiry(today))
        widget = self.fields["expires_on"].widget
        widget.attrs["min"] = (today + datetime.timedelta(days=1)).isoformat()
        widget.attrs["max"] = (today + datetime.timedelta(days=MAX_LINK_DAYS)).isoformat()
