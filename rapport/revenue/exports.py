"""The revenue lists as files: contracts, opportunities, renewals, products, rates and stages."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DateField, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Least
from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from rapport.accounts.models import Account
from rapport.core.exports import Column, ExportFormat, email_of, export_response, name_of
from rapport.revenue.choices import ContractStatus, OpportunityStatus, OpportunityType
from rapport.revenue.metrics import MetricsFilter
from rapport.revenue.models import (
    Contract,
    ContractLine,
    ExchangeRate,
    Opportunity,
    PipelineStage,
    Product,
)
from rapport.revenue.rates import company_currency

# Contracts -----------------------------------------------------------------------------------


def contract_columns() -> list[Column[Contract]]:
    """The contract list's columns; the ARR's header names the company currency."""
    return [
        Column(_("Id"), lambda contract: contract.pk),
        Column(_("Account"), lambda contract: contract.account.name),
        Column(_("Account id"), lambda contract: contract.account_id),
        Column(_("Account manager"), lambda contract: name_of(contract.account.owner)),
        Column(_("Reference"), lambda contract: contract.reference),
        Column(_("Start"), lambda contract: contract.start_date),
        Column(_("End"), lambda contract: contract.end_date),
        Column(_("Status"), lambda contract: contract.get_status_display()),
        Column(_("Currency"), lambda contract: contract.currency),
        Column(
            _("ARR today (%(currency)s)") % {"currency": company_currency()},
            lambda contract: contract.arr_now,  # type: ignore[attr-defined]
        ),
        Column(_("Renews tacitly"), lambda contract: contract.auto_renew),
        Column(_("Notice days"), lambda contract: contract.notice_days),
        Column(_("Notice by"), lambda contract: contract.notice_date),
        Column(_("Client notified on"), lambda contract: contract.client_notified_on),
        Column(_("Churn reason"), lambda contract: contract.get_churn_reason_display()),
        Column(_("Previous term"), lambda contract: contract.previous_id),
        Column(_("Salesforce Id"), lambda contract: contract.salesforce_id or ""),
    ]


def contract_export(kind: ExportFormat, contracts: QuerySet[Contract]) -> HttpResponseBase:
    """The contract list as a file, every page of it, with its ARR today."""
    return export_response(kind, name=_("Contracts"), columns=contract_columns(), rows=contracts)


# Opportunities -------------------------------------------------------------------------------


def opportunity_columns() -> list[Column[Opportunity]]:
    """The opportunity list's columns, amounts in their currency and in the company's."""
    return [
        Column(_("Id"), lambda opportunity: opportunity.pk),
        Column(_("Opportunity"), lambda opportunity: opportunity.name),
        Column(_("Account"), lambda opportunity: opportunity.account.name),
        Column(_("Account id"), lambda opportunity: opportunity.account_id),
        Column(_("Type"), lambda opportunity: opportunity.get_type_display()),
        Column(_("Stage"), lambda opportunity: name_of(opportunity.stage)),
        Column(_("Status"), lambda opportunity: opportunity.get_status_display()),
        Column(_("Amount"), lambda opportunity: opportunity.amount),
        Column(_("Currency"), lambda opportunity: opportunity.currency),
        Column(
            _("Amount (%(currency)s)") % {"currency": company_currency()},
            lambda opportunity: opportunity.amount_company,
        ),
        Column(_("Probability"), lambda opportunity: opportunity.probability),
        Column(
            _("Forecast category"), lambda opportunity: opportunity.get_forecast_category_display()
        ),
        Column(_("Close date"), lambda opportunity: opportunity.close_date),
        Column(_("Owner"), lambda opportunity: name_of(opportunity.owner)),
        Column(_("Owner e-mail"), lambda opportunity: email_of(opportunity.owner)),
        Column(_("Next step"), lambda opportunity: opportunity.next_step),
        Column(_("Contract"), lambda opportunity: opportunity.contract_id),
        Column(_("Closed on"), lambda opportunity: opportunity.closed_on),
        Column(_("Loss reason"), lambda opportunity: opportunity.get_loss_reason_display()),
        Column(_("Salesforce Id"), lambda opportunity: opportunity.salesforce_id or ""),
    ]


def opportunity_export(
    kind: ExportFormat, opportunities: QuerySet[Opportunity]
) -> HttpResponseBase:
    """The opportunity list as a file, every page of it."""
    return export_response(
        kind, name=_("Opportunities"), columns=opportunity_columns(), rows=opportunities
    )


# Renewals ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RenewalRow:
    """A line of the renewals file: a contract still waiting for its renewal, or a renewal."""

    account: Account
    contract: Contract | None
    renewal: Opportunity | None = None
    arr_now: Decimal | None = None


def _renewal_state(row: RenewalRow) -> str:
    if row.renewal is None:
        return str(_("No renewal yet"))
    if row.renewal.status == OpportunityStatus.WON:
        return str(_("Renewed"))
    if row.renewal.status == OpportunityStatus.LOST:
        return str(_("Churned"))
    return row.renewal.get_forecast_category_display()


def _renewal_columns() -> list[Column[RenewalRow]]:
    company = company_currency()
    return [
        Column(
            _("Month"), lambda row: row.renewal.close_date.replace(day=1) if row.renewal else None
        ),
        Column(_("Account"), lambda row: row.account.name),
        Column(_("Account id"), lambda row: row.account.pk),
        Column(_("Renewal"), lambda row: row.renewal.name if row.renewal else ""),
        Column(_("Renewal id"), lambda row: row.renewal.pk if row.renewal else None),
        Column(_("Close date"), lambda row: row.renewal.close_date if row.renewal else None),
        Column(_("Contract"), lambda row: row.contract.reference if row.contract else ""),
        Column(_("Contract id"), lambda row: row.contract.pk if row.contract else None),
        Column(_("Contract ends"), lambda row: row.contract.end_date if row.contract else None),
        Column(_("Expected value"), lambda row: row.renewal.amount if row.renewal else None),
        Column(_("Currency"), lambda row: row.renewal.currency if row.renewal else ""),
        Column(
            _("Expected value (%(currency)s)") % {"currency": company},
            lambda row: row.renewal.amount_company if row.renewal else None,
        ),
        Column(_("ARR now (%(currency)s)") % {"currency": company}, lambda row: row.arr_now),
        Column(_("Forecast"), _renewal_state),
        Column(
            _("Stage"),
            lambda row: (
                name_of(row.renewal.stage)
                if row.renewal and row.renewal.status == OpportunityStatus.OPEN
                else ""
            ),
        ),
        Column(_("Notice date"), lambda row: row.contract.notice_date if row.contract else None),
        Column(
            _("Client notified on"),
            lambda row: row.contract.client_notified_on if row.contract else None,
        ),
        Column(
            pgettext_lazy("renewal", "Risk"),
            lambda row: row.renewal.risk_note if row.renewal else "",
        ),
        Column(_("Owner"), lambda row: name_of(row.renewal.owner) if row.renewal else ""),
    ]


def _renewals(
    *, start: datetime.date, end: datetime.date, filters: MetricsFilter, today: datetime.date
) -> QuerySet[Opportunity]:
    """Every renewal closing in the window (the page shows the first of each month), with its
    contract's ARR on the day: today, or the contract's last day once it has ended."""
    in_force = (
        ContractLine.objects.filter(
            contract=OuterRef("contract_id"),
            start_date__lte=OuterRef("arr_day"),
            end_date__gte=OuterRef("arr_day"),
        )
        .exclude(contract__status=ContractStatus.CANCELLED)
        .order_by()
        .values("contract")
        .annotate(total=Sum("annual_value_company"))
        .values("total")
    )
    return (
        Opportunity.objects.filter(
            type=OpportunityType.RENEWAL,
            close_date__gte=start,
            close_date__lte=end,
            **filters.account_filters("account__"),
        )
        .select_related("account", "contract", "stage", "owner")
        .annotate(
            arr_day=Least(Value(today, output_field=DateField()), F("contract__end_date")),
            contract_arr_now=Subquery(in_force),
        )
        .order_by("close_date", "id")
    )


def renewal_export(
    kind: ExportFormat,
    *,
    waiting: QuerySet[Contract],
    start: datetime.date,
    end: datetime.date,
    filters: MetricsFilter,
    today: datetime.date,
) -> HttpResponseBase:
    """The renewals page as a file: the contracts still waiting for a renewal first, as the
    page shows them, then every renewal of the window month by month."""
    renewals = _renewals(start=start, end=end, filters=filters, today=today)

    def rows() -> Iterable[RenewalRow]:
        for contract in waiting.iterator(chunk_size=2000):
            yield RenewalRow(account=contract.account, contract=contract)
        for renewal in renewals.iterator(chunk_size=2000):
            yield RenewalRow(
                account=renewal.account,
                contract=renewal.contract,
                renewal=renewal,
                arr_now=renewal.contract_arr_now,  # type: ignore[attr-defined]
            )

    return export_response(kind, name=_("Renewals"), columns=_renewal_columns(), rows=rows())


# The catalogue ----------------------------------------------------------------------------------


def product_columns() -> list[Column[Product]]:
    """The catalogue's columns; the list price is in the company currency."""
    return [
        Column(_("Id"), lambda product: product.pk),
        Column(_("Product"), lambda product: product.name),
        Column(_("Code"), lambda product: product.code),
        Column(_("Family"), lambda product: name_of(product.family)),
        Column(
            _("List price per year (%(currency)s)") % {"currency": company_currency()},
            lambda product: product.list_price,
        ),
        Column(_("On sale"), lambda product: product.is_active),
        Column(_("Description"), lambda product: product.description),
        Column(_("Salesforce Id"), lambda product: product.salesforce_id or ""),
    ]


def product_export(kind: ExportFormat, products: QuerySet[Product]) -> HttpResponseBase:
    """The catalogue as a file, family by family as the page lists it."""
    return export_response(kind, name=_("Products"), columns=product_columns(), rows=products)


def rate_columns() -> list[Column[ExchangeRate]]:
    """The rates' columns: how much of the company currency one unit of a currency is worth."""
    company = company_currency()
    return [
        Column(_("Currency"), lambda rate: rate.currency),
        Column(_("In force from"), lambda rate: rate.effective_date),
        Column(_("%(currency)s for one") % {"currency": company}, lambda rate: rate.rate),
    ]


def rate_export(kind: ExportFormat, rates: QuerySet[ExchangeRate]) -> HttpResponseBase:
    """The exchange rates as a file, by currency, the latest first."""
    return export_response(kind, name=_("Exchange rates"), columns=rate_columns(), rows=rates)


# Pipeline stages -------------------------------------------------------------------------------

STAGE_COLUMNS: list[Column[PipelineStage]] = [
    Column(_("Order"), lambda stage: stage.position),
    Column(_("Stage"), lambda stage: stage.name),
    Column(_("Outcome"), lambda stage: stage.get_outcome_display()),
    Column(_("Probability"), lambda stage: stage.probability),
    Column(_("Forecast category"), lambda stage: stage.get_forecast_category_display()),
    Column(_("In use"), lambda stage: stage.is_active),
    Column(_("Opportunities"), lambda stage: stage.opportunity_count),  # type: ignore[attr-defined]
    Column(_("Open opportunities"), lambda stage: stage.open_count),  # type: ignore[attr-defined]
]


def stage_export(kind: ExportFormat, stages: list[PipelineStage]) -> HttpResponseBase:
    """The pipeline's stages as a file, in board order, each with its opportunity counts."""
    return export_response(kind, name=_("Pipeline stages"), columns=STAGE_COLUMNS, rows=stages)
