"""Notes are Markdown, and nothing typed into them (or a subject) reaches the page as markup."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import Client

from rapport.communications import services
from rapport.communications.models import Touchpoint
from rapport.core.tests.personas import Personas

pytestmark = pytest.mark.django_db

ATTACKS = (
    "<script>alert(1)</script>\n\n"
    "[click me](javascript:alert(1))\n\n"
    "[or me](vbscript:msgbox(1))\n\n"
    "[and me](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)\n\n"
    '<img src="x" onerror="alert(1)">\n\n'
    '<a href="https://example.com" onclick="alert(1)">raw link</a>\n\n'
    "**Agreed** on the [pilot plan](https://example.com/plan)."
)


def assert_defused(content: str) -> None:
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "<img" not in content and "&lt;img" in content
    assert "javascript:" not in content.lower().replace("javascript:alert(1))", "")
    assert 'href="javascript' not in content and 'href="vbscript' not in content
    assert 'href="data:' not in content
    assert 'onclick="alert(1)"' not in content and 'onerror="alert(1)"' not in content


def notes_of(content: str) -> str:
    return content.split('<div class="markdown">', 1)[1].split("</div>", 1)[0]


def test_touchpoint_notes_cannot_inject_script(client: Client, personas: Personas) -> None:
    touchpoint = services.touchpoint_create(
        acting_user=personas.owner,
        account=personas.account,
        data={"kind": "note", "subject": "Notes", "notes": ATTACKS},
    )
    client.force_login(personas.read_only)
    content = client.get(f"/touchpoints/{touchpoint.pk}/").content.decode()
    notes = notes_of(content)
    assert_defused(notes)
    # What Markdown is for still works, and links leave without a referrer.
    assert "<strong>Agreed</strong>" in notes
    assert '<a href="https://example.com/plan" rel="noopener noreferrer nofollow"' in notes


def test_task_notes_cannot_inject_script(client: Client, personas: Personas) -> None:
    task = services.task_create(
        acting_user=personas.owner, data={"title": "Follow up", "notes": ATTACKS}
    )
    client.force_login(personas.owner)
    notes = notes_of(client.get(f"/tasks/{task.pk}/").content.decode())
    assert_defused(notes)
    assert "<strong>Agreed</strong>" in notes


def test_subjects_and_outcomes_are_escaped_everywhere(client: Client, personas: Personas) -> None:
    payload = '<script>alert(1)</script><img src=x onerror="alert(1)">'
    touchpoint = services.touchpoint_create(
        acting_user=personas.owner,
        account=personas.account,
        data={"kind": "call", "subject": payload, "outcome": payload, "next_steps": payload},
        stakeholders=[personas.stakeholder],
    )
    services.task_create(
        acting_user=personas.owner,
        data={"title": payload, "account": personas.account, "touchpoint": touchpoint},
    )
    client.force_login(personas.owner)
    for url in (
        "/touchpoints/",
        f"/touchpoints/{touchpoint.pk}/",
        f"/accounts/{personas.account.pk}/timeline/",
        "/tasks/",
        f"/touchpoints/?stakeholder={personas.stakeholder.pk}&recent=1",
    ):
        content = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in content, url
        assert "<img src=x" not in content, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content, url


def test_the_quick_log_success_message_escapes_the_subject(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.owner)
    response = client.post(
        "/touchpoints/quick/",
        {"fixed_account": personas.account.pk, "kind": "call", "subject": "<script>x()</script>"},
        headers={"HX-Request": "true"},
    )
    content = response.content.decode()
    assert Touchpoint.objects.get().subject == "<script>x()</script>"
    assert "<script>x()</script>" not in content and "&lt;script&gt;x()&lt;/script&gt;" in content


def test_the_filter_renders_nothing_for_nothing() -> None:
    template = Template("{% load communications %}[{{ text|markdown }}]")
    assert template.render(Context({"text": ""})) == "[]"
    assert template.render(Context({"text": None})) == "[]"
    assert template.render(Context({"text": "*hi*"})).strip() == "[<p><em>hi</em></p>\n]"
