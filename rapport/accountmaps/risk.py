"""Relationship risk and coverage: the rules, in one place.

Every rule reads the same snapshot of an account's map (its people, their decision roles,
stance, influence and status, and who owns each relationship on our side) and returns a finding
or nothing. The 360° page and the map page assess one account live; the stored summaries of the
whole book come from the same rules run over many snapshots read in one query, so a page and the
account list never disagree about an account.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import CharField, ExpressionWrapper, F, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from rapport.accountmaps.choices import RiskFlag
from rapport.accounts.models import Account
from rapport.stakeholders.choices import DecisionRole, Influence, StakeholderStatus, Stance
from rapport.stakeholders.models import Stakeholder

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The roles a renewal or an expansion cannot do without; each held role earns its share of 100.
KEY_ROLES: tuple[str, ...] = (
    DecisionRole.ECONOMIC_BUYER,
    DecisionRole.DECISION_MAKER,
    DecisionRole.CHAMPION,
    DecisionRole.TECHNICAL_EVALUATOR,
)
POINTS_PER_ROLE = 100 // len(KEY_ROLES)
# Whoever signs or holds the budget: losing or ignoring one of them puts the account at stake.
DECIDING_ROLES = frozenset({DecisionRole.DECISION_MAKER, DecisionRole.ECONOMIC_BUYER})


@dataclass(frozen=True)
class OwnerRef:
    """One of our people who owns a relationship."""

    id: int
    name: str = ""

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Person:
    """A stakeholder as the rules see them."""

    id: int
    name: str = ""
    roles: frozenset[str] = frozenset()
    stance: str = ""
    influence: str = ""
    is_active: bool = True
    owners: tuple[OwnerRef, ...] = ()
    last_contact_at: datetime.datetime | None = None  # the latest exchange with them

    def __str__(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        return reverse("stakeholders:stakeholder_detail", args=[self.id])

    def holds_any(self, roles: Iterable[str]) -> bool:
        return not self.roles.isdisjoint(roles)


@dataclass(frozen=True)
class Finding:
    """One risk on an account: which, why in words, and the people it concerns."""

    flag: RiskFlag
    message: StrOrPromise
    people: tuple[Person, ...] = ()
    owners: tuple[OwnerRef, ...] = ()  # our people it concerns

    @property
    def label(self) -> StrOrPromise:
        return self.flag.label


@dataclass(frozen=True)
class RoleCoverage:
    """One key role: who holds it at the client, and whether one of them has an owner with us."""

    role: str
    holders: tuple[Person, ...]

    @property
    def label(self) -> StrOrPromise:
        return DecisionRole(self.role).label

    @property
    def covered_by(self) -> tuple[Person, ...]:
        return tuple(person for person in self.holders if person.owners)

    @property
    def is_covered(self) -> bool:
        return bool(self.covered_by)


@dataclass(frozen=True)
class Assessment:
    """An account's relationship risks and coverage, with the reasons."""

    account_id: int
    coverage: int
    findings: tuple[Finding, ...]
    roles: tuple[RoleCoverage, ...]

    @property
    def flags(self) -> list[str]:
        return [finding.flag.value for finding in self.findings]

    @property
    def points_per_role(self) -> int:
        return POINTS_PER_ROLE


Rule = Callable[[Sequence[Person]], Finding | None]


def _active(people: Sequence[Person]) -> list[Person]:
    return [person for person in people if person.is_active]


def single_threaded(people: Sequence[Person]) -> Finding | None:
    """One person on either side carries the relationship."""
    active = _active(people)
    if not active:
        return Finding(
            RiskFlag.SINGLE_THREADED,
            _("Nobody at the client is on the map: the relationship hangs on whoever we know."),
        )
    if len(active) == 1:
        return Finding(
            RiskFlag.SINGLE_THREADED,
            _("Only one person at the client is on the map: if they leave, we lose our way in."),
            people=tuple(active),
        )
    owned = [person for person in active if person.owners]
    our_people = {owner.id: owner for person in owned for owner in person.owners}
    if len(owned) == 1:
        return Finding(
            RiskFlag.SINGLE_THREADED,
            _("Only one person at the client has an owner on our side: we know nobody else."),
            people=tuple(owned),
            owners=tuple(our_people.values()),
        )
    if len(our_people) == 1:
        return Finding(
            RiskFlag.SINGLE_THREADED,
            _("One person on our side owns every relationship here: if they leave, so do we."),
            people=tuple(owned),
            owners=tuple(our_people.values()),
        )
    return None


def no_champion(people: Sequence[Person]) -> Finding | None:
    """Nobody active champions us."""
    if any(DecisionRole.CHAMPION in person.roles for person in _active(people)):
        return None
    return Finding(
        RiskFlag.NO_CHAMPION,
        _("Nobody at the client is recorded as our champion: who argues our case inside?"),
    )


def champion_left(people: Sequence[Person]) -> Finding | None:
    """A champion has left the company."""
    gone = [p for p in people if not p.is_active and DecisionRole.CHAMPION in p.roles]
    if not gone:
        return None
    return Finding(
        RiskFlag.CHAMPION_LEFT,
        _("A champion has left the company: find who speaks for us now."),
        people=tuple(gone),
    )


def decision_maker_left(people: Sequence[Person]) -> Finding | None:
    """A decision maker or economic buyer has left the company."""
    gone = [p for p in people if not p.is_active and p.holds_any(DECIDING_ROLES)]
    if not gone:
        return None
    return Finding(
        RiskFlag.DECISION_MAKER_LEFT,
        _("A decision maker or economic buyer has left: find out who decides now and meet them."),
        people=tuple(gone),
    )


def hostile_blocker(people: Sequence[Person]) -> Finding | None:
    """An influential person blocks us or opposes us."""
    hostile = [
        person
        for person in _active(people)
        if person.influence == Influence.HIGH
        and (DecisionRole.BLOCKER in person.roles or person.stance == Stance.OPPONENT)
    ]
    if not hostile:
        return None
    return Finding(
        RiskFlag.HOSTILE_BLOCKER,
        _("A highly influential person opposes us or blocks decisions: plan how to win them over."),
        people=tuple(hostile),
    )


def unowned_decision_maker(people: Sequence[Person]) -> Finding | None:
    """A decision maker or economic buyer nobody on our side owns."""
    unowned = [
        person
        for person in _active(people)
        if person.holds_any(DECIDING_ROLES) and not person.owners
    ]
    if not unowned:
        return None
    return Finding(
        RiskFlag.UNOWNED_DECISION_MAKER,
        _("Nobody on our side owns the relationship with a decision maker: give them an owner."),
        people=tuple(unowned),
    )


def disengaged_decision_maker(
    people: Sequence[Person], *, now: datetime.datetime | None = None
) -> Finding | None:
    """A decision maker or economic buyer nobody has had an exchange with for too long."""
    days = settings.RAPPORT_DISENGAGED_DAYS
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    quiet = [
        person
        for person in _active(people)
        if person.holds_any(DECIDING_ROLES)
        and (person.last_contact_at is None or person.last_contact_at < cutoff)
    ]
    if not quiet:
        return None
    message = ngettext(
        "Nobody has had an exchange with a decision maker or economic buyer for %(days)d day "
        "or more: book a meeting with them.",
        "Nobody has had an exchange with a decision maker or economic buyer for %(days)d days "
        "or more: book a meeting with them.",
        days,
    ) % {"days": days}
    return Finding(RiskFlag.DISENGAGED_DECISION_MAKER, message, people=tuple(quiet))


RULES: tuple[Rule, ...] = (
    single_threaded,
    no_champion,
    champion_left,
    decision_maker_left,
    hostile_blocker,
    unowned_decision_maker,
    disengaged_decision_maker,
)


def role_coverage(people: Sequence[Person]) -> tuple[RoleCoverage, ...]:
    """Each key role with its active holders."""
    active = _active(people)
    return tuple(
        RoleCoverage(role, tuple(person for person in active if role in person.roles))
        for role in KEY_ROLES
    )


def coverage_score(roles: Iterable[RoleCoverage]) -> int:
    """0 to 100: the share of key roles held by an active person with an owner on our side."""
    return POINTS_PER_ROLE * sum(1 for role in roles if role.is_covered)


def assess(account_id: int, people: Sequence[Person]) -> Assessment:
    """Run every rule over one account's people."""
    roles = role_coverage(people)
    findings = tuple(finding for rule in RULES if (finding := rule(people)) is not None)
    return Assessment(
        account_id=account_id, coverage=coverage_score(roles), findings=findings, roles=roles
    )


# One row per stakeholder and owner (a LEFT JOIN), so a whole batch of accounts is one query.
# The last contact is the stored column the communications services keep: recency costs the
# bulk refresh no extra query.
_COLUMNS = (
    "account_id",
    "id",
    "roles_text",
    "status",
    "stance",
    "influence",
    "relationship_owners__user_id",
    "last_contact_at",
)
_NAME_COLUMNS = (
    "first_name",
    "last_name",
    "relationship_owners__user__first_name",
    "relationship_owners__user__last_name",
    "relationship_owners__user__email",
)


def people_by_account(
    stakeholders: QuerySet[Stakeholder], *, with_names: bool = False
) -> dict[int, list[Person]]:
    """The people of the accounts a stakeholder query covers, grouped by account, in one query."""
    # Names are only read for pages: the bulk refresh needs none and skips the user join.
    columns = _COLUMNS + _NAME_COLUMNS if with_names else _COLUMNS
    # A placeholder marks a role nobody fills yet: a gap on the map, not a person who fills it.
    # No ORDER BY: the default one would sort a million rows the grouping below does not need.
    rows = (
        stakeholders.filter(is_placeholder=False)
        .order_by()
        # The roles as stored (",a,b,"): the field's own converter sorts each row's roles by
        # the options, a third of a bulk refresh's time, and the rules need a set, not an order.
        .annotate(roles_text=ExpressionWrapper(F("decision_roles"), output_field=CharField()))
        .values_list(*columns)
    )
    grouped: dict[int, dict[int, tuple[tuple[Any, ...], list[OwnerRef]]]] = {}
    for row in rows:
        account_id, stakeholder_id, user_id = row[0], row[1], row[6]
        people = grouped.setdefault(account_id, {})
        entry = people.get(stakeholder_id)
        if entry is None:
            entry = people[stakeholder_id] = (row, [])
        if user_id is not None:
            name = ""
            if with_names:
                name = f"{row[10]} {row[11]}".strip() or row[12]
            entry[1].append(OwnerRef(user_id, name))
    return {
        account_id: [_person(row, owners, with_names) for row, owners in people.values()]
        for account_id, people in grouped.items()
    }


def _person(row: tuple[Any, ...], owners: list[OwnerRef], with_names: bool) -> Person:
    return Person(
        id=row[1],
        name=f"{row[8]} {row[9]}".strip() if with_names else "",
        roles=frozenset(role for role in (row[2] or "").split(",") if role),
        stance=row[4],
        influence=row[5],
        is_active=row[3] != StakeholderStatus.LEFT,
        owners=tuple(sorted(owners, key=lambda owner: (owner.name, owner.id))),
        last_contact_at=row[7],
    )


def assess_account(account: Account) -> Assessment:
    """One account's relationship risks and coverage, explained, from a single query."""
    people = people_by_account(
        Stakeholder.objects.filter(account_id=account.pk), with_names=True
    ).get(account.pk, [])
    people.sort(key=lambda person: (person.name.casefold(), person.id))
    return assess(account.pk, people)
