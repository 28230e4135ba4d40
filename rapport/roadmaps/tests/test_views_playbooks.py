"""The playbook pages with every persona: read by all, edited by heads and administrators."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from rapport.accounts.choices import TeamRole
from rapport.core.tests.personas import Personas
from rapport.roadmaps import playbooks, services
from rapport.roadmaps.choices import Anchor, ItemKind, OwnerSide, PlaybookKind
from rapport.roadmaps.models import Playbook, PlaybookItem, PlaybookPhase
from rapport.stakeholders.choices import DecisionRole
from rapport.users.models import User

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
LIST = reverse("roadmaps:playbook_list")
EVERYONE = ["owner", "teammate", "outsider", "read_only", "head", "admin"]
NOT_EDITORS = ["owner", "teammate", "read_only"]


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def shipped(name: str) -> Playbook:
    return Playbook.objects.get(name=name)


def detail(playbook: Playbook) -> str:
    return reverse("roadmaps:playbook_detail", args=[playbook.pk])


def pilot(personas: Personas) -> tuple[Playbook, PlaybookPhase, PlaybookItem]:
    """A small playbook: one phase with a kickoff call on day 0."""
    playbook = playbooks.playbook_create(
        acting_user=personas.head, data={"name": "Pilot", "kind": PlaybookKind.ONBOARDING}
    )
    phase = playbooks.phase_create(
        playbook=playbook, acting_user=personas.head, data={"name": "Kickoff"}
    )
    item = playbooks.item_create(
        phase=phase,
        acting_user=personas.head,
        data={"title": "Kickoff call", "kind": ItemKind.COMMUNICATION, "offset_days": 0},
    )
    return Playbook.objects.get(pk=playbook.pk), phase, item


def item_post(playbook: Playbook, phase: PlaybookPhase, **data: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "title": "Set-up",
        "kind": ItemKind.TASK,
        "phase": phase.pk,
        "anchor": Anchor.START,
        "offset_days": 7,
        "duration_days": 0,
        "owner_side": OwnerSide.OURS,
        "owner_role": "",
        "depends_on": "",
        "client_facing": "on",
        "description": "",
        "revision": playbook.revision,
    }
    fields.update(data)
    return fields


# Reading -------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", EVERYONE)
def test_everyone_reads_the_list_and_a_playbook(personas: Personas, who: str) -> None:
    client = signed_in(getattr(personas, who))
    listing = client.get(LIST)
    assert listing.status_code == 200
    names = [playbook.name for playbook in listing.context["page"].object_list]
    assert sorted(names) == sorted(
        ["Enterprise onboarding", "Mid-market onboarding", "Renewal", "At-risk recovery"]
    )
    page = client.get(detail(shipped("Renewal")))
    assert page.status_code == 200
    assert "120 days before contract end" in page.content.decode()
    may_edit = who in ("head", "admin")
    assert page.context["can_change"] is may_edit
    assert (reverse("roadmaps:playbook_create") in listing.content.decode()) is may_edit


def test_signing_in_is_required(client: Client, personas: Personas) -> None:
    for url in (LIST, detail(shipped("Renewal")), reverse("roadmaps:playbook_create")):
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


def test_the_detail_shows_each_item_in_words(personas: Personas) -> None:
    page = signed_in(personas.owner).get(detail(shipped("Enterprise onboarding")))
    html = page.content.decode()
    phases = page.context["phases"]
    assert [row.phase.name for row in phases] == ["Kickoff & set-up", "Adoption", "Value review"]
    rows = {entry.item.title: entry for row in phases for entry in row.items}
    assert rows["Week-2 check-in"].when == "day 14"
    assert rows["Technical set-up"].owner == "Our side · Support lead"
    assert rows["Success plan signed off"].owner == "Client side · Champion"
    assert "internal only" in html
    assert "over 10 days" in html
    assert "after “Kickoff call”" in html
    assert "revision 1" in html
    assert "No roadmap has been started from this playbook yet." in html


def test_the_detail_counts_and_links_the_roadmaps_started(personas: Personas) -> None:
    renewal = shipped("Renewal")
    roadmap = services.roadmap_start(
        acting_user=personas.owner,
        account=personas.account,
        playbook=renewal,
        start_date=datetime.date(2026, 11, 2),
        reference_date=datetime.date(2027, 3, 1),
    )
    page = signed_in(personas.read_only).get(detail(renewal))
    assert page.context["roadmap_count"] == 1
    html = page.content.decode()
    assert "1 roadmap started from it" in html
    assert roadmap.get_absolute_url() in html
    # Used: it may be archived, no longer deleted.
    head_page = signed_in(personas.head).get(detail(renewal)).content.decode()
    assert reverse("roadmaps:playbook_delete", args=[renewal.pk]) not in head_page


def test_the_detail_shows_the_history_of_the_content(personas: Personas) -> None:
    playbook, phase, item = pilot(personas)
    playbooks.item_update(item=item, acting_user=personas.head, data={"title": "Kickoff meeting"})
    page = signed_in(personas.owner).get(detail(playbook))
    subjects = [entry.subject for entry in page.context["history"].object_list]
    assert "Kickoff meeting" in subjects
    assert phase.name in subjects
    html = page.content.decode()
    assert "Kickoff call" in html  # the old title, in the change record


def test_the_list_filters_by_kind_and_status(personas: Personas) -> None:
    client = signed_in(personas.owner)
    renewals = client.get(LIST, {"kind": PlaybookKind.RENEWAL})
    assert [p.name for p in renewals.context["page"].object_list] == ["Renewal"]
    playbooks.playbook_archive(playbook=shipped("At-risk recovery"), acting_user=personas.head)
    offered = [p.name for p in client.get(LIST).context["page"].object_list]
    assert "At-risk recovery" not in offered
    archived = client.get(LIST, {"status": "archived"}, headers=HTMX)
    assert [p.name for p in archived.context["page"].object_list] == ["At-risk recovery"]
    assert "<html" not in archived.content.decode()
    everything = client.get(LIST, {"status": "all"})
    assert everything.context["page"].paginator.count == 4
    odd = client.get(LIST, {"kind": "nonsense"})
    assert odd.context["invalid"] == ["kind"]


def test_the_list_costs_a_fixed_number_of_queries(
    personas: Personas, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(personas.owner)
    client.get(LIST)
    # Half are the base layout's (session, user, permissions, today's counts).
    with django_assert_num_queries(8):
        few = client.get(LIST)
    for number in range(6):
        playbooks.playbook_duplicate(
            playbook=shipped("Renewal"), acting_user=personas.head, name=f"Renewal {number}"
        )
    with django_assert_num_queries(8):
        many = client.get(LIST)
    assert len(many.context["page"].object_list) == len(few.context["page"].object_list) + 6
    counts = {p.name: (p.phase_count, p.item_count, p.roadmap_count) for p in few.context["page"]}
    assert counts["Renewal"] == (3, 8, 0)


def test_the_detail_costs_a_fixed_number_of_queries(
    personas: Personas, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    playbook, phase, kickoff = pilot(personas)
    playbooks.item_create(
        phase=phase,
        acting_user=personas.head,
        data={"title": "Set-up", "kind": ItemKind.TASK, "offset_days": 5, "depends_on": kickoff},
    )
    client = signed_in(personas.head)
    client.get(detail(playbook))
    # The base layout's own reads (session, user, permissions, today's counts) are 6 of them.
    with django_assert_num_queries(17):
        client.get(detail(playbook))
    extra = playbooks.phase_create(
        playbook=playbook, acting_user=personas.head, data={"name": "Adoption"}
    )
    for day in range(5):
        playbooks.item_create(
            phase=extra if day % 2 else phase,
            acting_user=personas.head,
            data={
                "title": f"Step {day}",
                "kind": ItemKind.TASK,
                "offset_days": day,
                "depends_on": kickoff,
            },
        )
    with django_assert_num_queries(17):
        page = client.get(detail(playbook))
    assert sum(len(row.items) for row in page.context["phases"]) == 7


@pytest.mark.parametrize("kind", ["playbook", "phase", "item"])
def test_unknown_ids_are_not_found(personas: Personas, kind: str) -> None:
    client = signed_in(personas.head)
    names = {
        "playbook": ["detail", "edit", "delete", "duplicate", "preview", "phase_create"],
        "phase": ["phase_edit", "phase_delete", "item_create"],
        "item": ["item_edit", "item_delete"],
    }[kind]
    for name in names:
        url = reverse(f"roadmaps:playbook_{name}", args=[999_999])
        assert client.get(url).status_code == 404, name
    moves = {"phase": "phase_move", "item": "item_move", "playbook": "archive"}
    url = reverse(f"roadmaps:playbook_{moves[kind]}", args=[999_999])
    assert client.post(url).status_code == 404


# Permissions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", NOT_EDITORS)
def test_account_managers_and_others_may_not_edit(personas: Personas, who: str) -> None:
    playbook, phase, item = pilot(personas)
    client = signed_in(getattr(personas, who))
    gets = [
        reverse("roadmaps:playbook_create"),
        reverse("roadmaps:playbook_edit", args=[playbook.pk]),
        reverse("roadmaps:playbook_delete", args=[playbook.pk]),
        reverse("roadmaps:playbook_duplicate", args=[playbook.pk]),
        reverse("roadmaps:playbook_phase_create", args=[playbook.pk]),
        reverse("roadmaps:playbook_phase_edit", args=[phase.pk]),
        reverse("roadmaps:playbook_phase_delete", args=[phase.pk]),
        reverse("roadmaps:playbook_item_create", args=[phase.pk]),
        reverse("roadmaps:playbook_item_edit", args=[item.pk]),
        reverse("roadmaps:playbook_item_delete", args=[item.pk]),
    ]
    for url in gets:
        assert client.get(url).status_code == 403, url
        assert client.post(url, item_post(playbook, phase)).status_code == 403, url
    posts = [
        reverse("roadmaps:playbook_archive", args=[playbook.pk]),
        reverse("roadmaps:playbook_phase_move", args=[phase.pk]),
        reverse("roadmaps:playbook_item_move", args=[item.pk]),
    ]
    for url in posts:
        assert client.post(url).status_code == 403, url
    playbook.refresh_from_db()
    assert (playbook.revision, playbook.is_active) == (3, True)
    assert PlaybookItem.objects.filter(phase=phase).count() == 1


# Editing -------------------------------------------------------------------------------------


def test_a_head_creates_a_playbook_then_its_phases_and_steps(personas: Personas) -> None:
    client = signed_in(personas.head)
    created = client.post(
        reverse("roadmaps:playbook_create"),
        {"name": "Pilot", "kind": PlaybookKind.ADOPTION, "description": "", "reference_label": ""},
    )
    playbook = Playbook.objects.get(name="Pilot")
    assert created["Location"] == playbook.get_absolute_url()
    added = client.post(
        reverse("roadmaps:playbook_phase_create", args=[playbook.pk]),
        {"name": "Adoption", "revision": 1},
    )
    phase = playbook.phases.get()
    assert added["Location"] == f"{playbook.get_absolute_url()}#phase-{phase.pk}"
    playbook.refresh_from_db()
    stepped = client.post(
        reverse("roadmaps:playbook_item_create", args=[phase.pk]),
        item_post(playbook, phase, owner_role=TeamRole.SUPPORT_LEAD),
    )
    item = PlaybookItem.objects.get(phase=phase)
    assert stepped["Location"].endswith(f"#item-{item.pk}")
    assert (item.title, item.owner_role, item.client_facing) == ("Set-up", "support_lead", True)
    assert Playbook.objects.get(pk=playbook.pk).revision == 3


def test_an_impossible_step_is_refused_with_the_problem_in_words(personas: Personas) -> None:
    playbook, phase, _item = pilot(personas)
    response = signed_in(personas.head).post(
        reverse("roadmaps:playbook_item_create", args=[phase.pk]),
        item_post(playbook, phase, title="Too early", offset_days=-5),
        headers=HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="playbook-content"' in html and "<html" not in html
    assert "“Too early” would fall before the roadmap starts (offset -5 days)." in html
    assert not PlaybookItem.objects.filter(title="Too early").exists()
    assert Playbook.objects.get(pk=playbook.pk).revision == playbook.revision


def test_a_bad_number_is_refused_in_plain_words(personas: Personas) -> None:
    playbook, phase, _item = pilot(personas)
    response = signed_in(personas.head).post(
        reverse("roadmaps:playbook_item_create", args=[phase.pk]),
        item_post(playbook, phase, title="", offset_days="soon", duration_days=9999),
    )
    assert response.status_code == 200
    errors = response.context["editing"].form.errors
    assert errors["title"] == ["Give the step a title."]
    assert errors["offset_days"] == ["Enter a whole number of days."]
    assert errors["duration_days"] == ["At most 366 days."]


def test_editing_in_place_with_htmx(personas: Personas) -> None:
    playbook, phase, item = pilot(personas)
    client = signed_in(personas.head)
    url = reverse("roadmaps:playbook_item_edit", args=[item.pk])
    form = client.get(url, headers=HTMX)
    html = form.content.decode()
    assert "<html" not in html and f'hx-post="{url}"' in html
    assert form.context["editing"].target == item.pk
    saved = client.post(
        url, item_post(playbook, phase, title="Kickoff meeting", offset_days=1), headers=HTMX
    )
    assert saved.status_code == 200
    assert saved.context["editing"] is None
    assert "Kickoff meeting" in saved.content.decode()
    assert "revision 4" in saved.content.decode()
    item.refresh_from_db()
    assert (item.title, item.offset_days, item.kind) == ("Kickoff meeting", 1, ItemKind.TASK)


def test_the_same_edit_works_as_a_plain_form(personas: Personas) -> None:
    playbook, phase, item = pilot(personas)
    client = signed_in(personas.head)
    url = reverse("roadmaps:playbook_item_edit", args=[item.pk])
    page = client.get(url)
    html = page.content.decode()
    assert "<html" in html and "hx-post" not in html
    assert "Edit “Kickoff call”" in html
    saved = client.post(url, item_post(playbook, phase, title="Kickoff meeting"), follow=True)
    assert saved.redirect_chain[-1][0].endswith(f"#item-{item.pk}")
    assert "“Kickoff meeting” saved." in saved.content.decode()


def test_an_edit_on_an_older_revision_is_refused(personas: Personas) -> None:
    playbook, phase, item = pilot(personas)
    response = signed_in(personas.head).post(
        reverse("roadmaps:playbook_item_edit", args=[item.pk]),
        item_post(playbook, phase, title="Mine", revision=playbook.revision - 1),
    )
    assert "Someone else changed this record" in response.content.decode()
    item.refresh_from_db()
    assert item.title == "Kickoff call"


def test_the_owner_roles_follow_the_side(personas: Personas) -> None:
    playbook, phase, _item = pilot(personas)
    client = signed_in(personas.head)
    form = (
        client.get(reverse("roadmaps:playbook_item_create", args=[phase.pk]))
        .context["editing"]
        .form
    )
    ours = [value for value, _label in form.fields["owner_role"].choices if value]
    assert ours == list(TeamRole.values)
    roles = client.get(
        reverse("roadmaps:playbook_owner_roles"),
        {"owner_side": OwnerSide.CLIENT, "owner_role": TeamRole.SUPPORT_LEAD},
        headers=HTMX,
    )
    html = roles.content.decode()
    assert 'id="owner-role-field"' in html
    assert "Champion" in html and "Support lead" not in html
    # A role of the other side is refused with a sentence, not saved.
    refused = client.post(
        reverse("roadmaps:playbook_item_create", args=[phase.pk]),
        item_post(playbook, phase, owner_side=OwnerSide.OURS, owner_role=DecisionRole.CHAMPION),
    )
    assert refused.context["editing"].form.errors["owner_role"] == [
        "Choose one of the roles of the side you picked."
    ]
    assert PlaybookItem.objects.filter(phase=phase).count() == 1


def test_without_javascript_the_roles_are_redrawn_for_the_side(personas: Personas) -> None:
    playbook, phase, _item = pilot(personas)
    response = signed_in(personas.head).post(
        reverse("roadmaps:playbook_item_create", args=[phase.pk]),
        item_post(playbook, phase, owner_side=OwnerSide.CLIENT, refresh_roles="1", title="Mine"),
    )
    form = response.context["editing"].form
    assert not form.is_bound
    roles = [value for value, _label in form.fields["owner_role"].choices if value]
    assert roles == list(DecisionRole.values)
    assert form["title"].value() == "Mine"
    assert PlaybookItem.objects.filter(phase=phase).count() == 1


def test_predecessors_are_steps_of_the_same_playbook(personas: Personas) -> None:
    playbook, phase, item = pilot(personas)
    client = signed_in(personas.head)
    form = (
        client.get(reverse("roadmaps:playbook_item_edit", args=[item.pk])).context["editing"].form
    )
    assert list(form.fields["depends_on"].queryset) == []
    stranger = PlaybookItem.objects.filter(phase__playbook__name="Renewal").first()
    refused = client.post(
        reverse("roadmaps:playbook_item_create", args=[phase.pk]),
        item_post(playbook, phase, depends_on=stranger.pk),
    )
    assert refused.context["editing"].form.errors["depends_on"] == [
        "Choose a step of this playbook."
    ]
    after = client.post(
        reverse("roadmaps:playbook_item_create", args=[phase.pk]),
        item_post(playbook, phase, depends_on=item.pk),
    )
    assert after.status_code == 302
    assert PlaybookItem.objects.get(title="Set-up").depends_on == item


def test_phases_and_items_move_up_and_down(personas: Personas) -> None:
    playbook, phase, item = pilot(personas)
    client = signed_in(personas.head)
    second = playbooks.item_create(
        phase=phase,
        acting_user=personas.head,
        data={"title": "Set-up", "kind": ItemKind.TASK, "offset_days": 3},
    )
    later = playbooks.phase_create(playbook=playbook, acting_user=personas.head, data={"name": "Z"})
    moved = client.post(
        reverse("roadmaps:playbook_item_move", args=[second.pk]),
        {"direction": "up"},
        headers=HTMX,
    )
    assert moved.status_code == 200
    assert [e.item.title for e in moved.context["phases"][0].items] == ["Set-up", "Kickoff call"]
    client.post(reverse("roadmaps:playbook_phase_move", args=[later.pk]), {"direction": "up"})
    assert list(playbook.phases.order_by("position").values_list("name", flat=True)) == [
        "Z",
        "Kickoff",
    ]
    stale = client.post(
        reverse("roadmaps:playbook_item_move", args=[item.pk]),
        {"direction": "down", "revision": 1},
        headers=HTMX,
    )
    assert "Someone else changed this record" in stale.content.decode()


def test_renaming_and_deleting_a_phase(personas: Personas) -> None:
    playbook, phase, item = pilot(personas)
    client = signed_in(personas.head)
    renamed = client.post(
        reverse("roadmaps:playbook_phase_edit", args=[phase.pk]),
        {"name": "Kickoff & set-up", "revision": playbook.revision},
        headers=HTMX,
    )
    assert "Kickoff &amp; set-up" in renamed.content.decode()
    blank = client.post(reverse("roadmaps:playbook_phase_edit", args=[phase.pk]), {"name": ""})
    assert blank.context["editing"].form.errors["name"] == ["Give the phase a name."]
    confirm = client.get(reverse("roadmaps:playbook_phase_delete", args=[phase.pk]))
    assert "its 1 step leave the playbook" in confirm.content.decode()
    client.post(reverse("roadmaps:playbook_phase_delete", args=[phase.pk]))
    assert not PlaybookPhase.objects.filter(pk=phase.pk).exists()
    assert not PlaybookItem.objects.filter(pk=item.pk).exists()


def test_deleting_a_step(personas: Personas) -> None:
    playbook, phase, item = pilot(personas)
    client = signed_in(personas.head)
    url = reverse("roadmaps:playbook_item_delete", args=[item.pk])
    assert "Delete the step “Kickoff call”?" in client.get(url).content.decode()
    response = client.post(url, {"revision": playbook.revision})
    assert response["Location"] == f"{playbook.get_absolute_url()}#phase-{phase.pk}"
    assert not PlaybookItem.objects.filter(pk=item.pk).exists()


def test_a_used_playbook_is_archived_instead_of_deleted(personas: Personas) -> None:
    renewal = shipped("Renewal")
    services.roadmap_start(
        acting_user=personas.owner,
        account=personas.account,
        playbook=renewal,
        start_date=datetime.date(2026, 11, 2),
        reference_date=datetime.date(2027, 3, 1),
    )
    client = signed_in(personas.head)
    url = reverse("roadmaps:playbook_delete", args=[renewal.pk])
    assert "archive it instead" in client.get(url).content.decode()
    refused = client.post(url)
    assert refused.status_code == 200
    assert "Nothing was deleted" in refused.content.decode()
    assert Playbook.objects.filter(pk=renewal.pk).exists()
    client.post(reverse("roadmaps:playbook_archive", args=[renewal.pk]), {"action": "archive"})
    assert not Playbook.objects.get(pk=renewal.pk).is_active
    client.post(reverse("roadmaps:playbook_archive", args=[renewal.pk]), {"action": "restore"})
    assert Playbook.objects.get(pk=renewal.pk).is_active


def test_an_unused_playbook_is_deleted(personas: Personas) -> None:
    playbook, _phase, _item = pilot(personas)
    response = signed_in(personas.head).post(
        reverse("roadmaps:playbook_delete", args=[playbook.pk])
    )
    assert response["Location"] == LIST
    assert not Playbook.objects.filter(pk=playbook.pk).exists()


def test_editing_the_details(personas: Personas) -> None:
    playbook, _phase, _item = pilot(personas)
    client = signed_in(personas.head)
    url = reverse("roadmaps:playbook_edit", args=[playbook.pk])
    refused = client.post(
        url,
        {
            "name": "Pilot",
            "kind": PlaybookKind.ONBOARDING,
            "lead_days": 30,
            "version": playbook.version,
        },
    )
    assert "lead_days" in refused.context["form"].errors
    saved = client.post(
        url,
        {
            "name": "Pilot",
            "kind": PlaybookKind.ONBOARDING,
            "reference_label": "go-live",
            "lead_days": 30,
            "version": playbook.version,
        },
    )
    assert saved.status_code == 302
    playbook.refresh_from_db()
    assert (playbook.reference_label, playbook.lead_days) == ("go-live", 30)


def test_duplicating_starts_a_variant(personas: Personas) -> None:
    original = shipped("Mid-market onboarding")
    client = signed_in(personas.head)
    url = reverse("roadmaps:playbook_duplicate", args=[original.pk])
    assert client.get(url).context["form"]["name"].value() == "Copy of Mid-market onboarding"
    response = client.post(url, {"name": "Mid-market onboarding — France"})
    copy = Playbook.objects.get(name="Mid-market onboarding — France")
    assert response["Location"] == copy.get_absolute_url()
    assert PlaybookItem.objects.filter(phase__playbook=copy).count() == (
        PlaybookItem.objects.filter(phase__playbook=original).count()
    )


# Preview -------------------------------------------------------------------------------------


def test_the_preview_dates_a_roadmap_started_today(personas: Personas) -> None:
    renewal = shipped("Renewal")
    page = signed_in(personas.owner).get(reverse("roadmaps:playbook_preview", args=[renewal.pk]))
    assert page.status_code == 200
    today = page.context["start"]
    assert page.context["reference"] == today + datetime.timedelta(days=120)
    rows = {row.item.title: row for phase in page.context["phases"] for row in phase.rows}
    assert rows["Renewal health review"].due == services.on_working_day(today)


def test_the_preview_takes_dates_and_moves_weekends(personas: Personas) -> None:
    renewal = shipped("Renewal")
    page = signed_in(personas.owner).get(
        reverse("roadmaps:playbook_preview", args=[renewal.pk]),
        {"start": "2026-11-02", "reference": "2027-04-04"},
    )
    rows = {row.item.title: row for phase in page.context["phases"] for row in phase.rows}
    # 120 days before Sunday 4 April 2027 is a Saturday: the health review moves to Monday.
    health = rows["Renewal health review"]
    assert (health.due, health.moved) == (datetime.date(2026, 12, 7), True)
    assert rows["Renewal signed"].due == datetime.date(2027, 3, 22)
    assert not rows["Negotiation call"].moved
    assert "moved off the weekend" in page.content.decode()
    onboarding = signed_in(personas.owner).get(
        reverse("roadmaps:playbook_preview", args=[shipped("Enterprise onboarding").pk]),
        {"start": "2026-11-02"},
    )
    dated = {row.item.title: row for phase in onboarding.context["phases"] for row in phase.rows}
    assert dated["Kickoff call"].due == datetime.date(2026, 11, 2)
    assert dated["Technical set-up"].starts == datetime.date(2026, 11, 6)
