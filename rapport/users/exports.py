"""The user list as a file, for administrators."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy as _

from rapport.core.exports import Column, ExportFormat, export_response
from rapport.users.models import User

USER_COLUMNS: list[Column[User]] = [
    Column(_("Id"), lambda person: person.pk),
    Column(_("First name"), lambda person: person.first_name),
    Column(_("Last name"), lambda person: person.last_name),
    Column(_("E-mail"), lambda person: person.email),
    Column(_("Title"), lambda person: person.title),
    Column(_("Role"), lambda person: person.get_role_display()),
    Column(_("Language"), lambda person: person.get_language_display()),
    Column(_("Time zone"), lambda person: person.time_zone),
    Column(_("Active"), lambda person: person.is_active),
    Column(_("Last sign-in"), lambda person: person.last_login),
    Column(_("Joined"), lambda person: person.date_joined),
    Column(_("Salesforce Id"), lambda person: person.salesforce_id or ""),
]


def user_export(kind: ExportFormat, users: QuerySet[User]) -> HttpResponseBase:
    """The users as a file, without their passwords: the page's search applied."""
    return export_response(
        kind, name=_("Users"), columns=USER_COLUMNS, rows=users.defer("password")
    )
