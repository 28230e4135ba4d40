"""The stakeholder list as a file: the columns of the page, with the fields a sheet needs."""

from __future__ import annotations

from collections.abc import Iterable

from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy as _

from rapport.core.exports import Column, ExportFormat, choice_labels, export_response, name_of
from rapport.stakeholders.choices import DecisionRole
from rapport.stakeholders.models import Stakeholder

STAKEHOLDER_COLUMNS: list[Column[Stakeholder]] = [
    Column(_("Id"), lambda person: person.pk),
    Column(_("First name"), lambda person: person.first_name),
    Column(_("Last name"), lambda person: person.last_name),
    Column(_("Title"), lambda person: person.title),
    Column(_("Department"), lambda person: person.department),
    Column(_("Account"), lambda person: person.account.name),
    Column(_("Account id"), lambda person: person.account_id),
    Column(_("Reports to"), lambda person: name_of(person.reports_to)),
    Column(_("E-mail"), lambda person: person.email),
    Column(_("Phone"), lambda person: person.phone),
    Column(_("Status"), lambda person: person.get_status_display()),
    Column(_("Left on"), lambda person: person.left_on),
    Column(_("Decision roles"), lambda person: choice_labels(DecisionRole, person.decision_roles)),
    Column(_("Stance"), lambda person: person.get_stance_display()),
    Column(_("Influence"), lambda person: person.get_influence_display()),
    Column(_("Last contact"), lambda person: person.last_contact_at),
    Column(_("Profile"), lambda person: person.profile_url),
    Column(_("Salesforce Id"), lambda person: person.salesforce_id or ""),
]


def stakeholder_export(kind: ExportFormat, people: Iterable[Stakeholder]) -> HttpResponseBase:
    """The stakeholder list as a file, in the page's order."""
    return export_response(kind, name=_("Stakeholders"), columns=STAKEHOLDER_COLUMNS, rows=people)
