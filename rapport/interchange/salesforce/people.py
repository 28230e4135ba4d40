"""Users, accounts, contacts (stakeholders) and the links between them."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from rapport.accounts.choices import TeamRole
from rapport.accounts.models import MAX_HIERARCHY_DEPTH, Account, TeamMember
from rapport.core.text import search_key
from rapport.interchange.salesforce import schema
from rapport.interchange.salesforce.base import (
    CHANGE_REASON,
    NOTHING_TO_DO,
    Mapper,
    Record,
    resolve,
)
from rapport.interchange.salesforce.values import BadValue, parse_bool, parse_date, parse_int
from rapport.stakeholders.models import MAX_REPORTING_DEPTH, AccountLink, Stakeholder
from rapport.users.choices import Language, Role
from rapport.users.models import User

# Billing countries as people type them, for the most common; any two-letter code is kept too.
COUNTRY_NAMES = {
    "france": "FR",
    "germany": "DE",
    "deutschland": "DE",
    "allemagne": "DE",
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "états-unis": "US",
    "united kingdom": "GB",
    "uk": "GB",
    "great britain": "GB",
    "royaume-uni": "GB",
    "spain": "ES",
    "espagne": "ES",
    "españa": "ES",
    "italy": "IT",
    "italie": "IT",
    "italia": "IT",
    "belgium": "BE",
    "belgique": "BE",
    "netherlands": "NL",
    "pays-bas": "NL",
    "switzerland": "CH",
    "suisse": "CH",
    "canada": "CA",
    "japan": "JP",
    "japon": "JP",
    "china": "CN",
    "chine": "CN",
    "india": "IN",
    "inde": "IN",
    "brazil": "BR",
    "brésil": "BR",
    "australia": "AU",
    "australie": "AU",
    "ireland": "IE",
    "irlande": "IE",
    "portugal": "PT",
    "austria": "AT",
    "autriche": "AT",
    "sweden": "SE",
    "suède": "SE",
    "luxembourg": "LU",
}
# The choices' ``values`` are rebuilt on each access; read once for the rows of an export.
_ACCOUNT_CHOICES = {
    column: frozenset(choices.values) for column, choices in schema.ACCOUNT_CHOICES.items()
}
_TWO_LETTERS = re.compile(r"[A-Za-z]{2}")
# The common shape of an address, which Django's e-mail validator accepts whole: checked first,
# it spares the validator's work for most rows (anything else still goes through the validator).
_PLAIN_EMAIL = re.compile(
    r"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}",
    re.IGNORECASE | re.ASCII,
)
_PLAIN_EMAIL_LENGTH = 254
_validate_url = URLValidator(schemes=["http", "https"])


def country_code(text: str) -> str:
    value = text.strip()
    if _TWO_LETTERS.fullmatch(value):
        return value.upper()
    return COUNTRY_NAMES.get(value.lower(), "")


def clean_email(mapper: Mapper, record: Record, column: str) -> str:
    """A valid address in lower case, or "" and a problem."""
    value = record.row.get(column, "").strip()
    if not value:
        return ""
    if len(value) <= _PLAIN_EMAIL_LENGTH and _PLAIN_EMAIL.fullmatch(value):
        return value.lower()
    try:
        validate_email(value)
    except ValidationError:
        mapper.problem(
            record,
            column,
            _("“%(value)s” is not an e-mail address; left empty.") % {"value": value[:80]},
        )
        return ""
    return value.lower()


def clean_url(mapper: Mapper, record: Record, column: str) -> str:
    value = record.row.get(column, "").strip()
    if not value:
        return ""
    if "://" not in value:
        value = "https://" + value
    try:
        _validate_url(value)
    except ValidationError:
        mapper.problem(
            record,
            column,
            _("“%(value)s” is not a web address; left empty.") % {"value": value[:80]},
        )
        return ""
    return value if len(value) <= 200 else ""


class UserMapper(Mapper):
    """Owners and team members: matched by e-mail to a Rapport user, or created unable to sign in
    until someone sets their password. A matched user keeps their role, rights and status."""

    sobject = schema.USER
    model = User

    def existing(self, records: list[Record]) -> dict[str, Any]:
        found = super().existing(records)
        emails = {record.row.get("Email", "").strip().lower() for record in records} - {""}
        self.by_email = {user.email.lower(): user for user in User.objects.filter(email__in=emails)}
        for record in records:
            if record.id in found:
                continue
            user = self.by_email.get(record.row.get("Email", "").strip().lower())
            if user is not None and user.salesforce_id in (None, record.id):
                found[record.id] = user
        self.found = found
        # Only the users an import created follow Salesforce; one matched by e-mail stays theirs.
        self.imported = set(
            User.history.filter(
                id__in=[user.pk for user in found.values()],
                history_type="+",
                history_change_reason=CHANGE_REASON,
            ).values_list("id", flat=True)
        )
        return found

    def values(self, record: Record) -> dict[str, Any] | None:
        email = clean_email(self, record, "Email")
        if not email:
            self.problem(record, "Email", _("A user needs an e-mail address; skipped."))
            return None
        holder = self.by_email.get(email)
        if holder is not None and holder.salesforce_id not in (None, record.id):
            self.problem(
                record, "Email", _("Another Salesforce user has this e-mail address; skipped.")
            )
            return None
        row = record.row
        values: dict[str, Any] = {
            "salesforce_id": record.id,
            "first_name": row.get("FirstName", "").strip(),
            "last_name": row.get("LastName", "").strip(),
            "title": row.get("Title", "").strip(),
        }
        current = self.found.get(record.id)
        if current is not None and current.pk not in self.imported:
            # Someone who already uses Rapport: the Id is noted; their name stays as they set it.
            return {"salesforce_id": record.id}
        try:
            active = parse_bool(row.get("IsActive", "") or "true")
        except BadValue as error:
            self.problem(record, "IsActive", error.message)
            active = True
        if current is None or not (current.is_administrator or current == self.ctx.acting_user):
            values["is_active"] = active
        if current is None:
            language = row.get("LanguageLocaleKey", "").strip().lower()
            values |= {
                "email": email,
                "role": Role.ACCOUNT_MANAGER,
                "language": Language.FRENCH if language.startswith("fr") else Language.ENGLISH,
            }
        return values

    def build(self, record: Record, values: dict[str, Any]) -> Any:
        return User(password=make_password(None), **values)


class AccountMapper(Mapper):
    sobject = schema.ACCOUNT
    model = Account
    self_column = "ParentId"
    self_attname = "parent_id"
    self_depth = MAX_HIERARCHY_DEPTH

    def prepare(self, records: list[Record]) -> None:
        self.users = resolve(User, filter(None, (self.reference(r, "OwnerId") for r in records)))

    def values(self, record: Record) -> dict[str, Any] | None:
        row = record.row
        name = row.get("Name", "").strip()
        if not name:
            self.problem(record, "Name", _("An account needs a name; skipped."))
            return None
        values: dict[str, Any] = {
            "name": name,
            "industry": schema.INDUSTRY_FROM_SALESFORCE.get(row.get("Industry", "").strip(), ""),
            "country": country_code(row.get("BillingCountry", "")),
            "website": clean_url(self, record, "Website"),
            "description": row.get("Description", ""),
            "owner_id": None,
            "employees": None,
        }
        employees = row.get("NumberOfEmployees", "").strip()
        if employees:
            try:
                values["employees"] = parse_int(employees)
            except BadValue as error:
                self.problem(record, "NumberOfEmployees", error.message)
                return None
            if values["employees"] < 0:
                self.problem(record, "NumberOfEmployees", _("A count cannot be negative."))
                return None
        owner = self.reference(record, "OwnerId")
        if owner is not None:
            values["owner_id"] = self.users.get(owner)
            if values["owner_id"] is None:
                self.missing(record, "OwnerId", owner)
        if self.has("Rapport_Legal_Name__c"):
            values["legal_name"] = row.get("Rapport_Legal_Name__c", "").strip()
        if self.has("Rapport_Domain__c"):
            values["domain"] = row.get("Rapport_Domain__c", "").strip().lower()
        for column in schema.ACCOUNT_CHOICES:
            value = row.get(column, "").strip()
            if not value:
                continue
            target = {"Rapport_Tier__c": "tier", "Rapport_Segment__c": "segment"}.get(
                column, "lifecycle_stage"
            )
            if value in _ACCOUNT_CHOICES[column]:
                values[target] = value
            else:
                self.problem(
                    record,
                    column,
                    _("Unknown value “%(value)s”; the default is kept.") % {"value": value[:40]},
                )
        return values

    def fill(self, row: Any) -> None:
        row.search_name = search_key(row.name)
        row.domain = row.domain.strip().lower()
        row.country = row.country.strip().upper()

    def derived_fields(self, changed: set[str]) -> set[str]:
        return {"search_name"} if "name" in changed else set()

    def on_changed(self, row: Any, changed: list[str]) -> None:
        self.ctx.accounts_changed.add(row.pk)
        if "tier" in changed:
            self.ctx.tier_changed.add(row.pk)

    def after(self, records: list[Record], created: list[Any], updated: list[Any]) -> None:
        self.ctx.accounts_changed.update(row.pk for row in created)
        self.ctx.scratch.add_pairs(
            self.name,
            (
                (r.id, self.reference(r, "ParentId") or "", r.file, r.line)
                for r in records
                if r.id not in self.settled
            ),
        )

    def finish(self) -> None:
        from rapport.interchange.salesforce.relink import relink_accounts

        relink_accounts(self)


class ContactMapper(Mapper):
    """Contacts become stakeholders of their account; ReportsToId is set in a second pass."""

    sobject = schema.CONTACT
    model = Stakeholder
    self_column = "ReportsToId"
    self_attname = "reports_to_id"
    self_depth = MAX_REPORTING_DEPTH
    self_group = "account_id"
    other_group = _lazy("A person can only report to someone of the same account; left empty.")

    def prepare(self, records: list[Record]) -> None:
        self.accounts = resolve(
            Account, filter(None, (self.reference(r, "AccountId") for r in records))
        )

    def values(self, record: Record) -> dict[str, Any] | None:
        row = record.row
        account = self.reference(record, "AccountId")
        account_id = self.accounts.get(account) if account else None
        if account_id is None:
            self.problem(
                record,
                "AccountId",
                _("A stakeholder needs an account, and %(id)s is not one; skipped.")
                % {"id": account or "—"},
            )
            return None
        last_name = row.get("LastName", "").strip()
        if not last_name:
            self.problem(record, "LastName", _("A stakeholder needs a last name; skipped."))
            return None
        return {
            "account_id": account_id,
            "first_name": row.get("FirstName", "").strip(),
            "last_name": last_name,
            "title": row.get("Title", "").strip(),
            "department": row.get("Department", "").strip(),
            "email": clean_email(self, record, "Email"),
            "phone": row.get("Phone", "").strip(),
            "notes": row.get("Description", ""),
        }

    def changes(self, row: Any, values: dict[str, Any]) -> list[str]:
        changed = super().changes(row, values)
        if "account_id" in changed:
            self.ctx.accounts_changed.add(row.account_id)
        return changed

    def fill(self, row: Any) -> None:
        row.search_name = search_key(f"{row.first_name} {row.last_name}".strip())
        row.search_last_name = search_key(row.last_name)
        row.email = row.email.strip().lower()

    def derived_fields(self, changed: set[str]) -> set[str]:
        return (
            {"search_name", "search_last_name"} if changed & {"first_name", "last_name"} else set()
        )

    def after(self, records: list[Record], created: list[Any], updated: list[Any]) -> None:
        self.ctx.accounts_changed.update(row.account_id for row in (*created, *updated))
        self.ctx.scratch.add_pairs(
            self.name,
            (
                (r.id, self.reference(r, "ReportsToId") or "", r.file, r.line)
                for r in records
                if r.id not in self.settled
            ),
        )

    def finish(self) -> None:
        from rapport.interchange.salesforce.relink import relink_contacts

        relink_contacts(self)


class AccountContactRelationMapper(Mapper):
    """A person's tie to an account besides their own; the direct one is the contact itself."""

    sobject = schema.ACCOUNT_CONTACT_RELATION
    model = AccountLink

    def prepare(self, records: list[Record]) -> None:
        self.accounts = resolve(
            Account, filter(None, (self.reference(r, "AccountId") for r in records))
        )
        self.people = resolve(
            Stakeholder,
            filter(None, (self.reference(r, "ContactId") for r in records)),
            "account_id",
        )

    def values(self, record: Record) -> dict[str, Any] | None:
        row = record.row
        try:
            direct = parse_bool(row.get("IsDirect", ""))
            start = parse_date(row["StartDate"]) if row.get("StartDate", "").strip() else None
            end = parse_date(row["EndDate"]) if row.get("EndDate", "").strip() else None
        except BadValue as error:
            self.problem(record, "", error.message)
            return None
        if direct:
            return NOTHING_TO_DO
        contact = self.reference(record, "ContactId")
        person = self.people.get(contact) if contact else None
        account = self.reference(record, "AccountId")
        account_id = self.accounts.get(account) if account else None
        if person is None or account_id is None:
            column, id18 = ("ContactId", contact) if person is None else ("AccountId", account)
            self.problem(
                record,
                column,
                _("%(id)s is not in the export nor imported before; skipped.")
                % {"id": id18 or "—"},
            )
            return None
        person_id, own_account = person
        if own_account == account_id:
            return NOTHING_TO_DO
        if start and end and end < start:
            self.problem(record, "EndDate", _("The end date is before the start date; skipped."))
            return None
        return {
            "stakeholder_id": person_id,
            "account_id": account_id,
            "role": ", ".join(
                part.strip() for part in row.get("Roles", "").split(";") if part.strip()
            ),
            "start_date": start,
            "end_date": end,
        }


class AccountTeamMemberMapper(Mapper):
    """Our people on an account's team; an unknown role is kept as "other" with its text."""

    sobject = schema.ACCOUNT_TEAM_MEMBER
    model = TeamMember

    def prepare(self, records: list[Record]) -> None:
        self.accounts = resolve(
            Account, filter(None, (self.reference(r, "AccountId") for r in records))
        )
        self.users = resolve(User, filter(None, (self.reference(r, "UserId") for r in records)))

    def existing(self, records: list[Record]) -> dict[str, Any]:
        found = super().existing(records)
        account_ids = {
            self.accounts[a]
            for r in records
            if (a := self.reference(r, "AccountId")) in self.accounts
        }
        # The open memberships of these accounts: one per person and role, by a constraint.
        self.open = {
            (member.account_id, member.user_id, member.role): member
            for member in TeamMember.objects.filter(
                account_id__in=account_ids, end_date__isnull=True
            )
        }
        self.found = found
        return found

    def values(self, record: Record) -> dict[str, Any] | None:
        account = self.reference(record, "AccountId")
        user = self.reference(record, "UserId")
        account_id = self.accounts.get(account) if account else None
        user_id = self.users.get(user) if user else None
        if account_id is None or user_id is None:
            column, id18 = ("AccountId", account) if account_id is None else ("UserId", user)
            self.problem(
                record,
                column,
                _("%(id)s is not in the export nor imported before; skipped.")
                % {"id": id18 or "—"},
            )
            return None
        text = record.row.get("TeamMemberRole", "").strip()
        role = schema.TEAM_ROLE_FROM_SALESFORCE.get(text)
        note = ""
        if role is None:
            role, note = TeamRole.OTHER, text[:200]
        key = (account_id, user_id, role)
        holder = self.open.get(key)
        mine = self.found.get(record.id)
        if holder is not None and not (mine is not None and holder.pk == mine.pk):
            if holder.salesforce_id is None and mine is None:
                # The membership was made in Rapport (or for the account's manager): it is this one.
                self.found[record.id] = holder
            else:
                self.problem(
                    record,
                    "TeamMemberRole",
                    _("This person already holds this role on the account; skipped."),
                )
                return None
        values = {
            "salesforce_id": record.id,
            "account_id": account_id,
            "user_id": user_id,
            "role": role,
            "note": note,
        }
        if mine is None or mine.end_date is None:
            self.open[key] = self.found.get(record.id) or self._placeholder(key)
        return values

    def _placeholder(self, key: tuple[int, int, str]) -> Any:
        return TeamMember(account_id=key[0], user_id=key[1], role=key[2], salesforce_id="")

    def build(self, record: Record, values: dict[str, Any]) -> Any:
        return TeamMember(start_date=self.ctx.today, **values)
