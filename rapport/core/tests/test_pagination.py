"""The capped paginator: a bounded count on very long lists."""

from __future__ import annotations

import pytest

from rapport.accounts.models import Account
from rapport.core.pagination import paginate
from rapport.core.tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def test_a_list_under_the_cap_is_counted_exactly() -> None:
    AccountFactory.create_batch(4)
    page = paginate(Account.objects.order_by("pk"), page=1, per_page=2, count_cap=10)
    assert page.paginator.count == 4
    assert not page.paginator.is_capped
    assert page.paginator.num_pages == 2


def test_a_list_over_the_cap_stops_counting_at_the_cap() -> None:
    AccountFactory.create_batch(7)
    page = paginate(Account.objects.order_by("pk"), page=99, per_page=2, count_cap=5)
    assert page.paginator.count == 5
    assert page.paginator.is_capped
    # A page past the cap falls back to the last page the cap allows.
    assert page.number == 3


def test_exactly_the_cap_is_not_capped() -> None:
    AccountFactory.create_batch(5)
    page = paginate(Account.objects.order_by("pk"), page=1, per_page=2, count_cap=5)
    assert page.paginator.count == 5
    assert not page.paginator.is_capped
