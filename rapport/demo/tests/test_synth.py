"""The synthetic book: what the benchmarks stand on must look like data the app wrote itself."""

from __future__ import annotations

import pytest
from django.db.models import Count, F, Q
from django.test import Client

from rapport.accounts.choices import TeamRole
from rapport.accounts.filters import AccountFilter
from rapport.accounts.models import Account, TeamMember
from rapport.accounts.selectors import account_list
from rapport.core.text import search_key
from rapport.demo.synth import (
    SYNTH_DOMAIN,
    SynthProgress,
    SynthResult,
    synth_account_count,
    synth_account_name,
    synth_book,
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
