"""The demo book's roadmaps, handoffs, commitments and a past reassignment, through the services.

Everything here is made the way people would make it (starting playbooks, completing steps,
handing a client over, moving an account), so the history, the follow-up tasks and the
commitments are real; only a few dates are then set back to when they happened.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Min
from django.test.utils import override_settings
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from rapport.accounts.choices import LifecycleStage, Segment, Tier
from rapport.accounts.models import Account, TeamMember
from rapport.communications.choices import Sentiment
from rapport.communications.models import Touchpoint
from rapport.demo import data
from rapport.roadmaps import clientlinks, continuity, handoffs, services
from rapport.roadmaps.choices import CommitmentSource, CommitmentStatus, ItemStatus
from rapport.roadmaps.models import (
    Commitment,
    Handoff,
    Playbook,
    Reassignment,
    Roadmap,
    RoadmapItem,
)
from rapport.users.models import User

ENTERPRISE = "Enterprise onboarding"
MID_MARKET = "Mid-market onboarding"
RENEWAL = "Renewal"
RECOVERY = "At-risk recovery"
SHIPPED = (ENTERPRISE, MID_MARKET, RENEWAL, RECOVERY)
# Onboardings at various stages: (days since the kickoff, past-due steps left late, one skipped).
ONBOARDINGS = [(75, 0, True), (55, 1, False), (40, 2, False), (25, 0, False), (12, 1, False)]
# Renewals: (days until the contract ends, past-due steps left late).
RENEWALS = [(100, 0), (50, 1)]
RECOVERY_DAYS = 10
# The handoffs: (days since the kickoff, acknowledged).
HANDOFF_STAGES = [(18, True), (-5, False)]
REASSIGNED_DAYS_AGO = 21
RECENT_DAYS = 14


@dataclass
class Cast:
    """The demo's people, by the part they play here."""

    head: User
    executive: User
    marc: User
    sofia: User
    james: User

    @classmethod
    def of(cls, users: dict[str, User]) -> Cast:
        return cls(
            head=users["head@rapport.demo"],
            executive=users["nina@rapport.demo"],
            marc=users["marc@rapport.demo"],
            sofia=users["sofia@rapport.demo"],
            james=users["james@rapport.demo"],
        )


def has_roadmaps() -> bool:
    return (
        Roadmap.objects.exists()
        or Handoff.objects.exists()
        or Commitment.objects.exists()
        or Reassignment.objects.exists()
    )


def shipped_playbooks() -> dict[str, Playbook]:
    """The four playbooks the product ships (made by a data migration), by name."""
    return {playbook.name: playbook for playbook in Playbook.objects.filter(name__in=SHIPPED)}


def load_roadmaps(*, users: dict[str, User]) -> int:
    """Start the demo's roadmaps, hand two clients over, record promises and move an account;
    return the roadmaps started (none when the shipped playbooks are missing)."""
    playbooks = shipped_playbooks()
    if len(playbooks) < len(SHIPPED):
        return 0
    cast = Cast.of(users)
    today = timezone.localdate()
    with _quietly(), transaction.atomic():
        _date_accounts_from_their_teams()
        used: set[int] = set()
        acknowledged = _hand_over(cast, playbooks, today=today, used=used)
        advanced = _onboard(playbooks, today=today, used=used)
        _renew(playbooks, today=today, used=used)
        _recover(playbooks, today=today, used=used)
        _record_promises(cast, acknowledged, today=today)
        _share(advanced)
        _move_an_account(cast, used=used)
    return Roadmap.objects.count()


@contextmanager
def _quietly() -> Iterator[None]:
    """The demo's people are fictional: the notices meant for them are neither sent nor queued."""
    queued = HUEY.immediate
    HUEY.immediate = True
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            yield
    finally:
        HUEY.immediate = queued


def _date_accounts_from_their_teams() -> None:
    """The book's accounts are old clients: each dates from when its team began.

    Left dated today, every one would look new, and the nightly job would start an onboarding
    on all of them.
    """
    began = dict(
        TeamMember.objects.values("account_id")
        .annotate(first=Min("start_date"))
        .values_list("account_id", "first")
    )
    accounts = list(Account.objects.filter(created_at__gte=timezone.now() - _days(1)))
    for account in accounts:
        first = began.get(account.pk) or timezone.localdate() - _days(400)
        account.created_at = _morning(first)
    Account.objects.bulk_update(accounts, ["created_at"])


def _days(count: int) -> datetime.timedelta:
    return datetime.timedelta(days=count)


def _morning(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(9), tzinfo=timezone.get_current_timezone())


def _onboarding_playbook(account: Account, playbooks: dict[str, Playbook]) -> Playbook:
    wanted = ENTERPRISE if account.segment == Segment.ENTERPRISE else MID_MARKET
    return playbooks[wanted]


def _candidates(stage: str, used: set[int]) -> list[Account]:
    """Live accounts at this stage with a manager, not yet given a part here."""
    return [
        account
        for account in Account.objects.filter(
            lifecycle_stage=stage, owner__isnull=False, is_archived=False
        )
        .select_related("owner")
        .order_by("id")
        if account.pk not in used
    ]


def _hand_over(
    cast: Cast, playbooks: dict[str, Playbook], *, today: datetime.date, used: set[int]
) -> Handoff | None:
    """The account executive hands two new clients to Marc: one acknowledged, one waiting.

    Returns the acknowledged handoff.
    """
    ready = [
        account
        for account in _candidates(LifecycleStage.ONBOARDING, used)
        if account.owner_id == cast.marc.pk
        and account.originating_executive_id == cast.executive.pk
        and handoffs.handoff_gate(account=account, client_goals="-").passed
    ]
    acknowledged = None
    for account, (days_ago, taken_on), (english, french) in zip(
        ready, HANDOFF_STAGES, data.HANDOFFS, strict=False
    ):
        in_french = account.country in data.FRENCH_SPEAKING_COUNTRIES
        sold, goals, promises, risks, next_steps = french if in_french else english
        kickoff = today - _days(days_ago)
        handoff = handoffs.handoff_record(
            acting_user=cast.executive,
            handoff=None,
            account=account,
            new_account=None,
            data={
                "account_manager": cast.marc,
                "what_was_sold": sold,
                "client_goals": goals,
                "promises": promises,
                "risks": risks,
                "next_steps": next_steps,
                "kickoff_date": kickoff,
                "playbook": _onboarding_playbook(account, playbooks),
            },
            submit=True,
        )
        used.add(account.pk)
        handed = _morning(kickoff - _days(7))
        if taken_on:
            handoff = handoffs.handoff_acknowledge(
                handoff=handoff,
                acting_user=cast.marc,
                note="Merci Nina, le lancement est calé."
                if in_french
                else "Thanks Nina, the kickoff is booked.",
            )
            Handoff.objects.filter(pk=handoff.pk).update(
                created_at=handed, submitted_at=handed, acknowledged_at=handed + _days(1)
            )
            if handoff.roadmap is not None:
                _complete_past_steps(handoff.roadmap, today=today, late=1)
            acknowledged = handoff
        else:
            Handoff.objects.filter(pk=handoff.pk).update(
                created_at=timezone.now() - _days(1), submitted_at=timezone.now() - _days(1)
            )
        Account.objects.filter(pk=account.pk).update(created_at=handed)
    return acknowledged


def _onboard(playbooks: dict[str, Playbook], *, today: datetime.date, used: set[int]) -> Roadmap:
    """Onboardings started days to months ago, some steps done, some late; returns the most
    advanced one on an enterprise account (the one shared with its client)."""
    accounts = _candidates(LifecycleStage.ONBOARDING, used)
    enterprise = [account for account in accounts if account.segment == Segment.ENTERPRISE][:1]
    chosen = enterprise + [account for account in accounts if account not in enterprise]
    started = []
    for account, (days_ago, late, skip) in zip(chosen, ONBOARDINGS, strict=False):
        kickoff = today - _days(days_ago)
        roadmap = services.roadmap_start(
            acting_user=_manager(account),
            account=account,
            playbook=_onboarding_playbook(account, playbooks),
            start_date=kickoff,
        )
        _complete_past_steps(roadmap, today=today, late=late, skip=skip)
        Account.objects.filter(pk=account.pk).update(created_at=_morning(kickoff - _days(7)))
        used.add(account.pk)
        started.append(roadmap)
    return started[0]


def _renew(playbooks: dict[str, Playbook], *, today: datetime.date, used: set[int]) -> None:
    """Two renewals counted back from the contract's end, one of them running late."""
    accounts = [
        account
        for account in _candidates(LifecycleStage.RENEWAL, used)
        if account.tier in {Tier.KEY, Tier.GROWTH}
    ]
    playbook = playbooks[RENEWAL]
    lead = _days(playbook.lead_days or 0)
    for account, (days_left, late) in zip(accounts, RENEWALS, strict=False):
        contract_end = today + _days(days_left)
        roadmap = services.roadmap_start(
            acting_user=_manager(account),
            account=account,
            playbook=playbook,
            start_date=contract_end - lead,
            reference_date=contract_end,
        )
        _complete_past_steps(roadmap, today=today, late=late)
        used.add(account.pk)


def _recover(playbooks: dict[str, Playbook], *, today: datetime.date, used: set[int]) -> None:
    """One account at risk on its recovery plan."""
    account = next(iter(_candidates(LifecycleStage.AT_RISK, used)), None)
    if account is None:
        return
    roadmap = services.roadmap_start(
        acting_user=_manager(account),
        account=account,
        playbook=playbooks[RECOVERY],
        start_date=today - _days(RECOVERY_DAYS),
    )
    _complete_past_steps(roadmap, today=today, late=1)
    used.add(account.pk)


def _manager(account: Account) -> User:
    """Who runs the account's roadmaps: its manager (every account chosen here has one)."""
    if account.owner is None:
        raise ValueError(f"The demo account {account.name} has no manager.")
    return account.owner


def _complete_past_steps(
    roadmap: Roadmap, *, today: datetime.date, late: int, skip: bool = False
) -> None:
    """Steps due before today are done by whoever owns them, but the last ``late`` of them."""
    past: Sequence[RoadmapItem] = list(
        roadmap.items.filter(due_on__lt=today)
        .select_related("owner_user", "task", "roadmap__account__owner")
        .order_by("due_on", "position", "id")
    )
    for index, item in enumerate(past[: len(past) - late]):
        status = ItemStatus.SKIPPED if skip and index == 1 else ItemStatus.DONE
        services.roadmap_item_set_status(item=item, acting_user=_doer(item), status=status)


def _doer(item: RoadmapItem) -> User:
    """The step's owner on our side if they may mark it, else the account's manager."""
    owner = item.owner_user
    if owner is not None and owner.has_perm("roadmaps.change_roadmap", item.roadmap):
        return owner
    return _manager(item.roadmap.account)


def _record_promises(cast: Cast, acknowledged: Handoff | None, *, today: datetime.date) -> None:
    """Promises due this week and later, one overdue, one kept, one from a call's next steps."""
    if acknowledged is not None:
        promises = list(acknowledged.commitments.order_by("id"))
        if promises:
            services.commitment_update(
                commitment=promises[0],
                acting_user=cast.marc,
                data={"due_on": today + _days(3)},
                expected_version=None,
            )
        if len(promises) > 1:
            services.commitment_set_status(
                commitment=promises[-1], acting_user=cast.marc, status=CommitmentStatus.KEPT
            )
    by_email = {user.email: user for user in (cast.marc, cast.sofia, cast.james)}
    for email, title, due_in in data.COMMITMENTS:
        manager = by_email[email]
        account = _a_calm_account(manager, offset=len(title) % 5)
        services.commitment_create(
            acting_user=manager,
            account=account,
            data={"title": title, "due_on": today + _days(due_in), "owner": manager},
        )
    call = (
        Touchpoint.objects.filter(
            account__owner=cast.sofia,
            occurred_at__gte=timezone.now() - _days(RECENT_DAYS),
            occurred_at__lte=timezone.now(),
        )
        .exclude(next_steps="")
        .order_by("-occurred_at", "-id")
        .first()
    )
    if call is not None:
        services.commitment_create(
            acting_user=cast.sofia,
            account=call.account,
            data={"title": call.next_steps[:300], "due_on": today + _days(6), "owner": cast.sofia},
            source=CommitmentSource.TOUCHPOINT,
            touchpoint=call,
        )


def _a_calm_account(manager: User, *, offset: int) -> Account:
    """One of the manager's live accounts without a recent difficult call."""
    accounts = list(_calm_accounts(manager)[: offset + 1])
    return accounts[-1]


def _calm_accounts(manager: User) -> list[Account]:
    difficult = Touchpoint.objects.filter(
        sentiment=Sentiment.NEGATIVE, occurred_at__gte=timezone.now() - _days(RECENT_DAYS)
    ).values("account_id")
    return list(
        Account.objects.filter(owner=manager, is_archived=False)
        .exclude(pk__in=difficult)
        .select_related("owner")
        .order_by("id")
    )


def _share(roadmap: Roadmap) -> None:
    """The most advanced onboarding is shared with its client, with a word from its manager."""
    manager = _manager(roadmap.account)
    roadmap = services.roadmap_update(
        roadmap=roadmap,
        acting_user=manager,
        data={"client_summary": data.ROADMAP_MESSAGE},
        expected_version=None,
    )
    clientlinks.client_link_create(roadmap=roadmap, acting_user=manager)


def _move_an_account(cast: Cast, *, used: set[int]) -> None:
    """Three weeks ago the head of account management moved one of James's accounts to Sofia."""
    account = next(
        (
            account
            for account in _calm_accounts(cast.james)
            if account.pk not in used and account.lifecycle_stage == LifecycleStage.ADOPTION
        ),
        None,
    )
    if account is None:
        return
    result = continuity.reassign_accounts(
        acting_user=cast.head,
        moves=[continuity.Move(account=account, to_user=cast.sofia)],
        reason=data.REASSIGNMENT_REASON,
    )
    moved = timezone.now() - _days(REASSIGNED_DAYS_AGO)
    Reassignment.objects.filter(batch=result.batch).update(created_at=moved, updated_at=moved)
    used.add(account.pk)
