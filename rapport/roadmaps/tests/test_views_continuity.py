"""Continuity pages: reassigning with a preview, briefs, needs an owner, the risk portfolio."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from rapport.accounts.models import Account
from rapport.communications.models import Task
from rapport.core.tests.factories import AccountFactory, StakeholderFactory, UserFactory
from rapport.core.tests.personas import Personas
from rapport.roadmaps import continuity
from rapport.roadmaps.continuity import Move
from rapport.roadmaps.models import Reassignment
from rapport.stakeholders.models import RelationshipOwner
from rapport.users.choices import Role
from rapport.users.models import User

pytestmark = pytest.mark.django_db

REASSIGN = reverse("roadmaps:reassign")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def manager(**extra: object) -> User:
    return UserFactory(role=Role.ACCOUNT_MANAGER, **extra)


def selected(content: str, account: Account) -> str:
    """The receiver the preview proposes for an account (the selected option's value)."""
    select = re.search(rf'<select name="to_{account.pk}"[^>]*>(.*?)</select>', content, re.S)
    assert select, f"no receiver field for {account}"
    option = re.search(r'<option value="(\d+)" selected>', select.group(1))
    assert option, f"nothing proposed for {account}"
    return option.group(1)


# Reassigning ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "teammate", "read_only", "outsider"])
def test_only_managers_of_the_book_open_the_reassign_page(personas: Personas, who: str) -> None:
    assert signed_in(getattr(personas, who)).get(REASSIGN).status_code == 403
    assert signed_in(getattr(personas, who)).post(REASSIGN, {}).status_code == 403


def test_the_page_offers_only_people_who_may_hold_accounts(personas: Personas) -> None:
    manager(first_name="Gone", last_name="Away", is_active=False)
    response = signed_in(personas.head).get(REASSIGN, {"from_user": personas.owner.pk})
    assert response.status_code == 200
    content = response.content.decode()
    receivers = re.search(r"<legend>To</legend>(.*?)</fieldset>", content, re.S)
    assert receivers
    assert str(personas.outsider) in receivers.group(1)
    for refused in (personas.read_only, personas.teammate):
        assert str(refused) not in receivers.group(1)
    assert "Gone Away" not in receivers.group(1)
    assert f'<option value="{personas.owner.pk}" selected>' in content


def test_a_book_is_previewed_adjusted_then_moved(
    personas: Personas, django_capture_on_commit_callbacks
) -> None:
    leaving = personas.owner
    book = [personas.account] + [AccountFactory(name=f"Book {n}", owner=leaving) for n in range(3)]
    task = Task.objects.create(title="Call back", account=personas.account, assignee=leaving)
    first = manager(email="first@example.com", first_name="Fay", last_name="First")
    second = manager(email="second@example.com", first_name="Sam", last_name="Second")
    client = signed_in(personas.head)
    choice = {"from_user": leaving.pk, "receivers": [first.pk, second.pk], "reason": "Leaving"}

    preview = client.post(REASSIGN, choice)

    assert preview.status_code == 200
    content = preview.content.decode()
    assert "Check the split" in content
    proposed = {account.pk: selected(content, account) for account in book}
    assert sorted(proposed.values()) == sorted([str(first.pk)] * 2 + [str(second.pk)] * 2)
    assert Account.objects.filter(owner=leaving).count() == 4  # nothing moved yet
    # The manager gives the whole book to the first receiver but one account.
    plan = {f"to_{account.pk}": first.pk for account in book}
    plan[f"to_{book[-1].pk}"] = second.pk
    plan |= {f"version_{account.pk}": account.version for account in book}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REASSIGN, choice | plan | {"confirm": "1"})

    batch = Reassignment.objects.first().batch
    assert response.status_code == 302
    assert response.url == reverse("roadmaps:reassign_batch", args=[batch])
    assert Account.objects.filter(owner=first).count() == 3
    assert Account.objects.get(pk=book[-1].pk).owner == second
    assert Task.objects.get(pk=task.pk).assignee == first
    assert sorted(message.to[0] for message in mail.outbox) == [
        "first@example.com",
        "second@example.com",
    ]
    done = client.get(response.url)
    assert done.status_code == 200
    for row in Reassignment.objects.filter(batch=batch):
        assert row.get_absolute_url() in done.content.decode()
    messages = [str(message) for message in done.context["messages"]]
    assert any("4 accounts moved" in message for message in messages)


def test_one_account_is_moved_from_its_page(personas: Personas) -> None:
    client = signed_in(personas.head)
    page = client.get(REASSIGN, {"account": personas.account.pk})
    assert 'value="Northwind Traders"' in page.content.decode()
    choice = {"account": "Northwind Traders", "receivers": [personas.outsider.pk]}
    plan = {
        f"to_{personas.account.pk}": personas.outsider.pk,
        f"version_{personas.account.pk}": personas.account.version,
        "confirm": "1",
    }
    response = client.post(REASSIGN, choice | plan)
    assert response.status_code == 302
    assert Account.objects.get(pk=personas.account.pk).owner == personas.outsider


@pytest.mark.parametrize(
    "receiver, message",
    [
        ("read_only", "is a read-only user and cannot hold accounts"),
        ("teammate", "does not hold them"),
        ("owner", "already manages these accounts"),
        ("deactivated", "can no longer sign in"),
    ],
)
def test_a_refused_receiver_is_named_and_nothing_moves(
    personas: Personas, receiver: str, message: str
) -> None:
    users = {
        "read_only": personas.read_only,
        "teammate": personas.teammate,
        "owner": personas.owner,
        "deactivated": manager(is_active=False),
    }
    client = signed_in(personas.head)
    choice = {"from_user": personas.owner.pk, "receivers": [users[receiver].pk]}
    plan = {
        f"to_{personas.account.pk}": users[receiver].pk,
        f"version_{personas.account.pk}": personas.account.version,
        "confirm": "1",
    }
    response = client.post(REASSIGN, choice | plan)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Account.objects.get(pk=personas.account.pk).owner == personas.owner
    assert not Reassignment.objects.exists()


def test_choose_a_book_or_an_account_not_both(personas: Personas) -> None:
    response = signed_in(personas.head).post(
        REASSIGN,
        {
            "from_user": personas.owner.pk,
            "account": "Contoso",
            "receivers": [manager().pk],
        },
    )
    assert "Choose either a person whose whole book moves, or one account." in (
        response.content.decode()
    )


def test_a_stale_preview_is_refused(personas: Personas) -> None:
    client = signed_in(personas.head)
    Account.objects.filter(pk=personas.account.pk).update(version=personas.account.version + 1)
    response = client.post(
        REASSIGN,
        {
            "from_user": personas.owner.pk,
            "receivers": [personas.outsider.pk],
            f"to_{personas.account.pk}": personas.outsider.pk,
            f"version_{personas.account.pk}": personas.account.version,
            "confirm": "1",
        },
    )
    assert response.status_code == 200
    assert "Someone else changed this record" in response.content.decode()
    assert Account.objects.get(pk=personas.account.pk).owner == personas.owner


def test_past_reassignments_are_listed_in_a_fixed_number_of_queries(
    personas: Personas, django_assert_num_queries
) -> None:
    client = signed_in(personas.head)
    for number in range(4):
        account = AccountFactory(name=f"Moved {number}", owner=personas.owner)
        continuity.reassign_accounts(
            acting_user=personas.head, moves=[Move(account=account, to_user=personas.outsider)]
        )
    client.get(reverse("roadmaps:reassign_list"))
    # Session, user, the navigation's two counts, permissions (2), then the count and the page.
    with django_assert_num_queries(8):
        response = client.get(reverse("roadmaps:reassign_list"))
    content = response.content.decode()
    assert all(f"Moved {number}" in content for number in range(4))
    assert signed_in(personas.owner).get(reverse("roadmaps:reassign_list")).status_code == 403


# Briefs --------------------------------------------------------------------------------------


def test_the_brief_is_reachable_from_the_reassignment_and_the_account(
    personas: Personas,
) -> None:
    continuity.reassign_accounts(
        acting_user=personas.head,
        moves=[Move(account=personas.account, to_user=personas.outsider)],
        reason="Parental leave",
    )
    row = Reassignment.objects.get()
    client = signed_in(personas.outsider)

    page = client.get(row.get_absolute_url())
    assert page.status_code == 200
    content = page.content.decode()
    assert "Handoff brief: Northwind Traders" in content
    assert "Parental leave" in content
    assert "Ada Lovelace" in content
    assert reverse("roadmaps:handoff_brief_pdf", args=[row.pk]) in content

    pdf = client.get(reverse("roadmaps:handoff_brief_pdf", args=[row.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert "northwind-traders-handoff-brief-" in pdf["Content-Disposition"]

    account_page = client.get(personas.account.get_absolute_url())
    brief_url = reverse("roadmaps:account_brief", args=[personas.account.pk])
    assert brief_url in account_page.content.decode()
    assert client.get(brief_url).status_code == 200
    account_pdf = client.get(reverse("roadmaps:account_brief_pdf", args=[personas.account.pk]))
    assert account_pdf.content.startswith(b"%PDF-")


def test_briefs_need_a_sign_in(personas: Personas) -> None:
    url = reverse("roadmaps:account_brief", args=[personas.account.pk])
    assert Client().get(url).status_code == 302
    missing = reverse("roadmaps:account_brief", args=[999999])
    assert signed_in(personas.owner).get(missing).status_code == 404


# Needs an owner ------------------------------------------------------------------------------


def test_needs_an_owner_lists_accounts_to_move(
    personas: Personas, django_assert_num_queries
) -> None:
    left = manager(first_name="Lou", last_name="Left")
    for number in range(3):
        AccountFactory(name=f"Left {number}", owner=left)
    AccountFactory(name="Nobody's", owner=None)
    User.objects.filter(pk=left.pk).update(is_active=False)
    client = signed_in(personas.head)
    url = reverse("roadmaps:needs_owner")
    client.get(url)

    # Session, user, the navigation (2), permissions (2), the count, the page, who left.
    with django_assert_num_queries(9):
        response = client.get(url)

    content = response.content.decode()
    assert "4 accounts" in content
    assert "Nobody&#x27;s" in content or "Nobody's" in content
    assert f"{REASSIGN}?from_user={left.pk}" in content
    assert "Lou Left" in content
    for account in Account.objects.filter(owner__isnull=True):
        assert f"{REASSIGN}?account={account.pk}" in content
    assert signed_in(personas.owner).get(url).status_code == 403


def test_the_account_page_says_it_needs_an_owner(personas: Personas) -> None:
    User.objects.filter(pk=personas.owner.pk).update(is_active=False)
    head_view = signed_in(personas.head).get(personas.account.get_absolute_url())
    content = head_view.content.decode()
    assert "Needs an owner" in content
    assert f"{REASSIGN}?account={personas.account.pk}" in content

    reader = signed_in(personas.read_only).get(personas.account.get_absolute_url())
    assert "Needs an owner" in reader.content.decode()
    assert REASSIGN not in reader.content.decode()


# Continuity risk -----------------------------------------------------------------------------


def test_the_account_page_shows_relationships_held_alone(personas: Personas) -> None:
    RelationshipOwner.objects.create(stakeholder=personas.stakeholder, user=personas.owner)
    shared = StakeholderFactory(account=personas.account, first_name="Bo", last_name="Both")
    RelationshipOwner.objects.create(stakeholder=shared, user=personas.owner)
    RelationshipOwner.objects.create(stakeholder=shared, user=personas.teammate)

    content = signed_in(personas.owner).get(personas.account.get_absolute_url()).content.decode()

    assert "50% of client relationships held by only one of our people" in content
    assert "(1 of 2)" in content
    assert "nobody else would know 1 person" in content
    assert "Ada Lovelace" in content


def test_the_portfolio_ranks_people_and_accounts_in_fixed_queries(
    personas: Personas, django_assert_num_queries
) -> None:
    lone = manager(first_name="Lone", last_name="Ranger")
    for number in range(6):
        account = AccountFactory(name=f"Risky {number}", owner=lone)
        for _ in range(number + 1):
            RelationshipOwner.objects.create(
                stakeholder=StakeholderFactory(account=account), user=lone
            )
    RelationshipOwner.objects.create(stakeholder=personas.stakeholder, user=personas.owner)
    RelationshipOwner.objects.create(stakeholder=personas.stakeholder, user=personas.outsider)
    client = signed_in(personas.head)
    url = reverse("roadmaps:continuity_portfolio")
    client.get(url)

    # Session, user, the navigation (2), permissions (2), then two counts and two pages, the
    # accounts of the page's people, who holds what on the page's accounts, needs an owner.
    with django_assert_num_queries(13):
        response = client.get(url)

    content = response.content.decode()
    people = re.search(r'id="continuity-people-title".*?</section>', content, re.S)
    accounts = re.search(r'id="continuity-accounts-title".*?</section>', content, re.S)
    assert people and accounts
    assert "Lone Ranger" in people.group(0)
    assert "<strong>21</strong>" in people.group(0)
    assert str(personas.owner) not in people.group(0)  # shared with the outsider
    assert "Risky 5" in accounts.group(0)
    assert "Northwind Traders" in accounts.group(0)
    assert accounts.group(0).index("Risky") < accounts.group(0).index("Northwind Traders")
    assert signed_in(personas.owner).get(url).status_code == 403
