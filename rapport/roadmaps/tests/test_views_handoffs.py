"""Handoff pages with the personas: the form and its live gate, the list, acknowledging."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from rapport.accounts.models import Account
from rapport.core.tests.factories import (
    AccountFactory,
    StakeholderFactory,
    TeamMemberFactory,
    UserFactory,
)
from rapport.core.tests.personas import Personas
from rapport.roadmaps import handoffs
from rapport.roadmaps.choices import CommitmentStatus, HandoffStatus
from rapport.roadmaps.models import Commitment, Handoff, Playbook
from rapport.roadmaps.tests.test_handoffs import (
    ONE_MISSING,
    WRITE_GOALS,
    draft,
    executive,
    onboarding_playbook,
    won_account,
)
from rapport.stakeholders.models import Stakeholder
from rapport.users.choices import Role
from rapport.users.models import User

pytestmark = pytest.mark.django_db

NEW = reverse("roadmaps:handoff_create")
LIST = reverse("roadmaps:handoff_list")
CHECK = reverse("roadmaps:handoff_check")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def posted(
    manager: User,
    playbook: Playbook,
    *,
    account: str = "",
    name: str = "",
    people: list[dict[str, Any]] | None = None,
    known: dict[Stakeholder, list[str]] | None = None,
    known_for: Account | None = None,
    **extra: str,
) -> dict[str, Any]:
    """What the handoff form posts: the deal, the account, the people rows."""
    rows = people or []
    data: dict[str, Any] = {
        "account": account,
        "name": name,
        "tier": "growth",
        "segment": "mid_market",
        "domain": "",
        "what_was_sold": "Platform, 200 seats",
        "client_goals": "Cut onboarding time by half.",
        "promises": "Weekly check-ins\nA training on site",
        "risks": "",
        "next_steps": "",
        "kickoff_date": "2026-11-02",
        "account_manager": str(manager.pk),
        "playbook": str(playbook.pk),
        "people-TOTAL_FORMS": str(max(len(rows), 3)),
        "people-INITIAL_FORMS": "0",
        "people-MIN_NUM_FORMS": "0",
        "people-MAX_NUM_FORMS": "50",
        "action": "draft",
        **extra,
    }
    for number, row in enumerate(rows):
        for key, value in row.items():
            data[f"people-{number}-{key}"] = value
    if known_for is not None:
        data["known-people_of"] = str(known_for.pk)
        for person, roles in (known or {}).items():
            data[f"known-roles_{person.pk}"] = roles
    return data


LI_WEI = {"first_name": "Li", "last_name": "Wei", "decision_roles": ["champion"]}
ANA = {
    "first_name": "Ana",
    "last_name": "Silva",
    "email": "ana@tailspin.example",
    "decision_roles": ["economic_buyer"],
}


# The form ------------------------------------------------------------------------------------


def test_only_executives_and_managers_of_the_book_hand_off(personas: Personas) -> None:
    assert signed_in(executive()).get(NEW).status_code == 200
    assert signed_in(personas.head).get(NEW).status_code == 200
    for persona in (personas.owner, personas.teammate, personas.read_only):
        assert signed_in(persona).get(NEW).status_code == 403


def test_the_form_offers_only_who_and_what_a_handoff_may_name(personas: Personas) -> None:
    offered = onboarding_playbook()
    retired = onboarding_playbook()
    Playbook.objects.filter(pk=retired.pk).update(is_active=False)
    gone = UserFactory(role=Role.ACCOUNT_MANAGER, is_active=False)
    form = signed_in(executive()).get(NEW).context["form"]
    managers = set(form.fields["account_manager"].queryset)
    assert {personas.owner, personas.outsider, personas.head} <= managers
    assert not {personas.teammate, personas.read_only, gone} & managers
    playbooks = set(form.fields["playbook"].queryset)
    assert offered in playbooks and retired not in playbooks
    assert {playbook.kind for playbook in playbooks} == {"onboarding"}
    # An executive hands off in their own name; a manager of the book may name the executive.
    assert "executive" not in form.fields
    assert "executive" in signed_in(personas.head).get(NEW).context["form"].fields


def test_a_draft_with_a_new_account_and_its_people(personas: Personas) -> None:
    seller = executive()
    data = posted(
        personas.outsider,
        onboarding_playbook(),
        name="Tailspin Toys",
        people=[LI_WEI],
        client_goals="",
    )
    response = signed_in(seller).post(NEW, data)
    handoff = Handoff.objects.get()
    assert response.status_code == 302 and response["Location"] == handoff.get_absolute_url()
    assert handoff.status == HandoffStatus.DRAFT and handoff.executive == seller
    assert handoff.account.name == "Tailspin Toys"
    assert Stakeholder.objects.get(account=handoff.account).full_name == "Li Wei"


def test_a_refused_submission_says_what_is_missing_and_writes_nothing(personas: Personas) -> None:
    seller = executive()
    accounts_before = Account.objects.count()
    data = posted(
        personas.outsider,
        onboarding_playbook(),
        name="Tailspin Toys",
        people=[LI_WEI],
        client_goals=" ",
        action="submit",
    )
    response = signed_in(seller).post(NEW, data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Not submitted yet:" in content
    assert ONE_MISSING.replace("'", "&#x27;") in content
    assert WRITE_GOALS.replace("'", "&#x27;") in content
    assert Account.objects.count() == accounts_before
    assert not Handoff.objects.exists() and not Stakeholder.objects.filter(last_name="Wei").exists()
    # What was typed is still there, ready to be completed or saved as a draft.
    assert 'value="Tailspin Toys"' in content and 'value="Li"' in content


def test_submitting_from_the_form(personas: Personas, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    seller = executive()
    data = posted(
        personas.outsider,
        onboarding_playbook(),
        name="Tailspin Toys",
        people=[LI_WEI, ANA],
        action="submit",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(seller).post(NEW, data)
    handoff = Handoff.objects.get()
    assert response.status_code == 302
    assert handoff.status == HandoffStatus.SUBMITTED and handoff.roadmap is not None
    assert handoff.account.owner == personas.outsider
    assert Commitment.objects.filter(handoff=handoff).count() == 2
    assert [message.to for message in mail.outbox] == [[personas.outsider.email]]


def test_roles_set_on_people_already_on_the_map_pass_the_gate(personas: Personas) -> None:
    seller = executive()
    account = won_account(seller, decision_people=1)
    decider = Stakeholder.objects.get(account=account)
    quiet = StakeholderFactory(account=account, decision_roles=["user"])
    data = posted(
        personas.outsider,
        onboarding_playbook(),
        account=account.name,
        # The page posts every person's boxes, as they stand.
        known={decider: decider.decision_roles, quiet: ["user", "champion"]},
        known_for=account,
        action="submit",
    )
    response = signed_in(seller).post(NEW, data)
    assert response.status_code == 302
    quiet.refresh_from_db()
    assert quiet.decision_roles == ["champion", "user"]
    # Boxes drawn for another account never change this one's people.
    other = won_account(seller, decision_people=2, name="Litware")
    data = posted(
        personas.outsider, onboarding_playbook(), account=other.name, known={}, known_for=account
    )
    assert signed_in(seller).post(NEW, data).status_code == 302
    quiet.refresh_from_db()
    assert quiet.decision_roles == ["champion", "user"]


def test_more_rows_keep_what_was_typed_and_save_nothing(personas: Personas) -> None:
    seller = executive()
    data = posted(
        personas.outsider,
        onboarding_playbook(),
        name="Tailspin Toys",
        people=[LI_WEI],
        action="more",
    )
    response = signed_in(seller).post(NEW, data)
    assert response.status_code == 200
    assert len(response.context["sheet"].new_people.forms) == 6
    assert 'value="Li"' in response.content.decode()
    assert (
        not Handoff.objects.exists() and not Account.objects.filter(name="Tailspin Toys").exists()
    )


def test_the_live_checklist_counts_what_the_form_would_save(personas: Personas) -> None:
    seller = executive()
    account = won_account(seller, decision_people=1)
    client = signed_in(seller)
    data = posted(personas.outsider, onboarding_playbook(), account=account.name, client_goals="")
    response = client.post(CHECK, data)
    content = response.content.decode()
    assert response.status_code == 200
    assert ONE_MISSING in content.replace("&#x27;", "'") and "Write the client" in content
    data = posted(personas.outsider, onboarding_playbook(), account=account.name, people=[LI_WEI])
    content = client.post(CHECK, data).content.decode()
    assert "Ready to submit." in content
    assert Stakeholder.objects.filter(account=account).count() == 1  # nothing saved
    assert signed_in(personas.owner).post(CHECK, data).status_code == 403


def test_the_people_part_follows_the_account_named(personas: Personas) -> None:
    seller = executive()
    account = won_account(seller, decision_people=2)
    client = signed_in(seller)
    response = client.get(reverse("roadmaps:handoff_people"), {"account": account.name})
    content = response.content.decode()
    for person in Stakeholder.objects.filter(account=account):
        assert person.full_name in content
        assert f'name="known-roles_{person.pk}"' in content
    unknown = client.get(reverse("roadmaps:handoff_people"), {"account": "No such client"})
    assert "for a new account" in unknown.content.decode()


def test_a_draft_is_edited_until_submitted(personas: Personas) -> None:
    seller = executive()
    account = won_account(seller)
    handoff = draft(seller, account, personas.outsider)
    url = reverse("roadmaps:handoff_edit", args=[handoff.pk])
    client = signed_in(seller)
    page = client.get(url)
    assert page.status_code == 200 and page.context["form"].initial["account"] == account.name
    data = posted(
        personas.outsider,
        handoff.playbook,
        account=account.name,
        risks="Budget freeze",
        version=str(handoff.version),
        action="submit",
    )
    assert client.post(url, data).status_code == 302
    handoff.refresh_from_db()
    assert handoff.status == HandoffStatus.SUBMITTED and handoff.risks == "Budget freeze"
    assert client.get(url).status_code == 302
    assert signed_in(personas.outsider).get(url).status_code == 403


# The page and the list -----------------------------------------------------------------------


def test_a_draft_is_seen_only_by_its_executive_and_managers_of_the_book(personas: Personas) -> None:
    seller = executive()
    handoff = draft(seller, won_account(seller), personas.outsider, client_goals="")
    url = handoff.get_absolute_url()
    page = signed_in(seller).get(url)
    assert page.status_code == 200 and "Write the client" in page.content.decode()
    assert signed_in(personas.head).get(url).status_code == 200
    assert signed_in(personas.outsider).get(url).status_code == 404


def test_the_page_shows_the_roadmap_the_commitments_and_the_history(personas: Personas) -> None:
    seller = executive()
    handoff = handoffs.handoff_submit(
        handoff=draft(seller, won_account(seller), personas.outsider), acting_user=seller
    )
    response = signed_in(personas.outsider).get(handoff.get_absolute_url())
    content = response.content.decode()
    assert response.status_code == 200
    assert "Take this client on" in content
    assert "Weekly check-ins during the first month" in content
    assert handoff.roadmap.name in content
    assert response.context["history"]
    assert (
        "Take this client on"
        not in signed_in(personas.owner).get(handoff.get_absolute_url()).content.decode()
    )


def test_acknowledging_someone_elses_handoff_is_refused_plainly(personas: Personas) -> None:
    seller = executive()
    handoff = handoffs.handoff_submit(
        handoff=draft(seller, won_account(seller), personas.outsider), acting_user=seller
    )
    url = reverse("roadmaps:handoff_acknowledge", args=[handoff.pk])
    for someone_else in (personas.owner, personas.head, personas.admin, seller):
        response = signed_in(someone_else).post(url, {"note": "Mine now"})
        assert response.status_code == 403
        assert (
            f"Only {personas.outsider}, the account manager this handoff names"
            in response.content.decode()
        )
    handoff.refresh_from_db()
    assert handoff.status == HandoffStatus.SUBMITTED and handoff.acknowledgement_note == ""


def test_the_named_account_manager_acknowledges(
    personas: Personas, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    seller = executive()
    handoff = handoffs.handoff_submit(
        handoff=draft(seller, won_account(seller), personas.outsider), acting_user=seller
    )
    mail.outbox.clear()
    url = reverse("roadmaps:handoff_acknowledge", args=[handoff.pk])
    client = signed_in(personas.outsider)
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"note": "Kickoff booked"})
    assert response.status_code == 302
    handoff.refresh_from_db()
    assert (
        handoff.status == HandoffStatus.ACKNOWLEDGED
        and handoff.acknowledgement_note == "Kickoff booked"
    )
    assert [message.to for message in mail.outbox] == [[seller.email]]
    again = client.post(url, {"note": "Twice"}, follow=True)
    assert "already acknowledged" in again.content.decode()
    assert len(mail.outbox) == 1


def make_handoffs(personas: Personas, seller: User, count: int, *, start: int = 0) -> None:
    playbook = onboarding_playbook()
    for number in range(start, start + count):
        account = AccountFactory(name=f"Client {number:03d}")
        TeamMemberFactory(account=account, user=seller, role="account_executive")
        for role in ("champion", "decision_maker"):
            StakeholderFactory(account=account, decision_roles=[role])
        handoffs.handoff_submit(
            handoff=draft(seller, account, personas.outsider, playbook=playbook), acting_user=seller
        )


def test_the_list_boxes_and_statuses(personas: Personas) -> None:
    seller = executive()
    make_handoffs(personas, seller, 2)
    waiting = Handoff.objects.order_by("id").first()
    assert waiting is not None
    handoffs.handoff_acknowledge(handoff=waiting, acting_user=personas.outsider)
    mine = signed_in(personas.outsider).get(LIST)
    assert mine.context["box"] == "to_me" and mine.context["page"].paginator.count == 1
    done = signed_in(personas.outsider).get(LIST, {"status": "acknowledged"})
    assert [row.pk for row in done.context["page"].object_list] == [waiting.pk]
    given = signed_in(seller).get(LIST, {"status": "any"})
    assert given.context["box"] == "by_me" and given.context["page"].paginator.count == 2
    assert signed_in(personas.owner).get(LIST).context["page"].paginator.count == 0
    everything = signed_in(personas.head).get(LIST, {"status": "any"})
    assert everything.context["box"] == "all" and everything.context["page"].paginator.count == 2
    # "All" is for managers of the book: anyone else keeps their own box.
    assert signed_in(personas.owner).get(LIST, {"box": "all"}).context["box"] == "to_me"
    partial = signed_in(personas.outsider).get(LIST, headers={"HX-Request": "true"})
    assert "<form" not in partial.content.decode()


def test_the_list_runs_a_fixed_number_of_queries(
    personas: Personas, settings, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    settings.RAPPORT_PAGE_SIZE = 5
    seller = executive()
    client = signed_in(personas.outsider)
    make_handoffs(personas, seller, 2)
    client.get(LIST)  # the session's first read is not the page's
    # Session and user, the navigation's two counts, the count and the page (with their joins),
    # the model permissions (the user's and their groups').
    with django_assert_num_queries(8):
        small = client.get(LIST)
    make_handoffs(personas, seller, 6, start=10)
    with django_assert_num_queries(8):
        large = client.get(LIST)
    assert len(small.context["page"].object_list) == 2
    assert len(large.context["page"].object_list) == 5
    assert large.context["page"].paginator.count == 8


def test_the_today_card_shows_waiting_handoffs_and_due_commitments(personas: Personas) -> None:
    seller = executive()
    handoff = handoffs.handoff_submit(
        handoff=draft(seller, won_account(seller), personas.outsider), acting_user=seller
    )
    today = datetime.date.today()
    Commitment.objects.filter(handoff=handoff).update(due_on=today - datetime.timedelta(days=1))
    Commitment.objects.create(
        account=handoff.account,
        title="Send the roadmap",
        owner=personas.outsider,
        due_on=today + datetime.timedelta(days=30),
    )
    client = signed_in(personas.outsider)
    today_page = client.get(reverse("communications:today")).content.decode()
    assert reverse("roadmaps:commitment_today") in today_page
    card = client.get(reverse("roadmaps:commitment_today"), headers={"HX-Request": "true"})
    content = card.content.decode()
    assert "Handoffs waiting for you" in content and "Fabrikam" in content
    assert "Weekly check-ins during the first month" in content
    assert "Send the roadmap" not in content  # not due this week
    handoffs.handoff_acknowledge(handoff=handoff, acting_user=personas.outsider)
    Commitment.objects.update(status=CommitmentStatus.KEPT)
    quiet = client.get(reverse("roadmaps:commitment_today")).content.decode()
    assert "Handoffs waiting for you" not in quiet and "No promise of yours falls due" in quiet


def test_boxes_drawn_for_another_account_are_drawn_again_as_they_stand(
    personas: Personas,
) -> None:
    seller = executive()
    first = won_account(seller, decision_people=1)
    other = won_account(seller, decision_people=1, name="Litware")
    person = Stakeholder.objects.get(account=other)
    data = posted(
        personas.outsider,
        onboarding_playbook(),
        account=other.name,
        known={},
        known_for=first,
        client_goals="",
        action="submit",
    )
    response = signed_in(seller).post(NEW, data)
    assert response.status_code == 200
    boxes = response.context["sheet"].people[f"roles_{person.pk}"]
    assert boxes.value() == person.decision_roles
    person.refresh_from_db()
    assert person.decision_roles  # nothing was unticked


def test_a_draft_is_submitted_from_its_page_once_the_gate_is_met(personas: Personas) -> None:
    seller = executive()
    account = won_account(seller, decision_people=1)
    handoff = draft(seller, account, personas.outsider)
    url = reverse("roadmaps:handoff_submit", args=[handoff.pk])
    client = signed_in(seller)
    refused = client.post(url, follow=True)
    assert ONE_MISSING.replace("'", "&#x27;") in refused.content.decode()
    handoff.refresh_from_db()
    assert handoff.status == HandoffStatus.DRAFT
    assert signed_in(personas.head).post(url).status_code == 302  # refused too, and told why
    StakeholderFactory(account=account, decision_roles=["champion"])
    assert signed_in(personas.outsider).post(url).status_code == 404  # not theirs to see yet
    assert client.post(url).status_code == 302
    handoff.refresh_from_db()
    assert handoff.status == HandoffStatus.SUBMITTED
