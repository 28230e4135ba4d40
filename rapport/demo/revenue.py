"""The demo book's revenue: what each client bought, renewed, added and dropped over three years.

Everything goes through ``rapport.revenue.services``, as people and the nightly jobs would have
done it day after day: the catalogue and the exchange rates, each client's first term, every
renewal opened by the job, worked and won (or lost), the mid-term amendments that follow a won
upsell or cross-sell, and today's pipeline. So the lines, their company-currency values, the
renewal chains and the history are what the product itself stores. Dates count back from today,
so the book stays current.

Each account's story follows its lifecycle stage: onboarding clients signed this year; clients
in the renewal stage have a term ending within the renewal lead time, whose renewal is open and
whose renewal playbook runs; churned clients lost a renewal; at-risk clients shrank at their last
renewal. One client left and came back; two renew tacitly, one of them already told of its
notice date.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from rapport.accounts.choices import LifecycleStage, Tier
from rapport.accounts.models import Account
from rapport.accounts.services import account_update
from rapport.demo.roadmaps import _complete_past_steps, _quietly
from rapport.revenue import services
from rapport.revenue.choices import ContractStatus, LossReason, OpportunityStatus, OpportunityType
from rapport.revenue.models import (
    Contract,
    ExchangeRate,
    Opportunity,
    PipelineStage,
    Product,
    ProductFamily,
)
from rapport.revenue.rates import RateTable, company_currency
from rapport.revenue.services import add_months
from rapport.roadmaps import automation
from rapport.roadmaps.choices import PlaybookKind, RoadmapStatus
from rapport.roadmaps.models import Handoff, Playbook, Roadmap
from rapport.users.models import User

SEED = 20261127 + 10
ONE_DAY = datetime.timedelta(days=1)
CENT = Decimal("0.01")

# family, description, products: (name, code, list price per unit and year, sold per user)
CATALOGUE: list[tuple[str, str, list[tuple[str, str, int, bool]]]] = [
    (
        "Platform",
        "The account-management platform itself, per user and per year.",
        [
            ("Platform Essentials", "PLT-ESS", 180, True),
            ("Platform Professional", "PLT-PRO", 290, True),
            ("Platform Enterprise", "PLT-ENT", 420, True),
        ],
    ),
    (
        "Analytics",
        "Dashboards, forecasting and the data warehouse feed.",
        [
            ("Analytics Dashboards", "ANA-DSH", 60, True),
            ("Forecasting Engine", "ANA-FCT", 14000, False),
            ("Data Warehouse Sync", "ANA-DWH", 9500, False),
        ],
    ),
    (
        "Integrations",
        "Connectors to the client's own systems.",
        [
            ("CRM Connector", "INT-CRM", 6000, False),
            ("ERP Connector", "INT-ERP", 8500, False),
            ("API Access", "INT-API", 4800, False),
        ],
    ),
    (
        "Services",
        "Success management and training, renewed yearly.",
        [
            ("Customer Success Plan", "SRV-CSP", 18000, False),
            ("Training Credits", "SRV-TRN", 2400, False),
        ],
    ),
    (
        "Support",
        "Support beyond the standard business-hours desk.",
        [
            ("Premium Support", "SUP-PRM", 12000, False),
            ("24/7 Support", "SUP-247", 26000, False),
        ],
    ),
]
PLATFORM, ANALYTICS, INTEGRATIONS, SERVICES, SUPPORT = (row[0] for row in CATALOGUE)
EDITIONS: dict[str, str] = {
    Tier.STRATEGIC: "Platform Enterprise",
    Tier.KEY: "Platform Professional",
    Tier.GROWTH: "Platform Professional",
    Tier.MAINTAIN: "Platform Essentials",
}
# How likely a client of each tier bought each other family with its first term.
FIRST_TERM_FAMILIES: dict[str, dict[str, float]] = {
    Tier.STRATEGIC: {ANALYTICS: 0.6, INTEGRATIONS: 0.6, SERVICES: 0.7, SUPPORT: 0.8},
    Tier.KEY: {ANALYTICS: 0.45, INTEGRATIONS: 0.5, SERVICES: 0.4, SUPPORT: 0.5},
    Tier.GROWTH: {ANALYTICS: 0.3, INTEGRATIONS: 0.35, SERVICES: 0.2, SUPPORT: 0.3},
    Tier.MAINTAIN: {ANALYTICS: 0.1, INTEGRATIONS: 0.2, SERVICES: 0.05, SUPPORT: 0.1},
}
DISCOUNTS: dict[str, float] = {
    Tier.STRATEGIC: 0.18,
    Tier.KEY: 0.12,
    Tier.GROWTH: 0.08,
    Tier.MAINTAIN: 0.03,
}

# Company currency per unit of each foreign currency, from N months back (a few changes).
RATES = {
    "USD": [(38, "0.91"), (30, "0.94"), (24, "0.92"), (18, "0.89"), (12, "0.93"), (6, "0.90")],
    "GBP": [(38, "1.15"), (30, "1.17"), (24, "1.16"), (18, "1.19"), (12, "1.18"), (6, "1.17")],
}
CURRENCY_BY_COUNTRY = {"US": "USD", "GB": "GBP"}

# The stories (see the module's docstring), and how many days before today or after it.
NEW = "new"
ESTABLISHED = "established"
RENEWING = "renewing"
CHURNED = "churned"
REACTIVATED = "reactivated"
TACIT_NOTIFIED = "tacit_notified"
TACIT_PENDING = "tacit_pending"
NOTICE_DAYS = 90
CHURN_REASONS = [
    (LossReason.COMPETITOR, "Moved to a cheaper competitor after a procurement review."),
    (LossReason.NO_ADOPTION, "Usage never went beyond the pilot team."),
    (LossReason.BUDGET, "Budget frozen for the year; they may come back."),
    (LossReason.CHAMPION_LEFT, "Our champion left and the new director chose another tool."),
    (LossReason.ACQUIRED, "Acquired by a group that has its own platform."),
]
LOSS_REASONS = [
    (LossReason.PRICE, "Too expensive for this year's budget."),
    (LossReason.NO_DECISION, "No decision before the budget closed; to raise again next year."),
    (LossReason.COMPETITOR, "They chose a specialised tool."),
    (LossReason.BUDGET, "The project was postponed."),
]
NEXT_STEPS = [
    "Send the revised proposal",
    "Book the business review with the economic buyer",
    "Demo to the finance team",
    "Agree on the seat count with procurement",
    "Security questionnaire due back from their IT",
    "Pricing call with the CFO",
    "Pilot with two teams, review the results",
    "Legal review of the order form",
]
RISK_NOTES = [
    "The economic buyer has not been met this year.",
    "Budget under review until the next quarter.",
    "A competitor is running a pilot in one business unit.",
    "Our champion is changing roles.",
    "Usage dropped after the reorganisation.",
]
RENEWAL_NOTES = [
    "Renewed on the same terms with the yearly price review.",
    "Renewed early, with more seats for the new teams.",
    "Signed after the business review.",
]


@dataclass
class Catalogue:
    """The demo's products by name, and the families each belongs to."""

    products: dict[str, Product]

    def family_of(self, name: str) -> str:
        return self.products[name].family.name

    def in_family(self, family: str) -> list[Product]:
        return [product for product in self.products.values() if product.family.name == family]


@dataclass
class Story:
    """What happens to one account, decided before anything is written."""

    account: Account
    kind: str
    currency: str
    months: int = 12
    # The first term's start, and the day the story's last term ends (or ended).
    first_start: datetime.date = datetime.date.min
    renewals: int = 0
    ends_on: datetime.date | None = None
    shrinks: bool = False
    lines: list[dict[str, Any]] = field(default_factory=list)


def has_revenue() -> bool:
    """Whether the demo's contracts and opportunities are there (the catalogue alone is not)."""
    return Contract.objects.exists() or Opportunity.objects.exists()


def load_revenue(*, users: dict[str, User]) -> int:
    """Build the catalogue, rates, contracts and pipeline; return the contracts made (none when
    the pipeline has no stages to work with)."""
    if not PipelineStage.objects.filter(is_active=True, outcome=OpportunityStatus.OPEN).exists():
        return 0
    today = timezone.localdate()
    admin = users["admin@rapport.demo"]
    with _quietly(), transaction.atomic():
        catalogue = _catalogue(admin)
        _rates(admin, today=today)
        table = RateTable()
        builder = Builder(catalogue=catalogue, table=table, users=users, today=today)
        for story in _stories(catalogue, table, today=today):
            builder.tell(story)
        builder.work_todays_renewals()
        builder.open_pipeline()
        _start_renewal_playbooks(today=today)
        services.notice_reminders_create(today=today)
    return Contract.objects.count()


# Catalogue and rates ----------------------------------------------------------------------


def _catalogue(admin: User) -> Catalogue:
    """The families and products, made once (an earlier load may have left them)."""
    families = {family.name: family for family in ProductFamily.objects.all()}
    products = {product.name: product for product in Product.objects.select_related("family")}
    for position, (family_name, description, items) in enumerate(CATALOGUE, start=1):
        family = families.get(family_name) or services.product_family_create(
            acting_user=admin,
            data={"name": family_name, "position": position, "description": description},
        )
        for name, code, price, _per_user in items:
            if name not in products:
                products[name] = services.product_create(
                    acting_user=admin,
                    data={
                        "name": name,
                        "code": code,
                        "family": family,
                        "list_price": Decimal(price),
                    },
                )
    wanted = [name for _family, _text, items in CATALOGUE for name, *_rest in items]
    return Catalogue({name: products[name] for name in wanted})


def _rates(admin: User, *, today: datetime.date) -> None:
    month = today.replace(day=1)
    for currency, changes in RATES.items():
        for months_back, rate in changes:
            services.exchange_rate_set(
                acting_user=admin,
                currency=currency,
                effective_date=add_months(month, -months_back),
                rate=Decimal(rate),
            )


def per_user(product: Product) -> bool:
    """Whether the product is sold by the seat (its quantity follows the client's size)."""
    return any(
        name == product.name and sold_per_user
        for _family, _text, items in CATALOGUE
        for name, _code, _price, sold_per_user in items
    )


# The stories ------------------------------------------------------------------------------


def _stories(catalogue: Catalogue, table: RateTable, *, today: datetime.date) -> list[Story]:
    """Every account's story, in id order, from one seeded draw."""
    rng = random.Random(SEED)
    accounts = list(
        Account.objects.filter(is_archived=False).select_related("owner").order_by("id")
    )
    # The renewal playbooks started by hand count back from these contract ends.
    renewal_ends = dict(
        Roadmap.objects.filter(kind=PlaybookKind.RENEWAL, reference_date__isnull=False)
        .exclude(status=RoadmapStatus.CANCELLED)
        .values_list("account_id", "reference_date")
    )
    kickoffs = _kickoffs()
    reactivated = _first(accounts, LifecycleStage.ADOPTION, set(renewal_ends))
    taken = set(renewal_ends) | {reactivated}
    tacit = [
        account.pk
        for account in accounts
        if account.lifecycle_stage == LifecycleStage.GROWTH
        and account.owner_id is not None
        and account.country not in CURRENCY_BY_COUNTRY
        and account.pk not in taken
    ][:2]
    churned_seen = 0
    stories = []
    for index, account in enumerate(accounts):
        currency = company_currency()
        if index % 2 == 0 and account.country in CURRENCY_BY_COUNTRY:
            currency = CURRENCY_BY_COUNTRY[account.country]
        story = Story(account=account, kind=ESTABLISHED, currency=currency)
        stage = account.lifecycle_stage
        if account.pk in renewal_ends:
            story.kind, story.ends_on = RENEWING, renewal_ends[account.pk]
        elif account.pk == reactivated:
            story.kind = REACTIVATED
        elif account.pk in tacit:
            story.kind = TACIT_NOTIFIED if account.pk == tacit[0] else TACIT_PENDING
        elif stage == LifecycleStage.ONBOARDING:
            story.kind = NEW
        elif stage == LifecycleStage.CHURNED:
            story.kind = CHURNED
            churned_seen += 1
        elif stage == LifecycleStage.RENEWAL:
            story.kind = RENEWING
        _shape(story, rng, today=today, kickoff=kickoffs.get(account.pk), nth=churned_seen)
        story.lines = _first_lines(story, catalogue, table, rng)
        stories.append(story)
    return stories


def _first(accounts: Sequence[Account], stage: str, excluded: set[int]) -> int:
    for account in accounts:
        if account.lifecycle_stage == stage and account.owner_id and account.pk not in excluded:
            return int(account.pk)
    return 0


def _kickoffs() -> dict[int, datetime.date]:
    """When each new client's onboarding began (or begins): its contract starts then."""
    kickoffs = dict(
        Roadmap.objects.filter(kind=PlaybookKind.ONBOARDING).values_list("account_id", "start_date")
    )
    for account_id, kickoff in Handoff.objects.values_list("account_id", "kickoff_date"):
        kickoffs.setdefault(account_id, kickoff)
    return kickoffs


def _shape(
    story: Story,
    rng: random.Random,
    *,
    today: datetime.date,
    kickoff: datetime.date | None,
    nth: int,
) -> None:
    """The term length, the first start and the number of renewals of one story."""
    tier = story.account.tier
    if story.kind == ESTABLISHED and tier == Tier.STRATEGIC and rng.random() < 0.5:
        story.months = rng.choice([24, 36])
    if story.kind == NEW:
        story.first_start = kickoff or today - datetime.timedelta(days=rng.randint(15, 200))
        return
    if story.kind == REACTIVATED:
        story.first_start = _start_of_term_ending(today - datetime.timedelta(days=430), 12)
        return
    if story.kind == CHURNED:
        # Two in three left within the last year (never one of the largest), the others before.
        recent = nth % 3 != 1 and tier != Tier.STRATEGIC
        ago = rng.randint(20, 300) if recent else rng.randint(400, 640)
        story.ends_on = _clean_end(today - datetime.timedelta(days=ago))
        story.renewals = 0 if ago > 400 else rng.choice([0, 1])
    elif story.kind in (TACIT_NOTIFIED, TACIT_PENDING):
        days = 60 if story.kind == TACIT_NOTIFIED else NOTICE_DAYS + 20
        story.ends_on = today + datetime.timedelta(days=days)
        story.renewals = 1
    elif story.kind == RENEWING:
        story.ends_on = story.ends_on or _clean_end(
            today + datetime.timedelta(days=rng.randint(15, 118))
        )
        story.renewals = rng.choice([1, 1, 1, 2])
    else:
        term_days = story.months * 365 // 12
        story.ends_on = _clean_end(today + datetime.timedelta(days=rng.randint(125, term_days - 5)))
        story.renewals = rng.choice([1, 1, 1, 2]) if story.months == 12 else rng.choice([0, 1])
        story.shrinks = story.account.lifecycle_stage == LifecycleStage.AT_RISK
    current = _start_of_term_ending(story.ends_on, story.months)
    story.first_start = add_months(current, -story.months * story.renewals)
    # Nothing older than three years: the rates, and the book, begin then.
    while story.renewals and story.first_start < today - datetime.timedelta(days=3 * 365):
        story.renewals -= 1
        story.first_start = add_months(current, -story.months * story.renewals)


def _clean_end(day: datetime.date) -> datetime.date:
    """A last day whose next day exists every year (no term starts on 29 February)."""
    while (day + ONE_DAY).month == 2 and (day + ONE_DAY).day == 29:
        day -= ONE_DAY
    return day


def _start_of_term_ending(end: datetime.date, months: int) -> datetime.date:
    return add_months(end + ONE_DAY, -months)


def _first_lines(
    story: Story, catalogue: Catalogue, table: RateTable, rng: random.Random
) -> list[dict[str, Any]]:
    """The platform for everyone, by the account's size, and the other families its tier buys."""
    account = story.account
    tier = account.tier or Tier.GROWTH
    employees = account.employees or 200
    seats = max(10, round(employees**0.75 * rng.uniform(0.3, 0.55) / 5) * 5)
    platform = catalogue.products[EDITIONS.get(tier, "Platform Professional")]
    lines = [_line(platform, seats, story, table, rng)]
    for family, chance in FIRST_TERM_FAMILIES.get(tier, {}).items():
        if rng.random() < chance:
            product = rng.choice(catalogue.in_family(family))
            quantity = max(5, seats // 2) if per_user(product) else 1
            lines.append(_line(product, quantity, story, table, rng))
    return lines


def _line(
    product: Product, quantity: int, story: Story, table: RateTable, rng: random.Random
) -> dict[str, Any]:
    """A line at the list price less the tier's discount, in the contract's currency."""
    discount = Decimal(str(round(rng.uniform(0, DISCOUNTS.get(story.account.tier, 0.05)), 2)))
    price = product.list_price * (1 - discount)
    rate = table.rate(story.currency, story.first_start) or Decimal(1)
    return {
        "product": product,
        "quantity": Decimal(quantity),
        "unit_price": (price / rate).quantize(Decimal(1)),
    }


# Writing the stories ----------------------------------------------------------------------


class Builder:
    """Writes each story through the services, as the account managers and the jobs did."""

    def __init__(
        self,
        *,
        catalogue: Catalogue,
        table: RateTable,
        users: dict[str, User],
        today: datetime.date,
    ) -> None:
        self.catalogue = catalogue
        self.table = table
        self.today = today
        self.head = users["head@rapport.demo"]
        self.executive = users["nina@rapport.demo"]
        self.rng = random.Random(SEED + 1)
        self.stories: list[tuple[Story, Contract]] = []

    def actor(self, account: Account) -> User:
        """Who works the account: its manager, or the head of account management."""
        owner = account.owner
        return owner if owner is not None and owner.is_active else self.head

    def tell(self, story: Story) -> None:
        account, actor = story.account, self.actor(story.account)
        tacit = story.kind in (TACIT_NOTIFIED, TACIT_PENDING)
        contract = services.contract_create(
            acting_user=actor,
            account=account,
            data={
                "reference": f"SUB-{account.pk:04d}",
                "currency": story.currency,
                "start_date": story.first_start,
                "end_date": add_months(story.first_start, story.months) - ONE_DAY,
                "auto_renew": tacit,
                "notice_days": NOTICE_DAYS if tacit else None,
            },
            lines=story.lines,
        )
        for number in range(story.renewals):
            last = number == story.renewals - 1
            contract = self.renew(contract, actor, shrink=story.shrinks and last)
        if story.kind == CHURNED:
            self.lose_renewal(contract, actor)
        elif story.kind == REACTIVATED:
            contract = self.reactivate(contract, actor)
        elif story.kind == TACIT_NOTIFIED:
            services.contract_record_notice(
                contract=contract,
                acting_user=actor,
                notified_on=self.today - datetime.timedelta(days=45),
            )
        if story.kind in (NEW, ESTABLISHED, RENEWING, REACTIVATED):
            self.grow_mid_term(story, contract, actor)
        self.stories.append((story, contract))

    def renew(
        self,
        contract: Contract,
        actor: User,
        *,
        shrink: bool = False,
        opportunity: Opportunity | None = None,
    ) -> Contract:
        """The manager priced the next term and won the renewal.

        A renewal of today's (``opportunity``) was opened by the job and is priced now; an
        earlier one is opened already priced, as the job and the manager left it: the same row,
        made in one call rather than two, which keeps the demo quick to load.
        """
        lines = self.next_term_lines(contract, shrink=shrink)
        if opportunity is not None:
            opportunity = services.opportunity_update(
                opportunity=opportunity,
                acting_user=actor,
                data={},
                expected_version=None,
                lines=lines,
            )
        else:
            opportunity = services.opportunity_create(
                acting_user=actor,
                account=contract.account,
                data={
                    "type": OpportunityType.RENEWAL,
                    "name": (
                        f"Renewal {(contract.end_date + ONE_DAY).year} – {contract.account.name}"
                    ),
                    "contract": contract,
                    "close_date": contract.end_date,
                    "currency": contract.currency,
                },
                lines=lines,
            )
        closed_on = min(
            self.today, contract.end_date - datetime.timedelta(days=self.rng.randint(3, 40))
        )
        won = services.opportunity_win(
            opportunity=opportunity,
            acting_user=actor,
            closed_on=closed_on,
            close_note=(
                "Renewed with fewer seats and without one module after a difficult year."
                if shrink
                else self.rng.choice(RENEWAL_NOTES)
            ),
        )
        if won.next_contract is None:
            raise ValueError(f"Winning the renewal of {contract} made no next term.")
        return won.next_contract

    def next_term_lines(self, contract: Contract, *, shrink: bool) -> list[dict[str, Any]]:
        """What the client takes next term: the yearly price review, often more seats, or less."""
        rng = self.rng
        current = services.lines_in_force(contract, contract.end_date)
        lines = []
        dropped = current[-1].product_id if shrink and len(current) > 2 else None
        for line in current:
            if line.product_id == dropped:
                continue
            quantity = line.quantity
            if per_user(line.product):
                factor, draw = 1.0, rng.random()
                if shrink:
                    factor = rng.uniform(0.55, 0.75)
                elif draw < 0.2:
                    factor = rng.uniform(0.7, 0.85)
                elif draw < 0.7:
                    factor = rng.uniform(1.15, 1.45)
                quantity = (quantity * Decimal(str(factor))).quantize(Decimal(1))
            uplift = Decimal(1) if shrink else Decimal(str(rng.choice([1.03, 1.04, 1.05])))
            lines.append(
                {
                    "product": line.product,
                    "quantity": max(quantity, Decimal(1)),
                    "unit_price": (line.unit_price * uplift).quantize(CENT),
                }
            )
        return lines

    def lose_renewal(self, contract: Contract, actor: User) -> None:
        """The client did not renew: the contract churns, and with it the account."""
        opportunity = services.renewal_open(contract=contract)
        if opportunity is None:
            raise ValueError(f"The demo contract {contract} already had a renewal.")
        reason, note = self.rng.choice(CHURN_REASONS)
        services.opportunity_lose(
            opportunity=opportunity,
            acting_user=actor,
            loss_reason=reason,
            closed_on=min(self.today, contract.end_date - datetime.timedelta(days=10)),
            close_note=note,
        )

    def reactivate(self, contract: Contract, actor: User) -> Contract:
        """Lost for a year, then back with a smaller contract of its own."""
        stage = contract.account.lifecycle_stage
        self.lose_renewal(contract, actor)
        start = self.today - datetime.timedelta(days=self.rng.randint(100, 160))
        lines = [
            {
                **line,
                "quantity": max(
                    Decimal(5), (line["quantity"] * Decimal("0.7")).quantize(Decimal(1))
                ),
            }
            for line in self.next_term_lines(contract, shrink=False)[:1]
        ]
        comeback = services.contract_create(
            acting_user=actor,
            account=contract.account,
            data={
                "reference": f"SUB-{contract.account_id:04d}-B",
                "currency": contract.currency,
                "start_date": start,
                "end_date": add_months(start, 12) - ONE_DAY,
                "notes": "Back after a year away, starting with one team.",
            },
            lines=lines,
        )
        account_update(
            account=Account.objects.get(pk=contract.account_id),
            acting_user=actor,
            data={"lifecycle_stage": stage},
            expected_version=None,
        )
        return comeback

    def grow_mid_term(self, story: Story, contract: Contract, actor: User) -> None:
        """Within the term: a won upsell or cross-sell and its amendment, or a module dropped."""
        rng = self.rng
        elapsed = (self.today - contract.start_date).days
        if elapsed < 45 or contract.end_date <= self.today:
            return
        draw = rng.random()
        if story.shrinks and draw < 0.5:
            self.drop_module(contract, actor, elapsed=elapsed)
        elif draw < 0.3:
            self.win_and_amend(contract, actor, OpportunityType.UPSELL, elapsed=elapsed)
        elif draw < 0.55:
            self.win_and_amend(contract, actor, OpportunityType.CROSS_SELL, elapsed=elapsed)
        elif draw < 0.65:
            self.lose_growth(contract, actor, elapsed=elapsed)

    def _mid_term_day(self, contract: Contract, elapsed: int) -> datetime.date:
        return contract.start_date + datetime.timedelta(days=self.rng.randint(20, elapsed - 10))

    def growth_lines(
        self, contract: Contract, kind: str, *, day: datetime.date
    ) -> list[dict[str, Any]]:
        """The lines an upsell (more seats) or a cross-sell (a family not owned) would sell."""
        current = services.lines_in_force(contract, day)
        owned = {self.catalogue.family_of(line.product.name) for line in current}
        if kind == OpportunityType.UPSELL:
            seats = current[0]
            extra = max(Decimal(5), (seats.quantity * Decimal("0.2")).quantize(Decimal(1)))
            return [{"product": seats.product, "quantity": extra, "unit_price": seats.unit_price}]
        missing = [name for name, *_rest in CATALOGUE if name not in owned]
        if not missing:
            return []
        product = self.rng.choice(self.catalogue.in_family(self.rng.choice(missing)))
        quantity = (
            max(Decimal(5), (current[0].quantity / 2).quantize(Decimal(1)))
            if per_user(product)
            else 1
        )
        rate = self.table.rate(contract.currency, day) or Decimal(1)
        return [
            {
                "product": product,
                "quantity": Decimal(quantity),
                "unit_price": (product.list_price * Decimal("0.95") / rate).quantize(Decimal(1)),
            }
        ]

    def win_and_amend(self, contract: Contract, actor: User, kind: str, *, elapsed: int) -> None:
        day = self._mid_term_day(contract, elapsed)
        lines = self.growth_lines(contract, kind, day=day)
        if not lines:
            return
        opportunity = services.opportunity_create(
            acting_user=actor,
            account=contract.account,
            data={
                "type": kind,
                "name": _growth_name(kind, lines[0]["product"]),
                "contract": contract,
                "currency": contract.currency,
                "close_date": day,
                "next_step": "Order form signed",
            },
            lines=lines,
        )
        services.opportunity_win(
            opportunity=opportunity,
            acting_user=actor,
            closed_on=day,
            close_note="Signed after the pilot.",
        )
        current = {
            line.product_id: {
                "product": line.product,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
            }
            for line in services.lines_in_force(contract, day)
        }
        for line in lines:
            held = current.get(line["product"].pk)
            if held is not None:
                held["quantity"] += line["quantity"]
            else:
                current[line["product"].pk] = line
        services.contract_amend(
            contract=Contract.objects.get(pk=contract.pk),
            acting_user=actor,
            effective_date=day + ONE_DAY,
            reason=f"{opportunity.name}: won on {day.isoformat()}.",
            lines=list(current.values()),
        )

    def drop_module(self, contract: Contract, actor: User, *, elapsed: int) -> None:
        """The client stops a module mid-term: a contraction."""
        day = self._mid_term_day(contract, elapsed)
        current = services.lines_in_force(contract, day)
        if len(current) < 2:
            return
        kept = [
            {"product": line.product, "quantity": line.quantity, "unit_price": line.unit_price}
            for line in current[:-1]
        ]
        services.contract_amend(
            contract=Contract.objects.get(pk=contract.pk),
            acting_user=actor,
            effective_date=day,
            reason=f"{current[-1].product} stopped after the budget review.",
            lines=kept,
        )

    def lose_growth(self, contract: Contract, actor: User, *, elapsed: int) -> None:
        kind = self.rng.choice([OpportunityType.UPSELL, OpportunityType.CROSS_SELL])
        day = self._mid_term_day(contract, elapsed)
        lines = self.growth_lines(contract, kind, day=day)
        if not lines:
            return
        opportunity = services.opportunity_create(
            acting_user=actor,
            account=contract.account,
            data={
                "type": kind,
                "name": _growth_name(kind, lines[0]["product"]),
                "currency": contract.currency,
                "close_date": day,
                "stage": self.open_stages()[self.rng.randint(1, 3)],
            },
            lines=lines,
        )
        reason, note = self.rng.choice(LOSS_REASONS)
        services.opportunity_lose(
            opportunity=opportunity,
            acting_user=actor,
            loss_reason=reason,
            closed_on=day,
            close_note=note,
        )

    def open_stages(self) -> list[PipelineStage]:
        return list(
            PipelineStage.objects.filter(is_active=True, outcome=OpportunityStatus.OPEN).order_by(
                "position", "id"
            )
        )

    # Today ---------------------------------------------------------------------------------

    def work_todays_renewals(self) -> None:
        """The nightly job opens today's renewals; the managers have been working them since."""
        opened = services.renewals_open(today=self.today)
        stages = self.open_stages()
        at_risk = {
            story.account.pk
            for story, _contract in self.stories
            if story.account.lifecycle_stage == LifecycleStage.AT_RISK
        }
        playbooks = set(
            Roadmap.objects.filter(kind=PlaybookKind.RENEWAL).values_list("account_id", flat=True)
        )
        for number, opportunity in enumerate(opened):
            account = opportunity.account
            actor = self.actor(account)
            contract = opportunity.contract
            if contract is None:
                continue
            days_left = (contract.end_date - self.today).days
            if number % 9 == 4 and not contract.auto_renew and account.pk not in playbooks:
                # Signed early: the next term is waiting.
                self.renew(contract, actor, opportunity=opportunity)
                continue
            position = 4 if days_left < 40 else 3 if days_left < 70 else 2 if days_left < 95 else 1
            if contract.auto_renew:
                position = 4
            risky = account.pk in at_risk or number % 5 == 2
            data: dict[str, Any] = {
                "stage": stages[min(position, len(stages) - 1) - (1 if risky else 0)],
                "next_step": self.rng.choice(NEXT_STEPS),
            }
            if risky:
                data["risk_note"] = self.rng.choice(RISK_NOTES)
            services.opportunity_update(
                opportunity=opportunity,
                acting_user=actor,
                data=data,
                expected_version=None,
                lines=self.next_term_lines(contract, shrink=False),
            )

    def open_pipeline(self) -> None:
        """Upsells and cross-sells at every open stage, on the families clients do not own."""
        stages = self.open_stages()
        rng = self.rng
        for number, (story, contract) in enumerate(self.stories):
            if story.kind in (CHURNED,) or contract.end_date < self.today:
                continue
            if rng.random() > 0.5:
                continue
            kind = OpportunityType.CROSS_SELL if number % 3 else OpportunityType.UPSELL
            day = max(self.today, contract.start_date)
            lines = self.growth_lines(contract, kind, day=day)
            if not lines:
                continue
            account = story.account
            data: dict[str, Any] = {
                "type": kind,
                "name": _growth_name(kind, lines[0]["product"]),
                "currency": contract.currency,
                "close_date": self.today + datetime.timedelta(days=rng.randint(14, 200)),
                "stage": stages[number % len(stages)],
                "next_step": rng.choice(NEXT_STEPS),
            }
            # The account executive who brought the client in works its cross-sells.
            if kind == OpportunityType.CROSS_SELL and account.originating_executive_id:
                data["owner"] = self.executive
            if rng.random() < 0.3:
                data["risk_note"] = rng.choice(RISK_NOTES)
            services.opportunity_create(
                acting_user=self.actor(account), account=account, data=data, lines=lines
            )


def _growth_name(kind: str, product: Product) -> str:
    if kind == OpportunityType.UPSELL:
        return f"More {product.name} seats"
    return f"{product.name} for new teams" if per_user(product) else f"{product.name}"


def _start_renewal_playbooks(*, today: datetime.date) -> None:
    """As the nightly job did: a renewal playbook for each term ending within its lead time,
    started when the end came within reach, its past steps done (a few late)."""
    playbook = (
        Playbook.objects.filter(kind=PlaybookKind.RENEWAL, is_active=True, lead_days__isnull=False)
        .order_by("id")
        .first()
    )
    if playbook is None or playbook.lead_days is None:
        return
    lead = datetime.timedelta(days=playbook.lead_days)
    running = set(
        Roadmap.objects.filter(kind=PlaybookKind.RENEWAL)
        .exclude(status=RoadmapStatus.CANCELLED)
        .values_list("account_id", "reference_date")
    )
    ending = (
        Contract.objects.filter(
            status=ContractStatus.ACTIVE,
            end_date__gte=today,
            end_date__lte=today + lead,
            account__is_archived=False,
        )
        .select_related("account", "account__owner")
        .order_by("end_date", "id")
    )
    for number, contract in enumerate(ending):
        account = contract.account
        acting_user, _note = automation.acting_user_for(account)
        if acting_user is None or (account.pk, contract.end_date) in running:
            continue
        roadmap = automation.start_once(
            account=account,
            playbook=playbook,
            start_date=contract.end_date - lead,
            reference_date=contract.end_date,
            acting_user=acting_user,
        )
        if roadmap is not None:
            _complete_past_steps(roadmap, today=today, late=1 if number % 4 == 1 else 0)


def revenue_counts() -> tuple[int, ...]:
    """How much revenue the demo holds, for its summary and its tests."""
    return (
        ProductFamily.objects.count(),
        Product.objects.count(),
        ExchangeRate.objects.count(),
        Contract.objects.count(),
        Opportunity.objects.count(),
    )
