"""The roadmap pages, the item services behind them, and the roadmap cards on other pages."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from rapport.accounts.choices import TeamRole
from rapport.communications.choices import TaskStatus
from rapport.communications.models import Task
from rapport.core.exceptions import NotAllowedError, StaleVersionError
from rapport.core.tests.factories import AccountFactory, StakeholderFactory, UserFactory
from rapport.core.tests.personas import Personas
from rapport.roadmaps import services
from rapport.roadmaps.choices import (
    Anchor,
    CommitmentSource,
    ItemKind,
    ItemStatus,
    OwnerSide,
    PlaybookKind,
    RoadmapStatus,
)
from rapport.roadmaps.models import (
    Commitment,
    Playbook,
    PlaybookItem,
    PlaybookPhase,
    Roadmap,
    RoadmapItem,
)
from rapport.roadmaps.tests.test_drawing import pdf_text
from rapport.roadmaps.tests.test_selectors import item, make_roadmap, milestone
from rapport.users.models import User

pytestmark = pytest.mark.django_db


def days(number: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=number)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def playbook(
    *, reference: str = "", offset: int = 0, name: str = "Mid-market onboarding"
) -> Playbook:
    made = Playbook.objects.create(
        name=name, kind=PlaybookKind.ONBOARDING, reference_label=reference
    )
    phase = PlaybookPhase.objects.create(playbook=made, name="Set-up", position=0)
    PlaybookItem.objects.create(
        phase=phase,
        title="Kickoff call",
        kind=ItemKind.COMMUNICATION,
        offset_days=offset,
        anchor=Anchor.REFERENCE if reference else Anchor.START,
        owner_role=TeamRole.ACCOUNT_MANAGER,
    )
    PlaybookItem.objects.create(
        phase=phase, title="Go-live", kind=ItemKind.MILESTONE, offset_days=30, position=1
    )
    return made


@pytest.fixture
def roadmap(personas: Personas) -> Roadmap:
    champion = StakeholderFactory(account=personas.account, first_name="Grace", last_name="Hopper")
    return make_roadmap(
        personas.account,
        item("Kickoff call", days(-5), status=ItemStatus.DONE, owner_user=personas.owner),
        item(
            "Import the data",
            days(-2),
            start_on=days(-6),
            owner_user=personas.owner,
            internal_notes="Their IT lead is on leave",
        ),
        milestone(
            "Go-live",
            days(10),
            owner_side=OwnerSide.CLIENT,
            owner_stakeholder=champion,
            phase=1,
        ),
        item("Price review", days(12), client_facing=False, phase=1),
    )


# An account's roadmaps -----------------------------------------------------------------------


def test_the_roadmaps_tab_lists_active_roadmaps_first_with_their_progress(
    personas: Personas, roadmap: Roadmap
) -> None:
    make_roadmap(personas.account, name="Old recovery", status=RoadmapStatus.COMPLETED)
    url = reverse("roadmaps:account_roadmaps", args=[personas.account.pk])
    content = signed_in(personas.owner).get(url).content.decode()
    assert content.index("Onboarding") < content.index("Old recovery")
    assert "1 of 4 done" in content and "25%" in content
    assert "1 late item" in content and "Go-live" in content
    # The account's tab is marked as the current one.
    assert re.search(r'href="[^"]*/roadmaps/"\s+aria-current="page">Roadmap<', content)


def test_start_a_roadmap_from_a_playbook(personas: Personas) -> None:
    source = playbook()
    url = reverse("roadmaps:account_roadmaps", args=[personas.account.pk])
    response = signed_in(personas.owner).post(
        url, {"playbook": source.pk, "start_date": days(0).isoformat(), "name": ""}
    )
    started = Roadmap.objects.get(account=personas.account)
    assert response.status_code == 302 and response["Location"] == started.get_absolute_url()
    assert started.name == "Mid-market onboarding" and started.created_by == personas.owner
    kickoff = started.items.get(title="Kickoff call")
    assert kickoff.owner_user == personas.owner and kickoff.task is not None


def test_starting_a_roadmap_is_refused_with_reasons_on_the_form(personas: Personas) -> None:
    renewal = playbook(reference="contract end", offset=-120, name="Renewal")
    url = reverse("roadmaps:account_roadmaps", args=[personas.account.pk])
    client = signed_in(personas.owner)
    response = client.post(url, {"playbook": renewal.pk, "start_date": days(0).isoformat()})
    assert response.status_code == 200
    assert "“Renewal” counts from the contract end: give that date." in response.content.decode()
    # The playbook's own problems (an item before the start) come back from the service.
    broken = playbook(offset=-3, name="Broken")
    response = client.post(url, {"playbook": broken.pk, "start_date": days(0).isoformat()})
    assert "would fall before the roadmap starts" in response.content.decode()
    assert not Roadmap.objects.exists()


def test_read_only_users_see_roadmaps_but_start_none(personas: Personas, roadmap: Roadmap) -> None:
    source = playbook()
    url = reverse("roadmaps:account_roadmaps", args=[personas.account.pk])
    client = signed_in(personas.read_only)
    page = client.get(url).content.decode()
    assert "Onboarding" in page and "Start a roadmap" not in page
    response = client.post(url, {"playbook": source.pk, "start_date": days(0).isoformat()})
    assert response.status_code == 403
    assert Roadmap.objects.count() == 1


def test_an_account_without_roadmaps_says_so(personas: Personas) -> None:
    # The shipped playbooks are withdrawn, to see what a new installation without any shows.
    Playbook.objects.update(is_active=False)
    url = reverse("roadmaps:account_roadmaps", args=[personas.account.pk])
    content = signed_in(personas.owner).get(url).content.decode()
    assert "No roadmap for this account yet." in content
    assert "No playbook is offered yet." in content


# One roadmap ---------------------------------------------------------------------------------


def test_the_roadmap_page_shows_phases_items_owners_and_notes(
    personas: Personas, roadmap: Roadmap
) -> None:
    content = signed_in(personas.owner).get(roadmap.get_absolute_url()).content.decode()
    assert "Set-up" in content and "Adoption" in content
    assert "Grace Hopper" in content and str(personas.owner) in content
    assert "Their IT lead is on leave" in content
    assert "Internal only" in content and "Shown to the client" in content
    late_row = re.search(
        r'<tr id="item-\d+" class="([^"]*)">\s*<td>\s*<p class="item-title">'
        r"<strong>Import the data",
        content,
    )
    assert late_row and "is-late" in late_row.group(1)
    assert "2 days late" in content
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in content
    assert "Next milestone:" in content
    # One click completes an item, in place.
    import_item = roadmap.items.get(title="Import the data")
    status_url = reverse("roadmaps:roadmap_item_status", args=[import_item.pk])
    assert f'hx-post="{status_url}"' in content


def test_the_roadmap_page_reads_a_fixed_number_of_queries(
    personas: Personas, django_assert_num_queries: Any
) -> None:
    small = make_roadmap(personas.account, item("One", days(1), owner_user=personas.owner))
    many = [
        item(f"Step {index}", days(index), owner_user=personas.owner, phase=index % 2)
        for index in range(40)
    ]
    large = make_roadmap(personas.account, *many)
    client = signed_in(personas.owner)
    client.get(small.get_absolute_url())
    # Session and user; the roadmap, its phases and items; its client links; the navigation's
    # two counts; the model permissions (read once).
    with django_assert_num_queries(10):
        client.get(small.get_absolute_url())
    with django_assert_num_queries(10):
        client.get(large.get_absolute_url())


def test_complete_skip_and_reopen_in_one_click(personas: Personas) -> None:
    source = playbook()
    roadmap = services.roadmap_start(
        acting_user=personas.owner, account=personas.account, playbook=source, start_date=days(0)
    )
    kickoff = roadmap.items.get(title="Kickoff call")
    url = reverse("roadmaps:roadmap_item_status", args=[kickoff.pk])
    client = signed_in(personas.owner)
    response = client.post(url, {"status": "done"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Trigger"] == "roadmap-changed"
    row = response.content.decode()
    assert row.lstrip().startswith(f'<tr id="item-{kickoff.pk}"') and "Reopen" in row
    kickoff.refresh_from_db()
    assert kickoff.status == ItemStatus.DONE and kickoff.completed_by == personas.owner
    assert kickoff.task is not None and kickoff.task.status == TaskStatus.DONE
    # The summary redraws on its own.
    summary = client.get(roadmap.get_absolute_url(), {"part": "summary"}, HTTP_HX_REQUEST="true")
    assert "1 of 2 done" in summary.content.decode()
    assert "<html" not in summary.content.decode()
    # Without JavaScript: a post and a redirect back to the row.
    response = client.post(url, {"status": "planned"})
    assert response.status_code == 302 and response["Location"].endswith(f"#item-{kickoff.pk}")
    response = client.post(url, {"status": "skipped"})
    kickoff.refresh_from_db()
    assert kickoff.status == ItemStatus.SKIPPED
    assert client.post(url, {"status": "lost"}).status_code == 400


def test_outsiders_and_read_only_users_cannot_change_items(
    personas: Personas, roadmap: Roadmap
) -> None:
    target = roadmap.items.get(title="Import the data")
    for user in (personas.outsider, personas.read_only):
        client = signed_in(user)
        page = client.get(roadmap.get_absolute_url()).content.decode()
        assert "roadmap_item_status" not in page and "Add an item" not in page
        assert (
            client.post(
                reverse("roadmaps:roadmap_item_status", args=[target.pk]), {"status": "done"}
            ).status_code
            == 403
        )
        assert (
            client.get(reverse("roadmaps:roadmap_item_edit", args=[target.pk])).status_code == 403
        )
        assert (
            client.get(reverse("roadmaps:roadmap_item_add", args=[roadmap.pk])).status_code == 403
        )
    target.refresh_from_db()
    assert target.status == ItemStatus.PLANNED


def test_add_an_item_owned_by_a_team_member(personas: Personas, roadmap: Roadmap) -> None:
    phase = roadmap.phases.get(name="Adoption")
    url = reverse("roadmaps:roadmap_item_add", args=[roadmap.pk])
    client = signed_in(personas.owner)
    form = client.get(url, {"phase": phase.pk}).content.decode()
    assert f'<option value="user:{personas.teammate.pk}"' in form
    assert f'<option value="stakeholder:{personas.stakeholder.pk}"' in form
    # Read-only users hold nothing.
    assert f"user:{personas.read_only.pk}" not in form
    response = client.post(
        url,
        {
            "phase": phase.pk,
            "kind": ItemKind.TASK,
            "title": "Set up the support portal",
            "start_on": days(3).isoformat(),
            "due_on": days(8).isoformat(),
            "owner": f"user:{personas.teammate.pk}",
            "client_facing": "on",
        },
    )
    added = roadmap.items.get(title="Set up the support portal")
    assert response.status_code == 302
    assert (added.phase, added.owner_user, added.owner_side) == (
        phase,
        personas.teammate,
        OwnerSide.OURS,
    )
    assert added.task is not None and added.task.assignee == personas.teammate
    assert added.task.due_on == days(8)
    assert added.history.first().history_user == personas.owner  # type: ignore[union-attr]


def test_an_item_due_before_it_starts_is_refused(personas: Personas, roadmap: Roadmap) -> None:
    response = signed_in(personas.owner).post(
        reverse("roadmaps:roadmap_item_add", args=[roadmap.pk]),
        {
            "phase": roadmap.phases.first().pk,  # type: ignore[union-attr]
            "kind": ItemKind.TASK,
            "title": "Backwards",
            "start_on": days(8).isoformat(),
            "due_on": days(3).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "An item cannot be due before it starts." in response.content.decode()
    assert not roadmap.items.filter(title="Backwards").exists()


def test_move_and_reown_an_item_to_the_client_side(personas: Personas) -> None:
    source = playbook()
    roadmap = services.roadmap_start(
        acting_user=personas.owner, account=personas.account, playbook=source, start_date=days(0)
    )
    kickoff = roadmap.items.get(title="Kickoff call")
    task = kickoff.task
    assert task is not None
    client = signed_in(personas.owner)
    url = reverse("roadmaps:roadmap_item_edit", args=[kickoff.pk])
    form = client.get(url).content.decode()
    assert f'value="user:{personas.owner.pk}" selected' in form
    data = {
        "phase": kickoff.phase_id,
        "kind": ItemKind.COMMUNICATION,
        "title": "Kickoff call",
        "start_on": days(4).isoformat(),
        "due_on": days(4).isoformat(),
        "owner": f"user:{personas.teammate.pk}",
        "client_facing": "on",
        "internal_notes": "Bring the support lead",
        "version": kickoff.version,
    }
    assert client.post(url, data).status_code == 302
    kickoff.refresh_from_db()
    task.refresh_from_db()
    assert (kickoff.due_on, kickoff.owner_user, kickoff.internal_notes) == (
        days(4),
        personas.teammate,
        "Bring the support lead",
    )
    # The follow-up task moved and changed hands with it.
    assert (task.due_on, task.assignee, task.status) == (days(4), personas.teammate, "open")
    data |= {"owner": f"stakeholder:{personas.stakeholder.pk}", "version": kickoff.version}
    assert client.post(url, data).status_code == 302
    kickoff.refresh_from_db()
    task.refresh_from_db()
    assert kickoff.owner_side == OwnerSide.CLIENT and kickoff.owner_user is None
    assert kickoff.owner_stakeholder == personas.stakeholder and kickoff.owner_role == ""
    # A step of the client's is not our task any more.
    assert task.status == TaskStatus.CANCELLED
    # A stale form is refused.
    response = client.post(url, data | {"version": 1, "title": "Renamed"})
    assert "changed" in response.content.decode().lower()
    kickoff.refresh_from_db()
    assert kickoff.title == "Kickoff call"


def test_owners_must_belong_to_the_account(personas: Personas, roadmap: Roadmap) -> None:
    target = roadmap.items.get(title="Import the data")
    stranger = UserFactory()
    elsewhere = StakeholderFactory(account=personas.other_account)
    gone = UserFactory(is_active=False)
    refusals = [
        ({"owner_user": stranger}, "owner_user"),
        ({"owner_user": gone}, "owner_user"),
        ({"owner_user": personas.read_only}, "owner_user"),
        ({"owner_user": None, "owner_stakeholder": elsewhere}, "owner_stakeholder"),
    ]
    for data, field in refusals:
        with pytest.raises(ValidationError) as error:
            services.roadmap_item_update(
                item=target, acting_user=personas.owner, data=data, expected_version=None
            )
        assert field in error.value.message_dict
    other = make_roadmap(personas.account, name="Other")
    with pytest.raises(ValidationError):
        services.roadmap_item_update(
            item=target,
            acting_user=personas.owner,
            data={"phase": other.phases.first()},
            expected_version=None,
        )
    target.refresh_from_db()
    assert target.owner_user == personas.owner and target.version == 1


def test_item_services_check_permission_and_version(personas: Personas, roadmap: Roadmap) -> None:
    target = roadmap.items.get(title="Import the data")
    with pytest.raises(NotAllowedError):
        services.roadmap_item_update(
            item=target, acting_user=personas.outsider, data={"title": "x"}, expected_version=None
        )
    with pytest.raises(NotAllowedError):
        services.roadmap_item_delete(item=target, acting_user=personas.read_only)
    with pytest.raises(StaleVersionError):
        services.roadmap_item_update(
            item=target, acting_user=personas.owner, data={"title": "x"}, expected_version=7
        )
    with pytest.raises(NotAllowedError):
        services.roadmap_item_add(
            acting_user=personas.outsider,
            roadmap=roadmap,
            data={"title": "x", "phase": roadmap.phases.first()},
        )


def test_remove_an_item(personas: Personas) -> None:
    roadmap = services.roadmap_start(
        acting_user=personas.owner,
        account=personas.account,
        playbook=playbook(),
        start_date=days(0),
    )
    kickoff = roadmap.items.get(title="Kickoff call")
    task = kickoff.task
    client = signed_in(personas.owner)
    url = reverse("roadmaps:roadmap_item_delete", args=[kickoff.pk])
    assert "Remove the item" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert not roadmap.items.filter(pk=kickoff.pk).exists()
    assert Task.objects.get(pk=task.pk).status == TaskStatus.CANCELLED  # type: ignore[union-attr]
    assert RoadmapItem.history.filter(id=kickoff.pk, history_type="-").get().history_user == (
        personas.owner
    )


def test_a_completed_roadmap_reopens_when_an_item_is_added(personas: Personas) -> None:
    roadmap = make_roadmap(
        personas.account,
        item("Done", days(-1), status=ItemStatus.DONE),
        status=RoadmapStatus.COMPLETED,
    )
    services.roadmap_item_add(
        acting_user=personas.owner,
        roadmap=roadmap,
        data={
            "title": "One more thing",
            "phase": roadmap.phases.first(),
            "start_on": days(1),
            "due_on": days(2),
        },
    )
    roadmap.refresh_from_db()
    assert roadmap.status == RoadmapStatus.ACTIVE


def test_edit_the_roadmap_and_its_message_to_the_client(
    personas: Personas, roadmap: Roadmap
) -> None:
    url = reverse("roadmaps:roadmap_edit", args=[roadmap.pk])
    client = signed_in(personas.owner)
    response = client.post(
        url,
        {"name": "Onboarding 2026", "client_summary": "Our plan together.", "version": 1},
    )
    assert response.status_code == 302
    roadmap.refresh_from_db()
    assert (roadmap.name, roadmap.client_summary, roadmap.version) == (
        "Onboarding 2026",
        "Our plan together.",
        2,
    )
    assert "Our plan together." in client.get(roadmap.get_absolute_url()).content.decode()
    assert signed_in(personas.outsider).get(url).status_code == 403


def test_cancel_a_roadmap(personas: Personas) -> None:
    roadmap = services.roadmap_start(
        acting_user=personas.owner,
        account=personas.account,
        playbook=playbook(),
        start_date=days(0),
    )
    task = roadmap.items.get(title="Kickoff call").task
    client = signed_in(personas.owner)
    assert (
        signed_in(personas.outsider)
        .post(reverse("roadmaps:roadmap_cancel", args=[roadmap.pk]))
        .status_code
        == 403
    )
    response = client.post(reverse("roadmaps:roadmap_cancel", args=[roadmap.pk]))
    assert response.status_code == 302
    roadmap.refresh_from_db()
    assert roadmap.status == RoadmapStatus.CANCELLED
    assert Task.objects.get(pk=task.pk).status == TaskStatus.CANCELLED  # type: ignore[union-attr]
    page = client.get(roadmap.get_absolute_url()).content.decode()
    assert "Add an item" not in page and "Make a client link" not in page
    with pytest.raises(ValidationError):
        services.roadmap_item_add(
            acting_user=personas.owner,
            roadmap=roadmap,
            data={"title": "Late addition", "phase": roadmap.phases.first()},
        )


def test_the_roadmap_pdf_has_everything_we_see(
    personas: Personas, roadmap: Roadmap, tmp_path: Path
) -> None:
    response = signed_in(personas.owner).get(reverse("roadmaps:roadmap_pdf", args=[roadmap.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert 'filename="northwind-traders-onboarding.pdf"' in response["Content-Disposition"]
    text = pdf_text(response.content, tmp_path)
    assert "Import the data" in text and "Price review" in text
    assert "Their IT lead is on leave" in text and "Grace Hopper" in text


# The account's 360° page, the today view, the timeline ---------------------------------------


def test_the_360_page_shows_active_roadmaps_progress_late_count_and_next_milestone(
    personas: Personas, roadmap: Roadmap
) -> None:
    make_roadmap(personas.account, name="Finished", status=RoadmapStatus.COMPLETED)
    content = signed_in(personas.owner).get(personas.account.get_absolute_url()).content.decode()
    card = re.search(r'<section class="card wide roadmap-card".*?</section>', content, re.S)
    assert card
    html = card.group(0)
    assert "Onboarding" in html and "Finished" not in html
    assert "1 of 4 done" in html and "1 late" in html
    assert "Go-live" in html and f"#item-{roadmap.items.get(title='Go-live').pk}" in html


def test_the_360_page_without_a_roadmap_offers_to_start_one(personas: Personas) -> None:
    content = signed_in(personas.owner).get(personas.account.get_absolute_url()).content.decode()
    assert "No active roadmap." in content and "Start one from a playbook" in content
    content = (
        signed_in(personas.read_only).get(personas.account.get_absolute_url()).content.decode()
    )
    assert "No active roadmap." in content and "Start one from a playbook" not in content


def test_the_360_card_costs_the_same_whatever_the_roadmaps(
    personas: Personas, django_assert_num_queries: Any
) -> None:
    client = signed_in(personas.owner)
    url = personas.account.get_absolute_url()
    make_roadmap(personas.account, item("One", days(-1)))
    client.get(url)
    # The page's other cards are not this test's business: only that roadmaps add nothing.
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for index in range(4):
        make_roadmap(
            personas.account,
            *[milestone(f"M{index}-{step}", days(step - 3)) for step in range(10)],
            name=f"Roadmap {index}",
        )
    with django_assert_num_queries(len(before.captured_queries)):
        response = client.get(url)
    assert "More active roadmaps" in response.content.decode()


def test_the_today_view_lists_my_late_items_and_milestones_this_week(
    personas: Personas, roadmap: Roadmap
) -> None:
    make_roadmap(
        personas.account,
        milestone("Steering committee", days(3), owner_user=personas.owner),
        milestone("Next month's review", days(30), owner_user=personas.owner),
        item("Teammate's late step", days(-4), owner_user=personas.teammate),
        name="Adoption",
    )
    content = signed_in(personas.owner).get(reverse("communications:today")).content.decode()
    card = re.search(r'<section class="card" id="today-roadmaps".*?</section>', content, re.S)
    assert card
    html = card.group(0).replace("\xa0", " ")
    assert "Import the data" in html and "2 days late" in html
    assert "Steering committee" in html
    assert "Next month's review" not in html and "Teammate's late step" not in html
    assert "Kickoff call" not in html  # done
    late = roadmap.items.get(title="Import the data")
    assert f'href="{late.get_absolute_url()}"' in html


def test_the_today_view_keeps_its_query_count_with_roadmap_items(
    personas: Personas, django_assert_num_queries: Any
) -> None:
    client = signed_in(personas.owner)
    url = reverse("communications:today")
    client.get(url)
    make_roadmap(personas.account, item("Late", days(-1), owner_user=personas.owner))
    with django_assert_num_queries(13):
        client.get(url)
    for index in range(5):
        account = AccountFactory(owner=personas.owner)
        make_roadmap(
            account,
            item(f"Late {index}", days(-1 - index), owner_user=personas.owner),
            milestone(f"Milestone {index}", days(index % 7), owner_user=personas.owner),
        )
    with django_assert_num_queries(13):
        response = client.get(url)
    content = response.content.decode()
    # Eleven rows, the ten most urgent shown: the latest milestone waits on its roadmap page.
    assert "Late 4" in content and "Milestone 3" in content and "Milestone 4" not in content
    assert "The most urgent are shown" in content


def test_the_today_view_with_nothing_on_my_roadmaps(personas: Personas) -> None:
    content = signed_in(personas.owner).get(reverse("communications:today")).content.decode()
    assert "No roadmap item of yours is late" in content


def test_milestones_and_commitments_appear_on_the_account_timeline(
    personas: Personas, roadmap: Roadmap
) -> None:
    Commitment.objects.create(
        account=personas.account,
        title="Free training for ten people",
        owner=personas.owner,
        due_on=days(-1),
        source=CommitmentSource.HANDOFF,
    )
    url = reverse("communications:account_timeline", args=[personas.account.pk])
    content = signed_in(personas.owner).get(url).content.decode()
    go_live = roadmap.items.get(title="Go-live")
    assert "event-milestone" in content and f'href="{go_live.get_absolute_url()}"' in content
    assert "Grace Hopper" in content and roadmap.name in content
    assert "event-commitment" in content and "Free training for ten people" in content
    assert "Overdue" in content and "Handoff" in content
