"""Importing a spreadsheet's rows as accounts, stakeholders, touchpoints or contracts.

Each row goes through what a record typed in by hand goes through: the app's own form
(``forms.py``, "also used to validate imported rows") checks it, and the app's own service
writes it, so the same rules hold and the same audited history is kept. A row with a problem is
skipped and reported (file, line, column, reason) while the valid rows land; each row is written
in a savepoint of its own, so a row refused half-way leaves nothing of itself behind.

A reference that cannot be found (a parent account, a manager, a participant) is left empty and
reported, the row itself kept; parents and managers are looked for again once every row is in,
since a file need not list a group before its subsidiaries or a manager before their team.

The preview runs this same code on the first rows inside a transaction it rolls back.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, Protocol

from django import forms
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.accounts import services as account_services
from rapport.accounts.forms import AccountForm
from rapport.accounts.models import Account
from rapport.accounts.services import ACCOUNT_FIELDS
from rapport.communications import services as communication_services
from rapport.communications.choices import TouchpointKind, TouchpointSource
from rapport.communications.forms import TouchpointForm
from rapport.communications.models import Touchpoint
from rapport.communications.services import TOUCHPOINT_FIELDS
from rapport.core.exceptions import NotAllowedError
from rapport.core.text import search_key
from rapport.interchange.choices import ImportTarget
from rapport.interchange.exceptions import ImportRefused
from rapport.interchange.progress import Progress
from rapport.interchange.spreadsheet.fields import Context, ImportField, field_map, is_blank
from rapport.interchange.spreadsheet.mapping import run_mapping
from rapport.interchange.spreadsheet.reading import open_sheet
from rapport.revenue import services as revenue_services
from rapport.revenue.forms.contracts import CONTRACT_FIELDS, ContractForm, LineForm
from rapport.revenue.models import Contract, Product
from rapport.revenue.rates import company_currency
from rapport.stakeholders import services as stakeholder_services
from rapport.stakeholders.forms import StakeholderForm
from rapport.stakeholders.models import Stakeholder
from rapport.stakeholders.services import STAKEHOLDER_FIELDS
from rapport.users.models import User

CREATED, UPDATED, UNCHANGED, SKIPPED = "created", "updated", "unchanged", "skipped"
OUTCOMES = (CREATED, UPDATED, UNCHANGED, SKIPPED)
PREVIEW_ROWS = 20
# Beyond the rows shown, the preview counts this many more; the dry run checks a whole file.
PREVIEW_COUNTED_ROWS = 500
PROGRESS_STAGE = "rows"
# A touchpoint whose file says not how it happened: the commonest exchange, as on the log form.
DEFAULT_KIND = TouchpointKind.CALL


class Problems(Protocol):
    def add(self, file: str, line: int | None, field: str, reason: str) -> None: ...


class RowRefused(Exception):
    """A row that cannot be imported, with its problems as (field, reason)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(problems)
        self.problems = problems


@dataclass
class RowResult:
    """What became of one row: the values read, the problems met, and the outcome."""

    line: int
    values: dict[str, str] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)
    # Problems that did not stop the row: a reference left empty.
    warnings: list[tuple[str, str]] = field(default_factory=list)
    outcome: str = SKIPPED

    def messages_for(self, name: str) -> list[str]:
        return [reason for field_name, reason in self.errors + self.warnings if field_name == name]

    @property
    def row_messages(self) -> list[str]:
        return self.messages_for("")


@dataclass
class Deferred:
    """A reference to look for again once every row is in."""

    line: int
    field: str
    apply: Callable[[], str | None]


def form_data(form: forms.BaseForm) -> dict[str, Any]:
    """What an unbound form shows (the record's values, or a new one's defaults), as data."""
    return {name: form[name].value() for name in form.fields}


def errors_of(error: ValidationError, rename: Mapping[str, str]) -> list[tuple[str, str]]:
    """A refusal as (field, reason), its fields named as the import names them."""
    if hasattr(error, "error_dict"):
        return [
            (rename.get(name, name if name != "__all__" else ""), message)
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return [("", message) for message in error.messages]


def form_errors(form: forms.BaseForm, rename: Mapping[str, str]) -> list[tuple[str, str]]:
    return [
        (rename.get(name, name if name != "__all__" else ""), str(message))
        for name, messages in form.errors.items()
        for message in messages
    ]


def _several(what: str, name: str) -> RowRefused:
    return RowRefused([(what, _("Several records match “%(name)s”.") % {"name": name})])


class RowImporter:
    """Reads, checks and writes the rows of one target; one subclass per target."""

    target: ClassVar[str]
    # Form field names that differ from the import's field names.
    rename: ClassVar[dict[str, str]] = {}

    def __init__(self, *, acting_user: User, columns: Mapping[str, str], context: Context) -> None:
        self.acting_user = acting_user
        self.columns = dict(columns)
        self.context = context
        self.fields = field_map(self.target)
        self.deferred: list[Deferred] = []
        self._accounts: dict[str, Account | None] = {}
        self._users: dict[str, User] | None = None

    def import_row(self, line: int, cells: Mapping[str, Any]) -> RowResult:
        """Read one row (cells by header), check it and write it, in a savepoint of its own."""
        result = RowResult(line=line)
        parsed: dict[str, Any] = {}
        for header, name in self.columns.items():
            value = cells.get(header)
            import_field = self.fields[name]
            if is_blank(value):
                continue
            try:
                parsed[name] = import_field.parse(value, self.context)
                result.values[name] = import_field.show(parsed[name])
            except ValidationError as error:
                result.values[name] = str(value)
                result.errors.extend((name, message) for message in error.messages)
        for import_field in self.fields.values():
            missing = import_field.required and import_field.name not in parsed
            if missing and not result.messages_for(import_field.name):
                result.errors.append(
                    (
                        import_field.name,
                        _("%(field)s is empty.") % {"field": import_field.label},
                    )
                )
        if result.errors:
            return result
        try:
            with transaction.atomic():
                result.outcome = self.write(parsed, result)
        except RowRefused as refusal:
            result.errors.extend(refusal.problems)
        except ValidationError as error:
            result.errors.extend(errors_of(error, self.rename))
        except NotAllowedError:
            result.errors.append(("", _("You may not make this change.")))
        except DatabaseError as error:
            result.errors.append(
                ("", _("The database refused the row: %(error)s") % {"error": error})
            )
        if result.errors:
            result.outcome = SKIPPED
            result.warnings.clear()
        return result

    def write(self, parsed: dict[str, Any], result: RowResult) -> str:
        raise NotImplementedError

    def finish(self) -> Iterator[tuple[int, str, str]]:
        """Look again for the references rows left pending; yield (line, field, reason) of
        those still not found or refused."""
        for pending in self.deferred:
            try:
                with transaction.atomic():
                    reason = pending.apply()
            except ValidationError as error:
                reason = " ".join(message for _name, message in errors_of(error, self.rename))
            except NotAllowedError:
                reason = _("You may not make this change.")
            if reason:
                yield pending.line, pending.field, reason
        self.deferred.clear()

    # Looking records up by what a spreadsheet can say of them --------------------------------

    def account_named(self, name: str, *, what: str = "account") -> Account:
        """The one account with this name (case and accents aside), or the row is refused."""
        key = search_key(name)
        if key not in self._accounts:
            matches = list(Account.objects.filter(search_name=key)[:2])
            if len(matches) > 1:
                raise _several(what, name)
            self._accounts[key] = matches[0] if matches else None
        account = self._accounts[key]
        if account is None:
            raise RowRefused([(what, _("No account is named “%(name)s”.") % {"name": name})])
        return account

    def user_named(self, text: str) -> User | None:
        """One of our people by e-mail or full name; people are few, so read once."""
        if self._users is None:
            self._users = {}
            for user in User.objects.filter(is_active=True):
                self._users.setdefault(user.email.lower(), user)
                self._users.setdefault(search_key(f"{user.first_name} {user.last_name}"), user)
        return self._users.get(text.strip().lower()) or self._users.get(search_key(text))

    def with_values(
        self,
        form_class: Callable[..., forms.BaseForm],
        instance: Any,
        values: dict[str, Any],
        **kwargs: Any,
    ) -> forms.BaseForm:
        """The app's form bound to the record's current values with the row's on top.

        The form works on a copy: validating a model form writes the new values onto its
        instance, and the record as it was is what tells whether the row changes anything.
        """
        instance = copy.copy(instance)
        blank = form_class(instance=instance, **kwargs)
        return form_class(form_data(blank) | values, instance=instance, **kwargs)

    def check(self, form: forms.BaseForm) -> dict[str, Any]:
        if not form.is_valid():
            raise RowRefused(form_errors(form, self.rename))
        return dict(form.cleaned_data)


def changes(instance: Any, cleaned: Mapping[str, Any], names: set[str]) -> dict[str, Any]:
    """The mapped fields whose value differs from the record's."""
    changed = {}
    for name in names:
        if name not in cleaned:
            continue
        current = getattr(instance, name)
        value = cleaned[name]
        if isinstance(current, list) or isinstance(value, list):
            differs = sorted(current or []) != sorted(value or [])
        else:
            differs = current != value
        if differs:
            changed[name] = value
    return changed


class AccountImporter(RowImporter):
    """Accounts, matched by name: the same name (case and accents aside) is updated."""

    target = ImportTarget.ACCOUNTS

    def write(self, parsed: dict[str, Any], result: RowResult) -> str:
        name = parsed["name"]
        matches = list(Account.objects.filter(search_name=search_key(name))[:2])
        if len(matches) > 1:
            raise _several("name", name)
        existing = matches[0] if matches else None
        values = {key: value for key, value in parsed.items() if key in ACCOUNT_FIELDS}
        parent_name = values.pop("parent", None)
        if "owner" in values:
            owner = self.user_named(values.pop("owner"))
            if owner is None:
                result.warnings.append(
                    ("owner", _("No active user has this e-mail or name; left as it was."))
                )
            else:
                values["owner"] = owner.pk
        parent = None
        if parent_name is not None:
            parent = Account.objects.filter(search_name=search_key(parent_name)).first()
            if parent is not None:
                values["parent"] = parent.name
        form = self.with_values(AccountForm, existing or Account(), values)
        cleaned = self.check(form)
        if existing is None:
            data = {key: cleaned[key] for key in ACCOUNT_FIELDS if key in cleaned}
            account = account_services.account_create(acting_user=self.acting_user, data=data)
            outcome = CREATED
        else:
            changed = changes(existing, cleaned, set(values))
            if not changed:
                account, outcome = existing, UNCHANGED
            else:
                account = account_services.account_update(
                    account=existing,
                    acting_user=self.acting_user,
                    data=changed,
                    expected_version=None,
                )
                outcome = UPDATED
        self._accounts[search_key(account.name)] = account
        if parent_name is not None and parent is None:
            self.deferred.append(
                Deferred(result.line, "parent", self._parent_later(account.pk, parent_name))
            )
        return outcome

    def _parent_later(self, account_id: int, parent_name: str) -> Callable[[], str | None]:
        def apply() -> str | None:
            parent = Account.objects.filter(search_name=search_key(parent_name)).first()
            if parent is None:
                return _("No account is named “%(name)s”; left without a parent.") % {
                    "name": parent_name
                }
            account = Account.objects.get(pk=account_id)
            if account.parent_id != parent.pk:
                account_services.account_update(
                    account=account,
                    acting_user=self.acting_user,
                    data={"parent": parent},
                    expected_version=None,
                )
            return None

        return apply


class StakeholderImporter(RowImporter):
    """People, matched within their account by e-mail when given, else by full name."""

    target = ImportTarget.STAKEHOLDERS

    def write(self, parsed: dict[str, Any], result: RowResult) -> str:
        account = self.account_named(parsed["account"])
        email = str(parsed.get("email") or "").lower()
        full_name = f"{parsed.get('first_name', '')} {parsed['last_name']}".strip()
        people = Stakeholder.objects.filter(account=account)
        if email:
            matches = list(people.filter(email=email)[:2])
        else:
            matches = list(people.filter(search_name=search_key(full_name))[:2])
        if len(matches) > 1:
            raise _several("email" if email else "last_name", email or full_name)
        existing = matches[0] if matches else None
        values = {key: value for key, value in parsed.items() if key in STAKEHOLDER_FIELDS}
        manager_ref = values.pop("reports_to", None)
        manager = self._person(account, manager_ref, exclude=existing) if manager_ref else None
        if manager is not None:
            values["reports_to"] = manager.pk
        form = self.with_values(
            StakeholderForm, existing or Stakeholder(account=account), values, account=account
        )
        cleaned = self.check(form)
        if existing is None:
            data = {key: cleaned[key] for key in STAKEHOLDER_FIELDS if key in cleaned}
            person = stakeholder_services.stakeholder_create(
                account=account, acting_user=self.acting_user, data=data
            )
            outcome = CREATED
        else:
            changed = changes(existing, cleaned, set(values))
            if not changed:
                person, outcome = existing, UNCHANGED
            else:
                person = stakeholder_services.stakeholder_update(
                    stakeholder=existing,
                    acting_user=self.acting_user,
                    data=changed,
                    expected_version=None,
                )
                outcome = UPDATED
        if manager_ref and manager is None:
            self.deferred.append(
                Deferred(result.line, "reports_to", self._manager_later(person.pk, manager_ref))
            )
        return outcome

    @staticmethod
    def _person(
        account: Account, reference: str, *, exclude: Stakeholder | None
    ) -> Stakeholder | None:
        people = Stakeholder.objects.filter(account=account)
        if exclude is not None:
            people = people.exclude(pk=exclude.pk)
        if "@" in reference:
            return people.filter(email=reference.strip().lower()).first()
        return people.filter(search_name=search_key(reference)).first()

    def _manager_later(self, person_id: int, reference: str) -> Callable[[], str | None]:
        def apply() -> str | None:
            person = Stakeholder.objects.get(pk=person_id)
            manager = self._person(person.account, reference, exclude=person)
            if manager is None:
                return _("Nobody at the account is “%(name)s”; left without a manager.") % {
                    "name": reference
                }
            if person.reports_to_id != manager.pk:
                stakeholder_services.stakeholder_set_manager(
                    stakeholder=person, manager=manager, acting_user=self.acting_user
                )
            return None

        return apply


class TouchpointImporter(RowImporter):
    """Touchpoints, always new, but never twice: the same account, moment and subject are the
    same touchpoint, found again by a key kept on it."""

    target = ImportTarget.TOUCHPOINTS
    rename: ClassVar[dict[str, str]] = {"stakeholders": "participants"}

    def write(self, parsed: dict[str, Any], result: RowResult) -> str:
        account = self.account_named(parsed["account"])
        values = {key: value for key, value in parsed.items() if key in TOUCHPOINT_FIELDS}
        if "participants" in parsed:
            emails = [email.lower() for email in parsed["participants"]]
            found = dict(
                Stakeholder.objects.filter(account=account, email__in=emails).values_list(
                    "email", "pk"
                )
            )
            unknown = [email for email in emails if email not in found]
            if unknown:
                result.warnings.append(
                    (
                        "participants",
                        _("Nobody at the account has the e-mail %(emails)s; left out.")
                        % {"emails": ", ".join(unknown)},
                    )
                )
            values["stakeholders"] = list(
                dict.fromkeys(found[email] for email in emails if email in found)
            )
        key = external_id(account.pk, parsed["occurred_at"], parsed["subject"])
        existing = Touchpoint.objects.filter(
            source=TouchpointSource.SPREADSHEET, external_id=key
        ).first()
        if existing is None:
            # Whoever imports the file did not take part in the exchanges it lists.
            values.setdefault("users", [])
            values.setdefault("kind", DEFAULT_KIND)
        form = self.with_values(
            TouchpointForm,
            existing or Touchpoint(account=account),
            values,
            account=account,
            user=self.acting_user,
        )
        cleaned = self.check(form)
        people = cleaned.get("stakeholders") or []
        if existing is None:
            communication_services.touchpoint_create(
                acting_user=self.acting_user,
                account=account,
                data={name: cleaned[name] for name in TOUCHPOINT_FIELDS},
                stakeholders=people,
                users=cleaned.get("users") or [],
                source=TouchpointSource.SPREADSHEET,
                external_id=key,
            )
            return CREATED
        changed = changes(existing, cleaned, set(values) & set(TOUCHPOINT_FIELDS))
        current_people = set(existing.stakeholders.values_list("pk", flat=True))
        new_people = "stakeholders" in values and {person.pk for person in people} != current_people
        if not changed and not new_people:
            return UNCHANGED
        communication_services.touchpoint_update(
            touchpoint=existing,
            acting_user=self.acting_user,
            data=changed,
            stakeholders=people if new_people else None,
            expected_version=None,
        )
        return UPDATED


def external_id(account_id: int, occurred_at: Any, subject: str) -> str:
    """The key of an imported touchpoint: its account, moment and subject, hashed."""
    moment = occurred_at.isoformat() if hasattr(occurred_at, "isoformat") else str(occurred_at)
    text = f"{account_id}\x1f{moment}\x1f{subject.strip()}"
    return "sheet:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


class ContractImporter(RowImporter):
    """Contracts, matched within their account by reference (or, without one, by their dates),
    with at most one product line."""

    target = ImportTarget.CONTRACTS
    rename: ClassVar[dict[str, str]] = {"lines": "product"}
    LINE_FIELDS = ("product", "quantity", "unit_price")

    def write(self, parsed: dict[str, Any], result: RowResult) -> str:
        account = self.account_named(parsed["account"])
        contracts = Contract.objects.filter(account=account)
        reference = parsed.get("reference") or ""
        if reference:
            matches = list(contracts.filter(reference=reference)[:2])
        else:
            matches = list(
                contracts.filter(
                    reference="", start_date=parsed["start_date"], end_date=parsed["end_date"]
                )[:2]
            )
        if len(matches) > 1:
            raise _several("reference", reference or account.name)
        existing = matches[0] if matches else None
        values = {key: value for key, value in parsed.items() if key in CONTRACT_FIELDS}
        values["account"] = account.name
        if existing is None:
            values.setdefault("currency", company_currency())
        form = self.with_values(
            ContractForm, existing or Contract(account=account), values, pick_account=True
        )
        cleaned = self.check(form)
        line = self._line(parsed, currency=cleaned.get("currency") or company_currency())
        if existing is None:
            contract_data = {name: cleaned[name] for name in CONTRACT_FIELDS}
            revenue_services.contract_create(
                acting_user=self.acting_user,
                account=account,
                data=contract_data,
                lines=[line] if line else [],
            )
            return CREATED
        changed = changes(existing, cleaned, set(values) & set(CONTRACT_FIELDS))
        new_lines = None
        if line is not None:
            current = [
                (row.product_id, row.quantity, row.unit_price) for row in existing.lines.all()
            ]
            wanted = [(line["product"].pk, Decimal(line["quantity"]), Decimal(line["unit_price"]))]
            if current != wanted:
                new_lines = [line]
        if not changed and new_lines is None:
            return UNCHANGED
        revenue_services.contract_update(
            contract=existing,
            acting_user=self.acting_user,
            data=changed,
            expected_version=None,
            lines=new_lines,
        )
        return UPDATED

    def _line(self, parsed: dict[str, Any], *, currency: str) -> dict[str, Any] | None:
        """The row's product line checked by the contract page's own line form, if it has one."""
        if not any(name in parsed for name in self.LINE_FIELDS):
            return None
        product = None
        if "product" in parsed:
            product = Product.objects.filter(search_name=search_key(parsed["product"])).first()
            if product is None:
                raise RowRefused(
                    [
                        (
                            "product",
                            _("No product is named “%(name)s”.") % {"name": parsed["product"]},
                        )
                    ]
                )
        choices = [(product.pk, product.name)] if product else []
        row = LineForm(
            {
                "product": product.pk if product else "",
                "quantity": parsed.get("quantity", ""),
                "unit_price": parsed.get("unit_price", ""),
            },
            choices=choices,
        )
        if not row.is_valid():
            raise RowRefused(form_errors(row, {}))
        price = row.cleaned_data.get("unit_price")
        if price is None:
            if currency != company_currency():
                raise RowRefused(
                    [
                        (
                            "unit_price",
                            _(
                                "Give the unit price in %(currency)s: the list price is in "
                                "%(company)s."
                            )
                            % {"currency": currency, "company": company_currency()},
                        )
                    ]
                )
            assert product is not None  # LineForm refuses a price without a product
            price = product.list_price
        return {"product": product, "quantity": row.cleaned_data["quantity"], "unit_price": price}


IMPORTERS: dict[str, type[RowImporter]] = {
    importer.target: importer
    for importer in (AccountImporter, StakeholderImporter, TouchpointImporter, ContractImporter)
}


def importer_for(
    target: str, *, acting_user: User, columns: Mapping[str, str], date_order: str
) -> RowImporter:
    if target not in IMPORTERS:
        raise ImportRefused(_("Rows cannot become “%(target)s”.") % {"target": target})
    return IMPORTERS[target](
        acting_user=acting_user, columns=columns, context=Context(date_order=date_order)
    )


def _rows(source: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with open_sheet(source) as sheet:
        for line, cells in sheet.rows:
            yield line, dict(zip(sheet.headers, cells, strict=True))


def _count_rows(source: Path) -> int:
    with open_sheet(source) as sheet:
        return sum(1 for _row in sheet.rows)


def import_spreadsheet(
    *,
    source: Path,
    workdir: Path,
    acting_user: User | None,
    report: Problems,
    progress: Progress,
    dry_run: bool,
    strict: bool,
    target: str,
    mapping: dict[str, Any],
) -> dict[str, dict[str, int]]:
    """Import every row of a mapped spreadsheet; return what was created, updated and skipped.

    Called by ``services.import_run_execute`` inside the run's one transaction, which rolls
    everything back for a dry run or a strict import that met a problem.
    """
    if acting_user is None:
        raise ImportRefused(_("A spreadsheet import is made by someone: sign in and upload it."))
    with open_sheet(source) as sheet:
        headers = sheet.headers
    columns, date_order = run_mapping(target=target, mapping=mapping, headers=headers)
    importer = importer_for(target, acting_user=acting_user, columns=columns, date_order=date_order)
    total = _count_rows(source)
    labels = {name: str(import_field.label) for name, import_field in importer.fields.items()}
    column_of = {name: header for header, name in columns.items()}

    def where(name: str) -> str:
        return column_of.get(name) or labels.get(name, name)

    counts = dict.fromkeys(OUTCOMES, 0)
    progress(PROGRESS_STAGE, 0, total, force=True)
    for done, (line, cells) in enumerate(_rows(source), start=1):
        result = importer.import_row(line, cells)
        counts[result.outcome] += 1
        for name, reason in result.errors + result.warnings:
            report.add(source.name, line, where(name), reason)
        progress(PROGRESS_STAGE, done, total)
    for line, name, reason in importer.finish():
        report.add(source.name, line, where(name), reason)
    progress(PROGRESS_STAGE, total, total, force=True)
    return {target: counts}


OUTCOME_LABELS = {
    CREATED: gettext_lazy("Created"),
    UPDATED: gettext_lazy("Updated"),
    UNCHANGED: gettext_lazy("Unchanged"),
    SKIPPED: gettext_lazy("Skipped"),
}


@dataclass(frozen=True)
class PreviewCell:
    value: str
    messages: list[str]


@dataclass(frozen=True)
class PreviewLine:
    """A row of the preview as the page draws it: a cell per mapped field."""

    row: RowResult
    cells: list[PreviewCell]

    @property
    def outcome_label(self) -> str:
        return str(OUTCOME_LABELS[self.row.outcome])


@dataclass
class Preview:
    """The first rows as they would be imported, and what the rows counted would do."""

    fields: list[ImportField]
    rows: list[RowResult]
    counts: dict[str, int]
    counted: int
    complete: bool

    @property
    def lines(self) -> list[PreviewLine]:
        return [
            PreviewLine(
                row=row,
                cells=[
                    PreviewCell(row.values.get(item.name, ""), row.messages_for(item.name))
                    for item in self.fields
                ],
            )
            for row in self.rows
        ]


def preview(
    *,
    source: Path,
    target: str,
    mapping: dict[str, Any],
    acting_user: User,
    shown: int = PREVIEW_ROWS,
    counted: int = PREVIEW_COUNTED_ROWS,
) -> Preview:
    """Import the first rows for real, see what happens, and roll it all back."""
    with open_sheet(source) as sheet:
        headers = sheet.headers
    columns, date_order = run_mapping(target=target, mapping=mapping, headers=headers)
    importer = importer_for(target, acting_user=acting_user, columns=columns, date_order=date_order)
    mapped = set(columns.values())
    fields = [
        import_field for import_field in importer.fields.values() if import_field.name in mapped
    ]
    rows: list[RowResult] = []
    counts = dict.fromkeys(OUTCOMES, 0)
    complete = True
    number = 0
    with transaction.atomic():
        for number, (line, cells) in enumerate(_rows(source), start=1):
            if number > counted:
                complete = False
                number -= 1
                break
            result = importer.import_row(line, cells)
            counts[result.outcome] += 1
            if number <= shown:
                rows.append(result)
        by_line = {row.line: row for row in rows}
        for line, name, reason in importer.finish():
            if line in by_line:
                by_line[line].warnings.append((name, reason))
        transaction.set_rollback(True)
    return Preview(fields=fields, rows=rows, counts=counts, counted=number, complete=complete)
