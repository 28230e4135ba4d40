"""Editing playbooks: every content edit is a checked revision, copies keep their structure,
and the four shipped playbooks are there and sound."""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from rapport.accounts.choices import TeamRole
from rapport.core.exceptions import NotAllowedError, StaleVersionError
from rapport.core.tests.personas import Personas
from rapport.roadmaps import playbooks, services
from rapport.roadmaps.choices import Anchor, ItemKind, OwnerSide, PlaybookKind
from rapport.roadmaps.models import Playbook, PlaybookItem, PlaybookPhase
from rapport.stakeholders.choices import DecisionRole
from rapport.users.models import User

pytestmark = pytest.mark.django_db

SHIPPED = ("Enterprise onboarding", "Mid-market onboarding", "Renewal", "At-risk recovery")
MONDAY = datetime.date(2026, 11, 2)


def new_playbook(user: User, **data: object) -> Playbook:
    fields = {"name": "Pilot onboarding", "kind": PlaybookKind.ONBOARDING, **data}
    return playbooks.playbook_create(acting_user=user, data=fields)


def add_item(
    user: User, phase: PlaybookPhase, title: str, offset: int, **data: object
) -> PlaybookItem:
    fields = {"title": title, "kind": ItemKind.TASK, "offset_days": offset, **data}
    return playbooks.item_create(phase=phase, acting_user=user, data=fields)


def revision_of(playbook: Playbook) -> int:
    return Playbook.objects.get(pk=playbook.pk).revision


def titles(phase: PlaybookPhase) -> list[str]:
    return list(phase.items.order_by("position", "id").values_list("title", flat=True))


# Revisions -----------------------------------------------------------------------------------


def test_every_content_edit_raises_the_revision(personas: Personas) -> None:
    head = personas.head
    playbook = new_playbook(head)
    assert playbook.revision == 1
    revisions = []

    def edited() -> None:
        revisions.append(revision_of(playbook))

    first = playbooks.phase_create(playbook=playbook, acting_user=head, data={"name": "Set-up"})
    edited()
    second = playbooks.phase_create(playbook=playbook, acting_user=head, data={"name": "Adopt"})
    edited()
    kickoff = add_item(head, first, "Kickoff call", 0)
    edited()
    add_item(head, first, "Set-up", 7)
    edited()
    playbooks.item_update(item=kickoff, acting_user=head, data={"offset_days": 1})
    edited()
    playbooks.item_move(item=kickoff, acting_user=head, step=1)
    edited()
    playbooks.phase_update(phase=first, acting_user=head, data={"name": "Kickoff & set-up"})
    edited()
    playbooks.phase_move(phase=second, acting_user=head, step=-1)
    edited()
    playbooks.item_delete(item=kickoff, acting_user=head)
    edited()
    playbooks.phase_delete(phase=second, acting_user=head)
    edited()
    assert revisions == list(range(2, 12))
    assert titles(first) == ["Set-up"]


def test_an_edit_that_changes_nothing_is_no_revision(personas: Personas) -> None:
    playbook = new_playbook(personas.head)
    phase = playbooks.phase_create(playbook=playbook, acting_user=personas.head, data={"name": "A"})
    item = add_item(personas.head, phase, "Kickoff", 0)
    before = revision_of(playbook)
    playbooks.item_update(item=item, acting_user=personas.head, data={"title": "Kickoff"})
    playbooks.phase_update(phase=phase, acting_user=personas.head, data={"name": "A"})
    playbooks.item_move(item=item, acting_user=personas.head, step=-1)
    assert revision_of(playbook) == before


def test_details_are_a_revision_only_when_they_change_the_dates(personas: Personas) -> None:
    playbook = new_playbook(personas.head)
    renamed = playbooks.playbook_update(
        playbook=playbook, acting_user=personas.head, data={"name": "Pilot", "description": "x"}
    )
    assert (renamed.revision, renamed.version) == (1, 2)
    dated = playbooks.playbook_update(
        playbook=playbook,
        acting_user=personas.head,
        data={"reference_label": "go-live", "lead_days": 30},
    )
    assert dated.revision == 2
    assert dated.reference_label == "go-live"


def test_items_are_added_at_the_end_and_reordered(personas: Personas) -> None:
    playbook = new_playbook(personas.head)
    phase = playbooks.phase_create(playbook=playbook, acting_user=personas.head, data={"name": "A"})
    one, two, three = (add_item(personas.head, phase, t, 0) for t in ("One", "Two", "Three"))
    assert titles(phase) == ["One", "Two", "Three"]
    playbooks.item_reorder(
        phase=phase, acting_user=personas.head, item_ids=[three.pk, one.pk, two.pk]
    )
    assert titles(phase) == ["Three", "One", "Two"]
    with pytest.raises(ValidationError, match="every item of the phase once"):
        playbooks.item_reorder(phase=phase, acting_user=personas.head, item_ids=[one.pk, two.pk])


def test_an_item_moved_to_another_phase_goes_to_its_end(personas: Personas) -> None:
    playbook = new_playbook(personas.head)
    first = playbooks.phase_create(playbook=playbook, acting_user=personas.head, data={"name": "A"})
    second = playbooks.phase_create(
        playbook=playbook, acting_user=personas.head, data={"name": "B"}
    )
    moving = add_item(personas.head, first, "Moving", 3)
    add_item(personas.head, second, "Staying", 5)
    playbooks.item_update(item=moving, acting_user=personas.head, data={"phase": second})
    assert titles(second) == ["Staying", "Moving"]
    assert titles(first) == []


# Refusals ------------------------------------------------------------------------------------


@pytest.fixture
def onboarding(personas: Personas) -> tuple[Playbook, PlaybookPhase, PlaybookItem, PlaybookItem]:
    """A playbook with a kickoff on day 10 and a training on day 20 that comes after it."""
    playbook = new_playbook(personas.head)
    phase = playbooks.phase_create(
        playbook=playbook, acting_user=personas.head, data={"name": "Set-up"}
    )
    kickoff = add_item(personas.head, phase, "Kickoff", 10)
    training = add_item(personas.head, phase, "Training", 20, depends_on=kickoff)
    return Playbook.objects.get(pk=playbook.pk), phase, kickoff, training


def test_an_item_due_before_the_one_it_follows_is_refused_and_nothing_changes(
    personas: Personas, onboarding: tuple[Playbook, PlaybookPhase, PlaybookItem, PlaybookItem]
) -> None:
    playbook, _phase, kickoff, _training = onboarding
    with pytest.raises(ValidationError) as refusal:
        playbooks.item_update(
            item=kickoff, acting_user=personas.head, data={"offset_days": 30, "title": "Late"}
        )
    assert refusal.value.messages == ["“Training” comes after “Late” but is due 10 days earlier."]
    kickoff.refresh_from_db()
    assert (kickoff.title, kickoff.offset_days) == ("Kickoff", 10)
    assert revision_of(playbook) == playbook.revision


def test_a_cycle_is_refused_with_the_items_named(
    personas: Personas, onboarding: tuple[Playbook, PlaybookPhase, PlaybookItem, PlaybookItem]
) -> None:
    playbook, _phase, kickoff, training = onboarding
    with pytest.raises(ValidationError) as refusal:
        playbooks.item_update(
            item=kickoff, acting_user=personas.head, data={"depends_on": training}
        )
    assert any("wait for each other" in message for message in refusal.value.messages)
    kickoff.refresh_from_db()
    assert kickoff.depends_on is None
    assert revision_of(playbook) == playbook.revision


def test_a_new_item_before_the_start_is_refused_and_not_created(
    personas: Personas, onboarding: tuple[Playbook, PlaybookPhase, PlaybookItem, PlaybookItem]
) -> None:
    playbook, phase, _kickoff, _training = onboarding
    with pytest.raises(ValidationError) as refusal:
        add_item(personas.head, phase, "Too early", -3)
    assert refusal.value.messages == [
        "“Too early” would fall before the roadmap starts (offset -3 days)."
    ]
    assert not PlaybookItem.objects.filter(title="Too early").exists()
    assert revision_of(playbook) == playbook.revision


def test_a_reference_anchor_needs_a_reference_date(
    personas: Personas, onboarding: tuple[Playbook, PlaybookPhase, PlaybookItem, PlaybookItem]
) -> None:
    _playbook, phase, _kickoff, _training = onboarding
    with pytest.raises(ValidationError, match="counts from a reference date"):
        add_item(personas.head, phase, "Renewal call", -30, anchor=Anchor.REFERENCE)
    assert not PlaybookItem.objects.filter(title="Renewal call").exists()


def test_the_reference_date_cannot_be_dropped_while_items_count_from_it(
    personas: Personas,
) -> None:
    renewal = Playbook.objects.get(name="Renewal")
    with pytest.raises(ValidationError, match="counts from a reference date"):
        playbooks.playbook_update(
            playbook=renewal,
            acting_user=personas.head,
            data={"reference_label": "", "lead_days": None},
        )
    renewal.refresh_from_db()
    assert (renewal.reference_label, renewal.lead_days, renewal.revision) == (
        "contract end",
        120,
        1,
    )


def test_a_lead_time_needs_a_reference_date(personas: Personas) -> None:
    with pytest.raises(ValidationError) as refusal:
        new_playbook(personas.head, lead_days=30)
    assert "lead_days" in refusal.value.message_dict


def test_an_item_cannot_follow_a_step_of_another_playbook(
    personas: Personas, onboarding: tuple[Playbook, PlaybookPhase, PlaybookItem, PlaybookItem]
) -> None:
    _playbook, phase, _kickoff, _training = onboarding
    stranger = PlaybookItem.objects.filter(phase__playbook__name="Renewal").first()
    with pytest.raises(ValidationError) as refusal:
        add_item(personas.head, phase, "Confused", 30, depends_on=stranger)
    assert refusal.value.message_dict == {"depends_on": ["Choose a step of this playbook."]}


def test_a_role_of_the_other_side_is_refused(
    personas: Personas, onboarding: tuple[Playbook, PlaybookPhase, PlaybookItem, PlaybookItem]
) -> None:
    _playbook, phase, _kickoff, _training = onboarding
    with pytest.raises(ValidationError) as refusal:
        add_item(personas.head, phase, "Sign-off", 30, owner_role=DecisionRole.CHAMPION)
    assert "owner_role" in refusal.value.message_dict
    item = add_item(
        personas.head,
        phase,
        "Sign-off",
        30,
        owner_side=OwnerSide.CLIENT,
        owner_role=DecisionRole.CHAMPION,
    )
    assert item.owner_role == DecisionRole.CHAMPION


def test_an_edit_made_on_an_older_revision_is_refused(
    personas: Personas, onboarding: tuple[Playbook, PlaybookPhase, PlaybookItem, PlaybookItem]
) -> None:
    playbook, _phase, kickoff, _training = onboarding
    with pytest.raises(StaleVersionError):
        playbooks.item_update(
            item=kickoff,
            acting_user=personas.head,
            data={"title": "Renamed"},
            expected_revision=playbook.revision - 1,
        )
    playbooks.item_update(
        item=kickoff,
        acting_user=personas.head,
        data={"title": "Renamed"},
        expected_revision=playbook.revision,
    )


@pytest.mark.parametrize("who", ["owner", "teammate", "read_only"])
def test_only_heads_and_administrators_edit_playbooks(
    personas: Personas,
    onboarding: tuple[Playbook, PlaybookPhase, PlaybookItem, PlaybookItem],
    who: str,
) -> None:
    playbook, phase, kickoff, _training = onboarding
    user = getattr(personas, who)
    with pytest.raises(NotAllowedError):
        new_playbook(user)
    with pytest.raises(NotAllowedError):
        add_item(user, phase, "Sneaky", 5)
    with pytest.raises(NotAllowedError):
        playbooks.item_delete(item=kickoff, acting_user=user)
    with pytest.raises(NotAllowedError):
        playbooks.playbook_duplicate(playbook=playbook, acting_user=user)
    with pytest.raises(NotAllowedError):
        playbooks.playbook_archive(playbook=playbook, acting_user=user)
    assert revision_of(playbook) == playbook.revision
    add_item(personas.admin, phase, "Allowed", 5)


# Deleting, archiving, dependents -------------------------------------------------------------


def test_deleting_an_item_frees_those_that_came_after_it(
    personas: Personas, onboarding: tuple[Playbook, PlaybookPhase, PlaybookItem, PlaybookItem]
) -> None:
    playbook, _phase, kickoff, training = onboarding
    later = playbooks.phase_create(playbook=playbook, acting_user=personas.head, data={"name": "B"})
    review = add_item(personas.head, later, "Review", 40, depends_on=training)
    playbooks.phase_delete(phase=training.phase, acting_user=personas.head)
    review.refresh_from_db()
    assert review.depends_on is None
    assert not PlaybookItem.objects.filter(pk__in=[kickoff.pk, training.pk]).exists()
    # The history says why the review no longer waits.
    assert review.history.first().depends_on_id is None  # type: ignore[attr-defined]


def test_a_used_playbook_is_archived_not_deleted(personas: Personas) -> None:
    renewal = Playbook.objects.get(name="Renewal")
    services.roadmap_start(
        acting_user=personas.owner,
        account=personas.account,
        playbook=renewal,
        start_date=MONDAY,
        reference_date=MONDAY + datetime.timedelta(days=120),
    )
    assert playbooks.playbook_is_used(renewal)
    with pytest.raises(ValidationError, match="archive it instead"):
        playbooks.playbook_delete(playbook=renewal, acting_user=personas.head)
    archived = playbooks.playbook_archive(playbook=renewal, acting_user=personas.head)
    assert not archived.is_active
    assert playbooks.playbook_restore(playbook=renewal, acting_user=personas.head).is_active


def test_an_unused_playbook_is_deleted_with_its_content(
    personas: Personas, onboarding: tuple[Playbook, PlaybookPhase, PlaybookItem, PlaybookItem]
) -> None:
    playbook, phase, _kickoff, _training = onboarding
    playbooks.playbook_delete(playbook=playbook, acting_user=personas.head)
    assert not Playbook.objects.filter(pk=playbook.pk).exists()
    assert not PlaybookItem.objects.filter(phase_id=phase.pk).exists()


# Duplicates ----------------------------------------------------------------------------------


def structure(playbook: Playbook) -> list[tuple[object, ...]]:
    """Everything a roadmap would copy, with predecessors named instead of numbered."""
    rows = []
    for phase in playbooks.playbook_phases(playbook):
        for item in phase.items.all():
            rows.append(
                (
                    phase.name,
                    phase.position,
                    item.position,
                    item.kind,
                    item.title,
                    item.description,
                    item.anchor,
                    item.offset_days,
                    item.duration_days,
                    item.owner_side,
                    item.owner_role,
                    item.client_facing,
                    item.depends_on.title if item.depends_on else None,
                )
            )
    return rows


def test_a_duplicate_copies_everything_with_its_own_predecessors(personas: Personas) -> None:
    original = Playbook.objects.get(name="Enterprise onboarding")
    before = structure(original)
    copy = playbooks.playbook_duplicate(playbook=original, acting_user=personas.head)
    assert copy.name == "Copy of Enterprise onboarding"
    assert (copy.kind, copy.description, copy.revision, copy.is_active) == (
        original.kind,
        original.description,
        1,
        True,
    )
    assert structure(copy) == before
    assert structure(original) == before
    copied = PlaybookItem.objects.filter(phase__playbook=copy)
    assert copied.count() == len(before)
    # Every predecessor is the copy's own item, never the original's.
    predecessors = copied.exclude(depends_on=None).values_list(
        "depends_on__phase__playbook", flat=True
    )
    assert set(predecessors) == {copy.pk}
    services.playbook_check(copy)


def test_a_duplicate_of_a_renewal_keeps_its_reference_date(personas: Personas) -> None:
    renewal = Playbook.objects.get(name="Renewal")
    copy = playbooks.playbook_duplicate(
        playbook=renewal, acting_user=personas.head, name="Renewal — strategic accounts"
    )
    assert (copy.name, copy.reference_label, copy.lead_days) == (
        "Renewal — strategic accounts",
        "contract end",
        120,
    )
    assert structure(copy) == structure(renewal)


# The shipped playbooks -----------------------------------------------------------------------


def items_of(name: str) -> dict[str, PlaybookItem]:
    return {
        item.title: item
        for item in PlaybookItem.objects.filter(phase__playbook__name=name).select_related(
            "depends_on"
        )
    }


@pytest.mark.parametrize("name", SHIPPED)
def test_the_shipped_playbooks_are_sound(name: str) -> None:
    playbook = Playbook.objects.get(name=name)
    assert services.playbook_problems(playbook) == []
    assert playbook.phases.count() >= 2
    items = items_of(name)
    assert len(items) >= 6
    kinds = {item.kind for item in items.values()}
    assert kinds == {ItemKind.MILESTONE, ItemKind.TASK, ItemKind.COMMUNICATION}
    assert any(not item.client_facing for item in items.values())
    for item in items.values():
        assert item.description, item.title
        assert item.owner_role, item.title
        item.full_clean()


def test_enterprise_onboarding_runs_ninety_days() -> None:
    items = items_of("Enterprise onboarding")
    assert items["Kickoff call"].offset_days == 0
    assert items["Week-2 check-in"].offset_days == 14
    assert items["Technical set-up"].owner_role == TeamRole.SUPPORT_LEAD
    assert items["Executive sponsor alignment"].owner_role == TeamRole.EXECUTIVE_SPONSOR
    assert 80 <= items["First business review"].offset_days <= 90
    client_roles = {i.owner_role for i in items.values() if i.owner_side == OwnerSide.CLIENT}
    assert client_roles == {DecisionRole.CHAMPION, DecisionRole.DECISION_MAKER}
    assert max(item.offset_days for item in items.values()) == 90


def test_mid_market_onboarding_runs_thirty_days() -> None:
    items = items_of("Mid-market onboarding")
    assert max(item.offset_days for item in items.values()) == 30
    assert items["Kickoff call"].offset_days == 0


def test_renewal_counts_back_from_the_contract_end() -> None:
    renewal = Playbook.objects.get(name="Renewal")
    assert (renewal.kind, renewal.reference_label, renewal.lead_days) == (
        PlaybookKind.RENEWAL,
        "contract end",
        120,
    )
    items = items_of("Renewal")
    assert all(item.anchor == Anchor.REFERENCE for item in items.values())
    offsets = {item.offset_days for item in items.values()}
    assert {-120, -90, -60, -30, -14} <= offsets
    assert items["Renewal signed"].kind == ItemKind.MILESTONE
    assert items["Renewal signed"].offset_days == -14
    assert items["Business review with the economic buyer"].offset_days == -90


def test_at_risk_recovery_checks_in_every_week() -> None:
    playbook = Playbook.objects.get(name="At-risk recovery")
    assert playbook.kind == PlaybookKind.RECOVERY
    items = items_of("At-risk recovery")
    check_ins = sorted(i.offset_days for t, i in items.items() if t.startswith("Weekly check-in"))
    assert check_ins == [14, 21, 28, 35]
    assert items["Recovery plan agreed"].kind == ItemKind.MILESTONE
    assert max(item.offset_days for item in items.values()) == 45


def test_the_shipped_playbooks_are_added_once() -> None:
    migration = importlib.import_module("rapport.roadmaps.migrations.0002_shipped_playbooks")
    Playbook.objects.filter(name="Renewal").update(description="Ours, rewritten.")
    migration.add_playbooks(apps, None)
    migration.add_playbooks(apps, None)
    assert Playbook.objects.filter(name__in=SHIPPED).count() == 4
    assert Playbook.objects.get(name="Renewal").description == "Ours, rewritten."
    Playbook.objects.filter(name="At-risk recovery").delete()
    migration.add_playbooks(apps, None)
    assert Playbook.objects.filter(name__in=SHIPPED).count() == 4


def test_a_shipped_renewal_starts_a_dated_roadmap(personas: Personas) -> None:
    contract_end = datetime.date(2027, 3, 31)
    roadmap = services.roadmap_start(
        acting_user=personas.owner,
        account=personas.account,
        playbook=Playbook.objects.get(name="Renewal"),
        start_date=contract_end - datetime.timedelta(days=120),
        reference_date=contract_end,
    )
    signed = roadmap.items.get(title="Renewal signed")
    assert signed.due_on == datetime.date(2027, 3, 17)
    assert roadmap.items.count() == len(items_of("Renewal"))
