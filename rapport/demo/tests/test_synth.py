"""The synthetic book: what the benchmarks stand on must look like data the app wrote itself."""

from __future__ import annotations

import pytest
from django.db.models import Count, F, Q
from django.test import Client

from rapport.accounts.choices import TeamRole
from rapport.accounts.filters import AccountFilter
from rapport.accounts.models import Account, TeamMember
from rapport.accounts.selectors import account_list
from rapport.communications.choices import Sentiment, TouchpointKind
from rapport.communications.models import (
    CadenceRule,
    RelationshipStrength,
    Task,
    Touchpoint,
    TouchpointStakeholder,
    TouchpointUser,
)
from rapport.communications.selectors import my_accounts
from rapport.communications.services import refresh_book, touchpoint_create
from rapport.core.text import search_key
from rapport.demo.synth import (
    SYNTH_DOMAIN,
    TODAY_USER_EMAIL,
    CommunicationsProgress,
    CommunicationsResult,
    SynthProgress,
    SynthResult,
    synth_account_count,
    synth_account_name,
    synth_accounts_without_log,
    synth_book,
    synth_busy_accounts,
    synth_communications,
)
from rapport.stakeholders.models import Stakeholder
from rapport.users.choices import Role
from rapport.users.models import User

pytestmark = pytest.mark.django_db

ACCOUNTS = 20
USERS = 12


def _load() -> SynthResult:
    """A small book, in batches smaller than the book so that several transactions run."""
    return synth_book(accounts=ACCOUNTS, users=USERS, batch_size=8)


def test_load_creates_accounts_people_teams_and_users() -> None:
    progress: list[SynthProgress] = []
    result = synth_book(accounts=ACCOUNTS, users=USERS, batch_size=8, on_progress=progress.append)

    assert result.accounts == ACCOUNTS == Account.objects.count() == synth_account_count()
    assert result.stakeholders == Stakeholder.objects.count()
    assert ACCOUNTS * 7 <= result.stakeholders <= ACCOUNTS * 13
    assert result.team_members == TeamMember.objects.count()
    assert result.users_created == USERS == User.objects.count()
    assert [step.accounts_done for step in progress] == [8, 16, 20]
    assert User.objects.filter(email="synth-user-0001@synth.example").exists()
    assert User.objects.filter(role=Role.ACCOUNT_MANAGER).count() > USERS // 2
    assert not User.objects.filter(email__endswith=SYNTH_DOMAIN).first().has_usable_password()


def test_every_account_has_one_reporting_tree_within_itself() -> None:
    _load()

    per_account = Account.objects.annotate(
        people=Count("stakeholders"),
        tops=Count("stakeholders", filter=Q(stakeholders__reports_to__isnull=True)),
    )
    assert all(account.people >= 7 and account.tops == 1 for account in per_account)
    reporting = Stakeholder.objects.filter(reports_to__isnull=False)
    assert reporting.count() == Stakeholder.objects.count() - ACCOUNTS
    assert not reporting.exclude(reports_to__account=F("account")).exists()
    # Three levels: whoever has a manager either reports to the top person or to one of theirs.
    assert not reporting.filter(reports_to__reports_to__reports_to__isnull=False).exists()


def test_derived_fields_are_those_save_would_set() -> None:
    _load()
    account = Account.objects.order_by("id").first()
    assert account.search_name == search_key(account.name)
    assert account.domain.endswith("." + SYNTH_DOMAIN)
    people = list(Stakeholder.objects.filter(account=account))
    before = [(p.search_name, p.search_last_name, p.email) for p in people]

    for person in people:
        person.save()

    after = [
        (p.search_name, p.search_last_name, p.email)
        for p in Stakeholder.objects.filter(account=account)
    ]
    assert after == before
    assert all(person.email == person.email.lower() and person.search_name for person in people)


def test_accounts_are_found_by_name_prefix_on_the_page_and_in_the_selector() -> None:
    _load()
    account = Account.objects.order_by("-id").first()
    user = Account.objects.exclude(owner=None).first().owner
    prefix = account.name[:3]

    found = account_list(user=user, filters=AccountFilter(q=prefix.upper()))
    assert account in found
    assert all(other.search_name.startswith(prefix.lower()) for other in found)

    client = Client()
    client.force_login(user)
    response = client.get("/accounts/", {"q": prefix})
    assert response.status_code == 200
    assert account.name in response.content.decode()


def test_owners_are_account_managers_on_their_accounts_team() -> None:
    _load()

    owned = Account.objects.exclude(owner=None)
    assert owned.exists()
    for account in owned:
        assert TeamMember.objects.filter(
            account=account, user_id=account.owner_id, role=TeamRole.ACCOUNT_MANAGER
        ).exists()
    assert TeamMember.objects.exclude(role=TeamRole.ACCOUNT_MANAGER).exists()


def test_running_twice_adds_more_without_reusing_names_or_users() -> None:
    _load()
    second = synth_book(accounts=ACCOUNTS, users=USERS, seed=1, batch_size=8)

    assert second.users_created == 0
    assert User.objects.count() == USERS
    assert Account.objects.count() == 2 * ACCOUNTS
    assert Account.objects.values("search_name").distinct().count() == 2 * ACCOUNTS
    assert Account.objects.values("domain").distinct().count() == 2 * ACCOUNTS


def test_a_load_after_a_gap_skips_names_already_taken() -> None:
    _load()
    # With one account gone, counting gives a serial that is still in use.
    gone = Account.objects.order_by("id").first()
    Stakeholder.all_objects.filter(account=gone).delete()
    TeamMember.objects.filter(account=gone).delete()
    gone.delete()

    _load()

    assert Account.objects.count() == 2 * ACCOUNTS - 1
    assert Account.objects.values("domain").distinct().count() == 2 * ACCOUNTS - 1
    assert Account.objects.values("search_name").distinct().count() == 2 * ACCOUNTS - 1


def test_no_history_is_written_for_synthetic_rows() -> None:
    _load()

    assert not Account.history.exists()
    assert not Stakeholder.history.exists()
    assert not TeamMember.history.exists()


def test_serials_give_distinct_names() -> None:
    names = {synth_account_name(serial) for serial in range(20_000)}

    assert len(names) == 20_000
    assert len({name[:2] for name in names}) == 70


# The communications log


def _load_log() -> CommunicationsResult:
    synth_book(accounts=ACCOUNTS, users=USERS, batch_size=8)
    return synth_communications(touchpoints=2_000, busy_touchpoints=500, batch_size=6)


def test_the_log_spreads_the_touchpoints_asked_for_with_one_busy_account() -> None:
    progress: list[CommunicationsProgress] = []
    synth_book(accounts=ACCOUNTS, users=USERS, batch_size=8)
    result = synth_communications(
        touchpoints=2_000, busy_touchpoints=500, batch_size=6, on_progress=progress.append
    )

    assert result.touchpoints == 2_000 == Touchpoint.objects.count()
    assert [step.accounts_done for step in progress] == [6, 12, 18, 20]
    per_account = dict(
        Touchpoint.objects.values("account").annotate(n=Count("id")).values_list("account", "n")
    )
    busy = synth_busy_accounts(at_least=500)
    assert len(busy) == 1
    assert per_account[busy[0]] == 500
    assert Touchpoint.objects.filter(kind=TouchpointKind.NOTE).exists()
    assert Touchpoint.objects.filter(sentiment=Sentiment.NEGATIVE).exists()
    assert result.tasks == Task.objects.count() > 0
    # Nothing is left to fill: a second run adds nothing.
    assert synth_accounts_without_log() == []
    assert synth_communications().touchpoints == 0


def test_participants_belong_to_the_account_and_copy_the_touchpoint() -> None:
    _load_log()

    people = TouchpointStakeholder.objects.values("touchpoint").annotate(n=Count("id"))
    assert {row["n"] for row in people} <= {1, 2, 3}
    ours = TouchpointUser.objects.values("touchpoint").annotate(n=Count("id"))
    assert {row["n"] for row in ours} <= {1, 2}
    assert not TouchpointStakeholder.objects.exclude(
        stakeholder__account=F("touchpoint__account")
    ).exists()
    assert not TouchpointStakeholder.objects.exclude(
        occurred_at=F("touchpoint__occurred_at")
    ).exists()
    assert not TouchpointUser.objects.exclude(occurred_at=F("touchpoint__occurred_at")).exists()
    notes = TouchpointStakeholder.objects.filter(touchpoint__kind=TouchpointKind.NOTE)
    assert notes.exists()
    assert not notes.filter(is_exchange=True).exists()
    assert not TouchpointStakeholder.objects.filter(
        is_exchange=False, touchpoint__kind=TouchpointKind.CALL
    ).exists()


def test_derived_columns_are_what_the_services_compute() -> None:
    _load_log()
    accounts = list(Account.objects.order_by("pk").values_list("pk", "last_contact_at"))
    people = list(Stakeholder.all_objects.order_by("pk").values_list("pk", "last_contact_at"))
    rules = list(
        CadenceRule.objects.order_by("account", "kind").values_list(
            "account", "kind", "last_done_at", "next_due_on"
        )
    )
    strengths = sorted(
        RelationshipStrength.objects.values_list(
            "user", "stakeholder", "shared_touchpoints", "last_contact_at", "strength"
        )
    )
    assert rules
    assert strengths
    assert Account.objects.filter(last_contact_at__isnull=False).exists()

    refresh_book()

    assert list(Account.objects.order_by("pk").values_list("pk", "last_contact_at")) == accounts
    assert (
        list(Stakeholder.all_objects.order_by("pk").values_list("pk", "last_contact_at")) == people
    )
    assert (
        list(
            CadenceRule.objects.order_by("account", "kind").values_list(
                "account", "kind", "last_done_at", "next_due_on"
            )
        )
        == rules
    )
    assert (
        sorted(
            RelationshipStrength.objects.values_list(
                "user", "stakeholder", "shared_touchpoints", "last_contact_at", "strength"
            )
        )
        == strengths
    )


def test_the_today_user_looks_after_the_book_and_the_app_writes_after_the_load() -> None:
    _load_log()
    user = User.objects.get(email=TODAY_USER_EMAIL)
    assert my_accounts(user=user).count() == ACCOUNTS  # all of them, fewer than 500

    # Ids were handed out by the loader; the next touchpoint logged by hand still gets one.
    account = Account.objects.order_by("pk").first()
    assert account is not None
    logged = touchpoint_create(
        acting_user=User.objects.filter(role=Role.ACCOUNT_MANAGER).first(),
        account=account,
        data={"kind": TouchpointKind.CALL, "subject": "After the load"},
    )
    assert logged.pk > Touchpoint.objects.exclude(pk=logged.pk).order_by("-pk").first().pk
