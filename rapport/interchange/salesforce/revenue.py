"""Products, contracts, opportunities and what hangs on them (buying committee, lines)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from rapport.accounts.models import Account
from rapport.core.text import search_key
from rapport.interchange.salesforce import schema
from rapport.interchange.salesforce.base import Mapper, Record, resolve
from rapport.interchange.salesforce.values import (
    BadValue,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_int,
)
from rapport.revenue.choices import ContractStatus, OpportunityStatus, OpportunityType
from rapport.revenue.models import (
    Contract,
    Opportunity,
    OpportunityContact,
    OpportunityLine,
    PipelineStage,
    Product,
    ProductFamily,
)
from rapport.revenue.rates import RateTable
from rapport.revenue.services import add_months
from rapport.stakeholders.models import Stakeholder
from rapport.users.models import User

_CURRENCY = re.compile(r"[A-Z]{3}")
ONE_DAY = datetime.timedelta(days=1)
MAX_NOTICE_DAYS = 730


def _required(mapper: Mapper, record: Record, column: str, found: dict[str, Any]) -> Any:
    """The resolved row of a required reference, or None after reporting the row skipped."""
    id18 = mapper.reference(record, column)
    value = found.get(id18) if id18 else None
    if value is None:
        mapper.problem(
            record,
            column,
            _("%(id)s is not in the export nor imported before; skipped.") % {"id": id18 or "—"},
        )
    return value


def _ids(mapper: Mapper, records: list[Record], column: str) -> list[str]:
    return [id18 for record in records if (id18 := mapper.reference(record, column))]


def _currency(mapper: Mapper, record: Record) -> str | None:
    value = record.row.get("CurrencyIsoCode", "").strip().upper() or str(settings.RAPPORT_CURRENCY)
    if not _CURRENCY.fullmatch(value):
        mapper.problem(
            record,
            "CurrencyIsoCode",
            _("“%(value)s” is not a currency code; skipped.") % {"value": value[:20]},
        )
        return None
    return value


class ProductMapper(Mapper):
    """Product2: a product of the same name made in Rapport is this one (names are unique)."""

    sobject = schema.PRODUCT
    model = Product

    def existing(self, records: list[Record]) -> dict[str, Any]:
        found = super().existing(records)
        names = {record.row.get("Name", "").strip() for record in records}
        self.by_name = {product.name: product for product in Product.objects.filter(name__in=names)}
        self.families = dict(ProductFamily.objects.values_list("name", "pk"))
        self.found = found
        return found

    def values(self, record: Record) -> dict[str, Any] | None:
        row = record.row
        name = row.get("Name", "").strip()
        if not name:
            self.problem(record, "Name", _("A product needs a name; skipped."))
            return None
        holder = self.by_name.get(name)
        mine = self.found.get(record.id)
        if holder is not None and not (mine is not None and holder.pk == mine.pk):
            if holder.salesforce_id is None and mine is None:
                self.found[record.id] = holder
            else:
                self.problem(record, "Name", _("Another product already has this name; skipped."))
                return None
        self.by_name[name] = self.found.get(record.id) or Product(
            name=name, salesforce_id=record.id
        )
        try:
            active = parse_bool(row.get("IsActive", "") or "true")
        except BadValue as error:
            self.problem(record, "IsActive", error.message)
            return None
        # Every product belongs to a family; Salesforce's Family picklist is optional.
        family_name = row.get("Family", "").strip()[:100] or str(_("Other"))
        family_id = self.families.get(family_name)
        if family_id is None:
            family = ProductFamily.objects.create(name=family_name, position=len(self.families) + 1)
            family_id = self.families[family_name] = family.pk
        return {
            "salesforce_id": record.id,
            "name": name,
            "code": row.get("ProductCode", "").strip(),
            "family_id": family_id,
            "is_active": active,
            "description": row.get("Description", ""),
        }

    def build(self, record: Record, values: dict[str, Any]) -> Any:
        # Salesforce keeps prices in price books, which the export does not carry.
        return Product(list_price=Decimal(0), **values)

    def fill(self, row: Any) -> None:
        row.search_name = search_key(row.name)

    def derived_fields(self, changed: set[str]) -> set[str]:
        return {"search_name"} if "name" in changed else set()


class ContractMapper(Mapper):
    sobject = schema.CONTRACT
    model = Contract

    def prepare(self, records: list[Record]) -> None:
        self.accounts = resolve(Account, _ids(self, records, "AccountId"))

    def values(self, record: Record) -> dict[str, Any] | None:
        row = record.row
        account_id = _required(self, record, "AccountId", self.accounts)
        currency = _currency(self, record)
        if account_id is None or currency is None:
            return None
        try:
            start = parse_date(row.get("StartDate", ""))
            end = parse_date(row["EndDate"]) if row.get("EndDate", "").strip() else None
            term = row.get("ContractTerm", "").strip()
            if end is None and term:
                end = add_months(start, parse_int(term)) - ONE_DAY
            auto_renew = parse_bool(row.get("Rapport_Auto_Renew__c", ""))
            notice = row.get("Rapport_Notice_Days__c", "").strip()
            notice_days = parse_int(notice) if notice else None
        except BadValue as error:
            self.problem(record, "", error.message)
            return None
        if end is None:
            self.problem(record, "EndDate", _("Neither an end date nor a term in months; skipped."))
            return None
        if end <= start:
            self.problem(
                record, "EndDate", _("The end date must be after the start date; skipped.")
            )
            return None
        if notice_days is not None and not 0 <= notice_days < min(
            MAX_NOTICE_DAYS + 1, (end - start).days + 1
        ):
            self.problem(
                record,
                "Rapport_Notice_Days__c",
                _("The notice period must be shorter than the term; skipped."),
            )
            return None
        status = row.get("Rapport_Status__c", "").strip()
        if status not in ContractStatus.values:
            if status:
                self.problem(
                    record,
                    "Rapport_Status__c",
                    _("Unknown status “%(value)s”; active.") % {"value": status[:30]},
                )
            status = ContractStatus.ACTIVE
        return {
            "account_id": account_id,
            "reference": row.get("ContractNumber", "").strip(),
            "currency": currency,
            "start_date": start,
            "end_date": end,
            "auto_renew": auto_renew,
            "notice_days": notice_days,
            "status": status,
            "notes": row.get("Description", ""),
        }

    def build(self, record: Record, values: dict[str, Any]) -> Any:
        return Contract(salesforce_id=record.id, created_by=self.ctx.acting_user, **values)


class OpportunityMapper(Mapper):
    """Opportunities. An unknown or empty Type is imported as an upsell, the neutral case of
    "more from an existing client"; a renewal without a contract to renew becomes an upsell."""

    sobject = schema.OPPORTUNITY
    model = Opportunity

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stages = list(PipelineStage.objects.order_by("position", "pk"))
        self.stages = {stage.name.lower(): stage for stage in stages}
        self.closing: dict[str, PipelineStage] = {}
        for stage in stages:
            if stage.is_active:
                self.closing.setdefault(stage.outcome, stage)
        self.rates = RateTable()

    def prepare(self, records: list[Record]) -> None:
        self.accounts = resolve(Account, _ids(self, records, "AccountId"))
        self.contracts = resolve(Contract, _ids(self, records, "ContractId"), "account_id")
        self.users = dict(
            (row[0], row[1:])
            for row in User.objects.filter(
                salesforce_id__in=_ids(self, records, "OwnerId")
            ).values_list("salesforce_id", "pk", "is_active", "role")
        )
        # The latest contract of each account, for a renewal that names none.
        self.terms: dict[int, list[tuple[datetime.date, int]]] = {}
        for account_id, start, pk in (
            Contract.objects.filter(account_id__in=set(self.accounts.values()))
            .order_by("account_id", "start_date", "pk")
            .values_list("account_id", "start_date", "pk")
        ):
            self.terms.setdefault(account_id, []).append((start, pk))
        renewed = Opportunity.objects.filter(
            type=OpportunityType.RENEWAL, contract_id__isnull=False
        ).filter(contract__account_id__in=set(self.accounts.values()))
        self.renewed = dict(renewed.values_list("contract_id", "salesforce_id"))

    def _flag(self, record: Record, column: str) -> bool | None:
        if not self.has(column) or not record.row.get(column, "").strip():
            return None
        return parse_bool(record.row[column])

    def values(self, record: Record) -> dict[str, Any] | None:
        row = record.row
        account_id = _required(self, record, "AccountId", self.accounts)
        currency = _currency(self, record)
        name = row.get("Name", "").strip()
        if account_id is None or currency is None:
            return None
        if not name:
            self.problem(record, "Name", _("An opportunity needs a name; skipped."))
            return None
        try:
            close_date = parse_date(row.get("CloseDate", ""))
            amount = parse_decimal(row["Amount"]) if row.get("Amount", "").strip() else Decimal(0)
            probability = row.get("Probability", "").strip()
            chance = parse_int(str(round(parse_decimal(probability)))) if probability else None
            closed, won = self._flag(record, "IsClosed"), self._flag(record, "IsWon")
        except BadValue as error:
            self.problem(record, "", error.message)
            return None
        kind_text = row.get("Type", "").strip()
        kind = schema.OPPORTUNITY_TYPE_FROM_SALESFORCE.get(kind_text, OpportunityType.UPSELL)
        if kind_text and kind_text not in schema.OPPORTUNITY_TYPE_FROM_SALESFORCE:
            self.problem(
                record,
                "Type",
                _("Unknown type “%(value)s”; imported as an upsell.") % {"value": kind_text[:40]},
            )
        contract_id = None
        contract = self.reference(record, "ContractId")
        if contract:
            found = self.contracts.get(contract)
            if found is None:
                self.missing(record, "ContractId", contract)
            elif found[1] != account_id:
                self.problem(
                    record, "ContractId", _("This contract belongs to another account; left empty.")
                )
            else:
                contract_id = found[0]
        if kind == OpportunityType.RENEWAL:
            if contract_id is None:
                earlier = [pk for start, pk in self.terms.get(account_id, []) if start < close_date]
                contract_id = earlier[-1] if earlier else None
            holder = self.renewed.get(contract_id) if contract_id else None
            if contract_id is None or (holder is not None and holder != record.id):
                self.problem(
                    record,
                    "Type",
                    _(
                        "A renewal needs a contract to renew that no other renewal has; "
                        "imported as an upsell."
                    ),
                )
                kind = OpportunityType.UPSELL
            else:
                self.renewed[contract_id] = record.id
        if amount < 0 and kind != OpportunityType.RENEWAL:
            self.problem(record, "Amount", _("The amount cannot be negative; skipped."))
            return None
        if chance is not None and not 0 <= chance <= 100:
            self.problem(record, "Probability", _("A probability is between 0 and 100; skipped."))
            return None
        stage = self.stages.get(row.get("StageName", "").strip().lower())
        status: str | None = None
        if closed is not None:
            status = (
                (OpportunityStatus.WON if won else OpportunityStatus.LOST)
                if closed
                else OpportunityStatus.OPEN
            )
        if stage is None or (status is not None and stage.outcome != status):
            status = status or OpportunityStatus.OPEN
            stage = self.closing.get(status)
            if stage is None:
                self.problem(
                    record,
                    "StageName",
                    _("The pipeline has no stage for this opportunity; skipped."),
                )
                return None
            self.problem(
                record,
                "StageName",
                _("Unknown stage, or one that does not match IsClosed/IsWon; set to “%(stage)s”.")
                % {"stage": stage.name},
            )
        status = stage.outcome
        try:
            amount_company = self.rates.convert(amount, currency, close_date)
        except Exception:  # the rate table's ValidationError: no rate that day
            self.problem(
                record,
                "CurrencyIsoCode",
                _("No exchange rate for %(currency)s on %(date)s; skipped.")
                % {"currency": currency, "date": close_date},
            )
            return None
        owner_id = None
        owner = self.reference(record, "OwnerId")
        if owner:
            user = self.users.get(owner)
            if user is None:
                self.missing(record, "OwnerId", owner)
            elif not user[1] or user[2] == "read_only":
                self.problem(
                    record, "OwnerId", _("This person cannot own an opportunity; left empty.")
                )
            else:
                owner_id = user[0]
        forecast = schema.FORECAST_CATEGORY_FROM_SALESFORCE.get(
            row.get("ForecastCategoryName", "").strip(), stage.forecast_category
        )
        return {
            "account_id": account_id,
            "name": name,
            "type": kind,
            "contract_id": contract_id if kind == OpportunityType.RENEWAL or contract else None,
            "stage_id": stage.pk,
            "status": status,
            "probability": chance if chance is not None else stage.probability,
            "forecast_category": forecast,
            "currency": currency,
            "amount": amount,
            "amount_company": amount_company,
            "close_date": close_date,
            "closed_on": close_date if status != OpportunityStatus.OPEN else None,
            "owner_id": owner_id,
            "next_step": row.get("NextStep", "").strip(),
            "description": row.get("Description", ""),
        }

    def build(self, record: Record, values: dict[str, Any]) -> Any:
        return Opportunity(salesforce_id=record.id, created_by=self.ctx.acting_user, **values)


class OpportunityContactRoleMapper(Mapper):
    sobject = schema.OPPORTUNITY_CONTACT_ROLE
    model = OpportunityContact

    def prepare(self, records: list[Record]) -> None:
        self.opportunities = resolve(Opportunity, _ids(self, records, "OpportunityId"))
        self.people = resolve(Stakeholder, _ids(self, records, "ContactId"))
        self.taken = {
            (row[0], row[1]): row[2]
            for row in OpportunityContact.objects.filter(
                opportunity_id__in=set(self.opportunities.values())
            ).values_list("opportunity_id", "stakeholder_id", "salesforce_id")
        }

    def values(self, record: Record) -> dict[str, Any] | None:
        opportunity_id = _required(self, record, "OpportunityId", self.opportunities)
        person_id = _required(self, record, "ContactId", self.people) if opportunity_id else None
        if person_id is None:
            return None
        try:
            primary = parse_bool(record.row.get("IsPrimary", ""))
        except BadValue as error:
            self.problem(record, "IsPrimary", error.message)
            return None
        key = (opportunity_id, person_id)
        if self.taken.get(key, record.id) != record.id:
            self.problem(
                record, "ContactId", _("This person is already on the buying committee; skipped.")
            )
            return None
        self.taken[key] = record.id
        return {
            "opportunity_id": opportunity_id,
            "stakeholder_id": person_id,
            "role": record.row.get("Role", "").strip(),
            "is_primary": primary,
        }


class OpportunityLineItemMapper(Mapper):
    sobject = schema.OPPORTUNITY_LINE_ITEM
    model = OpportunityLine

    def prepare(self, records: list[Record]) -> None:
        self.opportunities = resolve(Opportunity, _ids(self, records, "OpportunityId"))
        self.products = resolve(Product, _ids(self, records, "Product2Id"))

    def values(self, record: Record) -> dict[str, Any] | None:
        opportunity_id = _required(self, record, "OpportunityId", self.opportunities)
        product_id = (
            _required(self, record, "Product2Id", self.products) if opportunity_id else None
        )
        if product_id is None:
            return None
        try:
            quantity = parse_decimal(record.row.get("Quantity", "") or "1")
            price = parse_decimal(record.row.get("UnitPrice", "") or "0")
        except BadValue as error:
            self.problem(record, "", error.message)
            return None
        if quantity <= 0 or price < 0:
            self.problem(
                record,
                "Quantity",
                _("The quantity must be more than zero and the price not negative; skipped."),
            )
            return None
        return {
            "opportunity_id": opportunity_id,
            "product_id": product_id,
            "quantity": quantity.quantize(Decimal("0.01")),
            "unit_price": price.quantize(Decimal("0.01")),
        }
