"""Stakeholder pages: in-place editing, stale edits, the org chart, the trash."""

from __future__ import annotations

from django.test import Client

from rapport.core.tests.factories import StakeholderFactory
from rapport.core.tests.personas import Personas
from rapport.stakeholders.models import Stakeholder


def form_data(person: Stakeholder, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "title": person.title,
        "department": person.department,
        "email": person.email,
        "phone": person.phone,
        "profile_url": person.profile_url,
        "reports_to": person.reports_to_id or "",
        "status": person.status,
        "left_on": "",
        "notes": person.notes,
        "version": person.version,
    }
    data.update(changes)
    return data


def test_edit_in_place_returns_only_the_details_card(client: Client, personas: Personas) -> None:
    person = personas.stakeholder
    client.force_login(personas.teammate)
    url = f"/stakeholders/{person.pk}/edit/"
    form = client.get(url, headers={"HX-Request": "true"})
    assert b"<html" not in form.content and b'hx-post="' + url.encode() in form.content
    response = client.post(
        url, form_data(person, title="Chief Data Officer"), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b"Chief Data Officer" in response.content
    assert b'hx-swap-oob="true"' in response.content
    person.refresh_from_db()
    assert person.title == "Chief Data Officer"


def test_edit_in_place_shows_errors_in_the_card(client: Client, personas: Personas) -> None:
    person = personas.stakeholder
    client.force_login(personas.owner)
    response = client.post(
        f"/stakeholders/{person.pk}/edit/",
        form_data(person, email="not-an-email"),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b"Enter a valid email address" in response.content
    person.refresh_from_db()
    assert person.email != "not-an-email"


def test_a_stale_form_is_refused_and_nothing_is_overwritten(
    client: Client, personas: Personas
) -> None:
    person = personas.stakeholder
    client.force_login(personas.owner)
    stale = form_data(person, title="From the stale form")
    client.post(f"/stakeholders/{person.pk}/edit/", form_data(person, title="Saved first"))
    response = client.post(f"/stakeholders/{person.pk}/edit/", stale)
    assert response.status_code == 200
    assert "Someone else changed this record" in response.content.decode()
    person.refresh_from_db()
    assert person.title == "Saved first"


def test_the_org_chart_nests_people_under_their_manager(client: Client, personas: Personas) -> None:
    report = StakeholderFactory(
        account=personas.account,
        first_name="Alan",
        last_name="Turing",
        reports_to=personas.stakeholder,
    )
    client.force_login(personas.read_only)
    content = client.get(f"/stakeholders/org-chart/{personas.account.pk}/").content.decode()
    ada = content.index("Ada Lovelace")
    alan = content.index(report.full_name)
    assert ada < alan
    assert "<ul>" in content[ada:alan]


def test_the_trash_lists_deleted_people_for_administrators_only(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.owner)
    assert client.post(f"/stakeholders/{personas.stakeholder.pk}/delete/").status_code == 302
    assert client.get(f"/stakeholders/{personas.stakeholder.pk}/").status_code == 404
    assert client.get("/stakeholders/trash/").status_code == 403
    client.force_login(personas.admin)
    assert "Ada Lovelace" in client.get("/stakeholders/trash/").content.decode()
    assert client.post(f"/stakeholders/{personas.stakeholder.pk}/restore/").status_code == 302
    assert Stakeholder.objects.filter(pk=personas.stakeholder.pk).exists()


def test_history_page_lists_changes_with_old_and_new_values(
    client: Client, personas: Personas
) -> None:
    person = personas.stakeholder
    client.force_login(personas.owner)
    client.post(f"/stakeholders/{person.pk}/edit/", form_data(person, title="VP Engineering"))
    content = client.get(f"/stakeholders/{person.pk}/history/").content.decode()
    assert "Director" in content and "VP Engineering" in content
    assert str(personas.owner) in content


def test_a_refused_mark_as_left_shows_a_message_not_an_error(
    client: Client, personas: Personas
) -> None:
    person = personas.stakeholder
    # A manager from another account slipped in underneath the forms: saving is refused.
    stranger = StakeholderFactory(account=personas.other_account)
    Stakeholder.objects.filter(pk=person.pk).update(reports_to=stranger)
    client.force_login(personas.owner)
    response = client.post(f"/stakeholders/{person.pk}/left/", follow=True)
    assert response.status_code == 200
    assert "same account" in response.content.decode()
    person.refresh_from_db()
    assert person.status == "active"
