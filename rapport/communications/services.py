"""Writes on touchpoints, tasks and cadences; each keeps the derived recency current.

Recency and strength (what the account map, the risk rules and the today view read) are
derived from the log and stored in indexed columns:

- ``Account.last_contact_at`` and ``Stakeholder.last_contact_at``: the latest exchange (any kind
  but a note) that has taken place, with anyone at the client or with that person;
- ``RelationshipStrength``: per (our user, client person), the shared exchanges of the last
  365 days and the latest one, scored by ``strength_score``;
- ``CadenceRule.last_done_at`` and ``next_due_on``.

Each write refreshes what it touched in a few aggregate queries; the nightly job refreshes the
whole book, since recency fades with time even when nothing is logged.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import Account
from rapport.communications.choices import (
    EXCHANGE_KINDS,
    CadenceKind,
    TaskStatus,
    TouchpointKind,
    TouchpointSource,
)
from rapport.communications.models import (
    CadenceDefault,
    CadenceRule,
    CalendarFeed,
    RelationshipStrength,
    Task,
    Touchpoint,
    TouchpointStakeholder,
    TouchpointUser,
    hash_feed_token,
)
from rapport.communications.signals import contacts_refreshed
from rapport.core.bulk import insert_plain
from rapport.core.db import Differs, plain_cursor
from rapport.core.services import apply_fields, lock_versioned, require_permission, save_versioned
from rapport.stakeholders.choices import DecisionRole
from rapport.stakeholders.models import Stakeholder
from rapport.users.models import User

TOUCHPOINT_FIELDS = (
    "kind",
    "occurred_at",
    "duration_minutes",
    "subject",
    "notes",
    "sentiment",
    "outcome",
    "next_steps",
)
TASK_FIELDS = ("title", "account", "touchpoint", "assignee", "due_on", "notes")

# Relationship strength: up to 60 points for recency (fading to nothing over 180 days) and up
# to 40 for frequency (a shared exchange a month over the last year earns them all).
STRENGTH_WINDOW_DAYS = 365
RECENCY_HORIZON_DAYS = 180
RECENCY_POINTS = 60
FREQUENCY_POINTS = 40
FREQUENT_EXCHANGES = 12

# The client people whose presence makes an exchange an executive touch.
EXECUTIVE_ROLES = (DecisionRole.DECISION_MAKER, DecisionRole.ECONOMIC_BUYER)

# Defaults shipped for a new installation; administrators change them on the cadence page.
SHIPPED_CADENCE_DEFAULTS: dict[str, dict[str, int]] = {
    "strategic": {
        CadenceKind.CHECK_IN: 14,
        CadenceKind.BUSINESS_REVIEW: 90,
        CadenceKind.EXECUTIVE_TOUCH: 90,
    },
    "key": {CadenceKind.CHECK_IN: 30, CadenceKind.BUSINESS_REVIEW: 90},
    "growth": {CadenceKind.CHECK_IN: 30, CadenceKind.BUSINESS_REVIEW: 180},
    "maintain": {CadenceKind.CHECK_IN: 60},
}

REFRESH_BATCH = 500
# Ids in one IN list: below every backend's limit on a statement's parameters.
_ID_CHUNK = 5000


def strength_score(
    *, last_contact_at: datetime.datetime | None, shared: int, now: datetime.datetime
) -> int:
    """0 to 100 from how recent the latest shared exchange is and how many the year holds."""
    if last_contact_at is None:
        return 0
    days = max(0.0, (now - last_contact_at).total_seconds() / 86400)
    recency = RECENCY_POINTS * max(0.0, 1 - days / RECENCY_HORIZON_DAYS)
    frequency = FREQUENCY_POINTS * min(shared, FREQUENT_EXCHANGES) / FREQUENT_EXCHANGES
    return round(recency + frequency)


# Touchpoints ---------------------------------------------------------------------------------


@transaction.atomic
def touchpoint_create(
    *,
    acting_user: User,
    account: Account,
    data: Mapping[str, Any],
    stakeholders: Iterable[Stakeholder] = (),
    users: Iterable[User] | None = None,
    source: str = TouchpointSource.MANUAL,
    external_id: str = "",
) -> Touchpoint:
    """Log an exchange; by default the person logging it took part."""
    require_permission(acting_user, "communications.add_touchpoint")
    touchpoint = Touchpoint(account=account, logged_by=acting_user, source=source)
    touchpoint.external_id = external_id
    apply_fields(touchpoint, data, TOUCHPOINT_FIELDS)
    touchpoint.full_clean()
    people = _check_participants(account, stakeholders)
    ours = list(users) if users is not None else [acting_user]
    touchpoint._history_user = acting_user  # type: ignore[attr-defined]
    touchpoint.save()
    before = _participants(touchpoint)
    _write_participants(touchpoint, people, ours)
    _refresh_after(touchpoint, before, acting_user=acting_user)
    return touchpoint


@transaction.atomic
def touchpoint_update(
    *,
    touchpoint: Touchpoint,
    acting_user: User,
    data: Mapping[str, Any],
    stakeholders: Iterable[Stakeholder] | None = None,
    users: Iterable[User] | None = None,
    expected_version: int | None,
) -> Touchpoint:
    """Change a logged exchange and, when given, who took part."""
    require_permission(acting_user, "communications.change_touchpoint", touchpoint)
    locked = lock_versioned(Touchpoint, pk=touchpoint.pk, expected_version=expected_version)
    before = _participants(locked)
    before_account = locked.account_id
    changed = apply_fields(locked, data, TOUCHPOINT_FIELDS)
    people = _check_participants(locked.account, stakeholders) if stakeholders is not None else None
    if changed:
        save_versioned(locked, acting_user=acting_user)
    if changed or people is not None or users is not None:
        current_people = people if people is not None else list(locked.stakeholders.all())
        current_users = list(users) if users is not None else list(locked.users.all())
        _write_participants(locked, current_people, current_users)
        _refresh_after(locked, before, acting_user=acting_user, other_account=before_account)
    return locked


@transaction.atomic
def touchpoint_delete(*, touchpoint: Touchpoint, acting_user: User) -> None:
    """Remove a touchpoint; the history keeps it, and its tasks stay without it."""
    require_permission(acting_user, "communications.change_touchpoint", touchpoint)
    locked = lock_versioned(Touchpoint, pk=touchpoint.pk, expected_version=None)
    before = _participants(locked)
    for person_link in locked.stakeholder_links.all():
        person_link._history_user = acting_user  # type: ignore[attr-defined]
        person_link.delete()
    for user_link in locked.user_links.all():
        user_link._history_user = acting_user  # type: ignore[attr-defined]
        user_link.delete()
    locked._history_user = acting_user  # type: ignore[attr-defined]
    account_id = locked.account_id
    locked.delete()
    refresh_contacts(
        account_ids={account_id},
        stakeholder_ids=set(before[0]),
        pairs={(user_id, person_id) for user_id in before[1] for person_id in before[0]},
    )


def _check_participants(account: Account, stakeholders: Iterable[Stakeholder]) -> list[Stakeholder]:
    people = list({person.pk: person for person in stakeholders}.values())
    for person in people:
        if person.deleted_at is not None:
            raise ValidationError(
                {"stakeholders": _("%(person)s is in the trash.") % {"person": person}}
            )
    return people


def _participants(touchpoint: Touchpoint) -> tuple[set[int], set[int]]:
    if touchpoint.pk is None:
        return set(), set()
    people = set(touchpoint.stakeholder_links.values_list("stakeholder_id", flat=True))
    ours = set(touchpoint.user_links.values_list("user_id", flat=True))
    return people, ours


def _write_participants(
    touchpoint: Touchpoint, stakeholders: Sequence[Stakeholder], users: Sequence[User]
) -> None:
    """Make the participant links match, each added or removed link recorded in history."""
    acting_user = getattr(touchpoint, "_history_user", None)
    wanted_people = {person.pk for person in stakeholders}
    wanted_users = {user.pk for user in users}
    for link in touchpoint.stakeholder_links.all():
        if link.stakeholder_id not in wanted_people:
            link._history_user = acting_user  # type: ignore[attr-defined]
            link.delete()
        else:
            wanted_people.discard(link.stakeholder_id)
            if (link.occurred_at, link.is_exchange) != (
                touchpoint.occurred_at,
                touchpoint.is_exchange,
            ):
                link.occurred_at = touchpoint.occurred_at
                link.is_exchange = touchpoint.is_exchange
                link._history_user = acting_user  # type: ignore[attr-defined]
                link.save()
    for user_link in touchpoint.user_links.all():
        if user_link.user_id not in wanted_users:
            user_link._history_user = acting_user  # type: ignore[attr-defined]
            user_link.delete()
        else:
            wanted_users.discard(user_link.user_id)
            if user_link.occurred_at != touchpoint.occurred_at:
                user_link.occurred_at = touchpoint.occurred_at
                user_link._history_user = acting_user  # type: ignore[attr-defined]
                user_link.save()
    for person_id in sorted(wanted_people):
        new = TouchpointStakeholder(
            touchpoint=touchpoint,
            stakeholder_id=person_id,
            occurred_at=touchpoint.occurred_at,
            is_exchange=touchpoint.is_exchange,
        )
        new._history_user = acting_user  # type: ignore[attr-defined]
        new.save()
    for user_id in sorted(wanted_users):
        added = TouchpointUser(
            touchpoint=touchpoint, user_id=user_id, occurred_at=touchpoint.occurred_at
        )
        added._history_user = acting_user  # type: ignore[attr-defined]
        added.save()


def _refresh_after(
    touchpoint: Touchpoint,
    before: tuple[set[int], set[int]],
    *,
    acting_user: User,
    other_account: int | None = None,
) -> None:
    after = _participants(touchpoint)
    people = before[0] | after[0]
    ours = before[1] | after[1]
    refresh_contacts(
        account_ids={touchpoint.account_id, other_account or touchpoint.account_id},
        stakeholder_ids=people,
        pairs={(user_id, person_id) for user_id in ours for person_id in people},
    )


# Derived recency -----------------------------------------------------------------------------


def refresh_contacts(
    *,
    account_ids: Iterable[int],
    stakeholder_ids: Iterable[int] = (),
    pairs: Iterable[tuple[int, int]] = (),
    now: datetime.datetime | None = None,
) -> None:
    """Recompute last contacts, cadences and strengths of what a change touched."""
    now = now or timezone.now()
    accounts = sorted(set(account_ids))
    people = sorted(set(stakeholder_ids))
    for start in range(0, len(accounts), REFRESH_BATCH):
        batch = accounts[start : start + REFRESH_BATCH]
        latest_with_account = (
            Touchpoint.objects.filter(
                account=OuterRef("pk"), kind__in=EXCHANGE_KINDS, occurred_at__lte=now
            )
            .order_by("-occurred_at")
            .values("occurred_at")[:1]
        )
        # Only the rows whose last contact moves: a re-import or the nightly pass rewrites none.
        Account.objects.filter(
            Differs(F("last_contact_at"), Subquery(latest_with_account)), pk__in=batch
        ).update(last_contact_at=Subquery(latest_with_account))
        refresh_cadence(account_ids=batch, now=now)
    for start in range(0, len(people), REFRESH_BATCH):
        batch = people[start : start + REFRESH_BATCH]
        latest_with_person = (
            TouchpointStakeholder.objects.filter(
                stakeholder=OuterRef("pk"), is_exchange=True, occurred_at__lte=now
            )
            .order_by("-occurred_at")
            .values("occurred_at")[:1]
        )
        Stakeholder.all_objects.filter(
            Differs(F("last_contact_at"), Subquery(latest_with_person)), pk__in=batch
        ).update(last_contact_at=Subquery(latest_with_person))
    refresh_strengths(pairs=pairs, now=now)
    if accounts:
        contacts_refreshed.send(sender=Touchpoint, account_ids=tuple(accounts))


def refresh_strengths(
    *, pairs: Iterable[tuple[int, int]], now: datetime.datetime | None = None
) -> None:
    """Score each (user, stakeholder) pair from their shared exchanges, in two queries a batch."""
    now = now or timezone.now()
    wanted = sorted(set(pairs))
    window_start = now - datetime.timedelta(days=STRENGTH_WINDOW_DAYS)
    for start in range(0, len(wanted), REFRESH_BATCH):
        batch = wanted[start : start + REFRESH_BATCH]
        asked = frozenset(batch)
        user_ids = {user_id for user_id, _person in batch}
        person_ids = {person_id for _user, person_id in batch}
        # Read from the people's side, then their touchpoints' users: joined in one query, the
        # planners may start from the users instead, reading every exchange of a busy user for
        # each batch (a cost that grows with the whole log, not with the batch).
        exchanges: dict[int, list[tuple[int, datetime.datetime]]] = defaultdict(list)
        for touchpoint_id, person_id, occurred_at in TouchpointStakeholder.objects.filter(
            stakeholder_id__in=person_ids, is_exchange=True, occurred_at__lte=now
        ).values_list("touchpoint_id", "stakeholder_id", "occurred_at"):
            exchanges[touchpoint_id].append((person_id, occurred_at))
        touchpoint_ids = sorted(exchanges)
        found: dict[tuple[int, int], tuple[datetime.datetime, int]] = {}
        for chunk_start in range(0, len(touchpoint_ids), _ID_CHUNK):
            # Users filtered here: a condition on them could again lead the plan by user.
            links = TouchpointUser.objects.filter(
                touchpoint_id__in=touchpoint_ids[chunk_start : chunk_start + _ID_CHUNK]
            ).values_list("touchpoint_id", "user_id")
            for touchpoint_id, user_id in links:
                if user_id not in user_ids:
                    continue
                for person_id, occurred_at in exchanges[touchpoint_id]:
                    key = (user_id, person_id)
                    if key not in asked:
                        continue
                    last, shared = found.get(key, (occurred_at, 0))
                    found[key] = (
                        max(last, occurred_at),
                        shared + (occurred_at >= window_start),
                    )
        missing = [pair for pair in batch if pair not in found]
        if missing:
            condition = Q()
            for user_id, person_id in missing:
                condition |= Q(user_id=user_id, stakeholder_id=person_id)
            RelationshipStrength.objects.filter(condition).delete()
        if found:
            _upsert_strengths(
                [
                    (
                        user_id,
                        person_id,
                        shared,
                        last,
                        strength_score(last_contact_at=last, shared=shared, now=now),
                        now,
                    )
                    for (user_id, person_id), (last, shared) in found.items()
                ]
            )


def _upsert_strengths(
    rows: Sequence[tuple[int, int, int, datetime.datetime, int, datetime.datetime]],
) -> None:
    """Insert or overwrite each pair's strength: user, person, shared, last, strength, time.

    What ``bulk_create(update_conflicts=True)`` does, as one plain ``INSERT … ON CONFLICT``
    statement (the same on both engines) sent by ``executemany``: no per-value work of the ORM's
    insert compiler, no ``save()``, no signal.
    """
    meta = RelationshipStrength._meta
    quote = connection.ops.quote_name
    column = {field.name: quote(field.column) for field in meta.concrete_fields}
    names = ["user", "stakeholder", "shared_touchpoints", "last_contact_at", "strength"]
    columns = [column[name] for name in (*names, "refreshed_at")]
    updated = columns[2:]
    key = f"{column['stakeholder']}, {column['user']}"
    # Names from the model's own metadata, quoted; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))}) ON CONFLICT ({key}) DO UPDATE SET "
        + ", ".join(f"{name} = excluded.{name}" for name in updated)
    )
    adapt = connection.ops.adapt_datetimefield_value
    with plain_cursor() as cursor:
        cursor.executemany(
            sql,
            [
                (user_id, person_id, shared, adapt(last), strength, adapt(at))
                for user_id, person_id, shared, last, strength, at in rows
            ],
        )


def refresh_book(*, now: datetime.datetime | None = None) -> int:
    """The nightly pass over the whole book: cadences synced, recency and strength re-scored."""
    now = now or timezone.now()
    cadence_sync(accounts=Account.objects.all())
    account_ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(account_ids), REFRESH_BATCH):
        batch = account_ids[start : start + REFRESH_BATCH]
        with transaction.atomic():
            people = list(
                Stakeholder.all_objects.filter(account_id__in=batch).values_list("pk", flat=True)
            )
            pairs = set(
                RelationshipStrength.objects.filter(stakeholder_id__in=people).values_list(
                    "user_id", "stakeholder_id"
                )
            )
            refresh_contacts(account_ids=batch, stakeholder_ids=people, pairs=pairs, now=now)
    return len(account_ids)


# Cadence -------------------------------------------------------------------------------------


def cadence_defaults() -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = defaultdict(dict)
    for default in CadenceDefault.objects.all():
        table[default.tier][default.kind] = default.interval_days
    return table


def cadence_sync(*, accounts: QuerySet[Account]) -> int:
    """Give every account the rules of its tier's defaults, leaving its own rules alone.

    The rules of the accounts that changed are refreshed from their exchanges in the same
    write: a new rule is inserted already knowing when it was last kept.
    """
    table = cadence_defaults()
    now = timezone.now()
    today = timezone.localdate(now)
    changed_accounts = 0
    rows = list(accounts.order_by("pk").values_list("pk", "tier", "created_at"))
    for start in range(0, len(rows), REFRESH_BATCH):
        batch = rows[start : start + REFRESH_BATCH]
        ids = [pk for pk, _tier, _created in batch]
        existing: dict[int, dict[str, CadenceRule]] = defaultdict(dict)
        for held in CadenceRule.objects.filter(account_id__in=ids):
            existing[held.account_id][held.kind] = held
        to_create: list[CadenceRule] = []
        kept: list[CadenceRule] = []
        resized: set[int] = set()
        to_delete: list[int] = []
        changed_here: set[int] = set()
        for pk, tier, created_at in batch:
            wanted = table.get(tier, {})
            rules_of_account = existing.get(pk, {})
            for kind, interval in wanted.items():
                rule = rules_of_account.get(kind)
                if rule is None:
                    to_create.append(
                        CadenceRule(
                            account_id=pk,
                            kind=kind,
                            interval_days=interval,
                            starts_on=min(timezone.localdate(created_at), today),
                        )
                    )
                    changed_here.add(pk)
                elif not rule.is_custom and rule.interval_days != interval:
                    rule.interval_days = interval
                    resized.add(rule.pk)
                    changed_here.add(pk)
            for kind, rule in rules_of_account.items():
                if not rule.is_custom and kind not in wanted:
                    to_delete.append(rule.pk)
                    changed_here.add(pk)
                else:
                    kept.append(rule)
        # The changed accounts' rules, new and kept, refreshed from one read of their exchanges.
        sources = _last_done(account_ids=sorted(changed_here), now=now)
        for rule in to_create:
            _refresh_rule(rule, sources)
        to_update = [
            rule
            for rule in kept
            if rule.account_id in changed_here
            and (_refresh_rule(rule, sources) or rule.pk in resized)
        ]
        with transaction.atomic():
            insert_plain(CadenceRule, to_create)
            _write_fields(to_update, ["interval_days", "last_done_at", "next_due_on"])
            CadenceRule.objects.filter(pk__in=to_delete).delete()
        changed_accounts += len(changed_here)
    return changed_accounts


def refresh_cadence(*, account_ids: Sequence[int], now: datetime.datetime | None = None) -> None:
    """Recompute when each rule of these accounts was last kept, and when it is next due."""
    if not account_ids:
        return
    now = now or timezone.now()
    rules = list(CadenceRule.objects.filter(account_id__in=account_ids))
    if not rules:
        return
    sources = _last_done(account_ids=account_ids, now=now)
    changed = [rule for rule in rules if _refresh_rule(rule, sources)]
    _write_fields(changed, ["last_done_at", "next_due_on"])


def _last_done(
    *, account_ids: Sequence[int], now: datetime.datetime
) -> dict[str, dict[int, datetime.datetime]]:
    """Per kind of rule, when each of these accounts last had an exchange that keeps it."""
    if not account_ids:
        return {}
    done = Touchpoint.objects.filter(account_id__in=account_ids, occurred_at__lte=now)
    any_exchange = dict(
        done.filter(kind__in=EXCHANGE_KINDS)
        .values("account_id")
        .annotate(last=Max("occurred_at"))
        .values_list("account_id", "last")
    )
    reviews = dict(
        done.filter(kind=TouchpointKind.BUSINESS_REVIEW)
        .values("account_id")
        .annotate(last=Max("occurred_at"))
        .values_list("account_id", "last")
    )
    executive_roles = Q()
    for role in EXECUTIVE_ROLES:
        executive_roles |= Q(stakeholder__decision_roles__has=role)
    executive = dict(
        TouchpointStakeholder.objects.filter(
            executive_roles,
            touchpoint__account_id__in=account_ids,
            is_exchange=True,
            occurred_at__lte=now,
        )
        .values("touchpoint__account_id")
        .annotate(last=Max("occurred_at"))
        .values_list("touchpoint__account_id", "last")
    )
    return {
        CadenceKind.CHECK_IN: any_exchange,
        CadenceKind.BUSINESS_REVIEW: reviews,
        CadenceKind.EXECUTIVE_TOUCH: executive,
    }


def _refresh_rule(
    rule: CadenceRule, sources: Mapping[str, Mapping[int, datetime.datetime]]
) -> bool:
    """Set when ``rule`` was last kept and is next due from ``sources``; whether that changed."""
    before = (rule.last_done_at, rule.next_due_on)
    rule.last_done_at = sources.get(rule.kind, {}).get(rule.account_id)
    rule.next_due_on = rule.compute_next_due()
    return (rule.last_done_at, rule.next_due_on) != before


def _write_fields(rules: Sequence[CadenceRule], names: Sequence[str]) -> None:
    """Save these fields of each rule, as ``bulk_update`` does, in one statement sent per row.

    ``bulk_update`` builds one ``CASE WHEN`` per field over the whole batch, which the databases
    plan and run far more slowly than a plain update by primary key sent with ``executemany``;
    like it, this calls no ``save()``, sends no signal and leaves ``updated_at`` alone.
    """
    if not rules:
        return
    by_name = {field.name: field for field in CadenceRule._meta.concrete_fields}
    fields = [by_name[name] for name in names]
    quote = connection.ops.quote_name
    # Names from the model's own metadata, quoted; every value is a parameter.
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = (
        f"UPDATE {quote(CadenceRule._meta.db_table)} SET {assignments} "  # noqa: S608
        f"WHERE {quote(CadenceRule._meta.pk.column)} = %s"
    )
    params = [
        [field.get_db_prep_save(getattr(rule, field.attname), connection) for field in fields]
        + [rule.pk]
        for rule in rules
    ]
    with plain_cursor() as cursor:
        cursor.executemany(sql, params)


@transaction.atomic
def cadence_default_set(
    *, acting_user: User, tier: str, kind: str, interval_days: int | None
) -> CadenceDefault | None:
    """Set (or, with no interval, remove) a tier's default; its accounts follow in background."""
    require_permission(acting_user, "communications.manage_cadence_defaults")
    default = CadenceDefault.objects.select_for_update().filter(tier=tier, kind=kind).first()
    if interval_days is None:
        if default is not None:
            default._history_user = acting_user  # type: ignore[attr-defined]
            default.delete()
        result = None
    else:
        default = default or CadenceDefault(tier=tier, kind=kind)
        default.interval_days = interval_days
        default.full_clean()
        default._history_user = acting_user  # type: ignore[attr-defined]
        default.save()
        result = default
    from rapport.communications.tasks import sync_cadence_for_tier

    transaction.on_commit(lambda: sync_cadence_for_tier(tier))
    return result


@transaction.atomic
def cadence_rule_set(
    *,
    acting_user: User,
    account: Account,
    kind: str,
    interval_days: int,
    expected_version: int | None = None,
) -> CadenceRule:
    """Give an account its own interval for a cadence (adding the cadence if it had none)."""
    require_permission(acting_user, "communications.change_cadence", account)
    existing = CadenceRule.objects.select_for_update().filter(account=account, kind=kind).first()
    if existing is None:
        rule = CadenceRule(account=account, kind=kind, interval_days=interval_days, is_custom=True)
        rule.next_due_on = rule.compute_next_due()
        rule.full_clean()
        rule._history_user = acting_user  # type: ignore[attr-defined]
        rule.save()
    else:
        rule = lock_versioned(CadenceRule, pk=existing.pk, expected_version=expected_version)
        rule.interval_days = interval_days
        rule.is_custom = True
        rule.next_due_on = rule.compute_next_due()
        save_versioned(rule, acting_user=acting_user)
    refresh_cadence(account_ids=[account.pk])
    rule.refresh_from_db()
    return rule


@transaction.atomic
def cadence_rule_reset(*, acting_user: User, rule: CadenceRule) -> CadenceRule | None:
    """Drop an account's own interval: back to its tier's default, or no cadence if none."""
    require_permission(acting_user, "communications.change_cadence", rule.account)
    locked = lock_versioned(CadenceRule, pk=rule.pk, expected_version=None)
    locked._history_user = acting_user  # type: ignore[attr-defined]
    account = locked.account
    locked.delete()
    cadence_sync(accounts=Account.objects.filter(pk=account.pk))
    return CadenceRule.objects.filter(account=account, kind=rule.kind).first()


# Tasks ---------------------------------------------------------------------------------------


@transaction.atomic
def task_create(*, acting_user: User, data: Mapping[str, Any]) -> Task:
    """Create a follow-up; with no assignee it is the creator's."""
    require_permission(acting_user, "communications.add_task")
    task = Task(created_by=acting_user, assignee=acting_user)
    apply_fields(task, data, TASK_FIELDS)
    if task.touchpoint is not None and task.account_id is None:
        task.account_id = task.touchpoint.account_id
    _check_task(task)
    task.full_clean()
    task._history_user = acting_user  # type: ignore[attr-defined]
    task.save()
    return task


@transaction.atomic
def task_update(
    *, task: Task, acting_user: User, data: Mapping[str, Any], expected_version: int | None
) -> Task:
    require_permission(acting_user, "communications.change_task", task)
    locked = lock_versioned(Task, pk=task.pk, expected_version=expected_version)
    if apply_fields(locked, data, TASK_FIELDS):
        _check_task(locked)
        save_versioned(locked, acting_user=acting_user)
    return locked


@transaction.atomic
def task_set_status(
    *, task: Task, acting_user: User, status: str, expected_version: int | None = None
) -> Task:
    """Complete, cancel or reopen a task."""
    require_permission(acting_user, "communications.change_task", task)
    locked = lock_versioned(Task, pk=task.pk, expected_version=expected_version)
    if status not in TaskStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    if locked.status == status:
        return locked
    locked.status = status
    if status == TaskStatus.OPEN:
        locked.completed_at = None
        locked.completed_by = None
    else:
        locked.completed_at = timezone.now()
        locked.completed_by = acting_user
    save_versioned(locked, acting_user=acting_user)
    return locked


def _check_task(task: Task) -> None:
    if task.assignee_id is not None and not task.assignee.is_active:
        raise ValidationError({"assignee": _("This person can no longer sign in.")})
    if task.assignee_id is not None and task.assignee.is_read_only:
        raise ValidationError({"assignee": _("A read-only user cannot be given tasks.")})
    if (
        task.touchpoint is not None
        and task.account_id is not None
        and task.touchpoint.account_id != task.account_id
    ):
        raise ValidationError({"touchpoint": _("This touchpoint belongs to another account.")})


# Calendar feeds ------------------------------------------------------------------------------


@transaction.atomic
def calendar_feed_create(*, user: User) -> tuple[CalendarFeed, str]:
    """A new private feed for the user, replacing any earlier one; the secret is shown once."""
    calendar_feed_revoke(user=user)
    raw = CalendarFeed.new_token()
    feed = CalendarFeed.objects.create(user=user, token_hash=hash_feed_token(raw))
    return feed, raw


@transaction.atomic
def calendar_feed_revoke(*, user: User) -> int:
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


@transaction.atomic
def touchpoint_create_with_follow_up(
    *,
    acting_user: User,
    account: Account,
    data: Mapping[str, Any],
    stakeholders: Iterable[Stakeholder] = (),
    users: Iterable[User] | None = None,
    follow_up: Mapping[str, Any] | None = None,
) -> Touchpoint:
    """Log an exchange and, when asked, the follow-up task it calls for: both or neither."""
    touchpoint = touchpoint_create(
        acting_user=acting_user,
        account=account,
        data=data,
        stakeholders=stakeholders,
        users=users,
    )
    if follow_up:
        task_create(
            acting_user=acting_user,
            data={**follow_up, "account": account, "touchpoint": touchpoint},
        )
    return touchpoint
