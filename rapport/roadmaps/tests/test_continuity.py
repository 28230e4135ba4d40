"""Moving accounts, handoff briefs, "needs an owner" and continuity risk, on the real database."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from rapport.accounts.choices import Segment, TeamRole, Tier
from rapport.accounts.models import Account, TeamMember
from rapport.communications.choices import TaskStatus, TouchpointKind
from rapport.communications.models import Task, Touchpoint
from rapport.core.exceptions import NotAllowedError, StaleVersionError
from rapport.core.tests.factories import (
    AccountFactory,
    StakeholderFactory,
    UserFactory,
)
from rapport.core.tests.personas import Personas
from rapport.roadmaps import continuity
from rapport.roadmaps.choices import (
    CommitmentStatus,
    HandoffStatus,
    ItemKind,
    ItemStatus,
    OwnerSide,
    PlaybookKind,
    RoadmapStatus,
)
from rapport.roadmaps.continuity import Move
from rapport.roadmaps.models import (
    Commitment,
    Handoff,
    Playbook,
    Reassignment,
    Roadmap,
    RoadmapItem,
    RoadmapPhase,
)
from rapport.stakeholders.choices import DecisionRole, StakeholderStatus
from rapport.stakeholders.models import RelationshipOwner
from rapport.users.choices import Language, Role
from rapport.users.models import User

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 10)


def manager(**extra: object) -> User:
    return UserFactory(role=Role.ACCOUNT_MANAGER, **extra)


def roadmap_for(account: Account, *, name: str = "Onboarding") -> Roadmap:
    return Roadmap.objects.create(
        account=account, name=name, kind=PlaybookKind.ONBOARDING, start_date=TODAY
    )


def item(roadmap: Roadmap, title: str, due: datetime.date, **extra: object) -> RoadmapItem:
    phase = roadmap.phases.first() or RoadmapPhase.objects.create(roadmap=roadmap, name="Set-up")
    fields: dict[str, object] = {
        "kind": ItemKind.TASK,
        "owner_side": OwnerSide.OURS,
        "start_on": due,
        "due_on": due,
    }
    fields.update(extra)
    return RoadmapItem.objects.create(roadmap=roadmap, phase=phase, title=title, **fields)


# The suggested split -------------------------------------------------------------------------


def test_the_split_balances_the_number_of_accounts(personas: Personas) -> None:
    leaving = manager()
    accounts = [AccountFactory(owner=leaving) for _ in range(5)]
    first, second = manager(), manager()

    proposal = continuity.suggest_split(accounts=accounts, receivers=[first, second])

    assert set(proposal) == {account.pk for account in accounts}
    received = [user.pk for user in proposal.values()]
    assert sorted([received.count(first.pk), received.count(second.pk)]) == [2, 3]


def test_the_split_balances_weights_when_known(personas: Personas) -> None:
    leaving = manager()
    big, mid, small_1, small_2 = (AccountFactory(owner=leaving) for _ in range(4))
    first, second = manager(), manager()
    weights = {big.pk: Decimal(100), mid.pk: 60, small_1.pk: 30, small_2.pk: 20}

    proposal = continuity.suggest_split(
        accounts=[small_1, big, small_2, mid], receivers=[first, second], weights=weights
    )

    # Largest first, each to the lighter side: big → first (100 / 0), mid → second (100 / 60),
    # small_1 → second (100 / 90), small_2 → second (100 / 110).
    assert proposal[big.pk] == first
    assert [proposal[account.pk] for account in (mid, small_1, small_2)] == [second] * 3


def test_the_split_never_gives_an_account_back_to_its_manager(personas: Personas) -> None:
    proposal = continuity.suggest_split(
        accounts=[personas.account], receivers=[personas.owner, personas.outsider]
    )
    assert proposal == {personas.account.pk: personas.outsider}
    assert continuity.suggest_split(accounts=[personas.account], receivers=[personas.owner]) == {}


# Reassignment --------------------------------------------------------------------------------


@pytest.fixture
def open_work(personas: Personas) -> dict[str, object]:
    """What the owner has open on their account, and what must stay where it is."""
    account, owner = personas.account, personas.owner
    mine = Task.objects.create(title="Send the deck", account=account, assignee=owner)
    done = Task.objects.create(
        title="Old call",
        account=account,
        assignee=owner,
        status=TaskStatus.DONE,
        completed_at=timezone.now(),
    )
    teammates = Task.objects.create(title="Fix login", account=account, assignee=personas.teammate)
    elsewhere = Task.objects.create(
        title="Elsewhere", account=personas.other_account, assignee=owner
    )
    promise = Commitment.objects.create(
        account=account, title="Training in May", owner=owner, created_by=owner
    )
    kept = Commitment.objects.create(
        account=account,
        title="Price hold",
        owner=owner,
        status=CommitmentStatus.KEPT,
        created_by=owner,
    )
    roadmap = roadmap_for(account)
    step = item(roadmap, "Kickoff call", TODAY, owner_user=owner)
    finished = item(roadmap, "Welcome pack", TODAY, owner_user=owner, status=ItemStatus.DONE)
    return {
        "task": mine,
        "done_task": done,
        "teammates_task": teammates,
        "elsewhere_task": elsewhere,
        "commitment": promise,
        "kept": kept,
        "step": step,
        "finished_step": finished,
    }


def test_moving_an_account_moves_what_was_open_in_the_previous_name(
    personas: Personas, open_work: dict, django_capture_on_commit_callbacks
) -> None:
    receiver = manager(email="receiver@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        result = continuity.reassign_accounts(
            acting_user=personas.head,
            moves=[Move(account=personas.account, to_user=receiver)],
            reason="Leaving the company",
        )

    account = Account.objects.get(pk=personas.account.pk)
    assert account.owner == receiver
    # The previous owner's membership ended but stays in the team's history.
    ended = TeamMember.objects.get(
        account=account, user=personas.owner, role=TeamRole.ACCOUNT_MANAGER
    )
    assert ended.end_date == timezone.localdate()
    assert (
        TeamMember.objects.current()
        .filter(account=account, user=receiver, role=TeamRole.ACCOUNT_MANAGER)
        .exists()
    )

    def reloaded(key: str) -> object:
        record = open_work[key]
        return type(record).objects.get(pk=record.pk)

    assert reloaded("task").assignee == receiver
    assert reloaded("done_task").assignee == personas.owner
    assert reloaded("teammates_task").assignee == personas.teammate
    assert reloaded("elsewhere_task").assignee == personas.owner
    assert reloaded("commitment").owner == receiver
    assert reloaded("kept").owner == personas.owner
    assert reloaded("step").owner_user == receiver
    assert reloaded("finished_step").owner_user == personas.owner
    assert (result.tasks, result.commitments, result.roadmap_items) == (1, 1, 1)

    row = Reassignment.objects.get()
    assert (row.account, row.from_user, row.to_user) == (account, personas.owner, receiver)
    assert (row.batch, row.reason, row.moved_by) == (
        result.batch,
        "Leaving the company",
        personas.head,
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["receiver@example.com"]
    assert "Northwind Traders" in message.body
    assert f"/reassign/briefs/{row.pk}/" in message.body
    assert "Leaving the company" in message.body


def test_a_whole_book_goes_to_several_receivers_each_told_once(
    personas: Personas, django_capture_on_commit_callbacks
) -> None:
    leaving = manager()
    book = [AccountFactory(name=f"Book {number}", owner=leaving) for number in range(4)]
    archived = AccountFactory(name="Old one", owner=leaving, is_archived=True)
    first = manager(email="first@example.com")
    second = manager(email="second@example.com")
    assert list(continuity.book_of(leaving)) == book
    proposal = continuity.suggest_split(accounts=book, receivers=[first, second])

    with django_capture_on_commit_callbacks(execute=True):
        result = continuity.reassign_accounts(
            acting_user=personas.admin,
            moves=[Move(account=account, to_user=proposal[account.pk]) for account in book],
        )

    assert len(result.rows) == 4
    assert Reassignment.objects.filter(batch=result.batch).count() == 4
    assert Account.objects.filter(owner=first).count() == 2
    assert Account.objects.filter(owner=second).count() == 2
    assert Account.objects.get(pk=archived.pk).owner == leaving
    assert sorted(message.to[0] for message in mail.outbox) == [
        "first@example.com",
        "second@example.com",
    ]
    for message in mail.outbox:
        assert "2 accounts are now yours" in message.subject


def test_the_notice_is_written_in_the_receivers_language(
    personas: Personas, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks
) -> None:
    receiver = manager(language=Language.FRENCH)
    languages: list[str | None] = []
    original = continuity.render_to_string

    def spy(*args: object, **kwargs: object) -> str:
        languages.append(translation.get_language())
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(continuity, "render_to_string", spy)
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        continuity.reassign_accounts(
            acting_user=personas.head, moves=[Move(account=personas.account, to_user=receiver)]
        )
    assert languages == ["fr", "fr", "fr"]


def assert_nothing_moved(personas: Personas, accounts: list[Account], owners: list[User]) -> None:
    assert [Account.objects.get(pk=account.pk).owner for account in accounts] == owners
    assert not Reassignment.objects.exists()
    assert TeamMember.objects.filter(
        account=personas.account, user=personas.owner, end_date__isnull=True
    ).exists()
    assert len(mail.outbox) == 0


@pytest.mark.parametrize(
    "receiver_kind, message",
    [
        ("read_only", "read-only user"),
        ("deactivated", "can no longer sign in"),
        ("same", "already manages this account"),
        ("team_member", "does not hold them"),
    ],
)
def test_a_receiver_who_may_not_hold_the_account_is_refused(
    personas: Personas,
    open_work: dict,
    receiver_kind: str,
    message: str,
    django_capture_on_commit_callbacks,
) -> None:
    receivers = {
        "read_only": personas.read_only,
        "deactivated": manager(is_active=False),
        "same": personas.owner,
        "team_member": personas.teammate,
    }
    good = manager()
    second_account = AccountFactory(owner=personas.owner)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as error:
        continuity.reassign_accounts(
            acting_user=personas.head,
            moves=[
                Move(account=second_account, to_user=good),
                Move(account=personas.account, to_user=receivers[receiver_kind]),
            ],
        )
    assert any(message in text and "Northwind Traders" in text for text in error.value.messages)
    assert_nothing_moved(
        personas, [personas.account, second_account], [personas.owner, personas.owner]
    )
    assert Task.objects.get(pk=open_work["task"].pk).assignee == personas.owner


@pytest.mark.parametrize("who", ["owner", "read_only", "teammate"])
def test_only_managers_of_the_book_reassign(personas: Personas, who: str) -> None:
    with pytest.raises(NotAllowedError):
        continuity.reassign_accounts(
            acting_user=getattr(personas, who),
            moves=[Move(account=personas.account, to_user=personas.outsider)],
        )
    assert_nothing_moved(personas, [personas.account], [personas.owner])


def test_a_failure_on_the_third_account_leaves_every_account_as_it_was(
    personas: Personas, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks
) -> None:
    leaving = personas.owner
    others = [AccountFactory(name=f"Book {number}", owner=leaving) for number in range(3)]
    tasks = [
        Task.objects.create(title="Call", account=account, assignee=leaving) for account in others
    ]
    receiver = manager()
    calls: list[int] = []
    original = continuity._move_account

    def failing(move: Move, **kwargs: object) -> Reassignment:
        calls.append(move.account.pk)
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        return original(move, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(continuity, "_move_account", failing)
    accounts = [personas.account, *others]
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        continuity.reassign_accounts(
            acting_user=personas.head,
            moves=[Move(account=account, to_user=receiver) for account in accounts],
        )

    assert len(calls) == 3  # two accounts had moved before the failure
    assert_nothing_moved(personas, accounts, [leaving] * 4)
    assert all(Task.objects.get(pk=task.pk).assignee == leaving for task in tasks)
    assert not TeamMember.objects.filter(user=receiver).exists()


def test_an_account_changed_since_the_preview_is_refused(personas: Personas) -> None:
    account = personas.account
    version = account.version
    Account.objects.filter(pk=account.pk).update(version=version + 1)
    with pytest.raises(StaleVersionError):
        continuity.reassign_accounts(
            acting_user=personas.head,
            moves=[Move(account=account, to_user=personas.outsider, expected_version=version)],
        )
    assert_nothing_moved(personas, [account], [personas.owner])


def test_an_account_without_a_manager_can_be_given_one(personas: Personas) -> None:
    orphan = AccountFactory(owner=None)
    continuity.reassign_accounts(
        acting_user=personas.head, moves=[Move(account=orphan, to_user=personas.outsider)]
    )
    row = Reassignment.objects.get()
    assert row.from_user is None
    assert Account.objects.get(pk=orphan.pk).owner == personas.outsider


# Needs an owner ------------------------------------------------------------------------------


def test_accounts_of_someone_who_left_need_an_owner(personas: Personas) -> None:
    left = manager(is_active=False)
    theirs = AccountFactory(name="Left behind", owner=left)
    nobody = AccountFactory(name="Nobody's", owner=None)
    AccountFactory(name="Archived", owner=left, is_archived=True)

    assert list(continuity.needs_owner_list()) == [theirs, nobody]
    assert continuity.needs_owner_count() == 2
    assert continuity.account_needs_owner(theirs)
    assert not continuity.account_needs_owner(personas.account)
    departed = list(continuity.departed_owners())
    assert departed == [left]
    assert departed[0].book_size == 1

    continuity.reassign_accounts(
        acting_user=personas.head, moves=[Move(account=theirs, to_user=personas.outsider)]
    )
    assert list(continuity.needs_owner_list()) == [nobody]


# Continuity risk -----------------------------------------------------------------------------


@pytest.fixture
def relationships(personas: Personas) -> dict[str, object]:
    """A small book whose continuity risk is worked out by hand in the tests below.

    Alpha: s1 (u1), s2 (u1, u2), s3 (u2), s4 (nobody), s5 (u3, who left), plus people who do
    not count: s6 has left the client, s7 is a placeholder, s8 is in the trash (all owned by u1).
    → 3 relationships (s1, s2, s3), 2 single-held (s1 by u1, s3 by u2): 67 %.
    Beta: s9 (u1), s10 (u1 and u3, who left) → 2 relationships, both u1's alone: 100 %.
    Gamma (archived): s11 (u2) → out of the portfolio.
    People: u1 holds 3 alone (s1, s9, s10) on 2 accounts, of 4 held; u2 holds 1 (s3) of 2.
    """
    u1 = manager(first_name="Una", last_name="One")
    u2 = manager(first_name="Theo", last_name="Two")
    u3 = manager(first_name="Gone", last_name="Three", is_active=False)
    alpha = AccountFactory(name="Alpha", owner=u1)
    beta = AccountFactory(name="Beta", owner=u1)
    gamma = AccountFactory(name="Gamma", owner=u2, is_archived=True)

    def person(account: Account, name: str, *owners: User, **extra: object) -> object:
        stakeholder = StakeholderFactory(account=account, first_name=name, last_name="X", **extra)
        for owner in owners:
            RelationshipOwner.objects.create(stakeholder=stakeholder, user=owner)
        return stakeholder

    people = {
        "s1": person(alpha, "S1", u1),
        "s2": person(alpha, "S2", u1, u2),
        "s3": person(alpha, "S3", u2),
        "s4": person(alpha, "S4"),
        "s5": person(alpha, "S5", u3),
        "s6": person(alpha, "S6", u1, status=StakeholderStatus.LEFT),
        "s7": person(alpha, "S7", u1, is_placeholder=True),
        "s8": person(alpha, "S8", u1, deleted_at=timezone.now()),
        "s9": person(beta, "S9", u1),
        "s10": person(beta, "S10", u1, u3),
        "s11": person(gamma, "S11", u2),
    }
    return {"u1": u1, "u2": u2, "u3": u3, "alpha": alpha, "beta": beta, "gamma": gamma} | people


def test_an_accounts_continuity_risk_by_hand(relationships: dict) -> None:
    alpha = continuity.account_continuity(account=relationships["alpha"])
    assert (alpha.relationships, alpha.single_held, alpha.share) == (3, 2, 67)
    # One each: by name then, Theo before Una.
    assert [(holder.user, holder.stakeholders) for holder in alpha.holders] == [
        (relationships["u2"], (relationships["s3"],)),
        (relationships["u1"], (relationships["s1"],)),
    ]
    beta = continuity.account_continuity(account=relationships["beta"])
    assert (beta.relationships, beta.single_held, beta.share) == (2, 2, 100)
    assert beta.holders[0].user == relationships["u1"]
    assert beta.holders[0].count == 2
    empty = continuity.account_continuity(account=AccountFactory())
    assert (empty.relationships, empty.single_held, empty.share) == (0, 0, 0)


def test_people_ranked_by_the_relationships_only_they_hold(relationships: dict) -> None:
    people = list(continuity.people_at_risk())
    assert people == [relationships["u1"], relationships["u2"]]
    rows = continuity.person_rows(people)
    assert (rows[0].sole, rows[0].held) == (3, 4)
    assert [(share.name, share.count) for share in rows[0].accounts] == [("Beta", 2), ("Alpha", 1)]
    assert (rows[1].sole, rows[1].held) == (1, 2)
    assert [(share.name, share.count) for share in rows[1].accounts] == [("Alpha", 1)]


def test_accounts_ranked_by_the_share_held_alone(relationships: dict) -> None:
    accounts = list(continuity.accounts_at_risk())
    assert accounts == [relationships["beta"], relationships["alpha"]]
    rows = continuity.account_rows(accounts)
    assert [(row.share, row.single_held, row.relationships) for row in rows] == [
        (100, 2, 2),
        (67, 2, 3),
    ]
    assert rows[0].holders == (("Una One", 2),)
    assert sorted(rows[1].holders) == [("Theo Two", 1), ("Una One", 1)]


def test_continuity_risk_is_computed_in_a_fixed_number_of_queries(
    relationships: dict, django_assert_num_queries
) -> None:
    for number in range(5):
        account = AccountFactory(name=f"More {number}")
        StakeholderFactory(account=account)
        RelationshipOwner.objects.create(
            stakeholder=StakeholderFactory(account=account), user=relationships["u2"]
        )
    with django_assert_num_queries(2):
        rows = continuity.person_rows(list(continuity.people_at_risk()))
    assert rows[0].user == relationships["u2"]
    with django_assert_num_queries(2):
        assert len(continuity.account_rows(list(continuity.accounts_at_risk()))) == 7
    with django_assert_num_queries(1):
        continuity.account_continuity(account=relationships["alpha"])


# Handoff brief -------------------------------------------------------------------------------


def test_the_brief_holds_what_a_new_manager_reads_first(
    personas: Personas, open_work: dict
) -> None:
    account = personas.account
    Account.objects.filter(pk=account.pk).update(tier=Tier.STRATEGIC, segment=Segment.ENTERPRISE)
    playbook = Playbook.objects.create(name="Enterprise onboarding", kind=PlaybookKind.ONBOARDING)
    executive = UserFactory(role=Role.ACCOUNT_EXECUTIVE, first_name="Eve", last_name="Seller")
    Handoff.objects.create(
        account=account,
        executive=executive,
        account_manager=personas.owner,
        what_was_sold="Old deal",
        client_goals="Old goals",
        kickoff_date=TODAY,
        playbook=playbook,
        status=HandoffStatus.ACKNOWLEDGED,
    )
    Handoff.objects.create(
        account=account,
        executive=executive,
        account_manager=personas.owner,
        what_was_sold="200 seats",
        client_goals="Cut onboarding time by half",
        kickoff_date=TODAY,
        playbook=playbook,
        status=HandoffStatus.SUBMITTED,
    )
    Handoff.objects.create(
        account=account,
        executive=executive,
        account_manager=personas.owner,
        what_was_sold="Draft",
        client_goals="Draft goals",
        kickoff_date=TODAY,
        playbook=playbook,
    )
    ada = personas.stakeholder
    ada.decision_roles = [DecisionRole.CHAMPION]
    ada.save()
    RelationshipOwner.objects.create(stakeholder=ada, user=personas.owner)
    Touchpoint.objects.create(
        account=account,
        kind=TouchpointKind.CALL,
        subject="Quarterly check-in",
        outcome="Happy",
        occurred_at=timezone.now() - datetime.timedelta(days=3),
    )
    roadmap = Roadmap.objects.get(account=account)
    item(roadmap, "Go-live", TODAY + datetime.timedelta(days=30), kind=ItemKind.MILESTONE)
    item(roadmap, "Late training", TODAY - datetime.timedelta(days=2))
    Roadmap.objects.create(
        account=account,
        name="Cancelled one",
        kind=PlaybookKind.RENEWAL,
        start_date=TODAY,
        status=RoadmapStatus.CANCELLED,
    )
    continuity.reassign_accounts(
        acting_user=personas.head, moves=[Move(account=account, to_user=personas.outsider)]
    )
    row = Reassignment.objects.get()

    brief = continuity.handoff_brief(account=account, reassignment=row, today=TODAY)

    assert brief.account.tier == Tier.STRATEGIC
    assert brief.reassignment == row
    assert [(member.user, member.end_date is None) for member in brief.manager_history] == [
        (personas.owner, False),
        (personas.outsider, True),
    ]
    assert brief.handoff is not None
    assert brief.handoff.client_goals == "Cut onboarding time by half"
    assert brief.stakeholders == [ada]
    assert [owner.user for owner in brief.stakeholders[0].relationship_owners.all()] == [
        personas.owner
    ]
    flags = {finding.flag for finding in brief.assessment.findings}
    assert "single_threaded" in flags
    assert [touchpoint.subject for touchpoint in brief.touchpoints] == ["Quarterly check-in"]
    # Tasks and commitments went to the new manager with the account.
    assert {(task.title, task.assignee) for task in brief.tasks} == {
        ("Send the deck", personas.outsider),
        ("Fix login", personas.teammate),
    }
    assert brief.task_count == 2
    assert [(c.title, c.owner) for c in brief.commitments] == [
        ("Training in May", personas.outsider)
    ]
    [line] = brief.roadmaps
    assert line.roadmap == roadmap
    # Four steps: the welcome pack is done; the late training is overdue.
    assert (line.total, line.done, line.late, line.progress) == (4, 1, 1, 25)
    assert line.next_title == "Go-live"
    assert line.next_due == TODAY + datetime.timedelta(days=30)


def test_a_brief_of_an_empty_account_reads_in_a_fixed_number_of_queries(
    personas: Personas, django_assert_num_queries
) -> None:
    account = AccountFactory(owner=personas.owner)
    with django_assert_num_queries(13):
        brief = continuity.handoff_brief(account=account)
    assert brief.handoff is None
    assert brief.stakeholders == [] and brief.tasks == [] and brief.roadmaps == []


def test_the_brief_prints_to_pdf(personas: Personas) -> None:
    Commitment.objects.create(
        account=personas.account, title="Training in May", owner=personas.owner
    )
    brief = continuity.handoff_brief(account=personas.account)
    page = continuity.brief_pdf_html(brief)
    assert "Northwind Traders" in page
    assert "Training in May" in page
    assert "Ada Lovelace" in page
    assert continuity.brief_pdf(brief).startswith(b"%PDF-")
