"""The money: products, contracts and their lines, opportunities, and the rates that convert them.

Dates are days. A contract's ``end_date`` is the last day of its term (included): a one-year
term from 1 January ends on 31 December and the next term starts on 1 January. A line is in
force from its ``start_date`` to its ``end_date``, both included; an amendment ends a line the
day before it takes effect and starts its successor on that day, so the history of a line is a
chain of rows that never overlap.

Every figure is kept in the contract's (or the opportunity's) own currency and, beside it, in the
company currency (``settings.RAPPORT_CURRENCY``), converted at the rate in force on the day the
line starts (the opportunity's close date). Reports add the company-currency figures, so an
exchange rate moving on its own changes no figure: only a new term or an amendment, converted
on its own day, brings the new rate in. See docs/revenue-metrics.md.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from rapport.core.models import (
    SearchKeyField,
    TimeStampedModel,
    VersionedModel,
    salesforce_id_field,
    salesforce_id_unique,
)
from rapport.core.text import search_key
from rapport.revenue.choices import (
    ContractStatus,
    ForecastCategory,
    LossReason,
    OpportunityStatus,
    OpportunityType,
)

currency_code = RegexValidator(
    r"^[A-Z]{3}$", _("Use a three-letter ISO currency code, e.g. EUR or USD.")
)


class ProductFamily(TimeStampedModel):
    """A group of products sold together: one column of the white-space matrix."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    description = models.TextField(_("description"), blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering: ClassVar[list[str]] = ["position", "name"]
        verbose_name = _("product family")
        verbose_name_plural = _("product families")

    def __str__(self) -> str:
        return self.name


class Product(VersionedModel):
    """Something we sell, at a yearly list price per unit in the company currency."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    search_name = SearchKeyField(max_length=150, editable=False)
    code = models.CharField(_("code"), max_length=40, blank=True)
    family = models.ForeignKey(
        ProductFamily,
        verbose_name=_("family"),
        on_delete=models.PROTECT,
        related_name="products",
    )
    list_price = models.DecimalField(
        _("list price per year"),
        max_digits=16,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Per unit and per year, in the company currency."),
    )
    is_active = models.BooleanField(_("on sale"), default=True)
    description = models.TextField(_("description"), blank=True)

    salesforce_id = salesforce_id_field()

    history = HistoricalRecords(excluded_fields=["search_name", "updated_at"])

    class Meta:
        ordering: ClassVar[list[str]] = ["search_name", "id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            salesforce_id_unique(),
            models.CheckConstraint(
                condition=Q(list_price__gte=0),
                name="%(app_label)s_%(class)s_price_not_negative",
                violation_error_message=_("A price cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("revenue:product_detail", args=[self.pk])

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_name = search_key(self.name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class ExchangeRate(TimeStampedModel):
    """How much one unit of a currency is worth in the company currency, from a date on."""

    currency = models.CharField(_("currency"), max_length=3, validators=[currency_code])
    effective_date = models.DateField(_("in force from"))
    rate = models.DecimalField(
        _("rate"),
        max_digits=18,
        decimal_places=8,
        validators=[MinValueValidator(Decimal("0.00000001"))],
        help_text=_("Company currency for one unit of this currency."),
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering: ClassVar[list[str]] = ["currency", "-effective_date"]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["currency", "effective_date"],
                name="%(app_label)s_%(class)s_one_per_day",
                violation_error_message=_("This currency already has a rate from that day."),
            ),
            models.CheckConstraint(
                condition=Q(rate__gt=0),
                name="%(app_label)s_%(class)s_positive",
                violation_error_message=_("A rate must be more than zero."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate} ({self.effective_date})"


class Contract(VersionedModel):
    """One term of what a client has bought, from its start to its last day."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    reference = models.CharField(_("reference"), max_length=80, blank=True)
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_code])
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), help_text=_("The last day of the term."))
    auto_renew = models.BooleanField(
        _("renews tacitly"),
        default=False,
        help_text=_("The term renews by itself unless one side gives notice."),
    )
    notice_days = models.PositiveIntegerField(
        _("notice period (days)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(730)],
        help_text=_("How long before the end notice must be given; for tacit renewals."),
    )
    client_notified_on = models.DateField(
        _("client notified on"),
        null=True,
        blank=True,
        help_text=_("When the client was reminded of the notice date, as some laws require."),
    )
    notice_reminder = models.ForeignKey(
        "communications.Task",
        verbose_name=_("notice reminder"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ContractStatus.choices, default=ContractStatus.ACTIVE
    )
    previous = models.ForeignKey(
        "self",
        verbose_name=_("previous term"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_terms",
    )
    churn_reason = models.CharField(
        _("churn reason"), max_length=20, choices=LossReason.choices, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    salesforce_id = salesforce_id_field()

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering: ClassVar[list[str]] = ["-start_date", "-id"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["account", "start_date"], name="contract_account_start"),
            models.Index(fields=["status", "end_date"], name="contract_status_end"),
            # The contract list's order: its first page without sorting the whole book.
            models.Index(fields=["end_date", "id"], name="contract_end"),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            salesforce_id_unique(),
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")),
                name="%(app_label)s_%(class)s_end_after_start",
                violation_error_message=_("The end date must be after the start date."),
            ),
            # A term renews into one next term (a cancelled one, undone, leaves room for another).
            models.UniqueConstraint(
                fields=["previous"],
                condition=~Q(status=ContractStatus.CANCELLED),
                name="%(app_label)s_%(class)s_one_next_term",
                violation_error_message=_("This term has already been renewed."),
            ),
        ]

    def __str__(self) -> str:
        label = self.reference or _("Contract %(number)s") % {"number": self.pk or ""}
        return f"{label} ({self.start_date:%Y-%m-%d} – {self.end_date:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return reverse("revenue:contract_detail", args=[self.pk])

    @property
    def notice_date(self) -> datetime.date | None:
        """The last day to give notice before a tacit renewal, if the contract renews so."""
        if not self.auto_renew or self.notice_days is None:
            return None
        return self.end_date - datetime.timedelta(days=self.notice_days)

    @property
    def term_days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    @property
    def counts(self) -> bool:
        """Whether the contract's lines count in revenue (a cancelled one never took effect)."""
        return self.status != ContractStatus.CANCELLED


class ContractAmendment(TimeStampedModel):
    """A mid-term change to a contract: the lines it ended and the lines it started."""

    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.CASCADE,
        related_name="amendments",
    )
    effective_date = models.DateField(_("in force from"))
    reason = models.TextField(_("reason"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering: ClassVar[list[str]] = ["effective_date", "id"]
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")

    def __str__(self) -> str:
        return _("Amendment from %(date)s") % {"date": self.effective_date.isoformat()}


class ContractLine(TimeStampedModel):
    """A product on a contract for a stretch of its term: quantity times yearly unit price."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.CASCADE, related_name="lines"
    )
    # The contract's account, copied: the retention figures group a whole book's lines by
    # account without joining the contracts (a contract never changes account).
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        editable=False,
        related_name="+",
        db_index=False,
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    unit_price = models.DecimalField(
        _("unit price per year"),
        max_digits=16,
        decimal_places=2,
        help_text=_("In the contract's currency."),
    )
    annual_value = models.DecimalField(
        _("annual value"), max_digits=16, decimal_places=2, editable=False
    )
    annual_value_company = models.DecimalField(
        _("annual value in the company currency"), max_digits=16, decimal_places=2, editable=False
    )
    # The same in whole cents: integers add up exactly and fast on both engines (SQLite would
    # add the decimals above as binary floats), which the retention figures rely on.
    annual_cents = models.BigIntegerField(editable=False, default=0)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"))
    amendment = models.ForeignKey(
        ContractAmendment,
        verbose_name=_("started by amendment"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="started_lines",
    )
    ended_by = models.ForeignKey(
        ContractAmendment,
        verbose_name=_("ended by amendment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ended_lines",
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering: ClassVar[list[str]] = ["start_date", "id"]
        verbose_name = _("contract line")
        verbose_name_plural = _("contract lines")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["contract", "start_date"], name="contractline_contract_start"),
            models.Index(fields=["account", "end_date"], name="contractline_account_end"),
            models.Index(fields=["product", "end_date"], name="contractline_product_end"),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="%(app_label)s_%(class)s_quantity_positive",
                violation_error_message=_("The quantity must be more than zero."),
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0),
                name="%(app_label)s_%(class)s_price_not_negative",
                violation_error_message=_("A price cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="%(app_label)s_%(class)s_end_not_before_start",
                violation_error_message=_("A line cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity.normalize():f}"

    def in_force_on(self, day: datetime.date) -> bool:
        return self.start_date <= day <= self.end_date


class PipelineStage(TimeStampedModel):
    """A step of the opportunity pipeline; won and lost stages close an opportunity."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    outcome = models.CharField(
        _("outcome"),
        max_length=8,
        choices=OpportunityStatus.choices,
        default=OpportunityStatus.OPEN,
        help_text=_("Open stages are worked; a won or lost stage closes the opportunity."),
    )
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=10, validators=[MaxValueValidator(100)]
    )
    forecast_category = models.CharField(
        _("forecast category"),
        max_length=12,
        choices=ForecastCategory.choices,
        default=ForecastCategory.PIPELINE,
    )
    is_active = models.BooleanField(_("in use"), default=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering: ClassVar[list[str]] = ["position", "id"]
        verbose_name = _("pipeline stage")
        verbose_name_plural = _("pipeline stages")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=Q(probability__lte=100),
                name="%(app_label)s_%(class)s_probability_percent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.outcome == OpportunityStatus.OPEN


class Opportunity(VersionedModel):
    """A chance to keep or grow an account's revenue: a renewal, an upsell or a cross-sell.

    ``amount`` is the change in annual value the opportunity would bring, except for a renewal,
    where it is the annual value expected for the next term.
    """

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(_("type"), max_length=14, choices=OpportunityType.choices)
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opportunities",
        help_text=_("For a renewal, the term it renews."),
    )
    stage = models.ForeignKey(
        PipelineStage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=OpportunityStatus.choices,
        default=OpportunityStatus.OPEN,
        editable=False,
    )
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), validators=[MaxValueValidator(100)]
    )
    forecast_category = models.CharField(
        _("forecast category"), max_length=12, choices=ForecastCategory.choices
    )
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_code])
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    amount_company = models.DecimalField(
        _("amount in the company currency"), max_digits=16, decimal_places=2, editable=False
    )
    close_date = models.DateField(_("close date"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opportunities",
    )
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    risk_note = models.TextField(_("risk note"), blank=True)
    description = models.TextField(_("description"), blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True, editable=False)
    loss_reason = models.CharField(
        _("reason lost"), max_length=20, choices=LossReason.choices, blank=True
    )
    close_note = models.TextField(_("why it was won or lost"), blank=True)
    next_contract = models.OneToOneField(
        Contract,
        verbose_name=_("next term"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="won_renewal",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    salesforce_id = salesforce_id_field()

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering: ClassVar[list[str]] = ["close_date", "id"]
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["status", "close_date"], name="opportunity_status_close"),
            models.Index(fields=["account", "status"], name="opportunity_account_status"),
            models.Index(fields=["owner", "status", "close_date"], name="opportunity_owner"),
            models.Index(fields=["stage", "close_date"], name="opportunity_stage_close"),
            # The board's column totals read the open opportunities from this index alone.
            models.Index(
                fields=["status", "stage", "amount_company", "probability"],
                name="opportunity_board_totals",
            ),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            salesforce_id_unique(),
            models.UniqueConstraint(
                fields=["contract"],
                condition=Q(type=OpportunityType.RENEWAL),
                name="%(app_label)s_%(class)s_one_renewal_per_contract",
                violation_error_message=_("This contract already has a renewal opportunity."),
            ),
            models.CheckConstraint(
                condition=Q(probability__lte=100),
                name="%(app_label)s_%(class)s_probability_percent",
            ),
            models.CheckConstraint(
                condition=~Q(type=OpportunityType.RENEWAL) | Q(contract__isnull=False),
                name="%(app_label)s_%(class)s_renewal_has_contract",
                violation_error_message=_("A renewal renews a contract: choose one."),
            ),
            models.CheckConstraint(
                condition=Q(type=OpportunityType.RENEWAL) | Q(amount__gte=0),
                name="%(app_label)s_%(class)s_amount_not_negative",
                violation_error_message=_("The amount cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("revenue:opportunity_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == OpportunityStatus.OPEN

    @property
    def is_renewal(self) -> bool:
        return self.type == OpportunityType.RENEWAL

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount_company * self.probability / 100).quantize(Decimal("0.01"))


class OpportunityLine(TimeStampedModel):
    """A product an opportunity would sell; a won renewal makes them the next term's lines."""

    opportunity = models.ForeignKey(
        Opportunity, verbose_name=_("opportunity"), on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2)
    unit_price = models.DecimalField(_("unit price per year"), max_digits=16, decimal_places=2)

    salesforce_id = salesforce_id_field()

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]
        verbose_name = _("opportunity line")
        verbose_name_plural = _("opportunity lines")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["product", "opportunity"], name="opportunityline_product"),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            salesforce_id_unique(),
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="%(app_label)s_%(class)s_quantity_positive",
                violation_error_message=_("The quantity must be more than zero."),
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0),
                name="%(app_label)s_%(class)s_price_not_negative",
                violation_error_message=_("A price cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity.normalize():f}"

    @property
    def annual_value(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


class OpportunityContact(TimeStampedModel):
    """A client person on an opportunity's buying committee, in the part they play in it."""

    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    stakeholder = models.ForeignKey(
        "stakeholders.Stakeholder",
        verbose_name=_("stakeholder"),
        on_delete=models.CASCADE,
        related_name="opportunity_roles",
    )
    role = models.CharField(
        _("role in the decision"),
        max_length=60,
        blank=True,
        help_text=_("Decision maker, economic buyer, evaluator, influencer…"),
    )
    is_primary = models.BooleanField(_("main contact"), default=False)

    salesforce_id = salesforce_id_field()

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering: ClassVar[list[str]] = ["-is_primary", "id"]
        verbose_name = _("buying committee member")
        verbose_name_plural = _("buying committee")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            salesforce_id_unique(),
            models.UniqueConstraint(
                fields=["opportunity", "stakeholder"],
                name="%(app_label)s_%(class)s_once_per_opportunity",
                violation_error_message=_("This person is already on the buying committee."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stakeholder} ({self.role})" if self.role else str(self.stakeholder)
