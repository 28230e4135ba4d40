"""Cadence pages: an account's rules, and the defaults by tier that administrators set."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from rapport.accounts.choices import Tier
from rapport.accounts.models import Account
from rapport.communications import services
from rapport.communications.choices import CadenceKind, CadenceState
from rapport.communications.models import CadenceRule
from rapport.core.types import AppRequest
from rapport.core.views_helpers import require, run_service

MIN_INTERVAL_DAYS = 1
MAX_INTERVAL_DAYS = 730
INTERVAL_ERRORS = {
    "required": gettext_lazy("Say how many days apart."),
    "invalid": gettext_lazy("Enter a whole number of days."),
    "min_value": gettext_lazy("At least 1 day."),
    "max_value": gettext_lazy("At most 730 days (two years)."),
}


def interval_field(**extra: Any) -> forms.IntegerField:
    return forms.IntegerField(
        min_value=MIN_INTERVAL_DAYS,
        max_value=MAX_INTERVAL_DAYS,
        error_messages=INTERVAL_ERRORS,
        **extra,
    )


class CadenceRuleForm(forms.Form):
    """An account's own interval for one kind of cadence (new or changed)."""

    kind = forms.ChoiceField(label=gettext_lazy("Cadence"), choices=CadenceKind.choices)
    interval_days = interval_field(label=gettext_lazy("Every (days)"))
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, kinds: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kinds is not None:
            field = self.fields["kind"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [
                (value, label) for value, label in CadenceKind.choices if value in kinds
            ]


@dataclass
class CadenceRow:
    """One rule as the page shows it, beside its tier's default."""

    rule: CadenceRule
    default_days: int | None
    state: str

    @property
    def state_label(self) -> str:
        return str(CadenceState(self.state).label)

    @property
    def may_reset(self) -> bool:
        return self.rule.is_custom


def cadence_rows(account: Account, today: datetime.date) -> list[CadenceRow]:
    defaults = services.cadence_defaults().get(account.tier, {})
    rules = CadenceRule.objects.filter(account=account).order_by("next_due_on", "kind")
    return [
        CadenceRow(rule=rule, default_days=defaults.get(rule.kind), state=rule.state(today))
        for rule in rules
    ]


@login_required
def account_cadence(request: AppRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(Account.objects.select_related("owner", "parent"), pk=pk)
    form = CadenceRuleForm(request.POST or None)
    if request.method == "POST":
        require(request, "communications.change_cadence", account)
        if form.is_valid():
            rule = run_service(form, lambda: _rule_set(request, account, form.cleaned_data))
            if rule is not None:
                messages.success(request, _rule_saved_message(rule))
                return redirect("communications:account_cadence", pk=account.pk)
    return render(request, "communications/account_cadence.html", _context(request, account, form))


def _rule_set(request: AppRequest, account: Account, data: dict[str, Any]) -> CadenceRule:
    return services.cadence_rule_set(
        acting_user=request.user,
        account=account,
        kind=data["kind"],
        interval_days=data["interval_days"],
        expected_version=data.get("version"),
    )


def _rule_saved_message(rule: CadenceRule) -> str:
    message = ngettext(
        "%(cadence)s: every %(days)s day, next due %(date)s.",
        "%(cadence)s: every %(days)s days, next due %(date)s.",
        rule.interval_days,
    )
    return message % {
        "cadence": rule.get_kind_display(),
        "days": rule.interval_days,
        "date": _short_date(rule.next_due_on),
    }


def _short_date(day: datetime.date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


def _context(request: AppRequest, account: Account, form: CadenceRuleForm) -> dict[str, Any]:
    rows = cadence_rows(account, timezone.localdate())
    missing = [kind for kind in CadenceKind.values if kind not in {row.rule.kind for row in rows}]
    adding = form.is_bound and request.POST.get("action") == "add"
    return {
        "account": account,
        "rows": rows,
        "form": form,
        "add_form": form if adding else CadenceRuleForm(kinds=missing, auto_id="id_add_%s"),
        "edit_errors": form.errors if form.is_bound and not adding else None,
        "missing": missing,
        "tier_defaults": services.cadence_defaults().get(account.tier, {}),
        "can_change": request.user.has_perm("communications.change_cadence", account),
        "can_edit": request.user.has_perm("accounts.change_account", account),
        "can_manage_defaults": request.user.has_perm("communications.manage_cadence_defaults"),
        "min_days": MIN_INTERVAL_DAYS,
        "max_days": MAX_INTERVAL_DAYS,
    }


@login_required
@require_POST
def cadence_rule_reset(request: AppRequest, pk: int, rule_pk: int) -> HttpResponse:
    rule = get_object_or_404(
        CadenceRule.objects.select_related("account"), pk=rule_pk, account_id=pk
    )
    require(request, "communications.change_cadence", rule.account)
    kept = services.cadence_rule_reset(acting_user=request.user, rule=rule)
    label = rule.get_kind_display()
    if kept is None:
        message = _("%(cadence)s removed: this account's tier has no such cadence.")
        messages.success(request, message % {"cadence": label})
    else:
        message = ngettext(
            "%(cadence)s follows the tier's default again: every %(days)s day.",
            "%(cadence)s follows the tier's default again: every %(days)s days.",
            kept.interval_days,
        )
        messages.success(request, message % {"cadence": label, "days": kept.interval_days})
    return redirect("communications:account_cadence", pk=pk)


def cell_name(tier: str, kind: str) -> str:
    return f"{tier}__{kind}"


class CadenceDefaultsForm(forms.Form):
    """The grid of tiers by cadence kinds; an empty cell means the tier has no such cadence."""

    def __init__(self, *args: Any, current: dict[str, dict[str, int]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current = current
        for tier, tier_label in Tier.choices:
            for kind, kind_label in CadenceKind.choices:
                self.fields[cell_name(tier, kind)] = interval_field(
                    required=False,
                    label=_("%(tier)s, %(cadence)s (days)")
                    % {"tier": tier_label, "cadence": kind_label},
                    initial=current.get(tier, {}).get(kind),
                    widget=forms.NumberInput(attrs={"class": "cadence-days"}),
                )

    def rows(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        """(tier, its label, its cells in the kinds' order) for the template's table."""
        return [
            (tier, str(label), [self[cell_name(tier, kind)] for kind in CadenceKind.values])
            for tier, label in Tier.choices
        ]

    def changes(self) -> list[tuple[str, str, int | None]]:
        """(tier, kind, new interval or None) for every cell whose value moved."""
        return [
            (tier, kind, self.cleaned_data[cell_name(tier, kind)])
            for tier in Tier.values
            for kind in CadenceKind.values
            if self.cleaned_data[cell_name(tier, kind)] != self.current.get(tier, {}).get(kind)
        ]


@login_required
def cadence_defaults(request: AppRequest) -> HttpResponse:
    require(request, "communications.manage_cadence_defaults")
    form = CadenceDefaultsForm(request.POST or None, current=services.cadence_defaults())
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        if run_service(form, lambda: _defaults_set(request, changes)) is not None:
            messages.success(request, _defaults_saved_message(len(changes)))
            return redirect("communications:cadence_defaults")
    context = {"form": form, "kinds": CadenceKind.choices}
    return render(request, "communications/cadence_defaults.html", context)


def _defaults_set(request: AppRequest, changes: list[tuple[str, str, int | None]]) -> int:
    # One transaction: a refusal on any cell leaves every default as it was.
    with transaction.atomic():
        for tier, kind, interval in changes:
            services.cadence_default_set(
                acting_user=request.user, tier=tier, kind=kind, interval_days=interval
            )
    return len(changes)


def _defaults_saved_message(count: int) -> str:
    if not count:
        return _("Nothing changed.")
    saved = ngettext(
        "%(count)s cadence default saved.", "%(count)s cadence defaults saved.", count
    ) % {"count": count}
    return " ".join(
        [
            saved,
            _(
                "The accounts of each tier follow in the background; "
                "rules set for an account keep their own interval."
            ),
        ]
    )
