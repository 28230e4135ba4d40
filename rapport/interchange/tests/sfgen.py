"""Realistic Salesforce Data Export files for tests, demos and benchmarks.

A small builder: add users, accounts, contacts… (each call returns the record's 18-character
Id), then write the CSV files into a folder or a .zip. What real exports hold is there by
default: accents and non-Latin names, commas and line breaks inside quoted fields, references
given as 15- or 18-character Ids at random, empty optional columns. Options give a BOM, the
Windows-1252 encoding, or any raw row (``add_row``) for bad-input tests::

    export = SalesforceExport(seed=1)
    owner = export.user(email="ana@example.com")
    acme = export.account(name="Acmé, Inc.", OwnerId=owner)
    export.contact(account=acme, LastName="Müller", Description="line one\\nline two")
    export.write_zip(tmp_path / "export.zip")

Any keyword in CamelCase is a column value (it overrides the default); a column the schema does
not list is added to that file (custom ``__c`` fields, say).
"""

from __future__ import annotations

import csv
import io
import random
import zipfile
from pathlib import Path
from typing import Any

from rapport.interchange.salesforce.ids import checksum
from rapport.interchange.salesforce.schema import BY_NAME

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
FIRST_NAMES = (
    "Amélie",
    "Jürgen",
    "Søren",
    "Zoë",
    "François",
    "Ana",
    "Hiroshi",
    "Ðorđe",
    "Grete",
    "Noé",
)
LAST_NAMES = ("Müller", "Straße", "O'Brien", "Dupont-Lefèvre", "山田", "Nguyễn", "Smith", "García")
COMPANIES = ("Acmé", "Bäckerei Groß", "日本 Trading", "Smith, Jones & Co", "Ølfabrik", "Café Noir")


class SalesforceExport:
    """The rows of a Data Export being built, object by object, in memory."""

    def __init__(self, *, seed: int = 0, short_ids: float = 0.3) -> None:
        self.random = random.Random(seed)
        self.short_ids = short_ids
        self.rows: dict[str, list[dict[str, str]]] = {}
        self.extra: dict[str, list[str]] = {}
        self._serial = 0

    # Ids --------------------------------------------------------------------------------------

    def new_id(self, object_name: str) -> str:
        """A fresh 18-character Id with the object's key prefix and mixed case."""
        self._serial += 1
        body = "".join(self.random.choice(_ALPHABET) for _ in range(6))
        serial = ""
        number = self._serial
        for _ in range(6):
            number, digit = divmod(number, 62)
            serial = _ALPHABET[digit] + serial
        id15 = BY_NAME[object_name].prefix + body + serial
        return id15 + checksum(id15)

    def ref(self, id18: str | None) -> str:
        """A reference as exports give it: 15 or 18 characters, at random."""
        if not id18:
            return ""
        return id18[:15] if self.random.random() < self.short_ids else id18

    # Rows -------------------------------------------------------------------------------------

    def add_row(self, object_name: str, row: dict[str, Any]) -> str:
        """Add one row as it is (any columns, any text); returns its Id cell."""
        sobject = BY_NAME[object_name]
        values = {key: "" if value is None else str(value) for key, value in row.items()}
        for key in values:
            if key not in sobject.fields and key not in self.extra.setdefault(object_name, []):
                self.extra[object_name].append(key)
        self.rows.setdefault(object_name, []).append(values)
        return values.get("Id", "")

    def _add(self, object_name: str, defaults: dict[str, Any], fields: dict[str, Any]) -> str:
        row = {"Id": self.new_id(object_name), "IsDeleted": "false", **defaults, **fields}
        return self.add_row(object_name, row)

    def user(self, *, email: str | None = None, **fields: Any) -> str:
        first = self.random.choice(FIRST_NAMES)
        number = self._serial + 1
        return self._add(
            "User",
            {
                "FirstName": first,
                "LastName": self.random.choice(LAST_NAMES),
                "Email": email or f"user{number}@example.com",
                "Title": "Account Manager",
                "IsActive": "true",
                "LanguageLocaleKey": "fr" if number % 2 else "en_US",
            },
            fields,
        )

    def account(
        self,
        *,
        name: str | None = None,
        parent: str | None = None,
        owner: str | None = None,
        **fields: Any,
    ) -> str:
        number = self._serial + 1
        return self._add(
            "Account",
            {
                "Name": name or f"{self.random.choice(COMPANIES)} {number}",
                "ParentId": self.ref(parent),
                "Industry": self.random.choice(
                    ("Banking", "Retail", "Technology", "", "Unknown Industry")
                ),
                "BillingCountry": self.random.choice(("France", "DE", "United States", "")),
                "Website": self.random.choice(
                    (f"www.example{number}.com", "", f"https://acme{number}.example.org")
                ),
                "NumberOfEmployees": self.random.choice(("", "12", "4500")),
                "Description": self.random.choice(
                    ("", "Key client, since 2019", "First line\nsecond, with a comma")
                ),
                "OwnerId": self.ref(owner),
            },
            fields,
        )

    def contact(self, *, account: str, reports_to: str | None = None, **fields: Any) -> str:
        number = self._serial + 1
        return self._add(
            "Contact",
            {
                "AccountId": self.ref(account),
                "FirstName": self.random.choice(FIRST_NAMES),
                "LastName": self.random.choice(LAST_NAMES),
                "Title": self.random.choice(("CEO", "Head of IT, EMEA", "", "Directeur général")),
                "Department": self.random.choice(("", "IT", "Achats")),
                "Email": self.random.choice((f"person{number}@client.example", "")),
                "Phone": self.random.choice(("", "+33 1 23 45 67 89")),
                "ReportsToId": self.ref(reports_to),
                "Description": self.random.choice(("", 'Met at the fair; "champion"\nlikes golf')),
            },
            fields,
        )

    def account_contact_relation(
        self, *, account: str, contact: str, direct: bool = False, **fields: Any
    ) -> str:
        return self._add(
            "AccountContactRelation",
            {
                "AccountId": self.ref(account),
                "ContactId": self.ref(contact),
                "Roles": "Decision Maker;Influencer",
                "IsDirect": str(direct).lower(),
                "StartDate": "2023-01-01",
                "EndDate": "",
            },
            fields,
        )

    def team_member(
        self, *, account: str, user: str, role: str = "Account Manager", **fields: Any
    ) -> str:
        return self._add(
            "AccountTeamMember",
            {"AccountId": self.ref(account), "UserId": self.ref(user), "TeamMemberRole": role},
            fields,
        )

    def product(self, *, name: str, family: str = "Platform", **fields: Any) -> str:
        return self._add(
            "Product2",
            {
                "Name": name,
                "ProductCode": name[:3].upper(),
                "Family": family,
                "IsActive": "true",
                "Description": "",
            },
            fields,
        )

    def contract(
        self, *, account: str, start: str = "2024-01-01", end: str = "2024-12-31", **fields: Any
    ) -> str:
        return self._add(
            "Contract",
            {
                "AccountId": self.ref(account),
                "ContractNumber": f"C-{self._serial + 1:05d}",
                "Status": "Activated",
                "StartDate": start,
                "EndDate": end,
                "CurrencyIsoCode": "",
                "Description": "",
            },
            fields,
        )

    def opportunity(
        self,
        *,
        account: str,
        stage: str = "Qualification",
        close: str = "2025-06-30",
        **fields: Any,
    ) -> str:
        return self._add(
            "Opportunity",
            {
                "AccountId": self.ref(account),
                "Name": f"Deal {self._serial + 1}",
                "Type": "Existing Customer - Upgrade",
                "StageName": stage,
                "Amount": "12000.50",
                "CurrencyIsoCode": "",
                "CloseDate": close,
                "Probability": "",
                "ForecastCategoryName": "",
                "IsClosed": "false",
                "IsWon": "false",
            },
            fields,
        )

    def opportunity_contact_role(self, *, opportunity: str, contact: str, **fields: Any) -> str:
        return self._add(
            "OpportunityContactRole",
            {
                "OpportunityId": self.ref(opportunity),
                "ContactId": self.ref(contact),
                "Role": "Decision Maker",
                "IsPrimary": "true",
            },
            fields,
        )

    def opportunity_line_item(self, *, opportunity: str, product: str, **fields: Any) -> str:
        return self._add(
            "OpportunityLineItem",
            {
                "OpportunityId": self.ref(opportunity),
                "Product2Id": self.ref(product),
                "Quantity": "10",
                "UnitPrice": "99.90",
            },
            fields,
        )

    def task(
        self,
        *,
        what: str | None = None,
        who: str | None = None,
        owner: str | None = None,
        **fields: Any,
    ) -> str:
        return self._add(
            "Task",
            {
                "WhoId": self.ref(who),
                "WhatId": self.ref(what),
                "Subject": "Call about the renewal, v2",
                "ActivityDate": "2024-03-15",
                "Status": "Completed",
                "IsClosed": "true",
                "TaskSubtype": "Call",
                "Type": "Call",
                "CallDurationInSeconds": "600",
                "OwnerId": self.ref(owner),
                "Description": "Notes: ça va\nnext: send quote",
            },
            fields,
        )

    def event(
        self,
        *,
        what: str | None = None,
        who: str | None = None,
        owner: str | None = None,
        **fields: Any,
    ) -> str:
        return self._add(
            "Event",
            {
                "WhoId": self.ref(who),
                "WhatId": self.ref(what),
                "Subject": "Quarterly review",
                "ActivityDate": "2024-04-02",
                "StartDateTime": "2024-04-02T09:30:00.000Z",
                "DurationInMinutes": "60",
                "OwnerId": self.ref(owner),
                "Description": "",
            },
            fields,
        )

    def case(self, **fields: Any) -> str:
        return self._add(
            "Case", {"Subject": "Login fails", "Status": "New", "Priority__c": "High"}, fields
        )

    # Files ------------------------------------------------------------------------------------

    def csv_text(self, object_name: str) -> str:
        sobject = BY_NAME[object_name]
        columns = [*sobject.fields, *self.extra.get(object_name, [])]
        buffer = io.StringIO()
        writer = csv.DictWriter(
            buffer, columns, restval="", extrasaction="ignore", lineterminator="\r\n"
        )
        writer.writeheader()
        writer.writerows(self.rows.get(object_name, []))
        return buffer.getvalue()

    def files(self, *, bom: bool = False, encoding: str = "utf-8") -> dict[str, bytes]:
        """{file name: content} of every object with rows."""
        prefix = "\ufeff" if bom else ""
        return {
            f"{name}.csv": (prefix + self.csv_text(name)).encode(encoding, errors="replace")
            for name in self.rows
        }

    def write_folder(
        self, folder: Path, *, bom: bool = False, encoding: str = "utf-8", subfolder: str = ""
    ) -> Path:
        target = folder / subfolder if subfolder else folder
        target.mkdir(parents=True, exist_ok=True)
        for name, content in self.files(bom=bom, encoding=encoding).items():
            (target / name).write_bytes(content)
        return folder

    def write_zip(
        self, path: Path, *, bom: bool = False, encoding: str = "utf-8", subfolder: str = ""
    ) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, content in self.files(bom=bom, encoding=encoding).items():
                archive.writestr(f"{subfolder}/{name}" if subfolder else name, content)
        return path
