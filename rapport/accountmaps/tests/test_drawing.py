"""The SVG drawing: one card per person, a connector per reporting line, styled relationships."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from xml.etree import ElementTree

import pytest

from rapport.accountmaps.drawing import (
    ELLIPSIS,
    STANCE_STYLES,
    UNKNOWN,
    render_svg,
    text_width,
    tie_width,
    truncate,
)
from rapport.accountmaps.layout import AccountMap, MapFilters, build_account_map
from rapport.accounts.models import Account
from rapport.communications.models import RelationshipStrength
from rapport.core.tests.factories import AccountFactory, StakeholderFactory, UserFactory
from rapport.stakeholders.choices import RelationshipKind, StakeholderStatus, Stance
from rapport.stakeholders.models import RelationshipOwner, Stakeholder, StakeholderRelationship

SVG = "{http://www.w3.org/2000/svg}"


@dataclass
class Org:
    account: Account
    ceo: Stakeholder
    cfo: Stakeholder
    cio: Stakeholder
    awkward: Stakeholder
    gone: Stakeholder


@pytest.fixture
def org(db: None) -> Org:
    account = AccountFactory(name="Northwind <Traders>")
    ceo = StakeholderFactory(
        account=account,
        first_name="Grace",
        last_name="Hopper",
        stance=Stance.ADVOCATE,
        influence="high",
        decision_roles=["decision_maker", "economic_buyer"],
    )
    cfo = StakeholderFactory(
        account=account, first_name="Carl", reports_to=ceo, stance=Stance.OPPONENT
    )
    cio = StakeholderFactory(account=account, first_name="Ines", reports_to=ceo)
    awkward = StakeholderFactory(
        account=account, first_name="<Ada &", last_name='"Bob">', reports_to=cio
    )
    gone = StakeholderFactory(
        account=account, first_name="Gone", reports_to=cio, status=StakeholderStatus.LEFT
    )
    owner = UserFactory(first_name="Marc", last_name="Roux")
    RelationshipOwner.objects.create(stakeholder=ceo, user=owner)
    StakeholderRelationship.objects.create(
        account=account,
        source=cfo,
        target=cio,
        kind=RelationshipKind.INFLUENCES,
        note="Old friends <since 2010>",
    )
    StakeholderRelationship.objects.create(
        account=account, source=awkward, target=gone, kind=RelationshipKind.IN_CONFLICT_WITH
    )
    return Org(account=account, ceo=ceo, cfo=cfo, cio=cio, awkward=awkward, gone=gone)


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # noqa: S314 (our own output)


def cards(root: ElementTree.Element) -> dict[int, ElementTree.Element]:
    return {
        int(card.attrib["data-person-id"]): card
        for card in root.iter(f"{SVG}g")
        if "map-card" in card.attrib.get("class", "").split()
    }


def fill_of(card: ElementTree.Element) -> str:
    shape = next(rect for rect in card.iter(f"{SVG}rect") if rect.get("class") == "map-card-shape")
    return shape.attrib["fill"]


def test_one_card_per_person_and_a_connector_per_reporting_line(org: Org) -> None:
    account_map = build_account_map(account=org.account)
    root = parse(render_svg(account_map))
    drawn = cards(root)
    assert set(drawn) == {person.id for person in account_map.people}
    assert drawn[org.cfo.pk].attrib["data-manager-id"] == str(org.ceo.pk)
    assert drawn[org.ceo.pk].attrib["data-manager-id"] == ""
    connectors = {
        (int(path.attrib["data-from"]), int(path.attrib["data-to"]))
        for path in root.iter(f"{SVG}path")
        if path.get("class") == "map-reporting-line"
    }
    assert connectors == {(line.source, line.target) for line in account_map.reporting_lines}
    # Orthogonal: the connector leaves the manager's bottom and only runs down and across.
    ceo, cfo = account_map.person(org.ceo.pk), account_map.person(org.cfo.pk)
    path = next(
        element
        for element in root.iter(f"{SVG}path")
        if element.get("data-to") == str(org.cfo.pk) and element.get("data-from")
    )
    d = path.attrib["d"]
    assert d.startswith(f"M{ceo.center_x:g} {ceo.y + ceo.height:g}")
    assert d.endswith(f"V{cfo.y:g}")


def test_relationships_are_dashed_curves_styled_by_kind_with_the_note_as_tooltip(org: Org) -> None:
    root = parse(render_svg(build_account_map(account=org.account)))
    relationships = [
        group for group in root.iter(f"{SVG}g") if group.get("data-kind") in RelationshipKind
    ]
    assert {group.attrib["data-kind"] for group in relationships} == {
        "influences",
        "in_conflict_with",
    }
    colours = set()
    for group in relationships:
        line = next(
            p for p in group.iter(f"{SVG}path") if p.get("class") == "map-relationship-line"
        )
        assert line.attrib["stroke-dasharray"]
        assert "C" in line.attrib["d"] or "Q" in line.attrib["d"]
        colours.add(line.attrib["stroke"])
        if group.attrib["data-kind"] == "influences":
            assert line.attrib["marker-end"] == "url(#map-arrow-influences)"
            assert "Old friends <since 2010>" in group.findtext(f"{SVG}title", "")
    assert len(colours) == 2


def test_people_who_left_are_greyed_and_marked(org: Org) -> None:
    root = parse(render_svg(build_account_map(account=org.account)))
    gone = cards(root)[org.gone.pk]
    assert float(gone.attrib["opacity"]) < 1
    assert "map-card-left" in gone.attrib["class"]
    assert any(rect.get("class") == "map-left-tag" for rect in gone.iter(f"{SVG}rect"))
    assert "opacity" not in cards(root)[org.ceo.pk].attrib


def test_each_stance_has_its_own_colour_and_unknown_is_dashed(org: Org) -> None:
    fills = {style.fill for style in STANCE_STYLES.values()}
    assert len(fills) == len(STANCE_STYLES)
    assert STANCE_STYLES[UNKNOWN].dashed
    drawn = cards(parse(render_svg(build_account_map(account=org.account))))
    assert fill_of(drawn[org.ceo.pk]) == STANCE_STYLES[Stance.ADVOCATE].fill
    assert fill_of(drawn[org.cfo.pk]) == STANCE_STYLES[Stance.OPPONENT].fill
    assert fill_of(drawn[org.cio.pk]) == STANCE_STYLES[UNKNOWN].fill


def test_influence_sets_the_border_weight(org: Org) -> None:
    org.cfo.influence = "low"
    org.cfo.save()
    drawn = cards(parse(render_svg(build_account_map(account=org.account))))

    def border(person: Stakeholder) -> float:
        shape = next(r for r in drawn[person.pk].iter(f"{SVG}rect") if r.get("class"))
        return float(shape.attrib["stroke-width"])

    assert border(org.ceo) > border(org.cio) > border(org.cfo)


def test_every_text_is_escaped(org: Org) -> None:
    svg = render_svg(build_account_map(account=org.account))
    assert "<Ada" not in svg and "<Traders>" not in svg
    root = parse(svg)
    card = cards(root)[org.awkward.pk]
    assert card.findtext(f"{SVG}title", "").startswith('<Ada & "Bob">')
    names = [text.text for text in card.iter(f"{SVG}text") if text.get("class") == "map-card-name"]
    assert names == ['<Ada & "Bob">']
    assert "Northwind <Traders>" in root.findtext(f"{SVG}title", "")


def test_roles_are_badges_with_their_full_name_and_owners_are_initials(org: Org) -> None:
    card = cards(parse(render_svg(build_account_map(account=org.account))))[org.ceo.pk]
    badges = [group for group in card.iter(f"{SVG}g") if group.get("class") == "map-role"]
    assert [badge.findtext(f"{SVG}text") for badge in badges] == ["DM", "EB"]
    assert [badge.findtext(f"{SVG}title") for badge in badges] == [
        "Decision maker",
        "Economic buyer",
    ]
    owners = next(group for group in card.iter(f"{SVG}g") if group.get("class") == "map-owners")
    assert [text.text for text in owners.iter(f"{SVG}text")] == ["MR"]


def test_a_collapsed_branch_shows_how_many_people_it_hides(org: Org) -> None:
    account_map = build_account_map(
        account=org.account, filters=MapFilters(collapsed=frozenset({org.cio.pk}))
    )
    root = parse(render_svg(account_map))
    assert org.awkward.pk not in cards(root)
    marker = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "map-hidden-count")
    assert marker.attrib["data-person-id"] == str(org.cio.pk)
    assert "+2" in "".join(marker.itertext())


def test_the_page_drawing_has_focusable_cards_and_branch_controls(org: Org) -> None:
    account_map = build_account_map(account=org.account)
    svg = render_svg(
        account_map, standalone=False, toggle_href=lambda person: f"?collapsed={person.id}"
    )
    root = parse(svg)
    card = cards(root)[org.ceo.pk]
    assert card.attrib["role"] == "button" and card.attrib["tabindex"] == "0"
    assert "Grace Hopper" in card.attrib["aria-label"]
    toggles = {a.attrib["href"] for a in root.iter(f"{SVG}a")}
    assert toggles == {f"?collapsed={org.ceo.pk}", f"?collapsed={org.cio.pk}"}
    # The page shows its legend as HTML: the page drawing has none, the file has one.
    assert not any(g.get("class") == "map-legend" for g in root.iter(f"{SVG}g"))
    standalone = parse(render_svg(account_map))
    assert any(g.get("class") == "map-legend" for g in standalone.iter(f"{SVG}g"))
    assert "role" not in cards(standalone)[org.ceo.pk].attrib
    assert float(standalone.attrib["width"]) >= account_map.width


def test_styles_are_presentation_attributes_not_css(org: Org) -> None:
    svg = render_svg(build_account_map(account=org.account))
    assert "<style" not in svg and "style=" not in svg
    assert 'font-family="' in svg and "sans-serif" in svg


def test_long_names_are_cut_with_an_ellipsis() -> None:
    name = "Maximilian Alexander von Hohenzollern-Sigmaringen"
    cut = truncate(name, 150, 13.5, bold=True)
    assert cut.endswith(ELLIPSIS) and len(cut) < len(name)
    assert text_width(cut, 13.5, bold=True) <= 150
    assert truncate("Ada", 150, 13.5) == "Ada"


def test_an_empty_map_says_so_kindly() -> None:
    svg = render_svg(AccountMap(account_id=1, account_name="Empty & Co"))
    root = parse(svg)
    assert cards(root) == {}
    assert "No one on this map yet" in "".join(root.itertext())


# Derived recency and strength on the cards

NOW = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)


def contact_line(card: ElementTree.Element) -> str | None:
    found = [
        text.text for text in card.iter(f"{SVG}text") if text.get("class") == "map-card-contact"
    ]
    return found[0] if found else None


def ties(card: ElementTree.Element) -> dict[str, tuple[str, float]]:
    """Each owner's initials, with where their strength comes from and their ring's width."""
    found = {}
    for group in card.iter(f"{SVG}g"):
        if group.get("class") != "map-owner":
            continue
        rings = [c for c in group.iter(f"{SVG}circle") if c.get("class") == "map-owner-tie"]
        width = float(rings[0].attrib["stroke-width"]) if rings else 0.0
        found[group.findtext(f"{SVG}text", "")] = (group.attrib["data-strength-source"], width)
    return found


def test_each_card_says_when_the_person_was_last_contacted(org: Org) -> None:
    Stakeholder.objects.filter(pk=org.ceo.pk).update(
        last_contact_at=NOW - datetime.timedelta(days=12, hours=3)
    )
    Stakeholder.objects.filter(pk=org.cfo.pk).update(
        last_contact_at=NOW - datetime.timedelta(hours=2)
    )
    Stakeholder.objects.filter(pk=org.cio.pk).update(
        last_contact_at=NOW - datetime.timedelta(days=400)
    )

    account_map = build_account_map(account=org.account, now=NOW)
    drawn = cards(parse(render_svg(account_map)))

    assert contact_line(drawn[org.ceo.pk]) == "Last contacted: 12 days ago"
    assert contact_line(drawn[org.cfo.pk]) == "Last contacted: today"
    assert contact_line(drawn[org.cio.pk]) == "Last contacted: 13 months ago"
    assert contact_line(drawn[org.awkward.pk]) == "Last contacted: never"
    # Screen readers hear it with the rest of the card.
    assert "Last contacted: 12 days ago" in drawn[org.ceo.pk].attrib.get("aria-label", "") or (
        "Last contacted: 12 days ago" in (drawn[org.ceo.pk].findtext(f"{SVG}title") or "")
    )


def test_a_past_map_does_not_claim_a_last_contact(org: Org) -> None:
    account_map = build_account_map(account=org.account, now=NOW)
    account_map.people[0].contact_known = False
    drawn = cards(parse(render_svg(account_map)))
    assert contact_line(drawn[account_map.people[0].id]) is None


def test_the_owner_ring_is_as_thick_as_the_computed_strength(org: Org) -> None:
    strong, weak, estimated, unknown = (
        UserFactory(first_name=first, last_name="Owner") for first in ("Sam", "Wes", "Eve", "Zoe")
    )
    person = org.cfo
    for user, manual in ((strong, 10), (weak, 90), (estimated, 50), (unknown, None)):
        RelationshipOwner.objects.create(stakeholder=person, user=user, strength=manual)
    # Shared exchanges win over the estimate typed by hand, whichever way they point.
    RelationshipStrength.objects.create(user=strong, stakeholder=person, strength=85)
    RelationshipStrength.objects.create(user=weak, stakeholder=person, strength=12)

    account_map = build_account_map(account=org.account, now=NOW)
    card = cards(parse(render_svg(account_map)))[person.pk]

    assert ties(card) == {
        "SO": ("computed", tie_width(85)),
        "WO": ("computed", tie_width(12)),
        "EO": ("manual", tie_width(50)),
    }
    assert tie_width(85) > tie_width(50) > tie_width(12) > tie_width(None) == 0
    # The fourth owner does not fit: "+1" says so, and its tooltip names them.
    more = next(g for g in card.iter(f"{SVG}g") if g.get("class") == "map-owner-more")
    assert more.findtext(f"{SVG}text") == "+1"
    assert "ZO: strength unknown" in (more.findtext(f"{SVG}title") or "")
    labels = [
        g.findtext(f"{SVG}title") for g in card.iter(f"{SVG}g") if g.get("class") == "map-owner"
    ]
    assert "SO: strength 85 / 100, from shared exchanges" in labels
    assert "EO: strength 50 / 100, as estimated by hand" in labels


def test_the_standalone_legend_explains_the_rings(org: Org) -> None:
    svg = render_svg(build_account_map(account=org.account, now=NOW))
    assert "Strong relationship" in svg
    assert "Weak relationship" in svg
