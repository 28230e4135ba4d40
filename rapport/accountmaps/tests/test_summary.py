"""Stored summaries: bulk equals one by one, kept current on commit, listed, sorted and shown."""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rapport.accountmaps import services
from rapport.accountmaps.models import AccountMapSummary
from rapport.accountmaps.risk import assess_account
from rapport.accountmaps.services import refresh_all_summaries, refresh_summary
from rapport.accounts.models import Account
from rapport.communications.choices import TouchpointKind
from rapport.communications.services import touchpoint_create
from rapport.core.tests.factories import (
    AccountFactory,
    StakeholderFactory,
    TeamMemberFactory,
    UserFactory,
)
from rapport.core.tests.personas import Personas
from rapport.stakeholders.choices import DecisionRole, Influence, Stance
from rapport.stakeholders.models import RelationshipOwner, Stakeholder
from rapport.stakeholders.services import stakeholder_delete, stakeholder_update
from rapport.users.models import User
from rapport.users.services import api_token_create

pytestmark = pytest.mark.django_db


def random_book(rng: random.Random, accounts: int, users: list[User]) -> list[Account]:
    """Accounts with every kind of map: empty, one person, owned or not, people who left."""
    book = []
    roles = [role.value for role in DecisionRole]
    for index in range(accounts):
        account = AccountFactory(name=f"Book {index:02d}")
        for _person in range(rng.choice([0, 1, 2, 3, 5, 8])):
            person = StakeholderFactory(
                account=account,
                decision_roles=rng.sample(roles, rng.choice([0, 1, 1, 2])),
                stance=rng.choice(["", *Stance.values]),
                influence=rng.choice(["", *Influence.values]),
                status="left" if rng.random() < 0.2 else "active",
            )
            for user in rng.sample(users, rng.choice([0, 0, 1, 1, 2])):
                RelationshipOwner.objects.create(stakeholder=person, user=user)
        book.append(account)
    return book


def stored(account: Account) -> tuple[int, list[str]]:
    summary = AccountMapSummary.objects.get(account=account)
    return summary.coverage, list(summary.risk_flags)


def test_bulk_refresh_equals_one_by_one_and_the_live_assessment() -> None:
    users = [UserFactory() for _index in range(3)]
    book = random_book(random.Random(7), accounts=25, users=users)

    assert refresh_all_summaries(batch_size=4) == 25
    in_bulk = {account.pk: stored(account) for account in book}
    for account in book:
        one = refresh_summary(account.pk)
        assessment = assess_account(account)
        assert in_bulk[account.pk] == (one.coverage, one.risk_flags)
        assert in_bulk[account.pk] == (assessment.coverage, assessment.flags)
    # The random book exercised every flag and more than one coverage score.
    flags = {flag for _coverage, account_flags in in_bulk.values() for flag in account_flags}
    assert len(flags) == 7
    assert len({coverage for coverage, _flags in in_bulk.values()}) > 2


def test_bulk_refresh_reads_a_batch_in_a_fixed_number_of_queries() -> None:
    users = [UserFactory() for _index in range(3)]
    random_book(random.Random(3), accounts=6, users=users)
    with CaptureQueriesContext(connection) as small:
        refresh_all_summaries(batch_size=100)
    random_book(random.Random(4), accounts=30, users=users)
    with CaptureQueriesContext(connection) as large:
        refresh_all_summaries(batch_size=100)
    assert len(small.captured_queries) == len(large.captured_queries)


def test_refreshing_overwrites_the_stored_summary() -> None:
    account = AccountFactory()
    assert stored_after(account) == (0, ["single_threaded", "no_champion"])
    champion = StakeholderFactory(account=account, decision_roles=["champion"])
    other = StakeholderFactory(account=account)
    RelationshipOwner.objects.create(stakeholder=champion, user=UserFactory())
    RelationshipOwner.objects.create(stakeholder=other, user=UserFactory())
    assert stored_after(account) == (25, [])
    assert AccountMapSummary.objects.count() == 1


def stored_after(account: Account) -> tuple[int, list[str]]:
    summary = refresh_summary(account.pk)
    return summary.coverage, summary.risk_flags


def test_refreshing_an_unknown_account_is_refused() -> None:
    with pytest.raises(Account.DoesNotExist):
        refresh_summary(123456)


# Kept current on commit: these tests commit for real, as the refresh waits for the commit.

committed = pytest.mark.django_db(transaction=True)


@committed
def test_making_someone_a_champion_clears_no_champion(personas: Personas) -> None:
    account = personas.account
    assert "no_champion" in stored(account)[1]

    stakeholder_update(
        stakeholder=personas.stakeholder,
        acting_user=personas.owner,
        data={"decision_roles": ["champion"]},
        expected_version=None,
    )

    assert "no_champion" not in stored(account)[1]


@committed
def test_owners_and_the_trash_move_coverage(personas: Personas) -> None:
    account = personas.account
    buyer = StakeholderFactory(account=account, decision_roles=["economic_buyer"])

    owner = RelationshipOwner.objects.create(stakeholder=buyer, user=personas.owner)
    assert stored(account)[0] == 25

    owner.delete()
    assert stored(account) == (
        0,
        ["no_champion", "unowned_decision_maker", "disengaged_decision_maker"],
    )

    stakeholder_delete(stakeholder=buyer, acting_user=personas.owner)
    # Ada alone is left on the map.
    assert stored(account) == (0, ["single_threaded", "no_champion"])


@committed
def test_logging_an_exchange_with_a_quiet_decision_maker_clears_the_flag(
    personas: Personas,
) -> None:
    account = personas.account
    stakeholder_update(
        stakeholder=personas.stakeholder,
        acting_user=personas.owner,
        data={"decision_roles": ["decision_maker"]},
        expected_version=None,
    )
    assert "disengaged_decision_maker" in stored(account)[1]

    touchpoint_create(
        acting_user=personas.owner,
        account=account,
        data={
            "kind": TouchpointKind.CALL,
            "subject": "Renewal",
            "occurred_at": timezone.now() - datetime.timedelta(hours=1),
        },
        stakeholders=[personas.stakeholder],
    )

    assert "disengaged_decision_maker" not in stored(account)[1]


@committed
def test_a_new_account_is_assessed_on_commit() -> None:
    account = AccountFactory()
    assert stored(account) == (0, ["single_threaded", "no_champion"])


@committed
def test_nothing_is_computed_before_the_commit(personas: Personas) -> None:
    with transaction.atomic():
        StakeholderFactory(account=personas.account, decision_roles=["champion"])
        assert "no_champion" in stored(personas.account)[1]
    assert "no_champion" not in stored(personas.account)[1]


@pytest.fixture
def refreshes(monkeypatch: pytest.MonkeyPatch) -> list[set[int]]:
    """The account ids of each refresh the signals start."""
    calls: list[set[int]] = []
    refresh = services.refresh_summaries

    def counting(*, account_ids: Any) -> Any:
        calls.append(set(account_ids))
        return refresh(account_ids=account_ids)

    monkeypatch.setattr(services, "refresh_summaries", counting)
    return calls


@committed
def test_each_account_is_refreshed_once_per_transaction(
    personas: Personas, refreshes: list[set[int]]
) -> None:
    other = personas.other_account
    with transaction.atomic():
        people = [StakeholderFactory(account=personas.account) for _index in range(3)]
        for person in people:
            RelationshipOwner.objects.create(stakeholder=person, user=personas.owner)
        StakeholderFactory(account=other, decision_roles=["champion"])

    assert refreshes == [{personas.account.pk, other.pk}]
    assert stored(personas.account)[1] == ["single_threaded", "no_champion"]
    assert stored(other)[1] == ["single_threaded"]


@committed
def test_work_rolled_back_is_not_refreshed_and_does_not_stop_the_rest(
    personas: Personas, refreshes: list[set[int]]
) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        StakeholderFactory(account=personas.other_account)
        raise RuntimeError("rolled back")
    assert refreshes == []

    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            StakeholderFactory(account=personas.other_account)
            raise RuntimeError("savepoint rolled back")
        StakeholderFactory(account=personas.account, decision_roles=["champion"])

    assert refreshes == [{personas.account.pk}]
    assert "no_champion" not in stored(personas.account)[1]


@committed
def test_outside_a_transaction_each_save_refreshes_at_once() -> None:
    account = AccountFactory()
    assert stored(account) == (0, ["single_threaded", "no_champion"])
    champion = StakeholderFactory(account=account, decision_roles=["champion"])
    assert stored(account) == (0, ["single_threaded"])
    RelationshipOwner.objects.create(stakeholder=champion, user=UserFactory())
    assert stored(account) == (25, ["single_threaded"])


# The account list


@pytest.fixture
def ranked(personas: Personas) -> dict[str, Account]:
    """Four accounts whose stored summaries are known; one has none yet."""
    now = timezone.now()
    accounts = {}
    for name, coverage, flags in (
        ("Alpha", 0, ["no_champion", "single_threaded"]),
        ("Bravo", 100, []),
        ("Charlie", 50, ["no_champion"]),
        ("Delta", None, None),
    ):
        accounts[name] = AccountFactory(name=name, owner=personas.owner)
        if coverage is not None:
            AccountMapSummary.objects.create(
                account=accounts[name], coverage=coverage, risk_flags=flags, computed_at=now
            )
    return accounts


def names_on_page(client: Client, query: str) -> list[str]:
    response = client.get(f"/accounts/?owner={client.owner_pk}&{query}")  # type: ignore[attr-defined]
    assert response.status_code == 200
    return [account.name for account in response.context["page"].object_list]


@pytest.fixture
def owner_client(client: Client, personas: Personas) -> Client:
    client.force_login(personas.owner)
    client.owner_pk = personas.owner.pk  # type: ignore[attr-defined]
    return client


def test_the_list_filters_by_risk_and_sorts_by_coverage(
    owner_client: Client, ranked: dict[str, Account]
) -> None:
    # Northwind Traders (the personas' account) has no summary either: it counts as 0.
    assert names_on_page(owner_client, "sort=coverage") == [
        "Alpha",
        "Delta",
        "Northwind Traders",
        "Charlie",
        "Bravo",
    ]
    assert names_on_page(owner_client, "sort=-coverage")[:2] == ["Bravo", "Charlie"]
    assert names_on_page(owner_client, "risk=no_champion&sort=coverage") == ["Alpha", "Charlie"]
    assert names_on_page(owner_client, "risk=single_threaded") == ["Alpha"]


def test_the_list_shows_coverage_badges_and_accounts_not_assessed_yet(
    owner_client: Client, ranked: dict[str, Account]
) -> None:
    page = owner_client.get("/accounts/").content.decode()
    assert 'name="risk"' in page and '<option value="no_champion"' in page
    assert "not assessed yet" in page
    assert '<span class="badge danger risk-no_champion">No champion</span>' in page


def test_an_unknown_risk_is_reported_and_ignored(
    owner_client: Client, ranked: dict[str, Account]
) -> None:
    response = owner_client.get("/accounts/?risk=kingmaker")
    assert response.context["invalid"] == ["risk"]
    assert len(response.context["page"].object_list) == 6  # every account, unfiltered


def test_the_api_filters_by_risk_and_sorts_by_coverage(
    client: Client, personas: Personas, ranked: dict[str, Account]
) -> None:
    _token, raw = api_token_create(user=personas.owner, name="t")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    response = client.get("/api/v1/accounts?risk=no_champion&sort=-coverage", **headers)  # type: ignore[arg-type]
    assert response.status_code == 200
    assert [item["name"] for item in response.json()["results"]] == ["Charlie", "Alpha"]
    refused = client.get("/api/v1/accounts?risk=kingmaker", **headers)  # type: ignore[arg-type]
    assert refused.status_code == 422


def grow_book(owner: User, accounts: int, people_per_account: int) -> Account:
    last = None
    for index in range(accounts):
        last = AccountFactory(name=f"Norbert {index:03d}", owner=owner)
        TeamMemberFactory(account=last, user=owner, role="account_manager")
        manager = None
        for number in range(people_per_account):
            manager = StakeholderFactory(
                account=last,
                reports_to=manager,
                decision_roles=["decision_maker"] if number == 0 else ["champion"],
                status="left" if number == 1 else "active",
            )
            RelationshipOwner.objects.create(stakeholder=manager, user=UserFactory())
    assert last is not None
    refresh_all_summaries()
    return last


PAGES: dict[str, Callable[[User, Account], str]] = {
    "list by risk, by coverage": lambda user, account: (
        "/accounts/?risk=champion_left&sort=coverage"
    ),
    "list by coverage, best first": lambda user, account: (
        f"/accounts/?owner={user.pk}&sort=-coverage"
    ),
    "account 360 with its risks": lambda user, account: f"/accounts/{account.pk}/",
    "api list by risk": lambda user, account: "/api/v1/accounts?risk=champion_left&sort=coverage",
}


@pytest.mark.parametrize("page", PAGES)
def test_pages_with_risk_and_coverage_run_a_fixed_number_of_queries(
    client: Client, page: str
) -> None:
    user = UserFactory()
    client.force_login(user)
    url = PAGES[page](user, grow_book(user, accounts=2, people_per_account=2))
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    url = PAGES[page](user, grow_book(user, accounts=8, people_per_account=6))
    client.get(url)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.status_code == 200
    if "list" in page and "api" not in page:
        assert len(response.context["page"].object_list) >= 8
    # The 360° page also carries one card per capability built above accounts.
    budget = 16 if page.startswith("account 360") else 12
    assert len(small.captured_queries) == len(large.captured_queries) <= budget


# The 360° page


def test_the_360_page_explains_each_risk_and_links_the_people(
    client: Client, personas: Personas
) -> None:
    account = personas.account
    gone = StakeholderFactory(
        account=account,
        first_name="Grace",
        last_name="Gone",
        decision_roles=["champion"],
        status="left",
    )
    buyer = StakeholderFactory(
        account=account, first_name="Bill", last_name="Budget", decision_roles=["economic_buyer"]
    )
    owned = StakeholderFactory(
        account=account, first_name="Tess", last_name="Tech", decision_roles=["technical_evaluator"]
    )
    RelationshipOwner.objects.create(stakeholder=owned, user=personas.teammate)
    client.force_login(personas.read_only)

    page = client.get(f"/accounts/{account.pk}/").content.decode()

    assert "Relationship risk" in page
    assert "Coverage: 25 / 100" in page
    assert "A champion has left the company" in page
    assert f'<a href="{gone.get_absolute_url()}">Grace Gone</a>' in page
    assert "Nobody on our side owns the relationship with a decision maker" in page
    assert f'<a href="{buyer.get_absolute_url()}">Bill Budget</a>' in page
    assert f"owned by {personas.teammate}" in page
    assert "Only one person at the client has an owner on our side" in page


def test_the_360_page_of_a_well_covered_account_says_so(client: Client, personas: Personas) -> None:
    account = personas.account
    roles = ["economic_buyer", "decision_maker", "champion", "technical_evaluator"]
    for index, role in enumerate(roles):
        person = StakeholderFactory(
            account=account, decision_roles=[role], last_contact_at=timezone.now()
        )
        RelationshipOwner.objects.create(
            stakeholder=person, user=[personas.owner, personas.teammate][index % 2]
        )
    client.force_login(personas.owner)

    page = client.get(f"/accounts/{account.pk}/").content.decode()

    assert "Coverage: 100 / 100" in page
    assert "No relationship risk found." in page


# The command


def test_the_command_refreshes_every_account_or_those_named(personas: Personas) -> None:
    out = StringIO()
    call_command("refresh_map_summaries", batch_size=1, stdout=out)
    assert "Refreshed 2 accounts" in out.getvalue()
    assert AccountMapSummary.objects.count() == Account.objects.count() == 2

    Stakeholder.objects.filter(pk=personas.stakeholder.pk).update(decision_roles=",champion,")
    call_command("refresh_map_summaries", account=[personas.account.pk], stdout=StringIO())
    assert "no_champion" not in stored(personas.account)[1]


# The synthetic book


def test_a_synthetic_book_comes_with_believable_maps_and_their_summaries() -> None:
    from rapport.demo.synth import synth_book

    synth_book(accounts=40, users=12, batch_size=16)

    assert AccountMapSummary.objects.count() == Account.objects.count() == 40
    loaded = {summary.account_id: summary for summary in AccountMapSummary.objects.all()}
    assert RelationshipOwner.objects.exists()
    assert Stakeholder.objects.filter(decision_roles__has="champion").exists()
    assert Stakeholder.objects.filter(status="left").exists()
    # Computed in bulk while loading, the summaries are those a refresh would store.
    refresh_all_summaries()
    for summary in AccountMapSummary.objects.all():
        before = loaded[summary.account_id]
        assert (before.coverage, before.risk_flags) == (summary.coverage, summary.risk_flags)
    assert len({summary.coverage for summary in loaded.values()}) > 2
    assert len({flag for summary in loaded.values() for flag in summary.risk_flags}) >= 4


@committed
def test_a_person_made_primary_elsewhere_leaves_the_old_account_reassessed(
    personas: Personas,
) -> None:
    from rapport.stakeholders.services import account_link_add, stakeholder_make_primary

    champion = personas.stakeholder
    stakeholder_update(
        stakeholder=champion,
        acting_user=personas.owner,
        data={"decision_roles": ["champion"]},
        expected_version=None,
    )
    assert "no_champion" not in stored(personas.account)[1]
    link = account_link_add(
        stakeholder=champion, account=personas.other_account, acting_user=personas.admin
    )
    stakeholder_make_primary(link=link, acting_user=personas.admin)
    assert "no_champion" in stored(personas.account)[1]
    assert "no_champion" not in stored(personas.other_account)[1]
