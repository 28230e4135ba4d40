"""Every export format, opened the way its readers open it, shows the map's people and lines."""

from __future__ import annotations

import csv
import datetime
import html
import io
import json
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from rapport.accountmaps.drawing import STANCE_STYLES
from rapport.accountmaps.exports import (
    CSV_COLUMNS,
    MapFormat,
    export_map,
    map_document,
    pdf_url_fetcher,
)
from rapport.accountmaps.layout import REPORTS_TO, AccountMap, build_account_map
from rapport.accounts.models import Account
from rapport.core.tests.factories import StakeholderFactory
from rapport.core.tests.personas import Personas
from rapport.stakeholders.choices import RelationshipKind, StakeholderStatus
from rapport.stakeholders.models import RelationshipOwner, Stakeholder, StakeholderRelationship
from rapport.users.models import User

SVG = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A name that breaks naive quoting in every text format at once.
AWKWARD_NAME = ('Zoë "Z" [Ops]', "O'Brien <&> | #1")
OLD_DAY = datetime.date(2024, 1, 10)


@dataclass
class Org:
    account: Account
    ceo: Stakeholder
    cfo: Stakeholder
    cio: Stakeholder
    engineer: Stakeholder
    awkward: Stakeholder
    loner: Stakeholder


def make_org(account: Account, owner: User) -> Org:
    """A small client organisation with every kind of line, stance and a person who left."""
    ceo = StakeholderFactory(
        account=account,
        first_name="Grace",
        last_name="Hopper",
        title="Chief Executive",
        stance="advocate",
        influence="high",
        decision_roles=["decision_maker"],
        email="grace@client.example",
    )
    cfo = StakeholderFactory(
        account=account,
        first_name="Alan",
        last_name="Turing",
        title="Finance Director",
        department="Finance",
        reports_to=ceo,
        stance="skeptic",
        decision_roles=["economic_buyer"],
    )
    cio = StakeholderFactory(
        account=account,
        first_name="Edsger",
        last_name="Dijkstra",
        title="CIO",
        department="IT",
        reports_to=ceo,
        stance="neutral",
    )
    engineer = StakeholderFactory(
        account=account,
        first_name="Barbara",
        last_name="Liskov",
        title="Engineer",
        department="IT",
        reports_to=cio,
        status=StakeholderStatus.LEFT,
    )
    awkward = StakeholderFactory(
        account=account,
        first_name=AWKWARD_NAME[0],
        last_name=AWKWARD_NAME[1],
        title='Head of "Things" [interim]',
        department="IT",
        reports_to=cio,
        stance="opponent",
    )
    loner = StakeholderFactory(
        account=account, first_name="Lone", last_name="Wolf", title="", department="=SUM(A1:A9)"
    )
    RelationshipOwner.objects.create(stakeholder=ceo, user=owner)
    StakeholderRelationship.objects.create(
        account=account, source=cfo, target=cio, kind=RelationshipKind.IN_CONFLICT_WITH
    )
    StakeholderRelationship.objects.create(
        account=account, source=awkward, target=loner, kind=RelationshipKind.INFLUENCES, note="Golf"
    )
    return Org(account, ceo, cfo, cio, engineer, awkward, loner)


@pytest.fixture
def org(personas: Personas) -> Org:
    return make_org(personas.account, personas.owner)


@pytest.fixture
def account_map(org: Org) -> AccountMap:
    return build_account_map(account=org.account)


def backdate_history(day: datetime.date) -> None:
    """Pretend every change recorded so far was made on ``day``, a second apart, in order."""
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))
    for model in (Stakeholder, RelationshipOwner, StakeholderRelationship):
        history = model.history  # type: ignore[attr-defined]
        for history_id in history.values_list("history_id", flat=True):
            when = moment + datetime.timedelta(seconds=history_id)
            history.filter(history_id=history_id).update(history_date=when)


def svg_text(element: ElementTree.Element) -> str:
    return " ".join(" ".join(node.itertext()) for node in element.iter(f"{SVG}text"))


# --- the formats -----------------------------------------------------------------------------


def test_every_format_names_its_file_after_the_account_and_the_date(
    account_map: AccountMap,
) -> None:
    before = timezone.localdate()
    map_file = export_map(account_map, "csv")
    days = {before.isoformat(), timezone.localdate().isoformat()}
    assert map_file.filename in {f"northwind-traders-map-{day}.csv" for day in days}
    assert map_file.content_type.startswith("text/csv")


def test_an_unknown_format_is_refused_with_the_list_of_formats(account_map: AccountMap) -> None:
    with pytest.raises(ValueError, match="visio") as error:
        export_map(account_map, "visio")
    for map_format in MapFormat:
        assert map_format.value in str(error.value)


def test_svg_shows_every_person_and_one_edge_per_line(account_map: AccountMap) -> None:
    map_file = export_map(account_map, "svg")
    assert map_file.content_type == "image/svg+xml"
    root = ElementTree.fromstring(map_file.content)  # noqa: S314 (our own output)
    assert root.tag == f"{SVG}svg"
    cards = {
        int(card.get("data-person-id", "0")): card
        for card in root.iter(f"{SVG}g")
        if "map-card" in card.get("class", "").split()
    }
    assert set(cards) == {person.id for person in account_map.people}
    for person in account_map.people:
        # A long name is cut on the card; its title (the tooltip) carries it whole.
        title = cards[person.id].find(f"{SVG}title")
        assert title is not None and (title.text or "").startswith(person.name), person.name
    assert "Grace Hopper" in svg_text(root)
    edges = [
        (int(element.get("data-from", "0")), int(element.get("data-to", "0")))
        for element in root.iter()
        if {"map-reporting-line", "map-relationship"} & set(element.get("class", "").split())
    ]
    assert sorted(edges) == sorted((line.source, line.target) for line in account_map.lines)
    assert "Northwind Traders" in svg_text(root)  # the standalone file has its title


def test_png_is_a_sharp_image_of_the_map(account_map: AccountMap) -> None:
    svg = ElementTree.fromstring(export_map(account_map, "svg").content)  # noqa: S314
    map_file = export_map(account_map, "png")
    assert map_file.content_type == "image/png"
    assert map_file.content.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(map_file.content)) as image:
        image.load()
        # Twice the drawing's size, so it stays sharp on dense screens.
        assert abs(image.width - 2 * float(svg.get("width", "0"))) <= 1
        assert abs(image.height - 2 * float(svg.get("height", "0"))) <= 1
        assert image.convert("L").getextrema()[0] < 128  # something dark was drawn


def test_pdf_renders_a_page_with_the_account_name(account_map: AccountMap, tmp_path: Path) -> None:
    map_file = export_map(account_map, "pdf")
    assert map_file.content_type == "application/pdf"
    assert map_file.content.startswith(b"%PDF-")
    pdf = tmp_path / "map.pdf"
    pdf.write_bytes(map_file.content)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", str(pdf), str(tmp_path / "page")],  # noqa: S607
        check=True,
        timeout=60,
    )
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages
    with Image.open(pages[0]) as page:
        assert page.width > page.height  # landscape
        assert page.convert("L").getextrema()[0] < 128
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert "Northwind Traders" in text
    assert "Grace Hopper" in text


def test_pdf_never_fetches_outside_resources() -> None:
    fetcher = pdf_url_fetcher()
    for url in ("https://example.com/logo.png", "file:///etc/passwd", "http://169.254.169.254/"):
        with pytest.raises(ValueError, match="disallowed protocol"):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"


def test_a_pdf_naming_an_outside_resource_leaves_it_out(monkeypatch: pytest.MonkeyPatch) -> None:
    from weasyprint import HTML

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the PDF tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    page = '<p>Hi</p><img src="http://192.0.2.1/x.png"><img src="file:///etc/hostname">'
    assert HTML(string=page, url_fetcher=pdf_url_fetcher()).write_pdf().startswith(b"%PDF-")


def test_drawio_file_has_a_card_per_person_and_an_edge_per_line(
    account_map: AccountMap, org: Org
) -> None:
    map_file = export_map(account_map, "drawio")
    root = ElementTree.fromstring(map_file.content)  # noqa: S314 (our own output)
    assert root.tag == "mxfile"
    diagram = root.find("diagram")
    assert diagram is not None and diagram.get("name") == "Northwind Traders"
    cells = root.findall("./diagram/mxGraphModel/root/mxCell")
    assert [cell.get("id") for cell in cells[:2]] == ["0", "1"]
    assert cells[1].get("parent") == "0"
    ids = [cell.get("id") for cell in cells]
    assert len(ids) == len(set(ids))
    vertices = {cell.get("id"): cell for cell in cells if cell.get("vertex") == "1"}
    edges = [cell for cell in cells if cell.get("edge") == "1"]
    assert len(vertices) == len(account_map.people)
    assert len(edges) == len(account_map.lines)
    for person in account_map.people:
        cell = vertices[f"person-{person.id}"]
        geometry = cell.find("mxGeometry")
        assert geometry is not None and geometry.get("as") == "geometry"
        assert [float(geometry.get(key, "nan")) for key in ("x", "y", "width", "height")] == [
            person.x,
            person.y,
            person.width,
            person.height,
        ]
        # The label is draw.io HTML: the name, escaped once, then the title on its own line.
        label = cell.get("value", "")
        assert label.startswith(f"<b>{html.escape(person.name)}</b>"), label
        if person.title:
            assert label.endswith(f"<br>{html.escape(person.title)}")
    opponent = STANCE_STYLES["opponent"]
    awkward = vertices[f"person-{org.awkward.pk}"].get("style", "")
    assert f"fillColor={opponent.fill};strokeColor={opponent.border};" in awkward
    assert "opacity=50" in vertices[f"person-{org.engineer.pk}"].get("style", "")  # has left
    assert "strokeWidth=3.5" in vertices[f"person-{org.ceo.pk}"].get("style", "")  # high
    for cell, line in zip(edges, account_map.lines, strict=True):
        assert (cell.get("source"), cell.get("target")) == (
            f"person-{line.source}",
            f"person-{line.target}",
        )
        style = cell.get("style", "")
        if line.kind == REPORTS_TO:
            assert "edgeStyle=orthogonalEdgeStyle" in style and "dashed=1" not in style
        else:
            assert "dashed=1" in style
    assert export_map(account_map, "drawio").content == map_file.content  # stable ids


def test_mermaid_has_every_person_and_every_line(account_map: AccountMap, org: Org) -> None:
    text = export_map(account_map, "mermaid").content.decode()
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    for person in account_map.people:
        node = [line for line in lines if line.strip().startswith(f'p{person.id}["')]
        assert len(node) == 1, person.name
        label = node[0].strip()[len(f'p{person.id}["') : -2]
        # Nothing inside the label can close it early.
        assert not set('"[]<>|') & set(label.replace("<br/>", "")), label
    for line in account_map.reporting_lines:
        assert f"    p{line.source} --> p{line.target}" in lines
    relationship_lines = [line for line in lines if "-.->" in line]
    assert len(relationship_lines) == len(account_map.relationship_lines)
    assert f"    p{org.cfo.pk} -.->|In conflict with| p{org.cio.pk}" in lines
    name = "Zoë #quot;Z#quot; #91;Ops#93; O'Brien #lt;#amp;#gt; #124; #35;1"
    title = "Head of #quot;Things#quot; #91;interim#93;"
    assert f'    p{org.awkward.pk}["{name}<br/>{title}"]' in lines
    for stance in ("advocate", "skeptic", "neutral", "opponent", "unknown"):
        assert any(line.strip().startswith(f"classDef {stance} ") for line in lines)
    assert f"    class p{org.ceo.pk} advocate" in lines


def test_csv_reads_as_an_org_chart_with_manager_ids(account_map: AccountMap, org: Org) -> None:
    content = export_map(account_map, "csv").content
    assert content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert list(rows[0].keys()) == CSV_COLUMNS
    by_id = {row["Id"]: row for row in rows}
    assert len(by_id) == len(account_map.people)
    assert by_id[str(org.ceo.pk)]["Manager Id"] == ""
    assert by_id[str(org.cfo.pk)]["Manager Id"] == str(org.ceo.pk)
    assert by_id[str(org.engineer.pk)]["Manager Id"] == str(org.cio.pk)
    assert by_id[str(org.ceo.pk)]["Email"] == "grace@client.example"
    assert by_id[str(org.ceo.pk)]["Stance"] == "Advocate"
    assert by_id[str(org.ceo.pk)]["Influence"] == "High"
    assert by_id[str(org.cfo.pk)]["Decision roles"] == "Economic buyer"
    assert by_id[str(org.engineer.pk)]["Status"] == "Left the company"
    assert by_id[str(org.awkward.pk)]["Name"] == " ".join(AWKWARD_NAME)
    assert by_id[str(org.awkward.pk)]["Title"] == 'Head of "Things" [interim]'
    # A spreadsheet must not run what someone typed as a formula.
    assert by_id[str(org.loner.pk)]["Department"] == "'=SUM(A1:A9)"


def test_json_matches_the_map(account_map: AccountMap, org: Org) -> None:
    map_file = export_map(account_map, "json")
    document = json.loads(map_file.content)
    assert document == json.loads(json.dumps(map_document(account_map)))
    assert document["account"] == {"id": org.account.pk, "name": "Northwind Traders"}
    assert document["as_of"] is None
    people = {person["id"]: person for person in document["people"]}
    assert set(people) == {person.id for person in account_map.people}
    assert people[org.cfo.pk]["manager_id"] == org.ceo.pk
    assert people[org.ceo.pk]["owners"] == [org.account.owner.initials]  # type: ignore[union-attr]
    assert people[org.engineer.pk]["has_left"] is True
    assert {(line["source"], line["target"], line["kind"]) for line in document["lines"]} == {
        (line.source, line.target, line.kind) for line in account_map.lines
    }
    assert {"note": "Golf"}.items() <= next(
        line for line in document["lines"] if line["kind"] == "influences"
    ).items()
    assert (document["width"], document["height"]) == (account_map.width, account_map.height)


def test_an_empty_map_exports_in_every_format(personas: Personas) -> None:
    empty = build_account_map(account=personas.other_account)
    for map_format in MapFormat:
        assert export_map(empty, map_format.value).content, map_format


# --- the download view -------------------------------------------------------------------------


def export_url(org: Org, **query: str) -> str:
    query_string = "&".join(f"{key}={value}" for key, value in query.items())
    return f"/maps/{org.account.pk}/export/?{query_string}"


def test_signed_out_visitors_are_sent_to_sign_in(client: Client, org: Org) -> None:
    response = client.get(export_url(org, format="json"))
    assert response.status_code == 302
    assert "/auth/login/" in response["Location"]


@pytest.mark.parametrize("map_format", [item.value for item in MapFormat])
def test_any_signed_in_user_downloads_every_format(
    client: Client, personas: Personas, org: Org, map_format: str
) -> None:
    client.force_login(personas.outsider)
    response = client.get(export_url(org, format=map_format))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        'attachment; filename="northwind-traders-map-'
    )
    assert (
        response.content == export_map(build_account_map(account=org.account), map_format).content
    )


def test_the_download_applies_the_page_filters(
    client: Client, personas: Personas, org: Org
) -> None:
    client.force_login(personas.read_only)

    def people(**query: str) -> set[int]:
        response = client.get(export_url(org, format="json", **query))
        assert response.status_code == 200
        return {person["id"] for person in response.json()["people"]}

    assert people(only_decision_roles="1") == {org.ceo.pk, org.cfo.pk}
    assert people(department="it") == {org.cio.pk, org.engineer.pk, org.awkward.pk}
    assert people(collapsed=f"{org.cio.pk},{org.cfo.pk},oops") == {
        personas.stakeholder.pk,
        org.ceo.pk,
        org.cfo.pk,
        org.cio.pk,
        org.loner.pk,
    }


def test_an_unknown_format_or_date_is_a_bad_request(
    client: Client, personas: Personas, org: Org
) -> None:
    client.force_login(personas.owner)
    response = client.get(export_url(org, format="visio"))
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert b"visio" in response.content and b"drawio" in response.content
    for bad_date in ("31/12/2024", "2024-02-30", "yesterday"):
        response = client.get(export_url(org, format="json", as_of=bad_date))
        assert response.status_code == 400, bad_date
        assert b"valid date" in response.content
    tomorrow = timezone.localdate() + datetime.timedelta(days=2)
    response = client.get(export_url(org, format="json", as_of=tomorrow.isoformat()))
    assert response.status_code == 400
    assert b"already passed" in response.content


def test_an_unknown_account_is_not_found(client: Client, personas: Personas) -> None:
    client.force_login(personas.owner)
    assert client.get("/maps/999999/export/?format=json").status_code == 404


def test_a_download_as_of_a_date_shows_the_map_of_that_day(
    client: Client, personas: Personas, org: Org
) -> None:
    org.ceo.email = "grace.hopper@old.example"
    org.ceo.save()
    backdate_history(OLD_DAY)
    newcomer = StakeholderFactory(
        account=org.account, first_name="New", last_name="Comer", reports_to=org.ceo
    )
    org.cfo.title = "Chief Financial Officer"
    org.cfo.save()
    org.ceo.email = "grace.hopper@new.example"
    org.ceo.save()
    client.force_login(personas.outsider)

    old = client.get(export_url(org, format="csv", as_of="2024-06-01"))
    assert old.status_code == 200
    assert 'filename="northwind-traders-map-2024-06-01.csv"' in old["Content-Disposition"]
    rows = {row["Id"]: row for row in csv.DictReader(io.StringIO(old.content.decode("utf-8-sig")))}
    assert str(newcomer.pk) not in rows
    assert rows[str(org.cfo.pk)]["Title"] == "Finance Director"
    assert rows[str(org.ceo.pk)]["Email"] == "grace.hopper@old.example"

    document = client.get(export_url(org, format="json", as_of="2024-06-01")).json()
    assert document["as_of"].startswith("2024-06-01T23:59:59")
    assert newcomer.pk not in {person["id"] for person in document["people"]}
    assert len(document["lines"]) == 6

    before_anything = client.get(export_url(org, format="json", as_of="2024-01-09")).json()
    assert before_anything["people"] == [] and before_anything["lines"] == []

    now = client.get(export_url(org, format="json")).json()
    assert newcomer.pk in {person["id"] for person in now["people"]}


def test_a_pdf_as_of_a_date_says_so(
    client: Client, personas: Personas, org: Org, tmp_path: Path
) -> None:
    backdate_history(OLD_DAY)
    StakeholderFactory(account=org.account, first_name="Newest", last_name="Hire")
    client.force_login(personas.owner)
    response = client.get(export_url(org, format="pdf", as_of="2024-06-01"))
    assert response.status_code == 200
    pdf = tmp_path / "old.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert "As it was on" in text and "2024" in text
    assert "Grace Hopper" in text and "Newest" not in text
