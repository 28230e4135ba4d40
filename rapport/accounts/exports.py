"""The account list as a file: the columns of the page, with the ids and fields a sheet needs."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy as _

from rapport.accounts.models import Account
from rapport.core.exports import Column, ExportFormat, email_of, export_response, name_of


def _map_summary(account: Account) -> Any:
    # The summary is computed by the account map once someone looks; a new account has none.
    try:
        return account.map_summary
    except ObjectDoesNotExist:
        return None


def _coverage(account: Account) -> int | None:
    summary = _map_summary(account)
    return summary.coverage if summary is not None else None


def _risks(account: Account) -> str:
    summary = _map_summary(account)
    if summary is None:
        return ""
    return ", ".join(label for _flag, label in summary.flag_choices)


ACCOUNT_COLUMNS: list[Column[Account]] = [
    Column(_("Id"), lambda account: account.pk),
    Column(_("Account"), lambda account: account.name),
    Column(_("Legal name"), lambda account: account.legal_name),
    Column(_("Tier"), lambda account: account.get_tier_display()),
    Column(_("Segment"), lambda account: account.get_segment_display()),
    Column(_("Stage"), lambda account: account.get_lifecycle_stage_display()),
    Column(_("Industry"), lambda account: account.get_industry_display()),
    Column(_("Country"), lambda account: account.country),
    Column(_("Employees"), lambda account: account.employees),
    Column(_("Account manager"), lambda account: name_of(account.owner)),
    Column(_("Account manager e-mail"), lambda account: email_of(account.owner)),
    Column(_("Parent account"), lambda account: name_of(account.parent)),
    Column(_("Website"), lambda account: account.website),
    Column(_("Domain"), lambda account: account.domain),
    Column(_("Last contact"), lambda account: account.last_contact_at),
    Column(_("Coverage"), _coverage),
    Column(_("Relationship risk"), _risks),
    Column(_("Archived"), lambda account: account.is_archived),
    Column(_("Salesforce Id"), lambda account: account.salesforce_id or ""),
]


def account_export(kind: ExportFormat, accounts: QuerySet[Account]) -> HttpResponseBase:
    """The account list as a file, with the parents it names beside what the page reads."""
    return export_response(
        kind, name=_("Accounts"), columns=ACCOUNT_COLUMNS, rows=accounts.select_related("parent")
    )
