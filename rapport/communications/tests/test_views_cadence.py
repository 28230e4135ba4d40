"""Cadence pages: an account's rules and the defaults grid, with their permissions."""

from __future__ import annotations

from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from rapport.accounts.choices import Tier
from rapport.communications.choices import CadenceKind
from rapport.communications.models import CadenceDefault, CadenceRule
from rapport.core.tests.factories import AccountFactory
from rapport.core.tests.personas import Personas
from rapport.users.models import User

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def cadence_url(personas: Personas) -> str:
    return reverse("communications:account_cadence", args=[personas.account.pk])


def rule_of(personas: Personas, kind: str) -> CadenceRule | None:
    return CadenceRule.objects.filter(account=personas.account, kind=kind).first()


def test_the_page_lists_the_rules_of_the_tier(personas: Personas) -> None:
    response = signed_in(personas.owner).get(cadence_url(personas))
    assert response.status_code == 200
    rows = {row.rule.kind: row for row in response.context["rows"]}
    # A growth account follows the shipped defaults: check-in every 30, review every 180.
    assert rows[CadenceKind.CHECK_IN].rule.interval_days == 30
    assert rows[CadenceKind.BUSINESS_REVIEW].rule.interval_days == 180
    assert rows[CadenceKind.CHECK_IN].state == "on_track"
    assert response.context["missing"] == [CadenceKind.EXECUTIVE_TOUCH]
    content = response.content.decode()
    assert "Tier default" in content
    assert 'aria-current="page"' in content and ">Cadence</a>" in content
    assert 'name="interval_days"' in content
    assert "Add a cadence" in content


def test_editing_an_interval_makes_it_the_account_own(personas: Personas) -> None:
    rule = rule_of(personas, CadenceKind.CHECK_IN)
    assert rule is not None
    response = signed_in(personas.owner).post(
        cadence_url(personas),
        {"action": "edit", "kind": "check_in", "interval_days": "21", "version": rule.version},
        follow=True,
    )
    assert response.redirect_chain == [(cadence_url(personas), 302)]
    rule.refresh_from_db()
    assert (rule.interval_days, rule.is_custom) == (21, True)
    assert "Check-in: every 21 days" in response.content.decode()
    row = next(row for row in response.context["rows"] if row.rule.pk == rule.pk)
    assert row.default_days == 30
    assert "tier default: every 30 days" in response.content.decode()


def test_adding_a_cadence_the_tier_lacks(personas: Personas) -> None:
    signed_in(personas.teammate).post(
        cadence_url(personas),
        {"action": "add", "kind": "executive_touch", "interval_days": "60"},
    )
    rule = rule_of(personas, CadenceKind.EXECUTIVE_TOUCH)
    assert rule is not None and rule.is_custom and rule.interval_days == 60


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "At least 1 day."),
        ("731", "At most 730 days (two years)."),
        ("soon", "Enter a whole number of days."),
        ("", "Say how many days apart."),
    ],
)
def test_a_bad_interval_changes_nothing(personas: Personas, value: str, message: str) -> None:
    response = signed_in(personas.owner).post(
        cadence_url(personas), {"action": "edit", "kind": "check_in", "interval_days": value}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    rule = rule_of(personas, CadenceKind.CHECK_IN)
    assert rule is not None and (rule.interval_days, rule.is_custom) == (30, False)


def test_a_stale_edit_is_refused(personas: Personas) -> None:
    rule = rule_of(personas, CadenceKind.CHECK_IN)
    assert rule is not None
    client = signed_in(personas.owner)
    data = {"action": "edit", "kind": "check_in", "interval_days": "20", "version": rule.version}
    client.post(cadence_url(personas), data)
    response = client.post(cadence_url(personas), {**data, "interval_days": "10"})
    assert "Someone else changed this record" in response.content.decode()
    rule.refresh_from_db()
    assert rule.interval_days == 20


def test_reset_returns_to_the_tier_default(personas: Personas) -> None:
    client = signed_in(personas.owner)
    client.post(cadence_url(personas), {"action": "edit", "kind": "check_in", "interval_days": "7"})
    rule = rule_of(personas, CadenceKind.CHECK_IN)
    assert rule is not None
    reset = reverse("communications:cadence_rule_reset", args=[personas.account.pk, rule.pk])
    response = client.post(reset, follow=True)
    assert "follows the tier's default again: every 30 days" in unescape(response.content.decode())
    kept = rule_of(personas, CadenceKind.CHECK_IN)
    assert kept is not None and (kept.interval_days, kept.is_custom) == (30, False)


def test_reset_removes_a_cadence_the_tier_lacks(personas: Personas) -> None:
    client = signed_in(personas.owner)
    client.post(
        cadence_url(personas), {"action": "add", "kind": "executive_touch", "interval_days": "45"}
    )
    rule = rule_of(personas, CadenceKind.EXECUTIVE_TOUCH)
    assert rule is not None
    reset = reverse("communications:cadence_rule_reset", args=[personas.account.pk, rule.pk])
    response = client.post(reset, follow=True)
    assert "Executive touch removed" in response.content.decode()
    assert rule_of(personas, CadenceKind.EXECUTIVE_TOUCH) is None


def test_a_rule_of_another_account_cannot_be_reset_through_this_one(personas: Personas) -> None:
    other_rule = CadenceRule.objects.filter(account=personas.other_account).first()
    assert other_rule is not None
    url = reverse("communications:cadence_rule_reset", args=[personas.account.pk, other_rule.pk])
    assert signed_in(personas.owner).post(url).status_code == 404


@pytest.mark.parametrize("who", ["read_only", "outsider"])
def test_read_only_and_outsiders_see_the_page_read_only(personas: Personas, who: str) -> None:
    client = signed_in(getattr(personas, who))
    response = client.get(cadence_url(personas))
    assert response.status_code == 200
    assert response.context["can_change"] is False
    content = response.content.decode()
    assert 'name="interval_days"' not in content
    assert "Add a cadence" not in content
    assert "change its cadence" in content


@pytest.mark.parametrize("who", ["read_only", "outsider"])
def test_read_only_and_outsiders_may_not_change_it(personas: Personas, who: str) -> None:
    client = signed_in(getattr(personas, who))
    edit = client.post(
        cadence_url(personas), {"action": "edit", "kind": "check_in", "interval_days": "5"}
    )
    assert edit.status_code == 403
    rule = rule_of(personas, CadenceKind.CHECK_IN)
    assert rule is not None and rule.interval_days == 30
    reset = reverse("communications:cadence_rule_reset", args=[personas.account.pk, rule.pk])
    assert client.post(reset).status_code == 403
    assert rule_of(personas, CadenceKind.CHECK_IN) == rule


def test_reset_takes_a_post_only(personas: Personas) -> None:
    rule = rule_of(personas, CadenceKind.CHECK_IN)
    assert rule is not None
    reset = reverse("communications:cadence_rule_reset", args=[personas.account.pk, rule.pk])
    assert signed_in(personas.owner).get(reset).status_code == 405


# The defaults grid -----------------------------------------------------------------------------

DEFAULTS_URL = reverse("communications:cadence_defaults")


def grid(**cells: str) -> dict[str, str]:
    """The grid as the page posts it (shipped defaults), with some cells changed."""
    shipped = {
        (tier, kind): days
        for tier, kind, days in CadenceDefault.objects.values_list("tier", "kind", "interval_days")
    }
    data = {
        f"{tier}__{kind}": str(shipped.get((tier, kind), ""))
        for tier in Tier.values
        for kind in CadenceKind.values
    }
    data.update(cells)
    return data


def defaults_table() -> dict[tuple[str, str], int]:
    return {
        (tier, kind): days
        for tier, kind, days in CadenceDefault.objects.values_list("tier", "kind", "interval_days")
    }


@pytest.mark.parametrize("who", ["owner", "teammate", "read_only"])
def test_only_heads_and_administrators_open_the_defaults(personas: Personas, who: str) -> None:
    client = signed_in(getattr(personas, who))
    assert client.get(DEFAULTS_URL).status_code == 403
    assert client.post(DEFAULTS_URL, grid(growth__check_in="5")).status_code == 403
    assert defaults_table()[("growth", "check_in")] == 30


@pytest.mark.parametrize("who", ["head", "admin"])
def test_the_grid_shows_every_tier_and_kind(personas: Personas, who: str) -> None:
    response = signed_in(getattr(personas, who)).get(DEFAULTS_URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert content.count('class="cadence-days"') == len(Tier.values) * len(CadenceKind.values)
    assert 'name="strategic__check_in" value="14"' in content
    assert 'name="maintain__executive_touch"' in content
    assert "Strategic, Check-in (days)" in content


def test_saving_the_grid_sets_changed_cells_and_accounts_follow(
    personas: Personas, django_capture_on_commit_callbacks
) -> None:
    key_account = AccountFactory(tier=Tier.KEY, owner=personas.owner)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = signed_in(personas.admin).post(
            DEFAULTS_URL,
            grid(growth__check_in="21", key__business_review="", maintain__executive_touch="120"),
            follow=True,
        )
    assert len(callbacks) == 3
    assert response.redirect_chain == [(DEFAULTS_URL, 302)]
    assert "3 cadence defaults saved." in response.content.decode()
    assert "follow in the background" in response.content.decode()
    table = defaults_table()
    assert table[("growth", "check_in")] == 21
    assert ("key", "business_review") not in table
    assert table[("maintain", "executive_touch")] == 120
    assert table[("strategic", "check_in")] == 14
    # The background job ran at once in the tests: the accounts follow their tier.
    rule = rule_of(personas, CadenceKind.CHECK_IN)
    assert rule is not None and rule.interval_days == 21
    assert not CadenceRule.objects.filter(account=key_account, kind="business_review").exists()


def test_an_account_own_rule_keeps_its_interval(
    personas: Personas, django_capture_on_commit_callbacks
) -> None:
    signed_in(personas.owner).post(
        cadence_url(personas), {"action": "edit", "kind": "check_in", "interval_days": "10"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(personas.head).post(DEFAULTS_URL, grid(growth__check_in="21"))
    rule = rule_of(personas, CadenceKind.CHECK_IN)
    assert rule is not None and (rule.interval_days, rule.is_custom) == (10, True)


def test_a_bad_cell_saves_nothing(personas: Personas, django_capture_on_commit_callbacks) -> None:
    before = defaults_table()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = signed_in(personas.admin).post(
            DEFAULTS_URL,
            grid(growth__check_in="21", key__check_in="0", strategic__business_review="often"),
        )
    assert callbacks == []
    assert response.status_code == 200
    content = response.content.decode()
    assert "Nothing was saved" in content
    assert "Key, Check-in (days)</a> — At least 1 day." in content
    assert "Strategic, Business review (days)</a> — Enter a whole number of days." in content
    assert defaults_table() == before
    rule = rule_of(personas, CadenceKind.CHECK_IN)
    assert rule is not None and rule.interval_days == 30


def test_a_cell_over_two_years_is_refused(personas: Personas) -> None:
    response = signed_in(personas.admin).post(DEFAULTS_URL, grid(growth__check_in="731"))
    assert "At most 730 days (two years)." in response.content.decode()
    assert defaults_table()[("growth", "check_in")] == 30


def test_saving_an_unchanged_grid_says_so(personas: Personas) -> None:
    response = signed_in(personas.admin).post(DEFAULTS_URL, grid(), follow=True)
    assert "Nothing changed." in response.content.decode()


def test_the_calendar_links_the_defaults_for_those_who_manage_them(personas: Personas) -> None:
    calendar = reverse("communications:calendar")
    assert DEFAULTS_URL in signed_in(personas.head).get(calendar).content.decode()
    assert DEFAULTS_URL not in signed_in(personas.owner).get(calendar).content.decode()
