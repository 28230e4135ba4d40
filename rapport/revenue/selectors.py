"""Reads on revenue: each selector owns its joins, so no page queries once per row."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, TypeVar

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Min,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Greatest, Least, RowNumber, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rapport.accounts import selectors as accounts_selectors
from rapport.accounts.models import Account, TeamMember
from rapport.core.history import HistoryEntry, history_entries
from rapport.revenue.choices import (
    Consensus,
    ContractStatus,
    ForecastCategory,
    OpportunityStatus,
    OpportunityType,
    WhiteSpaceState,
)
from rapport.revenue.filters import (
    ContractFilter,
    OpportunityFilter,
    ProductFilter,
    WhiteSpaceFilter,
)
from rapport.revenue.metrics import (
    FORECAST_COLUMNS,
    ForecastMonth,
    MetricsFilter,
    arr_by_account,
    counting_lines,
    money,
    month_end,
    renewal_forecast,
)
from rapport.revenue.models import (
    Contract,
    ContractAmendment,
    ContractLine,
    ExchangeRate,
    Opportunity,
    OpportunityLine,
    PipelineStage,
    Product,
    ProductFamily,
)
from rapport.revenue.services import renewal_candidates
from rapport.stakeholders.choices import DecisionRole, StakeholderStatus, Stance
from rapport.stakeholders.models import Stakeholder
from rapport.users.models import User
from rapport.users.rules import is_manager_of_the_book

# Contracts --------------------------------------------------------------------------------


def contract_arr(day: datetime.date) -> Case:
    """A contract's ARR on a day in the company currency, as a column (a cancelled one has none)."""
    in_force = (
        ContractLine.objects.filter(contract=OuterRef("pk"), start_date__lte=day, end_date__gte=day)
        .order_by()
        .values("contract")
        .annotate(total=Sum("annual_value_company"))
        .values("total")
    )
    return Case(
        When(status=ContractStatus.CANCELLED, then=Value(None)),
        default=Subquery(in_force),
        output_field=DecimalField(max_digits=18, decimal_places=2),
    )


def contract_list(
    *, filters: ContractFilter, day: datetime.date | None = None
) -> QuerySet[Contract]:
    """Contracts across the book, each with its account and its ARR on the day (``arr_now``)."""
    day = day or timezone.localdate()
    rows = Contract.objects.select_related("account", "account__owner").annotate(
        arr_now=contract_arr(day)
    )
    return filters.apply(rows)


def contract_detail(*, pk: int) -> Contract:
    """One contract with everything its page shows: lines, amendments, terms and opportunities."""
    lines = ContractLine.objects.select_related(
        "product", "product__family", "amendment", "ended_by"
    ).order_by("start_date", "product__search_name", "id")
    return (
        Contract.objects.select_related(
            "account", "account__owner", "previous", "notice_reminder", "created_by", "won_renewal"
        )
        .prefetch_related(
            Prefetch("lines", queryset=lines),
            Prefetch(
                "amendments",
                queryset=ContractAmendment.objects.select_related("created_by").order_by(
                    "effective_date", "id"
                ),
            ),
            Prefetch("next_terms", queryset=Contract.objects.order_by("start_date", "id")),
            Prefetch(
                "opportunities",
                queryset=Opportunity.objects.select_related("stage", "owner").order_by(
                    "close_date", "id"
                ),
            ),
        )
        .get(pk=pk)
    )


# Opportunities ----------------------------------------------------------------------------

# The board draws at most this many cards a column (a screen shows about ten; drawing cards is
# most of the page's time); the rest are a link to the filtered list.
BOARD_CARDS_PER_COLUMN = 30
# The renewals page lists at most this many renewals a month; the rest are a link to the list.
RENEWALS_PER_MONTH = 25
# The decision roles whose holders must agree to a renewal or an expansion.
APPROVER_ROLES: tuple[str, ...] = (
    DecisionRole.DECISION_MAKER,
    DecisionRole.ECONOMIC_BUYER,
    DecisionRole.CHAMPION,
)
STANCE_CONSENSUS: dict[str, str] = {
    Stance.ADVOCATE: Consensus.FOR,
    Stance.SUPPORTER: Consensus.FOR,
    Stance.NEUTRAL: Consensus.UNDECIDED,
    Stance.SKEPTIC: Consensus.AGAINST,
    Stance.OPPONENT: Consensus.AGAINST,
}
MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=20, decimal_places=2)


def opportunity_list(*, user: User, filters: OpportunityFilter) -> QuerySet[Opportunity]:
    """Opportunities as filtered, with what a row shows joined (everyone signed in reads them)."""
    rows = Opportunity.objects.select_related("account", "stage", "owner")
    return filters.apply(rows, user_id=user.pk)


@dataclass(frozen=True)
class OpportunityTotals:
    """How many, and their amounts in the company currency: as they are and weighted."""

    count: int = 0
    amount: Decimal = Decimal("0.00")
    weighted: Decimal = Decimal("0.00")


def opportunity_totals(rows: QuerySet[Opportunity]) -> OpportunityTotals:
    """The totals of a filtered list, in one aggregate query."""
    figures = rows.order_by().aggregate(
        count=Count("id"),
        amount=Sum("amount_company"),
        weighted=Sum(ExpressionWrapper(F("amount_company") * F("probability"), output_field=MONEY)),
    )
    return OpportunityTotals(
        count=figures["count"] or 0,
        amount=money(figures["amount"]),
        weighted=money(Decimal(str(figures["weighted"] or 0)) / 100),
    )


def mark_changeable(*, user: User, opportunities: Sequence[Opportunity]) -> None:
    """Set ``can_change`` on each opportunity of a list, in at most one query for the list.

    Mirrors ``revenue.change_opportunity`` (whoever may edit the account), whose team test would
    otherwise run a query for every card.
    """
    accounts_selectors.mark_editable(user=user, records=opportunities)


@dataclass
class BoardColumn:
    """One stage of the board: its first cards, and the count and totals of all of them."""

    stage: PipelineStage
    cards: list[Opportunity] = field(default_factory=list)
    count: int = 0
    amount: Decimal = Decimal("0.00")
    weighted: Decimal = Decimal("0.00")

    @property
    def more(self) -> int:
        return max(self.count - len(self.cards), 0)


@dataclass
class Board:
    """The open stages as columns, and the stages that close an opportunity as drop zones."""

    columns: list[BoardColumn]
    won_stage: PipelineStage | None
    lost_stage: PipelineStage | None

    @property
    def open_stages(self) -> list[PipelineStage]:
        return [column.stage for column in self.columns if column.stage.is_active]

    @property
    def count(self) -> int:
        return sum(column.count for column in self.columns)

    @property
    def amount(self) -> Decimal:
        return sum((column.amount for column in self.columns), Decimal("0.00"))

    @property
    def weighted(self) -> Decimal:
        return sum((column.weighted for column in self.columns), Decimal("0.00"))


def opportunity_board(
    *, user: User, filters: OpportunityFilter, per_column: int | None = None
) -> Board:
    """The open opportunities by stage: two queries, then one for the cards of each column.

    A column with nothing to show costs no query: the figures have already counted it empty.

    A stage no longer in use still gets a column while opportunities sit at it, so none of them
    drops out of sight.
    """
    rows = filters.apply(Opportunity.objects.filter(status=OpportunityStatus.OPEN), user_id=user.pk)
    # The covering index opportunity_board_totals (status, stage, amount, probability) answers
    # this from the index alone, already in stage order.
    figures = {
        row["stage_id"]: row
        for row in rows.order_by()
        .values("stage_id")
        .annotate(
            count=Count("id"),
            amount=Sum("amount_company"),
            weighted=Sum(
                ExpressionWrapper(F("amount_company") * F("probability"), output_field=MONEY)
            ),
        )
    }
    stages = list(PipelineStage.objects.order_by("position", "id"))
    columns = [
        BoardColumn(
            stage=stage,
            count=figures.get(stage.pk, {}).get("count", 0),
            amount=money(figures.get(stage.pk, {}).get("amount")),
            weighted=money(Decimal(str(figures.get(stage.pk, {}).get("weighted") or 0)) / 100),
        )
        for stage in stages
        if stage.is_open and (stage.is_active or stage.pk in figures)
    ]
    # One slice per column rather than one query numbering every open opportunity by stage:
    # each walks the (stage, close_date) index and stops at the column's size, so a column
    # costs the same whether the stage holds ten opportunities or a hundred thousand. An empty
    # column is skipped, which also spares a filtered board walking a stage that has no match.
    cards = rows.select_related("account", "owner").order_by("close_date", "id")
    for column in columns:
        if column.count:
            column.cards = list(
                cards.filter(stage_id=column.stage.pk)[: per_column or BOARD_CARDS_PER_COLUMN]
            )
    closing = [stage for stage in stages if stage.is_active and not stage.is_open]
    return Board(
        columns=columns,
        won_stage=next((s for s in closing if s.outcome == OpportunityStatus.WON), None),
        lost_stage=next((s for s in closing if s.outcome == OpportunityStatus.LOST), None),
    )


def opportunity_detail(*, pk: int) -> Opportunity:
    """One opportunity with everything its page shows."""
    return (
        Opportunity.objects.select_related(
            "account",
            "account__owner",
            "stage",
            "owner",
            "contract",
            "next_contract",
            "created_by",
        )
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OpportunityLine.objects.select_related("product").order_by("id"),
            )
        )
        .get(pk=pk)
    )


@dataclass(frozen=True)
class Approver:
    """Someone at the client whose agreement a renewal or an expansion needs."""

    stakeholder: Stakeholder
    roles: list[str]
    consensus: str
    last_contact_at: datetime.datetime | None
    quiet_days: int | None

    @property
    def is_for(self) -> bool:
        return self.consensus == Consensus.FOR

    @property
    def is_against(self) -> bool:
        return self.consensus == Consensus.AGAINST

    @property
    def never_contacted(self) -> bool:
        return self.last_contact_at is None

    @property
    def is_disengaged(self) -> bool:
        """Never contacted, or not for longer than the disengagement threshold."""
        return self.last_contact_at is None or self.quiet_days is not None

    @property
    def consensus_label(self) -> str:
        return str(Consensus(self.consensus).label)

    @property
    def stance_label(self) -> str:
        return self.stakeholder.get_stance_display() or str(_("Unknown"))


@dataclass(frozen=True)
class ConsensusView:
    """How far the approvers on the account map agree, and which approver roles nobody holds."""

    approvers: list[Approver]
    missing_roles: list[str]
    disengaged_days: int

    @property
    def total(self) -> int:
        return len(self.approvers)

    @property
    def in_favour(self) -> int:
        return sum(1 for approver in self.approvers if approver.is_for)

    @property
    def against(self) -> int:
        return sum(1 for approver in self.approvers if approver.is_against)

    @property
    def undecided(self) -> int:
        return self.total - self.in_favour - self.against

    @property
    def percent(self) -> int | None:
        """The share of approvers for it, rounded down to a whole percent."""
        return self.in_favour * 100 // self.total if self.total else None

    @property
    def disengaged(self) -> list[Approver]:
        return [approver for approver in self.approvers if approver.is_disengaged]

    @property
    def missing_labels(self) -> list[str]:
        return [str(DecisionRole(role).label) for role in self.missing_roles]

    @property
    def is_reached(self) -> bool:
        """Every approver role is held and every approver is for it."""
        return bool(self.total) and not self.missing_roles and self.in_favour == self.total

    @property
    def summary(self) -> str:
        if not self.total:
            return str(_("Nobody on the account map decides, holds the budget or champions us."))
        sentence = ngettext(
            "%(for)d of %(total)d approver is for it (%(percent)d %%)",
            "%(for)d of %(total)d approvers are for it (%(percent)d %%)",
            self.total,
        ) % {"for": self.in_favour, "total": self.total, "percent": self.percent or 0}
        if self.against:
            sentence += "; " + ngettext("%(count)d against", "%(count)d against", self.against) % {
                "count": self.against
            }
        return sentence + "."


def consensus(opportunity: Opportunity, *, now: datetime.datetime | None = None) -> ConsensusView:
    """The approvers an opportunity needs, from its account's map, with their stance and contact.

    Approvers are the active people (placeholders are gaps, not people) holding a decision
    maker, economic buyer or champion role; advocates and supporters are for it, neutral people
    and those whose stance is unknown undecided, skeptics and opponents against it.
    """
    days = settings.RAPPORT_DISENGAGED_DAYS
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=days)
    holds_a_role = Q()
    for role in APPROVER_ROLES:
        holds_a_role |= Q(decision_roles__has=role)
    people = Stakeholder.objects.filter(
        holds_a_role,
        account_id=opportunity.account_id,
        status=StakeholderStatus.ACTIVE,
        is_placeholder=False,
    ).order_by("search_last_name", "search_name", "id")
    role_labels = dict(DecisionRole.choices)
    approvers = [
        Approver(
            stakeholder=person,
            roles=[str(role_labels[role]) for role in APPROVER_ROLES if person.has_role(role)],
            consensus=STANCE_CONSENSUS.get(person.stance, Consensus.UNDECIDED),
            last_contact_at=person.last_contact_at,
            quiet_days=(
                (now - person.last_contact_at).days
                if person.last_contact_at is not None and person.last_contact_at < cutoff
                else None
            ),
        )
        for person in people
    ]
    held = {role for person in people for role in person.decision_roles}
    return ConsensusView(
        approvers=approvers,
        missing_roles=[role for role in APPROVER_ROLES if role not in held],
        disengaged_days=days,
    )


# Renewals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ForecastCell:
    column: str
    label: str
    amount: Decimal
    count: int


@dataclass
class RenewalMonth:
    """The renewals closing in one month: the first few, and the month's forecast."""

    month: datetime.date
    forecast: ForecastMonth
    renewals: list[Opportunity] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(self.forecast.counts.values())

    @property
    def more(self) -> int:
        return max(self.count - len(self.renewals), 0)

    @property
    def last_day(self) -> datetime.date:
        return month_end(self.month)

    @property
    def cells(self) -> list[ForecastCell]:
        """The month's figure in each forecast column: the open categories, then won and lost."""
        labels = dict(ForecastCategory.choices) | {
            OpportunityStatus.WON.value: _("Renewed"),
            OpportunityStatus.LOST.value: _("Churned"),
        }
        return [
            ForecastCell(
                column=column,
                label=str(labels[column]),
                amount=self.forecast.amount(column),
                count=self.forecast.counts.get(column, 0),
            )
            for column in FORECAST_COLUMNS
        ]


def renewal_months(
    *,
    start: datetime.date,
    end: datetime.date,
    filters: MetricsFilter,
    per_month: int = RENEWALS_PER_MONTH,
    today: datetime.date | None = None,
) -> list[RenewalMonth]:
    """Renewals by the month they close, each with its contract's ARR (``contract_arr_now``).

    Three queries: the forecast, the first renewals of each month, and their contracts' ARR on
    the day (today, or the contract's last day once it has ended).
    """
    today = today or timezone.localdate()
    months = [
        RenewalMonth(month=row.month, forecast=row)
        for row in renewal_forecast(start=start, end=end, filters=filters)
    ]
    by_month = {row.month: row for row in months}
    rows = list(
        Opportunity.objects.filter(
            type=OpportunityType.RENEWAL,
            close_date__gte=start,
            close_date__lte=end,
            **filters.account_filters("account__"),
        )
        .select_related("account", "contract", "stage", "owner")
        .annotate(
            place=Window(
                RowNumber(),
                partition_by=[TruncMonth("close_date")],
                order_by=[F("close_date").asc(), F("id").asc()],
            )
        )
        .filter(place__lte=per_month)
        .order_by("close_date", "id")
    )
    contract_ids = {row.contract_id for row in rows if row.contract_id is not None}
    lines = ContractLine.objects.filter(contract_id__in=contract_ids).exclude(
        contract__status=ContractStatus.CANCELLED
    )
    arr: dict[int, Decimal] = {}
    ends = {row.contract_id: row.contract.end_date for row in rows if row.contract is not None}
    for contract_id, line_start, line_end, value in lines.values_list(
        "contract_id", "start_date", "end_date", "annual_value_company"
    ):
        day = min(today, ends[contract_id])
        if line_start <= day <= line_end:
            arr[contract_id] = arr.get(contract_id, Decimal("0.00")) + value
    for row in rows:
        row.contract_arr_now = arr.get(row.contract_id or 0)  # type: ignore[attr-defined]
        month = by_month.get(row.close_date.replace(day=1))
        if month is not None:
            month.renewals.append(row)
    return months


def contracts_without_renewal(
    *, today: datetime.date, lead_days: int, filters: MetricsFilter
) -> QuerySet[Contract]:
    """Live contracts ending within the lead time (or lately ended) that have no renewal yet."""
    return renewal_candidates(today=today, lead_days=lead_days).filter(
        **filters.account_filters("account__")
    )


# Contracts: history ----------------------------------------------------------------------


def contract_history(contract: Contract) -> list[HistoryEntry]:
    """The changes of a contract, of its lines (removed ones too) and of its amendments."""
    records = list(contract.history.select_related("history_user"))
    entries = history_entries(records, Contract, subject=str(contract))
    line_records = list(
        ContractLine.history.filter(contract_id=contract.pk).select_related("history_user")
    )
    entries += history_entries(line_records, ContractLine, subject_fields=("product", "start_date"))
    amendment_records = list(
        ContractAmendment.history.filter(contract_id=contract.pk).select_related("history_user")
    )
    for entry in history_entries(
        amendment_records, ContractAmendment, subject_fields=("effective_date",)
    ):
        entry.subject = _("amendment from %(date)s") % {"date": entry.subject}
        entries.append(entry)
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries


# Catalogue --------------------------------------------------------------------------------


def product_list(*, filters: ProductFilter) -> QuerySet[Product]:
    """The catalogue by family, as the filters narrow it."""
    return filters.apply(Product.objects.select_related("family"))


def product_usage(*, product: Product, day: datetime.date | None = None) -> tuple[int, int]:
    """How many lines hold the product on the day, on how many contracts (cancelled ones aside)."""
    day = day or timezone.localdate()
    live = ContractLine.objects.filter(
        product=product, start_date__lte=day, end_date__gte=day
    ).exclude(contract__status=ContractStatus.CANCELLED)
    counts = live.aggregate(lines=Count("id"), contracts=Count("contract", distinct=True))
    return counts["lines"], counts["contracts"]


def rate_list(*, currency: str = "") -> QuerySet[ExchangeRate]:
    """The exchange rates by currency, the latest first."""
    rows = ExchangeRate.objects.order_by("currency", "-effective_date", "-id")
    if currency:
        rows = rows.filter(currency=currency)
    return rows


# White space ------------------------------------------------------------------------------

# The matrix lists this many accounts a page, and counts at most so many matches.
WHITE_SPACE_PAGE_SIZE = 50
WHITE_SPACE_COUNT_CAP = 10_000


def white_space_accounts(*, user: User, filters: WhiteSpaceFilter) -> QuerySet[Account]:
    """The matrix's rows: live accounts (everyone signed in reads them), by name."""
    queryset = Account.objects.all() if user.is_authenticated else Account.objects.none()
    return filters.apply(queryset, user_id=user.pk).select_related("owner")


def white_space_families() -> list[ProductFamily]:
    """The matrix's columns in their order, each with the product a cross-sell would offer:
    the first on sale by name (``cross_sell_product_id``, None when nothing is on sale)."""
    on_sale = Product.objects.filter(family=OuterRef("pk"), is_active=True).order_by(
        "search_name", "id"
    )
    return list(
        ProductFamily.objects.annotate(
            cross_sell_product_id=Subquery(on_sale.values("pk")[:1]),
            cross_sell_product_name=Subquery(on_sale.values("name")[:1]),
        ).order_by("position", "name", "id")
    )


def editable_account_ids(*, user: User, account_ids: Sequence[int]) -> set[int]:
    """The accounts among these whose contracts and opportunities the user may change.

    Mirrors ``revenue.add_opportunity`` (whoever may edit the account) in at most one query,
    where the team test of the rule would run one for every row.
    """
    may_write = bool(user.is_authenticated and user.is_active and not user.is_read_only)
    if not may_write or not account_ids:
        return set()
    if is_manager_of_the_book.test(user):
        return set(account_ids)
    teams = TeamMember.objects.current().filter(user=user).values("account_id")
    return set(
        Account.objects.filter(Q(owner=user) | Q(pk__in=teams), pk__in=account_ids).values_list(
            "pk", flat=True
        )
    )


def owned_families(
    *, account_ids: Sequence[int], day: datetime.date
) -> dict[tuple[int, int], Decimal]:
    """(account, family) pairs with a line in force on the day, and that family's ARR there."""
    rows = (
        counting_lines()
        .filter(account_id__in=account_ids, start_date__lte=day, end_date__gte=day)
        .values_list("account_id", "product__family_id")
        .annotate(arr=Sum("annual_value_company"))
        .order_by()
    )
    return {(account_id, family_id): money(arr) for account_id, family_id, arr in rows}


def open_families(*, account_ids: Sequence[int]) -> dict[tuple[int, int], tuple[int, int]]:
    """(account, family) pairs an open opportunity would sell: the first such opportunity's id
    and how many there are."""
    rows = (
        OpportunityLine.objects.filter(
            opportunity__account_id__in=account_ids, opportunity__status=OpportunityStatus.OPEN
        )
        .values_list("opportunity__account_id", "product__family_id")
        .annotate(first=Min("opportunity_id"), count=Count("opportunity_id", distinct=True))
        .order_by()
    )
    return {(account_id, family_id): (first, count) for account_id, family_id, first, count in rows}


@dataclass(frozen=True)
class WhiteSpaceCell:
    """One account and one family: owned, open or white, and what the cell offers."""

    account: Account
    family: ProductFamily
    state: str
    arr: Decimal | None = None
    opportunity_id: int | None = None
    open_count: int = 0
    can_cross_sell: bool = False

    @property
    def on_sale(self) -> bool:
        return getattr(self.family, "cross_sell_product_id", None) is not None

    @property
    def label(self) -> str:
        return str(WhiteSpaceState(self.state).label)


@dataclass(frozen=True)
class WhiteSpaceRow:
    account: Account
    cells: list[WhiteSpaceCell]


@dataclass
class FamilyTotals:
    """How many of the page's accounts own the family, have it open, or leave it white."""

    family: ProductFamily
    owned: int = 0
    open: int = 0
    white: int = 0


@dataclass(frozen=True)
class WhiteSpaceMatrix:
    families: list[ProductFamily]
    rows: list[WhiteSpaceRow]
    totals: list[FamilyTotals] = field(default_factory=list)


def white_space_matrix(
    *,
    user: User,
    accounts: Sequence[Account],
    families: Sequence[ProductFamily],
    day: datetime.date,
) -> WhiteSpaceMatrix:
    """The cells of some accounts by families, in three queries whatever their number: owned
    pairs, open pairs, and the accounts the user may add opportunities to."""
    account_ids = [account.pk for account in accounts]
    owned = owned_families(account_ids=account_ids, day=day) if account_ids else {}
    opened = open_families(account_ids=account_ids) if account_ids else {}
    editable = editable_account_ids(user=user, account_ids=account_ids)
    totals = [FamilyTotals(family=family) for family in families]
    rows = []
    for account in accounts:
        cells = []
        for family, total in zip(families, totals, strict=True):
            key = (account.pk, family.pk)
            if key in owned:
                cell = WhiteSpaceCell(account, family, WhiteSpaceState.OWNED, arr=owned[key])
                total.owned += 1
            elif key in opened:
                first, count = opened[key]
                cell = WhiteSpaceCell(
                    account, family, WhiteSpaceState.OPEN, opportunity_id=first, open_count=count
                )
                total.open += 1
            else:
                on_sale = getattr(family, "cross_sell_product_id", None) is not None
                cell = WhiteSpaceCell(
                    account,
                    family,
                    WhiteSpaceState.WHITE,
                    can_cross_sell=on_sale and account.pk in editable,
                )
                total.white += 1
            cells.append(cell)
        rows.append(WhiteSpaceRow(account=account, cells=cells))
    return WhiteSpaceMatrix(families=list(families), rows=rows, totals=totals)


def cross_sell_family(*, pk: int) -> ProductFamily:
    """One family with the product a cross-sell would offer (see white_space_families)."""
    on_sale = Product.objects.filter(family=OuterRef("pk"), is_active=True).order_by(
        "search_name", "id"
    )
    return ProductFamily.objects.annotate(
        cross_sell_product_id=Subquery(on_sale.values("pk")[:1]),
        cross_sell_product_name=Subquery(on_sale.values("name")[:1]),
    ).get(pk=pk)


# Account revenue --------------------------------------------------------------------------

# The account's tab lists this many contracts, open and closed opportunities; the rest are a
# link to the filtered list.
ACCOUNT_LIST_LIMIT = 20
# The account's ARR chart covers this many months back.
ACCOUNT_CHART_MONTHS = 24
RowT = TypeVar("RowT", bound=Model)


@dataclass(frozen=True)
class NextRenewal:
    """The live term ending soonest, and its renewal opportunity if one is open or closed."""

    contract: Contract
    days_left: int
    renewal: Opportunity | None

    @property
    def is_overdue(self) -> bool:
        return self.days_left < 0


@dataclass(frozen=True)
class AccountRevenue:
    """The account's money at a glance: what the 360° card and the top of its tab show."""

    arr: Decimal
    next_renewal: NextRenewal | None
    open_count: int
    open_amount: Decimal

    @property
    def mrr(self) -> Decimal:
        return (self.arr / 12).quantize(Decimal("0.01"))


def next_renewal(*, account: Account, day: datetime.date) -> NextRenewal | None:
    """The active contract ending soonest (one still active after its end comes first: its
    renewal was never closed) with its renewal opportunity, in two queries at most."""
    contract = (
        Contract.objects.filter(account=account, status=ContractStatus.ACTIVE)
        .order_by("end_date", "id")
        .first()
    )
    if contract is None:
        return None
    renewal = (
        Opportunity.objects.filter(contract=contract, type=OpportunityType.RENEWAL)
        .select_related("stage", "owner")
        .first()
    )
    return NextRenewal(contract=contract, days_left=(contract.end_date - day).days, renewal=renewal)


def account_revenue(*, account: Account, day: datetime.date) -> AccountRevenue:
    """ARR on the day, the next renewal and the open opportunities, in four queries at most."""
    arr = arr_by_account(account_ids=[account.pk], day=day).get(account.pk, Decimal("0.00"))
    figures = Opportunity.objects.filter(account=account, status=OpportunityStatus.OPEN).aggregate(
        count=Count("id"), amount=Sum("amount_company")
    )
    return AccountRevenue(
        arr=arr,
        next_renewal=next_renewal(account=account, day=day),
        open_count=figures["count"] or 0,
        open_amount=money(figures["amount"]),
    )


def account_arr_series(
    *, account: Account, days: Sequence[datetime.date]
) -> list[tuple[datetime.date, Decimal]]:
    """The account's ARR on each of the days, in one query: a conditional sum per day."""
    if not days:
        return []
    amount: DecimalField[Decimal, Decimal] = DecimalField(max_digits=20, decimal_places=2)
    columns = {
        f"arr_{index}": Sum(
            Case(
                When(start_date__lte=day, end_date__gte=day, then="annual_value_company"),
                default=Value(Decimal(0)),
                output_field=amount,
            )
        )
        for index, day in enumerate(days)
    }
    totals = (
        counting_lines()
        .filter(account=account, start_date__lte=max(days), end_date__gte=min(days))
        .aggregate(**columns)
    )
    return [(day, money(totals[f"arr_{index}"])) for index, day in enumerate(days)]


def account_chart_days(
    *, day: datetime.date, months: int = ACCOUNT_CHART_MONTHS
) -> list[datetime.date]:
    """The day before the first of ``months`` months back, then each month's end up to the day."""
    first = day.replace(day=1)
    for _month in range(months - 1):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    days = [first - datetime.timedelta(days=1)]
    current = first
    while current <= day:
        days.append(min(month_end(current), day))
        current = month_end(current) + datetime.timedelta(days=1)
    return days


@dataclass(frozen=True)
class FirstRows(Generic[RowT]):
    """The first rows of a list, and whether more follow (the page links to the whole list)."""

    rows: list[RowT]
    has_more: bool


def _first_rows(queryset: QuerySet[RowT], limit: int) -> FirstRows[RowT]:
    rows = list(queryset[: limit + 1])
    return FirstRows(rows=rows[:limit], has_more=len(rows) > limit)


def account_contracts(
    *, account: Account, day: datetime.date, limit: int = ACCOUNT_LIST_LIMIT
) -> FirstRows[Contract]:
    """The account's terms, latest first, each with its ARR (``arr_shown``) on the day, or on
    the nearest day of its term when the day falls outside it (a cancelled one has none)."""
    amount: DecimalField[Decimal, Decimal] = DecimalField(max_digits=18, decimal_places=2)
    nearest = Greatest(OuterRef("start_date"), Least(Value(day), OuterRef("end_date")))
    in_force = (
        ContractLine.objects.filter(
            contract=OuterRef("pk"), start_date__lte=nearest, end_date__gte=nearest
        )
        .order_by()
        .values("contract")
        .annotate(total=Sum("annual_value_company"))
        .values("total")
    )
    rows = Contract.objects.filter(account=account).annotate(
        arr_shown=Case(
            When(status=ContractStatus.CANCELLED, then=Value(None, output_field=amount)),
            default=Subquery(in_force, output_field=amount),
            output_field=amount,
        )
    )
    return _first_rows(rows.order_by("-start_date", "-id"), limit)


def account_opportunities(
    *, account: Account, is_open: bool, limit: int = ACCOUNT_LIST_LIMIT
) -> FirstRows[Opportunity]:
    """The account's open opportunities by close date, or its closed ones, latest first."""
    rows = Opportunity.objects.filter(account=account).select_related("stage", "owner")
    if is_open:
        rows = rows.filter(status=OpportunityStatus.OPEN).order_by("close_date", "id")
    else:
        rows = rows.exclude(status=OpportunityStatus.OPEN).order_by("-closed_on", "-id")
    return _first_rows(rows, limit)
