"""The map page: who sees which controls, edits from the panel, moves by drag, past dates."""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rapport.accountmaps.drawing import STANCE_STYLES
from rapport.accountmaps.forms import MapOutline, branches_to_collapse
from rapport.accounts.models import Account
from rapport.communications.models import RelationshipStrength
from rapport.core.tests.factories import StakeholderFactory
from rapport.core.tests.personas import Personas
from rapport.stakeholders.choices import RelationshipKind, Stance
from rapport.stakeholders.models import RelationshipOwner, Stakeholder, StakeholderRelationship

SVG = "{http://www.w3.org/2000/svg}"
HTMX = {"HX-Request": "true"}
OLD_DAY = datetime.date(2024, 1, 10)


@dataclass
class Org:
    account: Account
    boss: Stakeholder
    finance: Stakeholder
    analyst: Stakeholder
    engineer: Stakeholder


@pytest.fixture
def org(personas: Personas) -> Org:
    """The personas' account: a boss, two reports, and an analyst two levels down."""
    account = personas.account
    boss = StakeholderFactory(
        account=account,
        first_name="Grace",
        last_name="Hopper",
        stance=Stance.ADVOCATE,
        decision_roles=["decision_maker"],
    )
    finance = StakeholderFactory(
        account=account,
        first_name="Carl",
        last_name="Finch",
        reports_to=boss,
        stance=Stance.SKEPTIC,
        department="Finance",
        decision_roles=["economic_buyer"],
    )
    analyst = StakeholderFactory(
        account=account, first_name="Ana", last_name="Lyst", reports_to=finance
    )
    engineer = StakeholderFactory(
        account=account, first_name="Eng", last_name="Ineer", reports_to=boss, department="IT"
    )
    return Org(account=account, boss=boss, finance=finance, analyst=analyst, engineer=engineer)


def map_url(org: Org, suffix: str = "") -> str:
    return f"/maps/{org.account.pk}/{suffix}"


def person_url(org: Org, person: Stakeholder, suffix: str = "") -> str:
    return map_url(org, f"people/{person.pk}/{suffix}")


def drawing(content: str) -> ElementTree.Element:
    """The map's SVG element, parsed, out of a page or a panel."""
    found = re.search(r"<svg .*?</svg>", content, re.DOTALL)
    assert found is not None, "no drawing in the response"
    return ElementTree.fromstring(found.group(0))  # noqa: S314 (our own output)


def card_fills(root: ElementTree.Element) -> dict[int, str]:
    fills = {}
    for card in root.iter(f"{SVG}g"):
        if "map-card" in card.get("class", "").split():
            fills[int(card.attrib["data-person-id"])] = card.attrib["data-fill"]
    return fills


def managers(root: ElementTree.Element) -> dict[int, str]:
    return {
        int(card.attrib["data-person-id"]): card.attrib["data-manager-id"]
        for card in root.iter(f"{SVG}g")
        if "map-card" in card.get("class", "").split()
    }


def edit_data(person: Stakeholder, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "stance": person.stance,
        "influence": person.influence,
        "decision_roles": person.decision_roles,
        "title": person.title,
        "reports_to": person.reports_to_id or "",
        "version": person.version,
    }
    data.update(changes)
    return data


def backdate_history(day: datetime.date) -> None:
    """Pretend every change recorded so far was made on ``day``."""
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))
    for model in (Stakeholder, RelationshipOwner, StakeholderRelationship):
        model.history.update(history_date=moment)


# --- reading the map -------------------------------------------------------------------------


def test_everyone_signed_in_sees_the_map_with_everyone_on_it(
    client: Client, personas: Personas, org: Org
) -> None:
    client.force_login(personas.outsider)
    response = client.get(map_url(org))
    assert response.status_code == 200
    content = response.content.decode()
    assert set(card_fills(drawing(content))) == {
        personas.stakeholder.pk,
        org.boss.pk,
        org.finance.pk,
        org.analyst.pk,
        org.engineer.pk,
    }
    assert re.search(r'href="/maps/\d+/"\s+aria-current="page">Map<', content)
    assert 'id="map-legend-title"' in content


def test_signed_out_visitors_are_sent_to_sign_in(client: Client, org: Org) -> None:
    response = client.get(map_url(org))
    assert response.status_code == 302 and "/auth/login/" in response["Location"]


@pytest.mark.parametrize("who", ["owner", "teammate"])
def test_the_account_team_gets_the_edit_controls(
    client: Client, personas: Personas, org: Org, who: str
) -> None:
    client.force_login(getattr(personas, who))
    page = client.get(map_url(org)).content.decode()
    assert 'data-can-change="true"' in page
    assert "Add a person" in page
    panel = client.get(person_url(org, org.finance), headers=HTMX).content.decode()
    assert 'name="stance"' in panel and "hx-post=" in panel


@pytest.mark.parametrize("who", ["outsider", "read_only"])
def test_others_see_no_edit_control(client: Client, personas: Personas, org: Org, who: str) -> None:
    client.force_login(getattr(personas, who))
    page = client.get(map_url(org)).content.decode()
    assert 'data-can-change="false"' in page
    assert "Add a person" not in page
    panel = client.get(person_url(org, org.finance), headers=HTMX)
    assert panel.status_code == 200
    assert "Carl Finch" in panel.content.decode()
    assert "<form" not in panel.content.decode()


@pytest.mark.parametrize("who", ["outsider", "read_only"])
def test_others_are_refused_every_write_and_nothing_changes(
    client: Client, personas: Personas, org: Org, who: str
) -> None:
    client.force_login(getattr(personas, who))
    count = Stakeholder.objects.count()
    edit = client.post(
        person_url(org, org.finance, "edit/"),
        edit_data(org.finance, stance=Stance.ADVOCATE),
        headers=HTMX,
    )
    move = client.post(person_url(org, org.analyst, "manager/"), {"manager": org.boss.pk})
    add = client.post(
        map_url(org, "people/new/"), {"first_name": "Eve", "last_name": "Intruder"}, headers=HTMX
    )
    add_form = client.get(map_url(org, "people/new/"), headers=HTMX)
    assert [edit.status_code, move.status_code, add.status_code, add_form.status_code] == [
        403,
        403,
        403,
        403,
    ]
    assert move.json()["message"] == "You may not change this map."
    org.finance.refresh_from_db()
    org.analyst.refresh_from_db()
    assert org.finance.stance == Stance.SKEPTIC
    assert org.analyst.reports_to_id == org.finance.pk
    assert Stakeholder.objects.count() == count


def test_the_panel_comes_with_htmx_and_a_plain_visit_goes_to_the_persons_page(
    client: Client, personas: Personas, org: Org
) -> None:
    client.force_login(personas.owner)
    panel = client.get(person_url(org, org.finance), headers=HTMX)
    content = panel.content.decode()
    assert "<html" not in content
    assert "Grace Hopper" in content  # the manager
    assert "Economic buyer" in content and "Skeptic" in content
    assert f'href="/stakeholders/{org.finance.pk}/"' in content
    plain = client.get(person_url(org, org.finance))
    assert plain.status_code == 302 and plain["Location"] == f"/stakeholders/{org.finance.pk}/"


def test_a_person_of_another_account_is_not_on_this_map(
    client: Client, personas: Personas, org: Org
) -> None:
    stranger = StakeholderFactory(account=personas.other_account)
    client.force_login(personas.owner)
    assert client.get(person_url(org, stranger), headers=HTMX).status_code == 404
    response = client.post(person_url(org, stranger, "manager/"), {"manager": org.boss.pk})
    assert response.status_code == 404
    assert client.get("/maps/999999/").status_code == 404


# --- editing from the panel ------------------------------------------------------------------


def test_saving_the_panel_shows_the_saved_values_and_redraws_the_card(
    client: Client, personas: Personas, org: Org
) -> None:
    client.force_login(personas.teammate)
    query = "?department=Finance"
    response = client.post(
        person_url(org, org.finance, f"edit/{query}"),
        edit_data(
            org.finance,
            stance=Stance.ADVOCATE,
            influence="high",
            decision_roles=["economic_buyer", "champion"],
            title="Chief Financial Officer",
        ),
        headers=HTMX,
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "Changes to Carl Finch saved." in content
    assert "Chief Financial Officer" in content and "Advocate" in content
    assert 'id="map-canvas" hx-swap-oob="innerHTML"' in content
    root = drawing(content)
    # Redrawn with the viewer's filters: only the finance department.
    assert card_fills(root) == {org.finance.pk: STANCE_STYLES[Stance.ADVOCATE].fill}
    org.finance.refresh_from_db()
    assert org.finance.stance == Stance.ADVOCATE
    assert org.finance.decision_roles == ["economic_buyer", "champion"]
    assert org.finance.history.first().history_user == personas.teammate


def test_a_stale_panel_is_refused_and_shows_what_is_stored(
    client: Client, personas: Personas, org: Org
) -> None:
    client.force_login(personas.owner)
    stale = edit_data(org.finance, stance=Stance.OPPONENT)
    client.post(
        person_url(org, org.finance, "edit/"),
        edit_data(org.finance, stance=Stance.SUPPORTER),
        headers=HTMX,
    )
    response = client.post(person_url(org, org.finance, "edit/"), stale, headers=HTMX)
    content = response.content.decode()
    assert "Someone else changed this record" in content
    assert "hx-swap-oob" not in content
    facts = re.search(r'class="map-fact-stance">([^<]*)<', content)
    assert facts is not None and facts.group(1) == "Supporter"
    org.finance.refresh_from_db()
    assert org.finance.stance == Stance.SUPPORTER


def test_a_loop_chosen_in_the_panel_is_refused(
    client: Client, personas: Personas, org: Org
) -> None:
    client.force_login(personas.owner)
    response = client.post(
        person_url(org, org.boss, "edit/"), edit_data(org.boss, reports_to=org.analyst.pk)
    )
    assert "This would make a loop" in response.content.decode()
    org.boss.refresh_from_db()
    assert org.boss.reports_to_id is None


# --- moving people by drag and drop ---------------------------------------------------------


def test_dropping_a_person_on_a_new_manager_moves_their_line(
    client: Client, personas: Personas, org: Org
) -> None:
    client.force_login(personas.owner)
    response = client.post(person_url(org, org.analyst, "manager/"), {"manager": org.engineer.pk})
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Ana Lyst now reports to Eng Ineer."
    root = ElementTree.fromstring(body["svg"])  # noqa: S314 (our own output)
    assert managers(root)[org.analyst.pk] == str(org.engineer.pk)
    lines = {
        (path.get("data-from"), path.get("data-to"))
        for path in root.iter(f"{SVG}path")
        if path.get("class") == "map-reporting-line"
    }
    assert (str(org.engineer.pk), str(org.analyst.pk)) in lines
    assert (str(org.finance.pk), str(org.analyst.pk)) not in lines
    org.analyst.refresh_from_db()
    assert org.analyst.reports_to_id == org.engineer.pk


def test_a_loop_made_by_dragging_is_refused_with_its_reason_and_nothing_changes(
    client: Client, personas: Personas, org: Org
) -> None:
    client.force_login(personas.owner)
    response = client.post(person_url(org, org.boss, "manager/"), {"manager": org.analyst.pk})
    assert response.status_code == 400
    assert "This would make a loop" in response.json()["message"]
    assert "svg" not in response.json()
    org.boss.refresh_from_db()
    assert org.boss.reports_to_id is None
    assert org.boss.version == 1


def test_a_manager_from_another_account_is_refused(
    client: Client, personas: Personas, org: Org
) -> None:
    stranger = StakeholderFactory(account=personas.other_account)
    client.force_login(personas.head)
    response = client.post(person_url(org, org.analyst, "manager/"), {"manager": stranger.pk})
    assert response.status_code == 400
    assert response.json()["message"] == (
        "A person can only report to someone of the same account."
    )
    org.analyst.refresh_from_db()
    assert org.analyst.reports_to_id == org.finance.pk


def test_a_vanished_manager_is_refused(client: Client, personas: Personas, org: Org) -> None:
    client.force_login(personas.owner)
    response = client.post(person_url(org, org.analyst, "manager/"), {"manager": 99999999})
    assert response.status_code == 400
    assert response.json()["message"]


# --- adding a person -------------------------------------------------------------------------


def test_adding_a_person_from_the_map_places_them_under_their_manager(
    client: Client, personas: Personas, org: Org
) -> None:
    client.force_login(personas.owner)
    form = client.get(map_url(org, f"people/new/?reports_to={org.finance.pk}"), headers=HTMX)
    assert re.search(rf'<option value="{org.finance.pk}" selected>', form.content.decode())
    response = client.post(
        map_url(org, "people/new/"),
        {
            "first_name": "Nora",
            "last_name": "Newhire",
            "title": "Controller",
            "reports_to": org.finance.pk,
            "stance": Stance.SUPPORTER,
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "Nora Newhire added to the map." in content
    created = Stakeholder.objects.get(last_name="Newhire")
    assert created.reports_to_id == org.finance.pk and created.account_id == org.account.pk
    assert managers(drawing(content))[created.pk] == str(org.finance.pk)


def test_adding_a_person_without_a_name_shows_the_errors(
    client: Client, personas: Personas, org: Org
) -> None:
    client.force_login(personas.owner)
    count = Stakeholder.objects.count()
    response = client.post(map_url(org, "people/new/"), {"first_name": ""}, headers=HTMX)
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert Stakeholder.objects.count() == count


# --- what the map shows ----------------------------------------------------------------------


def test_filters_and_collapsed_branches(client: Client, personas: Personas, org: Org) -> None:
    client.force_login(personas.owner)
    only_roles = drawing(client.get(map_url(org, "?only_decision_roles=1")).content.decode())
    assert set(card_fills(only_roles)) == {org.boss.pk, org.finance.pk}
    finance = client.get(map_url(org, "?department=finance")).content.decode()
    assert set(card_fills(drawing(finance))) == {org.finance.pk}
    assert '<option value="Finance" selected>Finance</option>' in finance

    collapsed = client.get(map_url(org, f"?collapsed={org.boss.pk}")).content.decode()
    assert set(card_fills(drawing(collapsed))) == {org.boss.pk, personas.stakeholder.pk}
    assert "+3" in collapsed
    assert "Expand all" in collapsed
    # Each branch control flips its own branch and keeps the others as they are.
    assert f'href="?collapsed={org.boss.pk}"' not in collapsed
    assert 'class="map-toggle" href="?collapsed="' in collapsed
    # Nonsense in the address is ignored rather than refused.
    assert client.get(map_url(org, "?collapsed=abc,,-1")).status_code == 200


def test_export_links_carry_the_current_filters(
    client: Client, personas: Personas, org: Org
) -> None:
    client.force_login(personas.read_only)
    page = client.get(map_url(org, "?department=Finance")).content.decode()
    exports = re.search(r'<nav id="map-exports".*?</nav>', page, re.DOTALL)
    assert exports is not None
    links = re.findall(r'href="([^"]+)"', exports.group(0))
    assert [link.split("format=")[1].split("&")[0] for link in links] == [
        "svg",
        "png",
        "pdf",
        "drawio",
        "mermaid",
        "csv",
        "json",
    ]
    assert all(
        link.startswith(f"/maps/{org.account.pk}/export/?") and "department=Finance" in link
        for link in links
    )


def test_the_map_as_of_a_past_date_is_the_old_map_and_read_only(
    client: Client, personas: Personas, org: Org
) -> None:
    backdate_history(OLD_DAY)
    newcomer = StakeholderFactory(account=org.account, first_name="New", reports_to=org.boss)
    org.finance.stance = Stance.ADVOCATE
    org.finance.save()
    client.force_login(personas.owner)

    old = client.get(map_url(org, "?as_of=2024-06-01"))
    content = old.content.decode()
    fills = card_fills(drawing(content))
    assert newcomer.pk not in fills
    assert fills[org.finance.pk] == STANCE_STYLES[Stance.SKEPTIC].fill
    assert "The map as it was on" in content and "History is read-only." in content
    assert 'data-can-change="false"' in content and "Add a person" not in content
    panel = client.get(person_url(org, org.finance, "?as_of=2024-06-01"), headers=HTMX)
    assert "<form" not in panel.content.decode()

    now = card_fills(drawing(client.get(map_url(org)).content.decode()))
    assert newcomer.pk in now
    assert now[org.finance.pk] == STANCE_STYLES[Stance.ADVOCATE].fill


def test_a_date_in_the_future_is_refused_with_a_message(
    client: Client, personas: Personas, org: Org
) -> None:
    client.force_login(personas.owner)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.get(map_url(org, f"?as_of={tomorrow.isoformat()}"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Pick a date that has already passed." in content
    assert 'data-can-change="true"' in content  # today's map, editable


def test_the_page_runs_the_same_queries_for_five_and_forty_people(
    client: Client, personas: Personas
) -> None:
    def queries_for(size: int) -> int:
        account = Account.objects.create(name=f"Company of {size}", owner=personas.owner)
        people: list[Stakeholder] = []
        for index in range(size):
            manager = people[(index - 1) // 3] if index else None
            people.append(
                StakeholderFactory(
                    account=account,
                    reports_to=manager,
                    stance=Stance.values[index % 5],
                    decision_roles=["champion"] if index % 4 == 0 else [],
                )
            )
        for index, person in enumerate(people[::2]):
            RelationshipOwner.objects.create(stakeholder=person, user=personas.teammate)
            # Some owners have shared exchanges with their person, some only an estimate.
            if index % 2:
                RelationshipStrength.objects.create(
                    user=personas.teammate, stakeholder=person, strength=10 * (index % 10)
                )
        for source, target in zip(people[1::3], people[2::3], strict=False):
            StakeholderRelationship.objects.create(
                account=account, source=source, target=target, kind=RelationshipKind.ALLIED_WITH
            )
        url = f"/maps/{account.pk}/?collapsed={people[1].pk}"
        client.get(url)  # warm caches (content types, sessions) out of the count
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(captured)

    client.force_login(personas.owner)
    small, large = queries_for(5), queries_for(40)
    assert small == large
    assert large <= 12, large


def test_move_responses_are_json(client: Client, personas: Personas, org: Org) -> None:
    client.force_login(personas.owner)
    response = client.post(person_url(org, org.analyst, "manager/"), {"manager": ""})
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["message"] == "Ana Lyst now reports to nobody."


def test_a_big_map_opens_with_its_lower_branches_collapsed(
    client: Client, personas: Personas, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Five people on a map "big" beyond four: the top two levels show, the analyst is folded.
    monkeypatch.setattr("rapport.accountmaps.forms.AUTO_COLLAPSE_ABOVE", 4)
    client.force_login(personas.owner)
    page = client.get(map_url(org)).content.decode()
    assert org.analyst.pk not in card_fills(drawing(page))
    assert "+1" in page
    expand = re.search(r'href="\?([^"]*)">Expand all<', page)
    assert expand is not None and expand.group(1) == "collapsed="
    everyone = client.get(map_url(org, "?collapsed=")).content.decode()
    assert org.analyst.pk in card_fills(drawing(everyone))
    # A filter already narrows the map: nothing is folded behind the viewer's back.
    finance = client.get(map_url(org, "?department=Finance")).content.decode()
    assert "Expand all" not in finance


def test_collapsing_picks_the_deepest_level_that_fits() -> None:
    # A chief, three heads, nine leads under the first head, and a loop left by old data.
    managers: dict[int, int | None] = {1: None, 2: 1, 3: 1, 4: 1, 100: 101, 101: 100}
    managers.update({10 + index: 2 for index in range(9)})
    outline = MapOutline(managers=managers, departments=[])
    assert branches_to_collapse(outline, limit=len(managers)) == frozenset()
    # Levels hold 2 (the chief, one of the loop), 4, then 9 people.
    assert branches_to_collapse(outline, limit=8) == {2, 100}
    assert branches_to_collapse(outline, limit=3) == {1, 101}


def test_the_map_explains_its_relationship_risk_in_words(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.read_only)
    live = client.get(f"/maps/{personas.account.pk}/").content.decode()
    assert "Relationship risk" in live
    assert "No champion" in live
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    past = client.get(f"/maps/{personas.account.pk}/?as_of={yesterday}").content.decode()
    assert "No champion" not in past


def test_the_panel_says_when_we_last_spoke_and_how_strong_each_owner_is(
    client: Client, personas: Personas, org: Org
) -> None:
    Stakeholder.objects.filter(pk=org.boss.pk).update(
        last_contact_at=timezone.now() - datetime.timedelta(days=12, hours=1)
    )
    RelationshipOwner.objects.create(stakeholder=org.boss, user=personas.owner, strength=40)
    RelationshipOwner.objects.create(stakeholder=org.boss, user=personas.teammate, strength=90)
    RelationshipStrength.objects.create(user=personas.owner, stakeholder=org.boss, strength=77)
    client.force_login(personas.owner)

    panel = client.get(person_url(org, org.boss), headers=HTMX).content.decode()
    never = client.get(person_url(org, org.analyst), headers=HTMX).content.decode()

    assert "Last contacted" in panel
    assert "12 days ago" in panel
    assert "strength 77 / 100, from shared exchanges" in panel
    assert "strength 90 / 100, as estimated by hand" in panel
    assert re.search(r'class="map-fact-contact">never', never)


def test_the_map_page_shows_last_contacts_and_strengths_on_the_cards(
    client: Client, personas: Personas, org: Org
) -> None:
    Stakeholder.objects.filter(pk=org.finance.pk).update(
        last_contact_at=timezone.now() - datetime.timedelta(days=3, hours=1)
    )
    RelationshipOwner.objects.create(stakeholder=org.finance, user=personas.owner, strength=20)
    RelationshipStrength.objects.create(user=personas.owner, stakeholder=org.finance, strength=90)
    client.force_login(personas.read_only)

    root = drawing(client.get(map_url(org)).content.decode())

    card = next(
        group
        for group in root.iter(f"{SVG}g")
        if group.get("data-person-id") == str(org.finance.pk)
        and "map-card" in group.get("class", "").split()
    )
    texts = {text.get("class"): text.text for text in card.iter(f"{SVG}text")}
    assert texts["map-card-contact"] == "Last contacted: 3 days ago"
    owner = next(group for group in card.iter(f"{SVG}g") if group.get("class") == "map-owner")
    assert owner.attrib["data-strength"] == "90"
    assert owner.attrib["data-strength-source"] == "computed"
