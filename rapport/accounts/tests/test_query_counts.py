"""The pages the benchmark measures run a fixed number of queries, whatever the number of rows."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from rapport.accounts.models import Account
from rapport.core.tests.factories import (
    AccountFactory,
    StakeholderFactory,
    TeamMemberFactory,
    UserFactory,
)
from rapport.users.models import User


def queries_for(client: Client, url: str) -> int:
    client.get(url)  # warm up: the first request of a session does one-off bookkeeping
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def grow_book(owner: User, accounts: int, people_per_account: int) -> Account:
    last = None
    for index in range(accounts):
        last = AccountFactory(name=f"Norbert {index:03d}", owner=owner)
        TeamMemberFactory(account=last, user=owner, role="account_manager")
        TeamMemberFactory(account=last)
        manager = None
        for _person in range(people_per_account):
            manager = StakeholderFactory(account=last, reports_to=manager, last_name="Norton")
    assert last is not None
    return last


PAGES: dict[str, Callable[[User, Account], str]] = {
    "account list": lambda user, account: "/accounts/",
    "account list by owner, sorted": lambda user, account: (
        f"/accounts/?owner={user.pk}&sort=-updated_at"
    ),
    "account search by prefix": lambda user, account: "/accounts/?q=norb",
    "account 360": lambda user, account: f"/accounts/{account.pk}/",
    "stakeholder list of one account": lambda user, account: f"/stakeholders/?account={account.pk}",
    "global search": lambda user, account: "/search/?q=nor",
    "api account list": lambda user, account: "/api/v1/accounts?q=norb",
    "api stakeholder list": lambda user, account: f"/api/v1/stakeholders?account={account.pk}",
}


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES)
def test_page_runs_a_fixed_number_of_queries(client: Client, page: str) -> None:
    user = UserFactory()
    client.force_login(user)
    small_account = grow_book(user, accounts=2, people_per_account=2)
    small = queries_for(client, PAGES[page](user, small_account))
    large_account = grow_book(user, accounts=8, people_per_account=6)
    large = queries_for(client, PAGES[page](user, large_account))
    assert small == large, f"{page}: {small} queries with a small book, {large} with a larger one"
    # A budget, so a new per-row query or a forgotten join shows up here. The 360° page also
    # carries one card per capability built above accounts (roadmaps, continuity…).
    budget = 16 if page == "account 360" else 12
    assert large <= budget, f"{page}: {large} queries"
