"""The handoff's quality gate, its one-transaction submission and its acknowledgement."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from rapport.accounts.choices import TeamRole
from rapport.accounts.models import Account, TeamMember
from rapport.core.exceptions import NotAllowedError
from rapport.core.tests.factories import (
    AccountFactory,
    StakeholderFactory,
    TeamMemberFactory,
    UserFactory,
)
from rapport.core.tests.personas import Personas
from rapport.roadmaps import handoffs
from rapport.roadmaps.choices import (
    CommitmentSource,
    HandoffStatus,
    ItemKind,
    PlaybookKind,
)
from rapport.roadmaps.models import (
    Commitment,
    Handoff,
    Playbook,
    PlaybookItem,
    PlaybookPhase,
    Roadmap,
)
from rapport.stakeholders.choices import StakeholderStatus
from rapport.stakeholders.models import Stakeholder
from rapport.users.choices import Role
from rapport.users.models import User

pytestmark = pytest.mark.django_db

KICKOFF = datetime.date(2026, 11, 2)  # a Monday
ONE_MISSING = (
    "Add 1 more stakeholder with a decision role (decision maker, economic buyer or champion): "
    "the map has 1 of 2."
)
WRITE_GOALS = "Write the client's goals."


# Helpers shared by the handoff and commitment tests ------------------------------------------


def onboarding_playbook(*, impossible: bool = False) -> Playbook:
    """A small onboarding playbook; an impossible one has a step before the roadmap starts."""
    playbook = Playbook.objects.create(name="Mid-market onboarding", kind=PlaybookKind.ONBOARDING)
    phase = PlaybookPhase.objects.create(playbook=playbook, name="Set-up", position=1)
    PlaybookItem.objects.create(
        phase=phase,
        kind=ItemKind.MILESTONE,
        title="Kickoff",
        offset_days=0,
        owner_role=TeamRole.ACCOUNT_MANAGER,
        position=1,
    )
    PlaybookItem.objects.create(
        phase=phase,
        kind=ItemKind.TASK,
        title="Training",
        offset_days=-3 if impossible else 7,
        owner_role=TeamRole.ACCOUNT_MANAGER,
        position=2,
    )
    return playbook


def executive() -> User:
    return UserFactory(email="executive@example.com", role=Role.ACCOUNT_EXECUTIVE)


def won_account(seller: User, *, decision_people: int = 2, name: str = "Fabrikam") -> Account:
    """An account in the executive's hands, its map holding this many decision people."""
    account = AccountFactory(name=name)
    TeamMemberFactory(account=account, user=seller, role=TeamRole.ACCOUNT_EXECUTIVE)
    roles = ["decision_maker", "economic_buyer", "champion"]
    for number in range(decision_people):
        StakeholderFactory(account=account, decision_roles=[roles[number % 3]])
    return account


def handoff_data(manager: User, playbook: Playbook, **extra: Any) -> dict[str, Any]:
    return {
        "account_manager": manager,
        "what_was_sold": "Platform, 200 seats",
        "client_goals": "Cut onboarding time by half.",
        "promises": "- Weekly check-ins during the first month\n\n* A training session on site\n",
        "risks": "The CFO was lukewarm.",
        "next_steps": "Send the kickoff invitation.",
        "kickoff_date": KICKOFF,
        "playbook": playbook,
        **extra,
    }


def draft(seller: User, account: Account, manager: User, **extra: Any) -> Handoff:
    playbook = extra.pop("playbook", None) or onboarding_playbook()
    return handoffs.handoff_save_draft(
        acting_user=seller, account=account, data=handoff_data(manager, playbook, **extra)
    )


# The gate ------------------------------------------------------------------------------------


def test_the_gate_says_exactly_what_is_missing(personas: Personas) -> None:
    seller = executive()
    account = won_account(seller, decision_people=1)
    gate = handoffs.handoff_gate(account=account, client_goals="  \n ")
    assert not gate.passed
    assert gate.problems() == [ONE_MISSING, WRITE_GOALS]
    empty = handoffs.handoff_gate(account=None, client_goals="Grow")
    assert empty.problems() == [
        "Add 2 more stakeholders with a decision role (decision maker, economic buyer or "
        "champion): the map has 0 of 2."
    ]


def test_only_active_real_people_with_a_deciding_role_count_once(personas: Personas) -> None:
    seller = executive()
    account = won_account(seller, decision_people=0)
    StakeholderFactory(account=account, decision_roles=["decision_maker", "champion"])
    StakeholderFactory(account=account, decision_roles=["influencer", "user"])
    StakeholderFactory(account=account, decision_roles=["champion"], status=StakeholderStatus.LEFT)
    StakeholderFactory(account=account, decision_roles=["economic_buyer"], is_placeholder=True)
    trashed = StakeholderFactory(account=account, decision_roles=["economic_buyer"])
    Stakeholder.all_objects.filter(pk=trashed.pk).update(
        deleted_at=datetime.datetime.now(datetime.UTC)
    )
    gate = handoffs.handoff_gate(account=account, client_goals="Grow")
    assert (gate.decision_people, gate.missing_people) == (1, 1)
    # The form's unsaved changes count as the map would hold them.
    influencer = Stakeholder.objects.get(account=account, decision_roles=["influencer", "user"])
    projected = handoffs.handoff_gate(
        account=account,
        client_goals="Grow",
        role_changes={influencer.pk: ["economic_buyer"]},
        new_people=[["champion"], []],
    )
    assert projected.decision_people == 3 and projected.passed


def test_the_minimum_is_a_setting(personas: Personas, settings) -> None:  # type: ignore[no-untyped-def]
    seller = executive()
    account = won_account(seller, decision_people=2)
    settings.RAPPORT_HANDOFF_MIN_DECISION_MAKERS = 3
    handoff = draft(seller, account, personas.outsider)
    with pytest.raises(ValidationError) as refused:
        handoffs.handoff_submit(handoff=handoff, acting_user=seller)
    assert refused.value.messages == [
        "Add 1 more stakeholder with a decision role (decision maker, economic buyer or "
        "champion): the map has 2 of 3."
    ]
    settings.RAPPORT_HANDOFF_MIN_DECISION_MAKERS = 0
    bare = won_account(seller, decision_people=0)
    submitted = handoffs.handoff_submit(
        handoff=draft(seller, bare, personas.outsider), acting_user=seller
    )
    assert submitted.status == HandoffStatus.SUBMITTED


def test_a_refused_submission_writes_nothing(personas: Personas) -> None:
    seller = executive()
    account = won_account(seller, decision_people=1)
    handoff = draft(seller, account, personas.outsider, client_goals="")
    teams_before = TeamMember.objects.count()
    with pytest.raises(ValidationError) as refused:
        handoffs.handoff_submit(handoff=handoff, acting_user=seller)
    assert refused.value.messages == [ONE_MISSING, WRITE_GOALS]
    handoff.refresh_from_db()
    account.refresh_from_db()
    assert handoff.status == HandoffStatus.DRAFT and handoff.submitted_at is None
    assert account.owner is None and account.originating_executive is None
    assert not Roadmap.objects.exists() and not Commitment.objects.exists()
    assert TeamMember.objects.count() == teams_before


def test_a_refused_submission_from_the_form_leaves_no_account_and_no_people(
    personas: Personas,
) -> None:
    seller = executive()
    accounts_before = Account.objects.count()
    with pytest.raises(ValidationError):
        handoffs.handoff_record(
            acting_user=seller,
            handoff=None,
            account=None,
            new_account={"name": "Tailspin Toys", "tier": "key", "segment": "enterprise"},
            data=handoff_data(personas.outsider, onboarding_playbook()),
            new_people=[{"first_name": "Li", "last_name": "Wei", "decision_roles": ["champion"]}],
            submit=True,
        )
    assert Account.objects.count() == accounts_before
    assert not Stakeholder.objects.filter(last_name="Wei").exists()
    assert not Handoff.objects.exists()


def test_the_draft_may_be_saved_while_the_gate_is_not_met(personas: Personas) -> None:
    seller = executive()
    handoff = handoffs.handoff_record(
        acting_user=seller,
        handoff=None,
        account=None,
        new_account={
            "name": "Tailspin Toys",
            "tier": "key",
            "segment": "enterprise",
            "domain": "Tailspin.example",
        },
        data=handoff_data(personas.outsider, onboarding_playbook(), client_goals=""),
        new_people=[{"first_name": "Li", "last_name": "Wei", "decision_roles": ["champion"]}],
    )
    assert handoff.status == HandoffStatus.DRAFT
    account = handoff.account
    assert (account.name, account.tier, account.domain) == (
        "Tailspin Toys",
        "key",
        "tailspin.example",
    )
    assert account.originating_executive == seller and account.owner is None
    assert Stakeholder.objects.get(account=account).decision_roles == ["champion"]


# Submission ----------------------------------------------------------------------------------


def test_submitting_at_the_minimum_hands_the_client_over(personas: Personas) -> None:
    seller = executive()
    account = won_account(seller, decision_people=2)
    manager = personas.outsider
    handoff = draft(seller, account, manager)
    submitted = handoffs.handoff_submit(handoff=handoff, acting_user=seller)
    account.refresh_from_db()
    assert submitted.status == HandoffStatus.SUBMITTED and submitted.submitted_at is not None
    assert account.owner == manager and account.originating_executive == seller
    current = {(m.user_id, m.role) for m in TeamMember.objects.current().filter(account=account)}
    assert {
        (seller.pk, TeamRole.ACCOUNT_EXECUTIVE),
        (manager.pk, TeamRole.ACCOUNT_MANAGER),
    } <= current
    roadmap = submitted.roadmap
    assert roadmap is not None and roadmap.account == account and roadmap.start_date == KICKOFF
    assert roadmap.items.get(title="Kickoff").owner_user == manager
    promises = list(Commitment.objects.filter(handoff=submitted).order_by("id"))
    assert [c.title for c in promises] == [
        "Weekly check-ins during the first month",
        "A training session on site",
    ]
    assert all(c.owner == manager and c.source == CommitmentSource.HANDOFF for c in promises)
    with pytest.raises(ValidationError):
        handoffs.handoff_submit(handoff=submitted, acting_user=seller)


def test_a_failure_while_starting_the_roadmap_undoes_the_whole_submission(
    personas: Personas,
) -> None:
    seller = executive()
    account = won_account(seller, decision_people=2)
    previous_owner = UserFactory(role=Role.ACCOUNT_MANAGER)
    Account.objects.filter(pk=account.pk).update(owner=previous_owner)
    handoff = draft(
        seller, account, personas.outsider, playbook=onboarding_playbook(impossible=True)
    )
    teams_before = list(TeamMember.objects.order_by("id").values_list("id", "end_date"))
    with pytest.raises(ValidationError):
        handoffs.handoff_submit(handoff=handoff, acting_user=seller)
    account.refresh_from_db()
    handoff.refresh_from_db()
    assert account.owner == previous_owner and account.originating_executive is None
    assert handoff.status == HandoffStatus.DRAFT and handoff.roadmap is None
    assert not Roadmap.objects.exists() and not Commitment.objects.exists()
    assert list(TeamMember.objects.order_by("id").values_list("id", "end_date")) == teams_before


def test_the_handoff_names_only_who_may_receive_and_what_is_offered(personas: Personas) -> None:
    seller = executive()
    account = won_account(seller)
    with pytest.raises(ValidationError) as refused:
        draft(seller, account, personas.teammate)
    assert "account_manager" in refused.value.message_dict
    retired = onboarding_playbook()
    Playbook.objects.filter(pk=retired.pk).update(is_active=False)
    with pytest.raises(ValidationError) as hidden:
        draft(seller, account, personas.owner, playbook=retired)
    assert "playbook" in hidden.value.message_dict


def test_an_executive_off_the_account_team_is_told_so(personas: Personas) -> None:
    seller = executive()
    with pytest.raises(ValidationError) as refused:
        draft(seller, personas.other_account, personas.owner)
    assert "not on the team of Contoso" in refused.value.message_dict["account"][0]
    with pytest.raises(NotAllowedError):
        draft(personas.owner, personas.account, personas.owner)


def test_the_form_sets_decision_roles_of_people_already_on_the_map(personas: Personas) -> None:
    seller = executive()
    account = won_account(seller, decision_people=1)
    user_role = StakeholderFactory(account=account, decision_roles=["user"])
    handoff = handoffs.handoff_record(
        acting_user=seller,
        handoff=None,
        account=account,
        new_account=None,
        data=handoff_data(personas.outsider, onboarding_playbook()),
        role_changes={user_role.pk: ["user", "champion"]},
        submit=True,
    )
    user_role.refresh_from_db()
    assert user_role.decision_roles == ["champion", "user"]
    assert handoff.status == HandoffStatus.SUBMITTED


# Acknowledgement -----------------------------------------------------------------------------


def submitted_handoff(personas: Personas, seller: User | None = None) -> Handoff:
    seller = seller or executive()
    account = won_account(seller)
    return handoffs.handoff_submit(
        handoff=draft(seller, account, personas.outsider), acting_user=seller
    )


def test_only_the_named_account_manager_may_acknowledge(personas: Personas) -> None:
    handoff = submitted_handoff(personas)
    for someone_else in (personas.owner, personas.head, personas.admin, handoff.executive):
        with pytest.raises(NotAllowedError):
            handoffs.handoff_acknowledge(handoff=handoff, acting_user=someone_else, note="Mine")
    handoff.refresh_from_db()
    assert handoff.status == HandoffStatus.SUBMITTED
    assert handoff.acknowledged_at is None and handoff.acknowledgement_note == ""


def test_acknowledging_tells_the_executive_once_after_commit(
    personas: Personas, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    seller = executive()
    seller.language = "fr"
    seller.first_name = "Claire"
    seller.save()
    handoff = submitted_handoff(personas, seller)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        acknowledged = handoffs.handoff_acknowledge(
            handoff=handoff, acting_user=personas.outsider, note="  On it: kickoff booked.  "
        )
    assert mail.outbox == []  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()
    assert acknowledged.status == HandoffStatus.ACKNOWLEDGED
    assert acknowledged.acknowledged_at is not None
    assert acknowledged.acknowledgement_note == "On it: kickoff booked."
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [seller.email]
    assert "Fabrikam" in message.subject and str(personas.outsider) in message.subject
    assert "On it: kickoff booked." in message.body
    assert f"/handoffs/{handoff.pk}/" in message.body
    # Written in the executive's language: the date's month is French.
    months = (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    )
    assert any(month in message.body for month in months)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError, match="already acknowledged"),
    ):
        handoffs.handoff_acknowledge(handoff=handoff, acting_user=personas.outsider)
    assert len(mail.outbox) == 1


def test_submitting_tells_the_account_manager(
    personas: Personas, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    seller = executive()
    account = won_account(seller)
    handoff = draft(seller, account, personas.outsider)
    with django_capture_on_commit_callbacks(execute=True):
        handoffs.handoff_submit(handoff=handoff, acting_user=seller)
    assert [message.to for message in mail.outbox] == [[personas.outsider.email]]
    assert "Fabrikam" in mail.outbox[0].subject


def test_a_draft_cannot_be_acknowledged(personas: Personas) -> None:
    seller = executive()
    handoff = draft(seller, won_account(seller), personas.outsider)
    with pytest.raises(ValidationError, match="not been submitted"):
        handoffs.handoff_acknowledge(handoff=handoff, acting_user=personas.outsider)
