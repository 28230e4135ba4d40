"""The pipeline's stages: kept by administrators and heads, never left without a way to close."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from rapport.core.tests.personas import Personas
from rapport.revenue.choices import ForecastCategory, OpportunityStatus
from rapport.revenue.models import PipelineStage
from rapport.revenue.tests import factories
from rapport.users.models import User

pytestmark = pytest.mark.django_db

STAGES = reverse("revenue:stage_list")
NEW = reverse("revenue:stage_create")
ORDER = reverse("revenue:stage_reorder")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response: object) -> str:
    content = response.content.decode()  # type: ignore[attr-defined]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", content))


def stage_data(stage: PipelineStage, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": stage.name,
        "outcome": stage.outcome,
        "probability": stage.probability,
        "forecast_category": stage.forecast_category,
    }
    if stage.is_active:
        data["is_active"] = "on"
    return {key: value for key, value in (data | changes).items() if value is not None}


def names() -> list[str]:
    return list(PipelineStage.objects.order_by("position", "id").values_list("name", flat=True))


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider", "read_only"])
def test_only_administrators_and_heads_keep_the_pipeline(personas: Personas, who: str) -> None:
    stage = factories.stage("Proposal")
    client = signed_in(getattr(personas, who))

    for address in (STAGES, NEW, reverse("revenue:stage_edit", args=[stage.pk])):
        assert client.get(address).status_code == 403
    assert client.post(NEW, stage_data(stage, name="Pilot")).status_code == 403
    assert client.post(ORDER, {"stage": stage.pk, "direction": "up"}).status_code == 403
    assert names() == [name for name, *_rest in factories.STAGES]


@pytest.mark.parametrize("who", ["head", "admin"])
def test_the_list_shows_the_stages_in_board_order_with_their_use(
    personas: Personas, who: str
) -> None:
    factories.opportunity(
        account=personas.account,
        close_date=factories.stage("Proposal").created_at.date(),
        stage=factories.stage("Proposal"),
    )

    response = signed_in(getattr(personas, who)).get(STAGES)

    assert response.status_code == 200
    rows = re.findall(r'<th scope="row">([^<]+)</th>', response.content.decode())
    assert rows == [name for name, *_rest in factories.STAGES]
    assert "Proposal Open 50 % Pipeline yes 1 (1 open)" in text(response)


def test_a_stage_is_added_at_the_end(personas: Personas) -> None:
    factories.pipeline()

    response = signed_in(personas.head).post(
        NEW,
        {
            "name": "Pilot",
            "outcome": OpportunityStatus.OPEN,
            "probability": 60,
            "forecast_category": ForecastCategory.BEST_CASE,
            "is_active": "on",
        },
    )

    assert response.status_code == 302 and response.url == STAGES
    assert names()[-1] == "Pilot"
    assert PipelineStage.objects.get(name="Pilot").probability == 60


def test_bad_input_is_refused_with_its_message(personas: Personas) -> None:
    proposal = factories.stage("Proposal")
    client = signed_in(personas.head)

    taken = client.post(NEW, stage_data(proposal))
    too_likely = client.post(NEW, stage_data(proposal, name="Sure thing", probability=150))

    assert "Pipeline stage with this Name already exists." in text(taken)
    assert "Ensure this value is less than or equal to 100." in text(too_likely)
    assert PipelineStage.objects.count() == len(factories.STAGES)


def test_the_pipeline_keeps_a_won_and_a_lost_stage_in_use(personas: Personas) -> None:
    won = factories.stage("Closed won")

    response = signed_in(personas.head).post(
        reverse("revenue:stage_edit", args=[won.pk]), stage_data(won, is_active=None)
    )

    assert response.status_code == 200
    assert "The pipeline needs at least one open, one won and one lost stage in use." in text(
        response
    )
    assert PipelineStage.objects.get(pk=won.pk).is_active
    assert "Edit the stage Closed won" in text(response)


def test_a_stage_holding_opportunities_keeps_its_outcome(personas: Personas) -> None:
    proposal = factories.stage("Proposal")
    factories.opportunity(
        account=personas.account, close_date=proposal.created_at.date(), stage=proposal
    )

    response = signed_in(personas.head).post(
        reverse("revenue:stage_edit", args=[proposal.pk]),
        stage_data(proposal, outcome=OpportunityStatus.WON),
    )

    assert "Opportunities are at this stage: move them before changing this." in text(response)
    assert PipelineStage.objects.get(pk=proposal.pk).outcome == OpportunityStatus.OPEN


def test_a_stage_is_renamed_and_its_figures_changed(personas: Personas) -> None:
    proposal = factories.stage("Proposal")

    response = signed_in(personas.admin).post(
        reverse("revenue:stage_edit", args=[proposal.pk]),
        stage_data(proposal, name="Quote sent", probability=40),
    )

    assert response.status_code == 302
    stored = PipelineStage.objects.get(pk=proposal.pk)
    assert (stored.name, stored.probability) == ("Quote sent", 40)


def test_stages_move_up_and_down_and_the_board_follows(personas: Personas) -> None:
    factories.pipeline()
    client = signed_in(personas.head)

    down = client.post(ORDER, {"stage": factories.stage("Qualification").pk, "direction": "down"})
    client.post(ORDER, {"stage": factories.stage("Commit").pk, "direction": "up"})
    # The first cannot go further up: nothing changes.
    client.post(ORDER, {"stage": factories.stage("Discovery").pk, "direction": "up"})

    assert down.status_code == 302
    assert down.url == f"{STAGES}#stage-{factories.stage('Qualification').pk}"
    assert names() == [
        "Discovery",
        "Qualification",
        "Proposal",
        "Commit",
        "Negotiation",
        "Closed won",
        "Closed lost",
    ]
    board = client.get(reverse("revenue:opportunity_board")).content.decode()
    assert re.findall(r'<h2 id="stage-\d+-title">([^<]+)', board) == [
        "Discovery",
        "Qualification",
        "Proposal",
        "Commit",
        "Negotiation",
    ]
