"""Forms of the playbook pages: the list's filter, details, phases, items, copies, previews."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import Q, QuerySet, TextChoices
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pydantic import Field

from rapport.core.api import InputSchema
from rapport.core.forms import VersionedFormMixin
from rapport.roadmaps.choices import ItemKind, OwnerSide, PlaybookKind
from rapport.roadmaps.models import (
    MAX_OFFSET_DAYS,
    Playbook,
    PlaybookItem,
    PlaybookPhase,
    owner_role_choices,
)
from rapport.roadmaps.playbooks import ITEM_FIELDS, PLAYBOOK_FIELDS

# With no reference date chosen, the preview puts it this far after the start.
PREVIEW_REFERENCE_DAYS = 120


class PlaybookStatus(TextChoices):
    ACTIVE = "active", _("Offered")
    ARCHIVED = "archived", _("Archived")
    ALL = "all", _("Offered and archived")


class PlaybookFilter(InputSchema):
    """Which playbooks the list shows; the page and the API read the same fields."""

    q: str = Field(default="", max_length=200, description="Words the name contains.")
    kind: PlaybookKind | None = None
    status: PlaybookStatus = PlaybookStatus.ACTIVE

    def apply(self, queryset: QuerySet[Playbook]) -> QuerySet[Playbook]:
        if self.kind:
            queryset = queryset.filter(kind=self.kind)
        if self.status == PlaybookStatus.ACTIVE:
            queryset = queryset.filter(is_active=True)
        elif self.status == PlaybookStatus.ARCHIVED:
            queryset = queryset.filter(is_active=False)
        if self.q.strip():
            queryset = queryset.filter(name__icontains=self.q.strip())
        return queryset.order_by("kind", "name", "id")

    def is_filtered(self) -> bool:
        return bool(self.kind or self.q.strip() or self.status != PlaybookStatus.ACTIVE)


DAYS_ERRORS = {
    "invalid": _("Enter a whole number of days."),
    "max_value": _("At most %(limit_value)s days."),
    "min_value": _("At least %(limit_value)s days."),
}


class PlaybookForm(VersionedFormMixin, forms.ModelForm):
    """A playbook's name, kind, description and reference date."""

    class Meta:
        model = Playbook
        fields = PLAYBOOK_FIELDS
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        error_messages = {
            "name": {"required": _("Give the playbook a name.")},
            "kind": {"required": _("Choose what kind of journey this is.")},
            "lead_days": DAYS_ERRORS,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead_days"].widget.attrs.update({"min": 0, "max": MAX_OFFSET_DAYS})


class RevisionFormMixin(forms.Form):
    """Carries the revision the editor saw, so an edit made on an older one is refused."""

    revision = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def keep_revision(self, playbook: Playbook) -> None:
        if not self.is_bound:
            self.initial["revision"] = playbook.revision

    @property
    def expected_revision(self) -> int | None:
        value = self.cleaned_data.get("revision")
        return int(value) if value else None


class PhaseForm(RevisionFormMixin, forms.ModelForm):
    """A phase's name."""

    class Meta:
        model = PlaybookPhase
        fields = ("name",)
        error_messages = {"name": {"required": _("Give the phase a name.")}}

    def __init__(self, *args: Any, playbook: Playbook, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keep_revision(playbook)


def owner_role_field(side: str) -> forms.ChoiceField:
    """The roles of one side only: ours are account team roles, the client's decision roles."""
    return forms.ChoiceField(
        label=_("Owner's role"),
        required=False,
        choices=[("", _("Nobody in particular")), *owner_role_choices(side)],
        error_messages={
            "invalid_choice": _("Choose one of the roles of the side you picked."),
        },
        help_text=_(
            "Filled in from the account team or the client's people when a roadmap starts."
        ),
    )


def side_of(form: forms.BaseForm, default: str) -> str:
    """The side a form is about: the one submitted, else the one it starts with."""
    source = form.data if form.is_bound else form.initial
    side = source.get(form.add_prefix("owner_side") if form.is_bound else "owner_side")
    return side if side in OwnerSide.values else default


def _side_widget_attrs() -> dict[str, str]:
    # The role list follows the side picked; without JavaScript a button does the same.
    return {
        "hx-get": reverse("roadmaps:playbook_owner_roles"),
        "hx-target": "#owner-role-field",
        "hx-swap": "outerHTML",
        "hx-include": "#id_owner_role",
        "hx-trigger": "change",
    }


class OwnerRoleForm(forms.Form):
    """Only the owner fields: the role list sent back when the side changes."""

    owner_side = forms.ChoiceField(choices=OwnerSide.choices, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_role"] = owner_role_field(side_of(self, OwnerSide.OURS))


class PredecessorField(forms.ModelChoiceField):
    """A step of the same playbook, named with its phase (two phases may share a title)."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.phase.name} — {obj.title}"


class ItemForm(RevisionFormMixin, forms.ModelForm):
    """One step of a playbook: what, when, whose, after which other step."""

    field_order = (
        "title",
        "kind",
        "phase",
        "anchor",
        "offset_days",
        "duration_days",
        "owner_side",
        "owner_role",
        "depends_on",
        "client_facing",
        "description",
    )

    class Meta:
        model = PlaybookItem
        fields = ITEM_FIELDS
        labels = {"phase": _("Phase")}
        field_classes = {"depends_on": PredecessorField}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "offset_days": _(
                "Days after the start or the reference date; a negative number counts back "
                "(−120 is 120 days before)."
            ),
            "duration_days": _("How many days before its due date the step starts; 0 for one day."),
            "depends_on": _("The step this one waits for, in any phase of this playbook."),
        }
        error_messages = {
            "title": {"required": _("Give the step a title.")},
            "kind": {"required": _("Say whether this is a milestone, a task or a communication.")},
            "offset_days": {"required": _("Say on which day the step is due."), **DAYS_ERRORS},
            "duration_days": DAYS_ERRORS,
            "phase": {"invalid_choice": _("Choose a phase of this playbook.")},
            "depends_on": {"invalid_choice": _("Choose a step of this playbook.")},
        }

    def __init__(self, *args: Any, playbook: Playbook, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.playbook = playbook
        self.keep_revision(playbook)
        if self.instance.pk is None:
            self.initial.setdefault("kind", ItemKind.TASK)
        self.fields["owner_role"] = owner_role_field(side_of(self, self.instance.owner_side))
        self.fields["owner_side"].widget.attrs.update(_side_widget_attrs())
        phase = self.fields["phase"]
        assert isinstance(phase, forms.ModelChoiceField)
        phase.queryset = playbook.phases.order_by("position", "id")
        phase.empty_label = None
        after = self.fields["depends_on"]
        assert isinstance(after, forms.ModelChoiceField)
        others = ~Q(pk=self.instance.pk) if self.instance.pk else Q()
        after.queryset = (
            PlaybookItem.objects.filter(others, phase__playbook=playbook)
            .select_related("phase")
            .order_by("phase__position", "phase_id", "position", "id")
        )
        after.empty_label = str(_("Nothing: it does not wait for another step"))
        for name in ("offset_days", "duration_days"):
            self.fields[name].widget.attrs.update({"step": 1})

    @classmethod
    def initial_from(cls, data: Any) -> dict[str, Any]:
        """What was typed, as a fresh form's starting values (to redraw without checking)."""
        initial = {name: data.get(name) for name in ITEM_FIELDS if data.get(name) is not None}
        initial["client_facing"] = bool(data.get("client_facing"))
        return initial

    def item_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ITEM_FIELDS}


class DuplicateForm(forms.Form):
    """The name of the copy."""

    name = forms.CharField(
        label=_("Name of the copy"),
        max_length=120,
        error_messages={"required": _("Give the copy a name.")},
    )


class PreviewForm(forms.Form):
    """The start (and reference) dates a preview computes the items' dates from."""

    start = forms.DateField(
        label=_("Start date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a date.")},
    )
    reference = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a date.")},
    )

    def __init__(self, *args: Any, playbook: Playbook, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.playbook = playbook
        self.fields["reference"].label = (
            playbook.reference_label.capitalize()
            if playbook.uses_reference
            else _("Reference date")
        )
        if not playbook.uses_reference:
            del self.fields["reference"]
        if not self.is_bound:
            # The fields show the dates the preview uses when none are asked for.
            start, reference = self.dates()
            self.initial.setdefault("start", start)
            self.initial.setdefault("reference", reference)

    def dates(self, today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
        """(start, reference): what was asked for, else today and a reference after the lead."""
        today = today or timezone.localdate()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        start = data.get("start") or today
        lead = self.playbook.lead_days or PREVIEW_REFERENCE_DAYS
        reference = data.get("reference") or start + datetime.timedelta(days=lead)
        return start, reference
