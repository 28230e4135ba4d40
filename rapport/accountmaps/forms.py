"""Forms of the account map page: what to show, and the small edits made on the map."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from rapport.accountmaps.layout import AccountMap, MapFilters, build_account_map
from rapport.accounts.models import Account
from rapport.core.forms import VersionedFormMixin
from rapport.stakeholders.choices import Influence, Stance
from rapport.stakeholders.models import Stakeholder
from rapport.stakeholders.selectors import stakeholder_choices

# More collapsed branches than any real map has; the bound keeps a crafted address cheap.
MAX_COLLAPSED = 1000
# A map with more people than this opens with its lower branches collapsed.
AUTO_COLLAPSE_ABOVE = 60
MAP_PERSON_FIELDS = ("stance", "influence", "decision_roles", "title", "reports_to")
NEW_PERSON_FIELDS = (
    "first_name",
    "last_name",
    "title",
    "department",
    "reports_to",
    "decision_roles",
    "stance",
    "influence",
)


@dataclass(frozen=True)
class MapOutline:
    """Who reports to whom and the departments, read once, before the map is drawn."""

    managers: dict[int, int | None]
    departments: list[str]


def map_outline(account: Account) -> MapOutline:
    """The account's reporting tree and departments, in one light query."""
    rows = Stakeholder.objects.filter(account=account).values_list(
        "id", "reports_to_id", "department"
    )
    managers: dict[int, int | None] = {}
    departments: dict[str, str] = {}
    for pk, manager_id, department in rows:
        managers[pk] = manager_id
        # Each department once, whatever its capitalisation: the filter ignores case.
        if department:
            departments.setdefault(department.lower(), department)
    return MapOutline(managers=managers, departments=sorted(departments.values(), key=str.lower))


def branches_to_collapse(outline: MapOutline, *, limit: int | None = None) -> frozenset[int]:
    """On a big map, the managers at the deepest level that keeps the map within ``limit``
    cards: collapsed, their teams show as "+N" until someone opens them."""
    limit = AUTO_COLLAPSE_ABOVE if limit is None else limit
    if len(outline.managers) <= limit:
        return frozenset()
    depths: dict[int, int] = {}
    for pk in outline.managers:
        chain = [pk]
        manager = outline.managers.get(pk)
        # Walk up to someone whose depth is known, or to the top; a loop counts as a top.
        while (
            manager is not None
            and manager in outline.managers
            and manager not in depths
            and manager not in chain
        ):
            chain.append(manager)
            manager = outline.managers.get(manager)
        depth = depths[manager] + 1 if manager in depths else 0
        for person in reversed(chain):
            depths.setdefault(person, depth)
            depth = depths[person] + 1
    per_depth = Counter(depths.values())
    shown, level = 0, 0
    for depth in sorted(per_depth):
        if shown + per_depth[depth] > limit and depth > 0:
            break
        shown += per_depth[depth]
        level = depth
    has_reports = {manager for manager in outline.managers.values() if manager is not None}
    return frozenset(pk for pk, depth in depths.items() if depth == level and pk in has_reports)


class MapFilterForm(forms.Form):
    """What the viewer asked to see: filters, collapsed branches and a past date."""

    only_decision_roles = forms.BooleanField(
        label=_("Only people with a decision role"), required=False
    )
    department = forms.ChoiceField(
        label=_("Department"),
        required=False,
        widget=forms.Select(attrs={"data-autosubmit": True}),
    )
    as_of = forms.DateField(
        label=_("View as of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    collapsed = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data: QueryDict | None = None, *, account: Account) -> None:
        self.account = account
        self.outline = map_outline(account)
        asked = str(data.get("department") or "") if data is not None else ""
        if data is not None and asked:
            # An address typed by hand may spell the department in another case; the list
            # then still shows it chosen.
            spelled = {name.lower(): name for name in self.outline.departments}
            data = data.copy()
            data["department"] = spelled.get(asked.lower(), asked)
        super().__init__(data)
        department = self.fields["department"]
        assert isinstance(department, forms.ChoiceField)
        department.choices = [
            ("", gettext("All departments")),
            *((name, name) for name in self.outline.departments),
        ]
        as_of = self.fields["as_of"]
        as_of.widget.attrs["max"] = timezone.localdate().isoformat()

    @property
    def collapse_is_chosen(self) -> bool:
        """Whether the address says which branches are collapsed, even none."""
        return "collapsed" in self.data

    def clean_collapsed(self) -> frozenset[int]:
        if not self.collapse_is_chosen:
            filtered = self.cleaned_data.get("department") or self.cleaned_data.get(
                "only_decision_roles"
            )
            # Filters already make the map small; otherwise a big map opens on its top.
            return frozenset() if filtered else branches_to_collapse(self.outline)
        # Ids are only ever written by the map's own links: anything else is simply ignored.
        raw = self.cleaned_data.get("collapsed") or ""
        parts = [part for part in raw.split(",") if part.isdigit() and len(part) <= 18]
        return frozenset(int(part) for part in parts[:MAX_COLLAPSED])

    def clean_as_of(self) -> datetime.date | None:
        day: datetime.date | None = self.cleaned_data.get("as_of")
        if day is not None and day > timezone.localdate():
            raise forms.ValidationError(_("Pick a date that has already passed."))
        return day

    def value(self, name: str) -> Any:
        """A cleaned value, or its empty value when the field was missing or invalid."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data.get(name, self.fields[name].to_python(None))

    @property
    def map_filters(self) -> MapFilters:
        collapsed = self.value("collapsed")
        return MapFilters(
            only_decision_roles=bool(self.value("only_decision_roles")),
            department=self.value("department") or "",
            collapsed=collapsed if isinstance(collapsed, frozenset) else frozenset(),
        )

    @property
    def as_of_moment(self) -> datetime.datetime | None:
        """The end of the chosen day in the viewer's time zone: the map as that day closed."""
        day: datetime.date | None = self.value("as_of")
        if day is None:
            return None
        next_midnight = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
        return timezone.make_aware(next_midnight) - datetime.timedelta(microseconds=1)

    def build_map(self) -> AccountMap:
        """The account's map as these filters ask for it: the page, its exports and the API
        all draw it from here, so they show the same people."""
        return build_account_map(
            account=self.account, filters=self.map_filters, as_of=self.as_of_moment
        )

    def query(self, *, collapsed: frozenset[int] | None = None) -> str:
        """These filters as a query string, optionally with other branches collapsed."""
        filters = self.map_filters
        chosen = filters.collapsed if collapsed is None else collapsed
        day: datetime.date | None = self.value("as_of")
        params = {
            "only_decision_roles": "1" if filters.only_decision_roles else "",
            "department": filters.department,
            "as_of": day.isoformat() if day else "",
            "collapsed": ",".join(str(pk) for pk in sorted(chosen)),
        }
        # An empty choice is kept when it differs from what the page would pick by itself.
        keep_empty = {"collapsed"} if collapsed is not None or self.collapse_is_chosen else set()
        return urlencode(
            {key: value for key, value in params.items() if value or key in keep_empty}
        )


def _name_the_unknown(form: forms.BaseForm) -> None:
    """Empty stance and influence read "Unknown", and the roles get a capital like the rest."""
    for name, options in (("stance", Stance.choices), ("influence", Influence.choices)):
        field = form.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Unknown")), *options]
    form.fields["decision_roles"].label = _("Decision roles")
    form.fields["stance"].help_text = ""


class MapPersonForm(VersionedFormMixin, forms.ModelForm):
    """The few facts changed from the map's side panel."""

    class Meta:
        model = Stakeholder
        fields = MAP_PERSON_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _name_the_unknown(self)
        reports_to = self.fields["reports_to"]
        assert isinstance(reports_to, forms.ModelChoiceField)
        reports_to.queryset = stakeholder_choices(
            account=self.instance.account, exclude=self.instance
        )


class MapNewPersonForm(forms.ModelForm):
    """A person added from the map, with their place on it."""

    class Meta:
        model = Stakeholder
        fields = NEW_PERSON_FIELDS

    def __init__(self, *args: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _name_the_unknown(self)
        self.instance.account = account
        reports_to = self.fields["reports_to"]
        assert isinstance(reports_to, forms.ModelChoiceField)
        reports_to.queryset = stakeholder_choices(account=account)
        self.fields["first_name"].widget.attrs["autofocus"] = True


class MapMoveForm(forms.Form):
    """A person dropped onto their new manager; the service refuses loops and other accounts."""

    manager = forms.ModelChoiceField(
        label=_("New manager"), queryset=Stakeholder.objects.all(), required=False
    )
