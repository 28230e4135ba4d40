import datetime

import pytest
from django.db.models import DateTimeField, F, Value
from django.utils import timezone

from rapport.accounts.models import Account
from rapport.core.db import Differs
from rapport.core.tests.factories import AccountFactory


@pytest.mark.django_db
def test_differs_counts_a_null_against_a_value_and_not_two_nulls():
    then = timezone.now().replace(microsecond=0)
    never = AccountFactory(last_contact_at=None)
    once = AccountFactory(last_contact_at=then)

    def differing(other: object) -> set[int]:
        rows = Account.objects.filter(Differs(F("last_contact_at"), other))
        return set(rows.values_list("pk", flat=True)) & {never.pk, once.pk}

    same_time = Value(then, output_field=DateTimeField())
    later = Value(then + datetime.timedelta(days=1), output_field=DateTimeField())
    nothing = Value(None, output_field=DateTimeField())
    # Two nulls are alike; a null and a time differ, either way round.
    assert differing(nothing) == {once.pk}
    assert differing(same_time) == {never.pk}
    assert differing(later) == {never.pk, once.pk}
    assert differing(F("last_contact_at")) == set()
