"""`rapport demo` builds a believable book once, and changes nothing when run again."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from rapport.accounts.models import Account, TeamMember
from rapport.stakeholders.models import Stakeholder
from rapport.users.choices import Role
from rapport.users.models import User


@pytest.mark.django_db
def test_demo_is_complete_and_idempotent() -> None:
    out = StringIO()
    call_command("demo", stdout=out)
    counts = (
        User.objects.count(),
        Account.objects.count(),
        Stakeholder.objects.count(),
        TeamMember.objects.count(),
    )
    assert counts[1] == 150
    assert 1400 <= counts[2] <= 2200
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert "admin@rapport.demo" in out.getvalue()
    # Reporting lines stay inside each account.
    crossing = Stakeholder.objects.exclude(reports_to=None).exclude(
        reports_to__account=models_f("account")
    )
    assert not crossing.exists()
    assert Stakeholder.objects.exclude(reports_to=None).count() > 1000
    # Believable account maps: roles, stances, owners on our side, ties, and some weaknesses.
    from rapport.stakeholders.models import RelationshipOwner, StakeholderRelationship

    champions = Stakeholder.objects.filter(decision_roles__has="champion")
    assert 100 <= champions.count() < 150
    assert champions.filter(status="left").exists()
    assert Stakeholder.objects.filter(decision_roles__has="blocker", stance="opponent").exists()
    # Everyone has a stance but the template's placeholders and the one champion who arrived
    # at another of our accounts: nobody there knows yet how they stand.
    assert Stakeholder.objects.filter(stance="", is_placeholder=False).count() == 1
    assert RelationshipOwner.objects.count() > 150
    assert StakeholderRelationship.objects.filter(kind="in_conflict_with").exists()
    # Every account is assessed, and the weaknesses show in the stored risk flags.
    from rapport.accountmaps.models import AccountMapSummary

    assert AccountMapSummary.objects.count() == 150
    assert AccountMapSummary.objects.filter(risk_flags__has="champion_left").exists()
    assert AccountMapSummary.objects.filter(coverage__gte=75).exists()
    # People across accounts: group links, careers, champions who moved, template placeholders.
    from rapport.stakeholders.models import AccountLink, JobPosition

    assert AccountLink.objects.exists()
    assert JobPosition.objects.filter(is_opportunity=True).count() >= 3
    assert Stakeholder.objects.filter(is_placeholder=True).exists()
    # Real history, by real people.
    assert Account.history.filter(
        history_type="~", history_user__email="marc@rapport.demo"
    ).exists()

    # Communications: months of exchanges, follow-ups, cadences, a today view for everyone.
    from rapport.demo.tests.test_demo_communications import (
        check_communications,
        communication_counts,
    )

    check_communications()
    communications = communication_counts()

    # Roadmaps, handoffs, commitments and a past reassignment.
    from rapport.demo.tests.test_demo_roadmaps import check_roadmaps, roadmap_counts

    check_roadmaps()
    journeys = roadmap_counts()

    # Contracts, renewals, the pipeline and the retention they make.
    from rapport.demo.tests.test_demo_revenue import check_revenue, revenue_counts

    check_revenue()
    money = revenue_counts()

    again = StringIO()
    call_command("demo", stdout=again)
    assert "nothing changed" in again.getvalue()
    assert communications == communication_counts()
    assert journeys == roadmap_counts()
    assert money == revenue_counts()
    assert counts == (
        User.objects.count(),
        Account.objects.count(),
        Stakeholder.objects.count(),
        TeamMember.objects.count(),
    )


def models_f(name: str):  # type: ignore[no-untyped-def]
    from django.db.models import F

    return F(name)
