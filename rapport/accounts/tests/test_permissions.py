"""Who may change an account, its team and its people, checked on every page that writes.

Each persona opens the page and posts to it by its direct URL. Editors see the change made and
recorded in history under their name; everyone else gets a 403 and the database stays as it was.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db.models import Model
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from rapport.accounts.choices import TeamRole, Tier
from rapport.accounts.models import Account, TeamMember
from rapport.core.tests.factories import StakeholderFactory, TeamMemberFactory, UserFactory
from rapport.core.tests.personas import Personas
from rapport.stakeholders.choices import StakeholderStatus
from rapport.stakeholders.models import Stakeholder
from rapport.users.models import User

EDITORS = ("owner", "teammate", "head", "admin")
REFUSED = ("outsider", "read_only")
PERSONAS = EDITORS + REFUSED


def as_persona(client: Client, personas: Personas, name: str) -> User:
    user: User = getattr(personas, name)
    client.force_login(user)
    return user


def snapshot(obj: Model) -> dict[str, Any]:
    """The row as stored, every column, read past any manager that hides rows."""
    model = type(obj)
    return model._base_manager.filter(pk=obj.pk).values().get()  # type: ignore[no-any-return]


def messages_of(response: HttpResponse) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]  # type: ignore[attr-defined]


def account_form(account: Account, **changes: Any) -> dict[str, Any]:
    data = {
        "name": account.name,
        "legal_name": account.legal_name,
        "website": account.website,
        "domain": account.domain,
        "industry": account.industry,
        "country": account.country,
        "employees": account.employees or "",
        "tier": account.tier,
        "segment": account.segment,
        "lifecycle_stage": account.lifecycle_stage,
        "parent": account.parent.name if account.parent else "",
        "owner": account.owner_id or "",
        "originating_executive": account.originating_executive_id or "",
        "description": account.description,
        "version": account.version,
    }
    data.update(changes)
    return data


def stakeholder_form(stakeholder: Stakeholder | None = None, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "first_name": "Grace",
        "last_name": "Hopper",
        "title": "CTO",
        "department": "",
        "email": "grace@client.example",
        "phone": "",
        "profile_url": "",
        "reports_to": "",
        "status": StakeholderStatus.ACTIVE,
        "left_on": "",
        "notes": "",
    }
    if stakeholder is not None:
        data.update(
            first_name=stakeholder.first_name,
            last_name=stakeholder.last_name,
            title=stakeholder.title,
            email=stakeholder.email,
            reports_to=stakeholder.reports_to_id or "",
            status=stakeholder.status,
            version=stakeholder.version,
        )
    data.update(changes)
    return data


def test_read_only_persona_is_on_the_team_yet_not_its_owner(personas: Personas) -> None:
    """Guards the premise of the read-only cases: membership alone must not grant editing."""
    assert (
        TeamMember.objects.current()
        .filter(account=personas.account, user=personas.read_only)
        .exists()
    )
    assert personas.account.owner != personas.read_only
    assert not TeamMember.objects.filter(account=personas.account, user=personas.outsider).exists()


@pytest.mark.parametrize("period", ["ended yesterday", "starts tomorrow"])
def test_team_member_outside_their_period_cannot_edit(
    client: Client, personas: Personas, period: str
) -> None:
    today = timezone.localdate()
    if period == "ended yesterday":
        start, end = today - datetime.timedelta(days=60), today - datetime.timedelta(days=1)
    else:
        start, end = today + datetime.timedelta(days=1), None
    TeamMember.objects.filter(pk=personas.membership.pk).update(start_date=start, end_date=end)
    as_persona(client, personas, "teammate")
    account, stakeholder = personas.account, personas.stakeholder
    account_before, stakeholder_before = snapshot(account), snapshot(stakeholder)

    edit = client.post(f"/accounts/{account.pk}/edit/", account_form(account, name="Not mine"))
    person = client.post(
        f"/stakeholders/{stakeholder.pk}/edit/", stakeholder_form(stakeholder, title="Not mine")
    )

    assert (edit.status_code, person.status_code) == (403, 403)
    assert snapshot(account) == account_before
    assert snapshot(stakeholder) == stakeholder_before


def test_account_manager_edits_the_account_they_own_without_a_team_row(
    client: Client, personas: Personas
) -> None:
    """Ownership alone is enough: the outsider owns the other account but has no team row."""
    account = personas.other_account
    assert not TeamMember.objects.filter(account=account).exists()
    as_persona(client, personas, "outsider")

    response = client.post(
        f"/accounts/{account.pk}/edit/", account_form(account, name="Contoso Ltd")
    )

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.name == "Contoso Ltd"


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_signed_in_persona_reads_the_account_and_its_people(
    client: Client, personas: Personas, persona: str
) -> None:
    as_persona(client, personas, persona)
    account, stakeholder = personas.account, personas.stakeholder
    for url in (
        f"/accounts/{account.pk}/",
        f"/accounts/{account.pk}/team/",
        f"/accounts/{account.pk}/history/",
        f"/stakeholders/?account={account.pk}",
        f"/stakeholders/{stakeholder.pk}/",
        f"/stakeholders/{stakeholder.pk}/history/",
        f"/stakeholders/org-chart/{account.pk}/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    detail = client.get(f"/accounts/{account.pk}/")
    assert detail.context["can_edit"] is (persona in EDITORS)


@pytest.mark.parametrize("persona", PERSONAS)
def test_account_edit_page(client: Client, personas: Personas, persona: str) -> None:
    user = as_persona(client, personas, persona)
    account = personas.account
    before = snapshot(account)
    history_before = account.history.count()

    assert client.get(f"/accounts/{account.pk}/edit/").status_code == (
        200 if persona in EDITORS else 403
    )
    response = client.post(
        f"/accounts/{account.pk}/edit/",
        account_form(account, name="Northwind Holdings", tier=Tier.KEY),
    )

    account.refresh_from_db()
    if persona in EDITORS:
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/{account.pk}/"
        assert (account.name, account.tier, account.version) == ("Northwind Holdings", Tier.KEY, 2)
        record = account.history.first()
        assert record is not None and record.history_user == user
        assert record.name == "Northwind Holdings"
        assert messages_of(response) == ["Changes to “Northwind Holdings” saved."]
    else:
        assert response.status_code == 403
        assert snapshot(account) == before
        assert account.history.count() == history_before


@pytest.mark.parametrize("persona", PERSONAS)
def test_account_archive_page(client: Client, personas: Personas, persona: str) -> None:
    user = as_persona(client, personas, persona)
    account = personas.account
    before = snapshot(account)

    assert client.get(f"/accounts/{account.pk}/archive/").status_code == 405
    response = client.post(f"/accounts/{account.pk}/archive/", {"archived": "1"})

    account.refresh_from_db()
    if persona in EDITORS:
        assert response.status_code == 302
        assert account.is_archived is True
        assert account.version == 2
        record = account.history.first()
        assert record is not None and record.history_user == user and record.is_archived is True
        assert messages_of(response) == ["“Northwind Traders” archived."]
        # Archiving hides the account from the book; it is never deleted.
        assert Account.objects.filter(pk=account.pk).exists()
    else:
        assert response.status_code == 403
        assert snapshot(account) == before


@pytest.mark.parametrize("persona", EDITORS)
def test_account_archive_page_brings_an_account_back(
    client: Client, personas: Personas, persona: str
) -> None:
    as_persona(client, personas, persona)
    account = personas.account
    Account.objects.filter(pk=account.pk).update(is_archived=True)

    response = client.post(f"/accounts/{account.pk}/archive/", {"archived": "0"})

    account.refresh_from_db()
    assert response.status_code == 302
    assert account.is_archived is False
    assert messages_of(response) == ["“Northwind Traders” is active again."]


@pytest.mark.parametrize("persona", PERSONAS)
def test_team_add_page(client: Client, personas: Personas, persona: str) -> None:
    user = as_persona(client, personas, persona)
    account = personas.account
    newcomer = UserFactory(first_name="Nora", last_name="Newcomer")
    members_before = list(TeamMember.objects.filter(account=account).values())

    page = client.get(f"/accounts/{account.pk}/team/")
    assert page.status_code == 200
    assert page.context["can_edit"] is (persona in EDITORS)
    response = client.post(
        f"/accounts/{account.pk}/team/",
        {
            "user": newcomer.pk,
            "role": TeamRole.SALES_ENGINEER,
            "start_date": timezone.localdate().isoformat(),
        },
    )

    added = TeamMember.objects.filter(account=account, user=newcomer)
    if persona in EDITORS:
        assert response.status_code == 302
        member = added.get()
        assert member.role == TeamRole.SALES_ENGINEER and member.is_current
        record = member.history.first()
        assert record is not None and record.history_user == user
        assert messages_of(response) == ["Nora Newcomer joined the team."]
    else:
        assert response.status_code == 403
        assert not added.exists()
        assert list(TeamMember.objects.filter(account=account).values()) == members_before


@pytest.mark.parametrize("persona", PERSONAS)
def test_team_end_page(client: Client, personas: Personas, persona: str) -> None:
    user = as_persona(client, personas, persona)
    account = personas.account
    member = TeamMemberFactory(account=account, role=TeamRole.MARKETING)
    before = snapshot(member)

    assert client.get(f"/accounts/{account.pk}/team/{member.pk}/end/").status_code == 405
    response = client.post(f"/accounts/{account.pk}/team/{member.pk}/end/")

    member.refresh_from_db()
    if persona in EDITORS:
        assert response.status_code == 302
        assert member.end_date == timezone.localdate()
        record = member.history.first()
        assert (
            record is not None
            and record.history_user == user
            and record.end_date == member.end_date
        )
        assert messages_of(response) == [f"{member.user} left the team."]
    else:
        assert response.status_code == 403
        assert snapshot(member) == before


def test_team_end_page_refuses_a_member_of_another_account_through_ones_own_url(
    client: Client, personas: Personas
) -> None:
    """The owner may edit their account's team, not a team reached by swapping the member id."""
    as_persona(client, personas, "owner")
    foreign = TeamMemberFactory(account=personas.other_account, role=TeamRole.MARKETING)
    before = snapshot(foreign)

    mixed = client.post(f"/accounts/{personas.account.pk}/team/{foreign.pk}/end/")
    direct = client.post(f"/accounts/{personas.other_account.pk}/team/{foreign.pk}/end/")

    assert mixed.status_code == 404
    assert direct.status_code == 403
    assert snapshot(foreign) == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_stakeholder_create_page(client: Client, personas: Personas, persona: str) -> None:
    user = as_persona(client, personas, persona)
    account = personas.account
    url = f"/stakeholders/new/for/{account.pk}/"

    assert client.get(url).status_code == (200 if persona in EDITORS else 403)
    response = client.post(url, stakeholder_form(reports_to=personas.stakeholder.pk))

    created = Stakeholder.all_objects.filter(account=account, last_name="Hopper")
    if persona in EDITORS:
        person = created.get()
        assert response.status_code == 302
        assert response["Location"] == f"/stakeholders/{person.pk}/"
        assert person.reports_to == personas.stakeholder
        record = person.history.first()
        assert record is not None and record.history_user == user
        assert messages_of(response) == ["Grace Hopper added."]
    else:
        assert response.status_code == 403
        assert not created.exists()
        assert Stakeholder.all_objects.filter(account=account).count() == 1


@pytest.mark.parametrize("persona", PERSONAS)
def test_stakeholder_edit_page(client: Client, personas: Personas, persona: str) -> None:
    user = as_persona(client, personas, persona)
    stakeholder = personas.stakeholder
    before = snapshot(stakeholder)
    url = f"/stakeholders/{stakeholder.pk}/edit/"

    assert client.get(url).status_code == (200 if persona in EDITORS else 403)
    response = client.post(url, stakeholder_form(stakeholder, title="Chief Analyst"))

    stakeholder.refresh_from_db()
    if persona in EDITORS:
        assert response.status_code == 302
        assert (stakeholder.title, stakeholder.version) == ("Chief Analyst", 2)
        record = stakeholder.history.first()
        assert (
            record is not None and record.history_user == user and record.title == "Chief Analyst"
        )
        assert messages_of(response) == ["Changes to Ada Lovelace saved."]
    else:
        assert response.status_code == 403
        assert snapshot(stakeholder) == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_stakeholder_mark_left_page(client: Client, personas: Personas, persona: str) -> None:
    user = as_persona(client, personas, persona)
    stakeholder = personas.stakeholder
    before = snapshot(stakeholder)
    url = f"/stakeholders/{stakeholder.pk}/left/"

    assert client.get(url).status_code == 405
    response = client.post(url)

    stakeholder.refresh_from_db()
    if persona in EDITORS:
        assert response.status_code == 302
        assert stakeholder.status == StakeholderStatus.LEFT
        assert stakeholder.left_on == timezone.localdate()
        record = stakeholder.history.first()
        assert (
            record is not None
            and record.history_user == user
            and record.status == StakeholderStatus.LEFT
        )
        assert messages_of(response) == ["Ada Lovelace is marked as having left."]
    else:
        assert response.status_code == 403
        assert snapshot(stakeholder) == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_stakeholder_delete_page(client: Client, personas: Personas, persona: str) -> None:
    user = as_persona(client, personas, persona)
    stakeholder = personas.stakeholder
    before = snapshot(stakeholder)
    url = f"/stakeholders/{stakeholder.pk}/delete/"

    assert client.get(url).status_code == 405
    response = client.post(url)

    if persona in EDITORS:
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/{personas.account.pk}/"
        assert not Stakeholder.objects.filter(pk=stakeholder.pk).exists()
        trashed = Stakeholder.all_objects.get(pk=stakeholder.pk)
        assert trashed.deleted_at is not None and trashed.deleted_by == user
        record = trashed.history.first()
        assert record is not None and record.history_user == user
        assert messages_of(response) == [
            "Ada Lovelace moved to the trash. An administrator can restore them."
        ]
    else:
        assert response.status_code == 403
        assert snapshot(stakeholder) == before


def test_stakeholder_pages_refuse_a_manager_from_another_account(
    client: Client, personas: Personas
) -> None:
    """An editor of one account cannot hang its people under a person of another account."""
    as_persona(client, personas, "owner")
    foreign = StakeholderFactory(account=personas.other_account)
    stakeholder = personas.stakeholder
    before = snapshot(stakeholder)

    created = client.post(
        f"/stakeholders/new/for/{personas.account.pk}/", stakeholder_form(reports_to=foreign.pk)
    )
    edited = client.post(
        f"/stakeholders/{stakeholder.pk}/edit/",
        stakeholder_form(stakeholder, reports_to=foreign.pk),
    )

    for response in (created, edited):
        assert response.status_code == 200
        assert "reports_to" in response.context["form"].errors
    assert not Stakeholder.all_objects.filter(last_name="Hopper").exists()
    assert snapshot(stakeholder) == before


def test_signed_out_visitor_is_sent_to_sign_in_and_changes_nothing(
    client: Client, personas: Personas
) -> None:
    account, stakeholder = personas.account, personas.stakeholder
    account_before, stakeholder_before = snapshot(account), snapshot(stakeholder)

    for url, data in (
        (f"/accounts/{account.pk}/edit/", account_form(account, name="Hijacked")),
        (f"/accounts/{account.pk}/archive/", {"archived": "1"}),
        (f"/stakeholders/{stakeholder.pk}/edit/", stakeholder_form(stakeholder, title="Hijacked")),
        (f"/stakeholders/{stakeholder.pk}/delete/", {}),
    ):
        response = client.post(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/auth/login/"), url

    assert snapshot(account) == account_before
    assert snapshot(stakeholder) == stakeholder_before
