"""The demo book's communications: months of exchanges, their follow-ups and cadences.

Most rows are bulk-created (with their history, dated when they happened) and the derived
recency, strengths and cadence dates are then computed once by the services; a few changes go
through the services one by one, as a person would make them, so their history is real.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, OuterRef, Subquery
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from rapport.accounts.choices import LifecycleStage, TeamRole, Tier
from rapport.accounts.models import Account, TeamMember
from rapport.communications import services
from rapport.communications.choices import (
    CadenceKind,
    InboundStatus,
    Sentiment,
    TaskStatus,
    TouchpointKind,
    TouchpointSource,
)
from rapport.communications.models import (
    CadenceRule,
    InboundMessage,
    Task,
    Touchpoint,
    TouchpointStakeholder,
    TouchpointUser,
)
from rapport.demo import data
from rapport.stakeholders.models import Stakeholder
from rapport.users.models import User

SEED = 20261128
HISTORY_DAYS = 270
# Titles whose presence makes an exchange an executive touch (see the cadence rules).
EXECUTIVE_TITLES = ("Chief Executive Officer", "Chief Financial Officer")


@dataclass
class PlannedTouchpoint:
    """A touchpoint to create, with its participants and the follow-up it may leave."""

    touchpoint: Touchpoint
    people: list[Stakeholder]
    ours: list[User]
    next_step: str = ""


@dataclass
class Book:
    """What the generator needs about the demo company, read once."""

    accounts: list[Account]
    users: dict[str, User]
    people: dict[int, list[Stakeholder]] = field(default_factory=dict)
    team: dict[int, list[User]] = field(default_factory=dict)

    def owner(self, account: Account) -> User:
        """Who looks after the account: its manager, else the first of its team."""
        for user in self.users.values():
            if user.pk == account.owner_id:
                return user
        team = self.team.get(account.pk, [])
        return team[0] if team else self.users["head@rapport.demo"]


def has_communications() -> bool:
    return Touchpoint.objects.exists() or Task.objects.exists()


def load_communications(*, accounts: Sequence[Account], users: dict[str, User]) -> int:
    """Log the demo's exchanges, tasks, cadences and unmatched e-mails; return the touchpoints."""
    now = timezone.now().replace(second=0, microsecond=0)
    with transaction.atomic():
        _follow_some_accounts(accounts, users)
        book = _read_book(list(accounts), users)
        planned = _plan_touchpoints(book, now)
        touchpoints = _create_touchpoints(planned)
        _create_follow_ups(book, planned, now)
        _create_personal_tasks(book, now)
        _set_cadences(book, now)
        _log_recent_escalations(book, now)
        _refresh_everything(planned)
        _create_unmatched_emails(users, now)
    return len(touchpoints)


def _follow_some_accounts(accounts: Sequence[Account], users: dict[str, User]) -> None:
    """The finance controller follows the strategic accounts, read-only, from their team."""
    controller = users["claire@rapport.demo"]
    start = timezone.localdate() - datetime.timedelta(days=200)
    members = [
        TeamMember(account=account, user=controller, role=TeamRole.OTHER, start_date=start)
        for account in accounts
        if account.tier == Tier.STRATEGIC
    ][:6]
    bulk_create_with_history(members, TeamMember, default_user=users["admin@rapport.demo"])


def _read_book(accounts: list[Account], users: dict[str, User]) -> Book:
    book = Book(accounts=accounts, users=users)
    people = Stakeholder.objects.filter(status="active", is_placeholder=False).order_by("id")
    for person in people:
        book.people.setdefault(person.account_id, []).append(person)
    by_id = {user.pk: user for user in users.values()}
    members = TeamMember.objects.current().exclude(role=TeamRole.OTHER).order_by("id")
    for member in members:
        user = by_id.get(member.user_id)
        if user is not None:
            book.team.setdefault(member.account_id, []).append(user)
    return book


def _text(kind: str, account: Account, rng: random.Random) -> data.Exchange:
    english, french = rng.choice(data.EXCHANGES[kind])
    return french if account.country in data.FRENCH_SPEAKING_COUNTRIES else english


def _at(now: datetime.datetime, days_ago: int, rng: random.Random) -> datetime.datetime:
    """A working-hours time that many days ago (or ahead, for a negative number)."""
    day = now - datetime.timedelta(days=days_ago)
    return day.replace(hour=rng.choice([8, 9, 10, 13, 14, 15, 16]), minute=rng.choice([0, 30]))


def _plan(
    book: Book,
    account: Account,
    *,
    kind: str,
    when: datetime.datetime,
    rng: random.Random,
    text: data.Exchange | None = None,
    sentiment: str | None = None,
) -> PlannedTouchpoint:
    subject, notes, outcome, next_step = text or _text(kind, account, rng)
    people = book.people.get(account.pk, [])
    owner = book.owner(account)
    team = [user for user in book.team.get(account.pk, []) if user != owner]
    if kind in {TouchpointKind.BUSINESS_REVIEW, TouchpointKind.SITE_VISIT}:
        executives = [person for person in people if person.title in EXECUTIVE_TITLES]
        others = [person for person in people if person.title not in EXECUTIVE_TITLES]
        chosen = executives[: rng.randint(1, 2)] + rng.sample(others, min(2, len(others)))
        ours = [owner, *team[:2]]
    elif kind == TouchpointKind.MEETING:
        chosen = rng.sample(people, min(rng.randint(2, 3), len(people)))
        ours = [owner, *rng.sample(team, min(1, len(team)))]
    elif kind == TouchpointKind.NOTE:
        chosen, ours = [], [owner]
    else:
        chosen = rng.sample(people, min(1, len(people)))
        ours = [owner]
    if sentiment is None:
        sentiment = (
            ""
            if kind == TouchpointKind.NOTE
            else rng.choices(
                [Sentiment.POSITIVE, Sentiment.NEUTRAL, Sentiment.NEGATIVE], weights=[46, 46, 8]
            )[0]
        )
    low, high = data.DURATIONS.get(kind, (0, 0))
    touchpoint = Touchpoint(
        account=account,
        kind=kind,
        occurred_at=when,
        duration_minutes=rng.randrange(low, high + 1, 15) if high else None,
        subject=subject,
        notes=notes,
        sentiment=sentiment,
        outcome=outcome,
        next_steps=next_step,
        logged_by=owner,
        source=TouchpointSource.MANUAL,
    )
    # The history says who logged it and when, as if it had been logged that day.
    touchpoint._history_user = owner  # type: ignore[attr-defined]
    touchpoint._history_date = min(when, timezone.now())  # type: ignore[attr-defined]
    return PlannedTouchpoint(touchpoint, chosen, ours, next_step)


def _plan_touchpoints(book: Book, now: datetime.datetime) -> list[PlannedTouchpoint]:
    """Months of exchanges per account: recent enough for most, gone quiet for some."""
    rng = random.Random(SEED)
    kinds = list(data.KIND_WEIGHTS)
    weights = list(data.KIND_WEIGHTS.values())
    planned: list[PlannedTouchpoint] = []
    for account in book.accounts:
        luck = rng.random()
        if luck < 0.03:
            continue  # never contacted since it joined the book
        quiet = luck < 0.11
        # The latest exchange: within the check-in interval for most, overdue for a few, and
        # long ago for the quiet ones (untouched on their manager's today view).
        interval = 14 if account.tier == Tier.STRATEGIC else 30
        if quiet:
            latest = rng.randint(50, 120)
        elif rng.random() < 0.9:
            latest = rng.randint(1, max(2, interval - 3))
        else:
            latest = rng.randint(interval + 1, interval + 20)
        count = data.EXCHANGES_PER_TIER[account.tier] + rng.randint(-2, 2)
        days = sorted({latest} | {rng.randint(latest, HISTORY_DAYS) for _ in range(count - 1)})
        for days_ago in days:
            kind = rng.choices(kinds, weights=weights)[0]
            planned.append(_plan(book, account, kind=kind, when=_at(now, days_ago, rng), rng=rng))
        # Business reviews every quarter or half-year, the latest one sometimes missed.
        if account.tier in {Tier.STRATEGIC, Tier.KEY, Tier.GROWTH} and not quiet:
            period = 180 if account.tier == Tier.GROWTH else 90
            review = rng.randint(10, period - 5) if rng.random() < 0.88 else period + 12
            while review <= HISTORY_DAYS:
                planned.append(
                    _plan(
                        book,
                        account,
                        kind=TouchpointKind.BUSINESS_REVIEW,
                        when=_at(now, review, rng),
                        rng=rng,
                        sentiment=Sentiment.POSITIVE,
                    )
                )
                review += period
        # A meeting already in the diary for some of the larger accounts.
        if account.tier in {Tier.STRATEGIC, Tier.KEY} and rng.random() < 0.35:
            english, french = data.PLANNED_MEETING
            subject = french if account.country in data.FRENCH_SPEAKING_COUNTRIES else english
            planned.append(
                _plan(
                    book,
                    account,
                    kind=TouchpointKind.MEETING,
                    when=_at(now, -rng.randint(2, 12), rng),
                    rng=rng,
                    text=(subject, "", "", ""),
                    sentiment="",
                )
            )
    return planned


def _create_touchpoints(planned: list[PlannedTouchpoint]) -> list[Touchpoint]:
    created = bulk_create_with_history(
        [item.touchpoint for item in planned], Touchpoint, batch_size=500
    )
    # Each was logged when it happened; a meeting still to come was logged today.
    Touchpoint.objects.filter(
        pk__gte=created[0].pk, pk__lte=created[-1].pk, occurred_at__lte=timezone.now()
    ).update(created_at=F("occurred_at"), updated_at=F("occurred_at"))
    people: list[TouchpointStakeholder] = []
    ours: list[TouchpointUser] = []
    for item, touchpoint in zip(planned, created, strict=True):
        item.touchpoint = touchpoint
        for person in item.people:
            person_link = TouchpointStakeholder(
                touchpoint=touchpoint,
                stakeholder=person,
                occurred_at=touchpoint.occurred_at,
                is_exchange=touchpoint.is_exchange,
            )
            person_link._history_user = touchpoint.logged_by  # type: ignore[attr-defined]
            person_link._history_date = touchpoint._history_date  # type: ignore[attr-defined]
            people.append(person_link)
        for user in dict.fromkeys(item.ours):
            user_link = TouchpointUser(
                touchpoint=touchpoint, user=user, occurred_at=touchpoint.occurred_at
            )
            user_link._history_user = touchpoint.logged_by  # type: ignore[attr-defined]
            user_link._history_date = touchpoint._history_date  # type: ignore[attr-defined]
            ours.append(user_link)
    bulk_create_with_history(people, TouchpointStakeholder, batch_size=500)
    bulk_create_with_history(ours, TouchpointUser, batch_size=500)
    return created


def _task(
    *,
    title: str,
    assignee: User,
    created_at: datetime.datetime,
    due_on: datetime.date,
    done: bool,
    account: Account | None = None,
    touchpoint: Touchpoint | None = None,
) -> Task:
    task = Task(
        title=title,
        account=account,
        touchpoint=touchpoint,
        assignee=assignee,
        created_by=assignee,
        due_on=due_on,
        status=TaskStatus.DONE if done else TaskStatus.OPEN,
    )
    if done:
        finished = datetime.datetime.combine(due_on, datetime.time(17), tzinfo=datetime.UTC)
        task.completed_at = max(created_at, min(finished, timezone.now()))
        task.completed_by = assignee
    task._history_user = assignee  # type: ignore[attr-defined]
    task._history_date = created_at  # type: ignore[attr-defined]
    return task


def _create_follow_ups(
    book: Book, planned: list[PlannedTouchpoint], now: datetime.datetime
) -> None:
    """The next steps of the last three months became tasks: most done, some late, some due."""
    rng = random.Random(SEED + 1)
    today = timezone.localdate(now)
    tasks = []
    for item in planned:
        touchpoint = item.touchpoint
        age = (now - touchpoint.occurred_at).days
        if not item.next_step or not 0 <= age <= 90 or rng.random() < 0.5:
            continue
        due_on = timezone.localdate(touchpoint.occurred_at) + datetime.timedelta(
            days=rng.randint(3, 21)
        )
        # Work due long ago is mostly done; what falls due around now is mostly still open.
        done = rng.random() < (0.95 if due_on < today - datetime.timedelta(days=7) else 0.5)
        tasks.append(
            _task(
                title=item.next_step,
                assignee=touchpoint.logged_by or book.users["head@rapport.demo"],
                created_at=touchpoint.occurred_at + datetime.timedelta(hours=1),
                due_on=due_on,
                done=done,
                account=touchpoint.account,
                touchpoint=touchpoint,
            )
        )
    _save_tasks(tasks)


def _create_personal_tasks(book: Book, now: datetime.datetime) -> None:
    """Everyone who may be given work has some due: late, this week, and one already done."""
    today = timezone.localdate(now)
    assigned = now - datetime.timedelta(days=10)
    tasks = []
    for user in book.users.values():
        if user.is_read_only:
            continue
        theirs = [account for account in book.accounts if user in book.team.get(account.pk, [])]
        for title, days, done, on_account in data.PERSONAL_TASKS:
            tasks.append(
                _task(
                    title=title,
                    assignee=user,
                    created_at=assigned,
                    due_on=today + datetime.timedelta(days=days),
                    done=done,
                    account=theirs[0] if on_account and theirs else None,
                )
            )
    _save_tasks(tasks, created_at=assigned)


def _save_tasks(tasks: list[Task], *, created_at: datetime.datetime | None = None) -> None:
    """Save tasks dated when they were created: on the given day, or an hour after the
    touchpoint each follows up (auto_now_add stamps them now; one update fixes them all)."""
    created = bulk_create_with_history(tasks, Task, batch_size=500)
    saved = Task.objects.filter(pk__in=[task.pk for task in created])
    if created_at is not None:
        saved.update(created_at=created_at, updated_at=created_at)
        return
    logged = Touchpoint.objects.filter(pk=OuterRef("touchpoint_id")).annotate(
        later=ExpressionWrapper(
            F("occurred_at") + datetime.timedelta(hours=1), output_field=DateTimeField()
        )
    )
    later = Subquery(logged.values("later")[:1])
    saved.update(created_at=later, updated_at=later)


def _set_cadences(book: Book, now: datetime.datetime) -> None:
    """Every account follows its tier's cadence, counted from when the relationship began;
    a few have their own, set by their manager."""
    services.cadence_sync(accounts=Account.objects.all())
    began = timezone.localdate(now) - datetime.timedelta(days=HISTORY_DAYS)
    CadenceRule.objects.update(starts_on=began)
    own = [
        (LifecycleStage.AT_RISK, Tier.KEY, CadenceKind.CHECK_IN, 7),
        (None, Tier.STRATEGIC, CadenceKind.BUSINESS_REVIEW, 60),
        (None, Tier.MAINTAIN, CadenceKind.CHECK_IN, 90),
    ]
    for stage, tier, kind, interval in own:
        account = next(
            (
                account
                for account in book.accounts
                if account.tier == tier
                and account.owner_id is not None
                and (stage is None or account.lifecycle_stage == stage)
            ),
            None,
        )
        if account is not None:
            services.cadence_rule_set(
                acting_user=book.owner(account), account=account, kind=kind, interval_days=interval
            )


def _log_recent_escalations(book: Book, now: datetime.datetime) -> None:
    """Two bad-news calls per account manager in the last days, logged through the services."""
    rng = random.Random(SEED + 2)
    managers = [book.users[email] for email in data.MANAGER_EMAILS]
    for manager in managers:
        owned = [
            account
            for account in book.accounts
            if account.owner_id == manager.pk and book.people.get(account.pk)
        ]
        for days_ago, account, (english, french) in zip(
            (2, 6), rng.sample(owned, 2), data.ESCALATIONS, strict=True
        ):
            subject, notes, outcome, next_step = (
                french if account.country in data.FRENCH_SPEAKING_COUNTRIES else english
            )
            touchpoint = services.touchpoint_create(
                acting_user=manager,
                account=account,
                data={
                    "kind": TouchpointKind.CALL,
                    "occurred_at": _at(now, days_ago, rng),
                    "duration_minutes": 30,
                    "subject": subject,
                    "notes": notes,
                    "sentiment": Sentiment.NEGATIVE,
                    "outcome": outcome,
                    "next_steps": next_step,
                },
                stakeholders=book.people[account.pk][:2],
            )
            services.task_create(
                acting_user=manager,
                data={
                    "title": next_step,
                    "touchpoint": touchpoint,
                    "due_on": timezone.localdate(now) + datetime.timedelta(days=days_ago - 3),
                },
            )


def _refresh_everything(planned: list[PlannedTouchpoint]) -> None:
    """Last contacts, cadence dates and relationship strengths, computed once for the book."""
    pairs = {
        (user.pk, person.pk) for item in planned for user in item.ours for person in item.people
    }
    people = {person for _user, person in pairs}
    people |= {person.pk for item in planned for person in item.people}
    services.refresh_contacts(
        account_ids=Account.objects.values_list("pk", flat=True),
        stakeholder_ids=people,
        pairs=pairs,
    )


def _create_unmatched_emails(users: dict[str, User], now: datetime.datetime) -> None:
    for number, (email, subject, sender, body, file_name, days_ago) in enumerate(
        data.UNMATCHED_EMAILS, start=1
    ):
        uploader = users[email]
        InboundMessage.objects.create(
            message_id=f"<demo-{number}@rapport.demo>",
            subject=subject,
            sender=sender,
            recipients=uploader.email,
            sent_at=now - datetime.timedelta(days=days_ago, hours=3),
            body=body,
            file_name=file_name,
            uploaded_by=uploader,
            status=InboundStatus.PENDING,
        )
