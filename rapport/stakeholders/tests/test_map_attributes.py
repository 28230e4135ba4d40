"""Decision roles, stance and influence: stored, validated, filterable, in history."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from rapport.core.history import history_entries
from rapport.core.tests.factories import StakeholderFactory
from rapport.core.tests.personas import Personas
from rapport.stakeholders.models import Stakeholder
from rapport.stakeholders.services import stakeholder_update


@pytest.mark.django_db
def test_roles_are_stored_in_a_fixed_order_and_found_whole() -> None:
    user_only = StakeholderFactory(decision_roles=["user"])
    both = StakeholderFactory(decision_roles=["champion", "decision_maker"])
    both.refresh_from_db()
    assert both.decision_roles == ["decision_maker", "champion"]
    assert set(Stakeholder.objects.filter(decision_roles__has="champion")) == {both}
    assert set(Stakeholder.objects.filter(decision_roles__has="user")) == {user_only}
    assert not Stakeholder.objects.filter(decision_roles__has="maker").exists()
    assert StakeholderFactory(decision_roles=[]).decision_roles == []


def test_an_unknown_role_or_stance_is_refused_and_nothing_changes(personas: Personas) -> None:
    person = personas.stakeholder
    with pytest.raises(ValidationError) as error:
        stakeholder_update(
            stakeholder=person,
            acting_user=personas.owner,
            data={"decision_roles": ["champion", "kingmaker"]},
            expected_version=None,
        )
    assert "kingmaker" in str(error.value.message_dict["decision_roles"])
    with pytest.raises(ValidationError):
        stakeholder_update(
            stakeholder=person,
            acting_user=personas.owner,
            data={"stance": "hostile"},
            expected_version=None,
        )
    person.refresh_from_db()
    assert person.decision_roles == [] and person.stance == ""


def test_role_and_stance_changes_read_well_in_history(personas: Personas) -> None:
    person = personas.stakeholder
    stakeholder_update(
        stakeholder=person,
        acting_user=personas.owner,
        data={
            "decision_roles": ["champion", "influencer"],
            "stance": "advocate",
            "influence": "high",
        },
        expected_version=None,
    )
    entries = history_entries(list(person.history.all()), Stakeholder, subject="Ada")
    changes = {change.label: (change.old, change.new) for change in entries[0].changes}
    assert changes["Decision roles"] == ("—", "Champion, Influencer")
    assert changes["Stance toward us"] == ("—", "Advocate")
    assert changes["Influence"] == ("—", "High")


def test_the_api_reads_and_writes_map_attributes(client, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    from rapport.users.services import api_token_create

    _token, raw = api_token_create(user=personas.owner, name="t")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    url = f"/api/v1/stakeholders/{personas.stakeholder.pk}"
    response = client.patch(
        url,
        {
            "decision_roles": ["champion", "decision_maker"],
            "stance": "supporter",
            "influence": "high",
        },
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["decision_roles"] == ["decision_maker", "champion"]
    assert body["stance"] == "supporter" and body["influence"] == "high"
    refused = client.patch(
        url, {"decision_roles": ["kingmaker"]}, content_type="application/json", **headers
    )
    assert refused.status_code == 422
    assert (
        client.patch(
            url, {"stance": "hostile"}, content_type="application/json", **headers
        ).status_code
        == 422
    )
    personas.stakeholder.refresh_from_db()
    assert personas.stakeholder.stance == "supporter"
