"""A book split between receivers balances annual revenue, not just the number of accounts."""

from __future__ import annotations

import datetime

from django.utils import timezone

from rapport.core.tests.factories import AccountFactory, UserFactory
from rapport.core.tests.personas import Personas
from rapport.revenue.tests import factories
from rapport.roadmaps import continuity


def test_the_split_balances_revenue(personas: Personas) -> None:
    today = timezone.localdate()
    start, end = today - datetime.timedelta(days=30), today + datetime.timedelta(days=300)
    big = AccountFactory(name="Big", owner=personas.owner)
    smalls = [AccountFactory(name=f"Small {n}", owner=personas.owner) for n in range(3)]
    factories.contract(
        account=big, start=start, end=end, lines=[factories.line(factories.product(), 9, 1000)]
    )
    for account in smalls:
        factories.contract(
            account=account,
            start=start,
            end=end,
            lines=[factories.line(factories.product(), 1, 1000)],
        )
    first, second = UserFactory(), UserFactory()

    weights = continuity.account_weights([big, *smalls])
    proposal = continuity.suggest_split(accounts=[big, *smalls], receivers=[first, second])

    assert weights[big.pk] == 9000
    assert all(weights[account.pk] == 1000 for account in smalls)
    # 9,000 to one receiver, the three 1,000 accounts to the other: by count it would be 2 and 2.
    assert proposal[big.pk] == first
    assert {proposal[account.pk] for account in smalls} == {second}


def test_accounts_without_revenue_weigh_the_same(personas: Personas) -> None:
    accounts = [AccountFactory(owner=personas.owner) for _ in range(4)]
    first, second = UserFactory(), UserFactory()

    proposal = continuity.suggest_split(accounts=accounts, receivers=[first, second])

    assert continuity.account_weights(accounts) == {}
    assert sorted(user.pk for user in proposal.values()) == sorted(
        [first.pk, first.pk, second.pk, second.pk]
    )
