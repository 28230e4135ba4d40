"""Continuity when someone leaves: moving accounts, handoff briefs, and who holds what alone.

A reassignment moves an account's manager and everything still open in the previous manager's
name on it (follow-up tasks, commitments, our side's roadmap steps) in one transaction: it all
moves, or nothing does. Each account moved gets a ``Reassignment`` row (a whole book shares one
batch) and a handoff brief the new manager reads first.

Continuity risk asks "if this person left tomorrow": a client relationship is an active, real
client person that at least one of our active people owns; it is single-held when exactly one
of them does. People who can no longer sign in hold nothing any more (they already left), so a
relationship they shared with one colleague is that colleague's alone.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rapport.accountmaps.risk import Assessment, assess_account
from rapport.accounts import services as account_services
from rapport.accounts.choices import TeamRole
from rapport.accounts.models import Account, TeamMember
from rapport.communications import services as communications
from rapport.communications.models import Task, Touchpoint
from rapport.core.services import lock_versioned, require_permission, save_versioned
from rapport.roadmaps import services as roadmap_services
from rapport.roadmaps.choices import (
    CommitmentStatus,
    HandoffStatus,
    ItemKind,
    ItemStatus,
    RoadmapStatus,
)
from rapport.roadmaps.models import Commitment, Handoff, Reassignment, Roadmap, RoadmapItem
from rapport.stakeholders.choices import StakeholderStatus
from rapport.stakeholders.models import RelationshipOwner, Stakeholder
from rapport.users.choices import Role
from rapport.users.models import User

logger = logging.getLogger(__name__)

# Support, marketing and other team members work on accounts without holding them; read-only
# users change nothing. Everyone else may be given accounts.
OWNER_ROLES = frozenset(
    {
        Role.ACCOUNT_MANAGER,
        Role.HEAD_OF_ACCOUNT_MANAGEMENT,
        Role.ACCOUNT_EXECUTIVE,
        Role.ADMINISTRATOR,
    }
)

# A brief is read in one sitting: beyond these, the account's own pages hold the rest.
BRIEF_TOUCHPOINTS = 8
BRIEF_ROWS = 50


# Receivers and the suggested split -----------------------------------------------------------


def eligible_receivers() -> QuerySet[User]:
    """Our people who may be given accounts: active, not read-only, in a role that holds them."""
    return User.objects.filter(is_active=True, role__in=OWNER_ROLES).order_by(
        "first_name", "last_name", "email"
    )


def receiver_problems(*, receiver: User, previous_owner: User | None = None) -> list[str]:
    """Why this person cannot take over an account (from ``previous_owner``), in words."""
    name = str(receiver)
    if not receiver.is_active:
        return [_("%(name)s can no longer sign in: choose someone else.") % {"name": name}]
    if receiver.is_read_only:
        return [_("%(name)s is a read-only user and cannot hold accounts.") % {"name": name}]
    if receiver.role not in OWNER_ROLES and not receiver.is_superuser:
        return [
            _(
                "%(name)s holds the role “%(role)s”: "
                "that role works on accounts but does not hold them."
            )
            % {"name": name, "role": receiver.get_role_display().lower()}
        ]
    if previous_owner is not None and previous_owner.pk == receiver.pk:
        return [_("%(name)s already manages this account.") % {"name": name}]
    return []


# What an account weighs when a book is split: the revenue capability registers its ARR.
WeightProvider = Callable[[Sequence[int]], Mapping[int, Decimal]]
_weight_providers: list[WeightProvider] = []


def register_weights(provider: WeightProvider) -> None:
    """Let a capability weigh accounts for the split (e.g. by their annual revenue)."""
    if provider not in _weight_providers:
        _weight_providers.append(provider)


def account_weights(accounts: Sequence[Account]) -> dict[int, Decimal]:
    """Each account's weight from the registered providers, added up (none: left out)."""
    weights: dict[int, Decimal] = {}
    ids = [account.pk for account in accounts]
    for provider in _weight_providers:
        for account_id, value in provider(ids).items():
            weights[account_id] = weights.get(account_id, Decimal(0)) + Decimal(value)
    return weights


def suggest_split(
    *,
    accounts: Sequence[Account],
    receivers: Sequence[User],
    weights: Mapping[int, Decimal | float | int] | None = None,
) -> dict[int, User]:
    """A balanced first proposal: account id → receiver, which the manager then adjusts.

    Each account weighs its ``weights`` entry (by default what the registered providers say,
    i.e. its annual recurring revenue), or 1 when it has none, and the heaviest go first to
    whoever carries the least so far (largest-first greedy), so the totals end close; ties go
    to whoever has fewer accounts, then in the order given. An account never goes back to its
    current manager; when nobody else was chosen it is left out of the proposal.
    """
    if weights is None:
        weights = account_weights(accounts)

    def weight(account: Account) -> Decimal:
        return Decimal(str(weights.get(account.pk, 1)))

    load: dict[int, Decimal] = {receiver.pk: Decimal(0) for receiver in receivers}
    counts: dict[int, int] = {receiver.pk: 0 for receiver in receivers}
    order = {receiver.pk: position for position, receiver in enumerate(receivers)}
    proposal: dict[int, User] = {}
    for account in sorted(accounts, key=lambda account: (-weight(account), account.pk)):
        candidates = [receiver for receiver in receivers if receiver.pk != account.owner_id]
        if not candidates:
            continue
        chosen = min(
            candidates,
            key=lambda receiver: (load[receiver.pk], counts[receiver.pk], order[receiver.pk]),
        )
        proposal[account.pk] = chosen
        load[chosen.pk] += weight(account)
        counts[chosen.pk] += 1
    return proposal


def book_of(user: User) -> QuerySet[Account]:
    """The live accounts a person manages (archived ones stay with them, out of the way)."""
    return Account.objects.filter(owner=user, is_archived=False).order_by("search_name", "id")


# Reassignment --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """One account to one receiver; ``expected_version`` refuses it if the account changed."""

    account: Account
    to_user: User
    expected_version: int | None = None


@dataclass
class ReassignmentResult:
    """What a reassignment moved: a row per account, and what went with them."""

    batch: uuid.UUID
    rows: list[Reassignment] = field(default_factory=list)
    tasks: int = 0
    commitments: int = 0
    roadmap_items: int = 0


@transaction.atomic
def reassign_accounts(
    *, acting_user: User, moves: Sequence[Move], reason: str = ""
) -> ReassignmentResult:
    """Move accounts to new managers in one transaction; receivers are told once it commits.

    Refused whole, with every reason in words, when a receiver may not hold the account; any
    failure part-way undoes the accounts already moved.
    """
    require_permission(acting_user, "roadmaps.reassign")
    _check_moves(moves)
    result = ReassignmentResult(batch=uuid.uuid4())
    # A fixed order: two managers moving overlapping books lock rows the same way round.
    for move in sorted(moves, key=lambda move: move.account.pk):
        _move_account(move, result=result, reason=reason, acting_user=acting_user)
    from rapport.roadmaps.tasks import notify_reassignment

    batch = str(result.batch)
    transaction.on_commit(lambda: notify_reassignment(batch))
    return result


def _check_moves(moves: Sequence[Move]) -> None:
    if not moves:
        raise ValidationError(_("Choose at least one account to move."))
    problems: list[str] = []
    seen: set[int] = set()
    for move in moves:
        if move.account.pk in seen:
            problems.append(_("“%(account)s” is listed twice.") % {"account": move.account.name})
        seen.add(move.account.pk)
        for problem in receiver_problems(receiver=move.to_user, previous_owner=move.account.owner):
            problems.append(f"{move.account.name}: {problem}")
    if problems:
        raise ValidationError(problems)


def _move_account(
    move: Move, *, result: ReassignmentResult, reason: str, acting_user: User
) -> Reassignment:
    """One account's move: its manager, then what was open in the previous manager's name."""
    locked = lock_versioned(Account, pk=move.account.pk, expected_version=move.expected_version)
    previous = locked.owner
    # The owner may have changed since the moves were checked (read before the lock).
    problems = receiver_problems(receiver=move.to_user, previous_owner=previous)
    if problems:
        raise ValidationError([f"{locked.name}: {problem}" for problem in problems])
    # Ends the previous manager's membership, so they stay in the team's history.
    account_services.account_update(
        account=locked,
        acting_user=acting_user,
        data={"owner": move.to_user},
        expected_version=locked.version,
    )
    if previous is not None:
        _move_open_work(
            account=locked,
            previous=previous,
            to_user=move.to_user,
            result=result,
            acting_user=acting_user,
        )
    row = Reassignment(
        batch=result.batch,
        account=locked,
        from_user=previous,
        to_user=move.to_user,
        reason=reason.strip(),
        moved_by=acting_user,
    )
    row.full_clean()
    row._history_user = acting_user  # type: ignore[attr-defined]
    row.save()
    result.rows.append(row)
    return row


def _move_open_work(
    *,
    account: Account,
    previous: User,
    to_user: User,
    result: ReassignmentResult,
    acting_user: User,
) -> None:
    for task in Task.objects.open().filter(account=account, assignee=previous).order_by("pk"):
        communications.task_update(
            task=task, acting_user=acting_user, data={"assignee": to_user}, expected_version=None
        )
        result.tasks += 1
    commitments = Commitment.objects.filter(
        account=account, owner=previous, status=CommitmentStatus.OPEN
    ).order_by("pk")
    for commitment in commitments:
        roadmap_services.commitment_update(
            commitment=commitment,
            acting_user=acting_user,
            data={"owner": to_user},
            expected_version=None,
        )
        result.commitments += 1
    items = (
        RoadmapItem.objects.filter(
            roadmap__account=account, owner_user=previous, status=ItemStatus.PLANNED
        )
        .exclude(roadmap__status=RoadmapStatus.CANCELLED)
        .values_list("pk", flat=True)
        .order_by("pk")
    )
    for item_id in list(items):
        item = lock_versioned(RoadmapItem, pk=item_id, expected_version=None)
        item.owner_user = to_user
        save_versioned(item, acting_user=acting_user)
        result.roadmap_items += 1


def reassignment_batch(*, batch: uuid.UUID | str) -> QuerySet[Reassignment]:
    """The accounts one reassignment moved, by receiver then account."""
    return (
        Reassignment.objects.filter(batch=batch)
        .select_related("account", "from_user", "to_user", "moved_by")
        .order_by("to_user__first_name", "to_user__last_name", "to_user_id", "account__search_name")
    )


def reassignment_list() -> QuerySet[Reassignment]:
    """Every account moved, latest first."""
    return Reassignment.objects.select_related("account", "from_user", "to_user", "moved_by")


def send_reassignment_notices(*, batch: uuid.UUID | str) -> int:
    """One e-mail to each receiver of a batch, in their language, listing their new accounts."""
    by_receiver: dict[int, list[Reassignment]] = {}
    for row in reassignment_batch(batch=batch):
        by_receiver.setdefault(row.to_user_id, []).append(row)
    sent = 0
    for rows in by_receiver.values():
        receiver = rows[0].to_user
        if not receiver.is_active or not receiver.email:
            continue
        try:
            _reassignment_message(receiver=receiver, rows=rows).send()
            sent += 1
        except Exception:
            # One bad address must not keep the others from hearing of their new accounts.
            logger.exception("The reassignment notice for user %s could not be sent.", receiver.pk)
    return sent


def _reassignment_message(*, receiver: User, rows: list[Reassignment]) -> EmailMultiAlternatives:
    with (
        translation.override(receiver.language or settings.LANGUAGE_CODE),
        timezone.override(receiver.time_zone or settings.TIME_ZONE),
    ):
        base_url = settings.RAPPORT_BASE_URL.rstrip("/")
        context = {
            "user": receiver,
            "rows": rows,
            "count": len(rows),
            "moved_by": rows[0].moved_by,
            "reason": rows[0].reason,
            # Links in an e-mail must be absolute; each path is appended to this.
            "base_url": base_url,
        }
        subject = render_to_string("roadmaps/reassign_email_subject.txt", context).strip()
        text = render_to_string("roadmaps/reassign_email.txt", context)
        html = render_to_string("roadmaps/reassign_email.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[receiver.email])
    message.attach_alternative(html, "text/html")
    return message


# Needs an owner ------------------------------------------------------------------------------


def needs_owner_q(prefix: str = "") -> Q:
    """Live accounts whose manager is missing or can no longer sign in."""
    return Q(**{f"{prefix}is_archived": False}) & (
        Q(**{f"{prefix}owner__isnull": True}) | Q(**{f"{prefix}owner__is_active": False})
    )


def needs_owner_list() -> QuerySet[Account]:
    """The accounts waiting for a new manager, by name."""
    return (
        Account.objects.filter(needs_owner_q())
        .select_related("owner")
        .order_by("search_name", "id")
    )


def needs_owner_count() -> int:
    return Account.objects.filter(needs_owner_q()).count()


def account_needs_owner(account: Account) -> bool:
    """Whether the account waits for a manager (its ``owner`` is read, not queried again)."""
    if account.is_archived:
        return False
    return account.owner_id is None or not account.owner.is_active  # type: ignore[union-attr]


def departed_owners() -> QuerySet[User]:
    """People who can no longer sign in yet still manage live accounts, with how many."""
    return (
        User.objects.filter(is_active=False)
        .annotate(book_size=Count("owned_accounts", filter=Q(owned_accounts__is_archived=False)))
        .filter(book_size__gt=0)
        .order_by("-book_size", "first_name", "last_name", "pk")
    )


# Continuity risk -----------------------------------------------------------------------------


def held_relationships() -> QuerySet[RelationshipOwner]:
    """Relationship owners that count: our active people, on active, real client people."""
    return RelationshipOwner.objects.filter(
        user__is_active=True,
        stakeholder__status=StakeholderStatus.ACTIVE,
        stakeholder__deleted_at__isnull=True,
        stakeholder__is_placeholder=False,
    )


def _shared_with_someone_else() -> Exists:
    """Whether another of our active people also owns the row's relationship."""
    return Exists(
        RelationshipOwner.objects.filter(
            stakeholder_id=OuterRef("stakeholder_id"), user__is_active=True
        ).exclude(user_id=OuterRef("user_id"))
    )


def sole_holdings() -> QuerySet[RelationshipOwner]:
    """The relationships exactly one of our active people holds: one row each, theirs."""
    return held_relationships().filter(~_shared_with_someone_else())


def percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


@dataclass(frozen=True)
class SoleHolder:
    """One of our people and the client people on an account only they know."""

    user: User
    stakeholders: tuple[Stakeholder, ...]

    @property
    def count(self) -> int:
        return len(self.stakeholders)


@dataclass(frozen=True)
class AccountContinuity:
    """How much of an account's relationships one departure would cut."""

    relationships: int
    single_held: int
    holders: tuple[SoleHolder, ...]

    @property
    def share(self) -> int:
        """Percent of the relationships held by only one of our people."""
        return percent(self.single_held, self.relationships)


def account_continuity(*, account: Account) -> AccountContinuity:
    """An account's continuity risk, in one query (a map holds a few dozen owners at most)."""
    rows = list(
        held_relationships()
        .filter(stakeholder__account=account)
        .annotate(alone=~_shared_with_someone_else())
        .select_related("user", "stakeholder")
        .order_by(
            "user__first_name", "user__last_name", "user_id", "stakeholder__search_name", "pk"
        )
    )
    grouped: dict[int, list[RelationshipOwner]] = {}
    for row in rows:
        if row.alone:
            grouped.setdefault(row.user_id, []).append(row)
    holders = tuple(
        SoleHolder(user=group[0].user, stakeholders=tuple(row.stakeholder for row in group))
        for group in grouped.values()
    )
    # The most exposed first: whoever holds the most alone.
    holders = tuple(sorted(holders, key=lambda holder: -holder.count))
    return AccountContinuity(
        relationships=len({row.stakeholder_id for row in rows}),
        single_held=sum(holder.count for holder in holders),
        holders=holders,
    )


def people_at_risk() -> QuerySet[User]:
    """Our active people ranked by the client relationships only they hold (live accounts)."""
    sole = (
        sole_holdings()
        .filter(user_id=OuterRef("pk"), stakeholder__account__is_archived=False)
        .order_by()
        .values("user_id")
    )
    held = (
        held_relationships()
        .filter(user_id=OuterRef("pk"), stakeholder__account__is_archived=False)
        .order_by()
        .values("user_id")
    )
    return (
        User.objects.filter(is_active=True)
        .annotate(
            sole_count=Coalesce(
                Subquery(sole.annotate(n=Count("pk")).values("n"), output_field=IntegerField()),
                Value(0),
            ),
            sole_account_count=Coalesce(
                Subquery(
                    sole.annotate(n=Count("stakeholder__account_id", distinct=True)).values("n"),
                    output_field=IntegerField(),
                ),
                Value(0),
            ),
            held_count=Coalesce(
                Subquery(held.annotate(n=Count("pk")).values("n"), output_field=IntegerField()),
                Value(0),
            ),
        )
        .filter(sole_count__gt=0)
        .order_by("-sole_count", "-sole_account_count", "first_name", "last_name", "pk")
    )


@dataclass(frozen=True)
class AccountShare:
    """An account on which someone holds relationships alone, and how many."""

    account_id: int
    name: str
    count: int


@dataclass(frozen=True)
class PersonRisk:
    """One of our people, the relationships only they hold, and on which accounts."""

    user: User
    sole: int
    held: int
    accounts: tuple[AccountShare, ...]


def person_rows(users: Sequence[User]) -> list[PersonRisk]:
    """A page of ``people_at_risk`` with the accounts of each: one query for the page."""
    rows = (
        sole_holdings()
        .filter(user_id__in=[user.pk for user in users], stakeholder__account__is_archived=False)
        .order_by()
        .values("user_id", "stakeholder__account_id", "stakeholder__account__name")
        .annotate(n=Count("pk"))
        .order_by("user_id", "-n", "stakeholder__account__name", "stakeholder__account_id")
    )
    grouped: dict[int, list[AccountShare]] = {}
    for row in rows:
        grouped.setdefault(row["user_id"], []).append(
            AccountShare(
                account_id=row["stakeholder__account_id"],
                name=row["stakeholder__account__name"],
                count=row["n"],
            )
        )
    return [
        PersonRisk(
            user=user,
            sole=user.sole_count,  # type: ignore[attr-defined]
            held=user.held_count,  # type: ignore[attr-defined]
            accounts=tuple(grouped.get(user.pk, [])),
        )
        for user in users
    ]


def accounts_at_risk() -> QuerySet[Account]:
    """Live accounts with client relationships, ranked by the share only one of ours holds."""
    owned = RelationshipOwner.objects.filter(stakeholder_id=OuterRef("pk"), user__is_active=True)
    relationships = (
        Stakeholder.objects.filter(
            account_id=OuterRef("pk"), status=StakeholderStatus.ACTIVE, is_placeholder=False
        )
        .filter(Exists(owned))
        .order_by()
        .values("account_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    single = (
        sole_holdings()
        .filter(stakeholder__account_id=OuterRef("pk"))
        .order_by()
        .values("stakeholder__account_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Account.objects.filter(is_archived=False)
        .annotate(
            relationship_count=Coalesce(
                Subquery(relationships, output_field=IntegerField()), Value(0)
            ),
            single_count=Coalesce(Subquery(single, output_field=IntegerField()), Value(0)),
        )
        .filter(relationship_count__gt=0)
        .annotate(
            single_share=Cast(F("single_count"), FloatField())
            / Cast(F("relationship_count"), FloatField())
        )
        .select_related("owner")
        .order_by("-single_share", "-single_count", "search_name", "pk")
    )


@dataclass(frozen=True)
class AccountRisk:
    """An account, the share of its relationships held alone, and who holds them."""

    account: Account
    relationships: int
    single_held: int
    holders: tuple[tuple[str, int], ...]

    @property
    def share(self) -> int:
        return percent(self.single_held, self.relationships)


def account_rows(accounts: Sequence[Account]) -> list[AccountRisk]:
    """A page of ``accounts_at_risk`` with who holds what alone on each: one query."""
    rows = (
        sole_holdings()
        .filter(stakeholder__account_id__in=[account.pk for account in accounts])
        .order_by()
        .values(
            "stakeholder__account_id",
            "user_id",
            "user__first_name",
            "user__last_name",
            "user__email",
        )
        .annotate(n=Count("pk"))
        .order_by("stakeholder__account_id", "-n", "user__first_name", "user__last_name")
    )
    grouped: dict[int, list[tuple[str, int]]] = {}
    for row in rows:
        name = f"{row['user__first_name']} {row['user__last_name']}".strip() or row["user__email"]
        grouped.setdefault(row["stakeholder__account_id"], []).append((name, row["n"]))
    return [
        AccountRisk(
            account=account,
            relationships=account.relationship_count,  # type: ignore[attr-defined]
            single_held=account.single_count,  # type: ignore[attr-defined]
            holders=tuple(grouped.get(account.pk, [])),
        )
        for account in accounts
    ]


# Handoff brief -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoadmapLine:
    """An active roadmap as the brief shows it: progress, lateness and what comes next."""

    roadmap: Roadmap
    total: int
    done: int
    late: int
    next_title: str | None
    next_due: datetime.date | None

    @property
    def progress(self) -> int:
        return percent(self.done, self.total)


@dataclass
class HandoffBrief:
    """Everything a new manager reads first about an account."""

    account: Account
    today: datetime.date
    reassignment: Reassignment | None
    manager_history: list[TeamMember]
    handoff: Handoff | None
    stakeholders: list[Stakeholder]
    stakeholder_count: int
    assessment: Assessment
    continuity: AccountContinuity
    touchpoints: list[Touchpoint]
    tasks: list[Task]
    task_count: int
    roadmaps: list[RoadmapLine]
    commitments: list[Commitment]
    commitment_count: int

    @property
    def needs_owner(self) -> bool:
        return account_needs_owner(self.account)


def handoff_brief(
    *,
    account: Account,
    reassignment: Reassignment | None = None,
    today: datetime.date | None = None,
) -> HandoffBrief:
    """An account's handoff brief, read in a fixed number of queries."""
    today = today or timezone.localdate()
    account = Account.objects.select_related("owner", "originating_executive", "parent").get(
        pk=account.pk
    )
    people = Stakeholder.objects.filter(account=account, status=StakeholderStatus.ACTIVE)
    tasks = Task.objects.open().filter(account=account)
    commitments = Commitment.objects.filter(account=account, status=CommitmentStatus.OPEN)
    return HandoffBrief(
        account=account,
        today=today,
        reassignment=reassignment,
        manager_history=list(
            TeamMember.objects.filter(account=account, role=TeamRole.ACCOUNT_MANAGER)
            .select_related("user")
            .order_by("start_date", "id")
        ),
        handoff=_latest_handoff(account),
        stakeholders=list(
            people.filter(is_placeholder=False)
            .select_related("reports_to")
            .prefetch_related(
                Prefetch(
                    "relationship_owners",
                    queryset=RelationshipOwner.objects.select_related("user").order_by(
                        "user__first_name", "user__last_name"
                    ),
                )
            )[:BRIEF_ROWS]
        ),
        stakeholder_count=people.filter(is_placeholder=False).count(),
        assessment=assess_account(account),
        continuity=account_continuity(account=account),
        touchpoints=list(
            Touchpoint.objects.filter(account=account)
            .select_related("logged_by")
            .order_by("-occurred_at", "-id")[:BRIEF_TOUCHPOINTS]
        ),
        tasks=list(tasks.select_related("assignee")[:BRIEF_ROWS]),
        task_count=tasks.count(),
        roadmaps=_roadmap_lines(account, today),
        commitments=list(commitments.select_related("owner")[:BRIEF_ROWS]),
        commitment_count=commitments.count(),
    )


def _latest_handoff(account: Account) -> Handoff | None:
    """The latest handoff that was handed over; a draft only when there is nothing else."""
    is_draft = Case(
        When(status=HandoffStatus.DRAFT, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return (
        Handoff.objects.filter(account=account)
        .select_related("executive", "account_manager")
        .order_by(is_draft, "-created_at", "-id")
        .first()
    )


def _roadmap_lines(account: Account, today: datetime.date) -> list[RoadmapLine]:
    planned = Q(items__status=ItemStatus.PLANNED)
    closed = Q(items__status__in=[ItemStatus.DONE, ItemStatus.SKIPPED])
    next_milestone = RoadmapItem.objects.filter(
        roadmap_id=OuterRef("pk"), kind=ItemKind.MILESTONE, status=ItemStatus.PLANNED
    ).order_by("due_on", "position", "id")
    roadmaps = (
        Roadmap.objects.filter(account=account, status=RoadmapStatus.ACTIVE)
        .annotate(
            total=Count("items"),
            done=Count("items", filter=closed),
            late=Count("items", filter=planned & Q(items__due_on__lt=today)),
            next_title=Subquery(next_milestone.values("title")[:1]),
            next_due=Subquery(next_milestone.values("due_on")[:1]),
        )
        .order_by("start_date", "id")
    )
    return [
        RoadmapLine(
            roadmap=roadmap,
            total=roadmap.total,
            done=roadmap.done,
            late=roadmap.late,
            next_title=roadmap.next_title,
            next_due=roadmap.next_due,
        )
        for roadmap in roadmaps
    ]


def brief_pdf(brief: HandoffBrief) -> bytes:
    """The brief as a PDF, from the same content as the page."""
    # WeasyPrint loads Pango and its fonts on import: only PDF downloads should pay for that.
    from weasyprint import HTML

    from rapport.accountmaps.exports import pdf_url_fetcher

    document = HTML(string=brief_pdf_html(brief), url_fetcher=pdf_url_fetcher())
    return bytes(document.write_pdf())


def brief_pdf_html(brief: HandoffBrief) -> str:
    """The printable page the PDF is made from."""
    context = {
        "brief": brief,
        "language": translation.get_language(),
        "base_url": settings.RAPPORT_BASE_URL.rstrip("/"),
        "for_print": True,
    }
    return render_to_string("roadmaps/brief_pdf.html", context)
