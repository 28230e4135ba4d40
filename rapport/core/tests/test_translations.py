"""The French catalogue is complete, consistent with its sources, compiled, and used."""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

import rapport
from rapport.core.tests.factories import AccountFactory, UserFactory

MESSAGES_DIR = Path(rapport.__file__).resolve().parent / "locale" / "fr" / "LC_MESSAGES"
PO_PATH = MESSAGES_DIR / "django.po"
MO_PATH = MESSAGES_DIR / "django.mo"

# The product glossary: these source strings must keep these French words.
GLOSSARY = {
    "Accounts": "Comptes",
    "Account": "Compte",
    "Stakeholders": "Parties prenantes",
    "Stakeholder": "Partie prenante",
    "Account manager": "Gestionnaire de compte",
    "Account executive": "Chargé de compte",
    "Onboarding": "Accueil",
    "Renewal": "Renouvellement",
    "Tier": "Niveau",
    "Trash": "Corbeille",
    "History": "Historique",
    "Sign out": "Se déconnecter",
    "Reports to": "Rend compte à",
    "My book": "Mon portefeuille",
    "Head of account management": "Responsable de la gestion de comptes",
    "Team member": "Membre d’équipe",
    "API token": "Jeton d’API",
}


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstrs: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    def label(self) -> str:
        context = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"line {self.line}: {context}{self.msgid!r}"


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


def parse_po(path: Path) -> list[Entry]:
    """A small reader for the subset of the PO format that gettext tools write.

    Obsolete entries (``#~``) and previous-msgid comments (``#|``) are skipped.
    """
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None
    pending_flags: set[str] = set()

    def finish() -> None:
        nonlocal current, target
        if current is not None:
            entries.append(current)
        current, target = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#"):
            if current is not None and target is not None and target[0] == "msgstr":
                finish()
            if line.startswith("#,"):
                pending_flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, literal = match.groups()
            value = ast.literal_eval(literal)
            if keyword in ("msgctxt", "msgid") and (
                current is None or (target is not None and target[0] == "msgstr")
            ):
                finish()
                current = Entry(line=number, flags=pending_flags)
                pending_flags = set()
            assert current is not None, f"{path}:{number}: {keyword} outside an entry"
            if keyword == "msgctxt":
                current.msgctxt, target = value, ("msgctxt", 0)
            elif keyword == "msgid":
                current.msgid, target = value, ("msgid", 0)
            elif keyword == "msgid_plural":
                current.msgid_plural, target = value, ("msgid_plural", 0)
            else:
                slot = int(index) if index is not None else 0
                current.msgstrs[slot] = value
                target = ("msgstr", slot)
        elif line.startswith('"'):
            assert current is not None and target is not None, f"{path}:{number}: stray string"
            value = ast.literal_eval(line)
            kind, slot = target
            if kind == "msgstr":
                current.msgstrs[slot] += value
            elif kind == "msgid":
                current.msgid += value
            elif kind == "msgid_plural":
                current.msgid_plural = (current.msgid_plural or "") + value
            else:
                current.msgctxt = (current.msgctxt or "") + value
        else:
            raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    finish()
    return entries


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    assert PO_PATH.exists(), f"{PO_PATH} is missing; run makemessages -l fr"
    return parse_po(PO_PATH)


@pytest.fixture(scope="module")
def messages(entries: list[Entry]) -> list[Entry]:
    found = [entry for entry in entries if not entry.is_header]
    assert found, "the French catalogue holds no message"
    return found


def test_the_catalogue_is_french_with_french_plural_rules(entries: list[Entry]) -> None:
    headers = [entry for entry in entries if entry.is_header]
    assert len(headers) == 1
    header = headers[0].msgstrs[0]
    assert "Language: fr\n" in header
    assert "charset=UTF-8" in header
    assert "Plural-Forms: nplurals=2; plural=(n > 1);" in header


def test_every_entry_is_translated_and_none_is_fuzzy(entries: list[Entry]) -> None:
    problems = []
    for entry in entries:
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy        {entry.label()}")
        if entry.is_header:
            continue
        expected_forms = 2 if entry.msgid_plural is not None else 1
        if len(entry.msgstrs) != expected_forms:
            problems.append(f"plural forms {entry.label()}")
        if any(not text.strip() for text in entry.msgstrs.values()):
            problems.append(f"untranslated {entry.label()}")
    assert not problems, "French catalogue is incomplete:\n" + "\n".join(problems)


_PERCENT = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([sdifrxXeEgGc])")
_VARIABLE = re.compile(r"\{\{\s*([\w.]+)[^}]*\}\}")
_TAG = re.compile(r"\{%\s*(\w+)[^%]*%\}")
_BRACE = re.compile(r"(?<!\{)\{(\w*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")
_HTML = re.compile(r"</?([a-zA-Z][\w-]*)[^<>]*>")


def placeholders(text: str, *, python_format: bool, brace_format: bool) -> list[str]:
    """Every substitution and markup a translation must carry over, in a sorted list."""
    found: list[str] = []
    if python_format:
        for name, kind in _PERCENT.findall(text.replace("%%", "")):
            found.append(f"%({name}){kind}" if name else f"%{kind}")
    found += ["{{ " + name + " }}" for name in _VARIABLE.findall(text)]
    found += ["{% " + name + " %}" for name in _TAG.findall(text)]
    if brace_format:
        found += ["{" + name + "}" for name in _BRACE.findall(text)]
    found += [f"<{name.lower()}>" for name in _HTML.findall(text)]
    return sorted(found)


def test_translations_keep_every_placeholder(messages: list[Entry]) -> None:
    problems = []
    for entry in messages:
        flags = {
            "python_format": "python-format" in entry.flags or "%(" in entry.msgid,
            "brace_format": "python-brace-format" in entry.flags,
        }
        singular = placeholders(entry.msgid, **flags)
        if entry.msgid_plural is None:
            wanted = {0: [singular]}
        else:
            plural = placeholders(entry.msgid_plural, **flags)
            # French uses the singular for 0 and 1, so its first form may take either set.
            wanted = {0: [singular, plural], 1: [plural]}
        for slot, text in entry.msgstrs.items():
            if not text:
                continue
            got = placeholders(text, **flags)
            if got not in wanted.get(slot, []):
                problems.append(
                    f"{entry.label()} msgstr[{slot}] has {got}, expected {wanted.get(slot)}"
                )
    assert not problems, "placeholders differ:\n" + "\n".join(problems)


_SPACE_BEFORE = re.compile(r" [:;?!»]")
_SPACE_AFTER = re.compile(r"« ")
_CODE = re.compile(r"<code>.*?</code>|<[^<>]*>|%\(\w+\)\w|\{\{[^}]*\}\}|\{%[^%]*%\}")


def test_translations_follow_french_typography(messages: list[Entry]) -> None:
    """Typographic apostrophes, « » quotes, and a non-breaking space before : ; ? ! »."""
    problems = []
    for entry in messages:
        for slot, text in entry.msgstrs.items():
            prose = _CODE.sub("", text)
            if "'" in prose:
                problems.append(f"{entry.label()} msgstr[{slot}]: straight apostrophe")
            if "“" in prose or "”" in prose or '"' in prose:
                problems.append(f"{entry.label()} msgstr[{slot}]: use « » quotes")
            if _SPACE_BEFORE.search(prose) or _SPACE_AFTER.search(prose):
                problems.append(f"{entry.label()} msgstr[{slot}]: breaking space by punctuation")
    assert not problems, "French typography:\n" + "\n".join(problems)


def test_the_product_glossary_is_used(messages: list[Entry]) -> None:
    by_msgid = {entry.msgid: entry for entry in messages if entry.msgctxt is None}
    wrong = {
        msgid: by_msgid[msgid].msgstrs.get(0)
        for msgid, french in GLOSSARY.items()
        if msgid in by_msgid and by_msgid[msgid].msgstrs.get(0) != french
    }
    assert not wrong, f"glossary terms translated differently: {wrong}"
    assert "Stakeholders" in by_msgid and "Accounts" in by_msgid


class _Missing(gettext.NullTranslations):
    """Fallback that marks any message the compiled catalogue does not hold."""

    MARK = "\x00missing from django.mo\x00"

    def gettext(self, message: str) -> str:
        return self.MARK

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self.MARK

    def pgettext(self, context: str, message: str) -> str:
        return self.MARK

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        return self.MARK


def test_the_compiled_catalogue_matches_the_po(messages: list[Entry]) -> None:
    """Compare content, not mtimes: a fresh clone gives both files the same date."""
    assert MO_PATH.exists(), f"{MO_PATH} is missing; run compilemessages"
    with MO_PATH.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    compiled.add_fallback(_Missing())
    stale = []
    for entry in messages:
        if "fuzzy" in entry.flags or not all(entry.msgstrs.values()):
            continue  # msgfmt leaves these out; the completeness test reports them
        if entry.msgid_plural is None:
            if entry.msgctxt is None:
                got = [compiled.gettext(entry.msgid)]
            else:
                got = [compiled.pgettext(entry.msgctxt, entry.msgid)]
            expected = [entry.msgstrs.get(0)]
        else:
            # French: n = 1 takes the first form, n = 2 the second.
            if entry.msgctxt is None:
                got = [compiled.ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2)]
            else:
                got = [
                    compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                    for n in (1, 2)
                ]
            expected = [entry.msgstrs.get(0), entry.msgstrs.get(1)]
        if got != expected:
            stale.append(f"{entry.label()}: .mo has {got}, .po has {expected}")
    assert not stale, "django.mo is out of date; run compilemessages:\n" + "\n".join(stale)


@pytest.fixture
def back_to_english() -> Iterator[None]:
    """The language middleware activates French for this thread; undo it for later tests."""
    yield
    translation.deactivate()


@pytest.mark.django_db
@pytest.mark.usefixtures("back_to_english")
def test_a_french_user_sees_the_interface_in_french(client: Client) -> None:
    user = UserFactory(language="fr")
    AccountFactory(owner=user)
    client.force_login(user)

    response = client.get("/accounts/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr">' in html
    for french in ("Comptes", "Parties prenantes", "Mon portefeuille", "Se déconnecter", "Niveau"):
        assert french in html, f"{french!r} missing from the French page"
    for english in ("Stakeholders", "My book", "Sign out", "Lifecycle stage"):
        assert english not in html, f"{english!r} left in English on the French page"


def test_the_catalogue_holds_every_string_the_code_marks(tmp_path: Path) -> None:
    """Extract the messages again from a copy of the code: none may be missing from the .po."""
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext is needed to check the catalogue (scripts/test installs it).")
    source = Path(rapport.__file__).resolve().parent
    copy = tmp_path / "rapport"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    (copy / "locale" / "fr" / "LC_MESSAGES" / "django.po").unlink()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "fr",
            "--no-location",
            "--no-obsolete",
        ],
        cwd=copy,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "rapport.settings"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    extracted = {(e.msgctxt, e.msgid) for e in parse_po(copy / "locale/fr/LC_MESSAGES/django.po")}
    committed = {(e.msgctxt, e.msgid) for e in parse_po(PO_PATH)}
    missing = sorted(msgid for _context, msgid in extracted - committed if msgid)
    assert not missing, "Run makemessages and translate: " + "; ".join(missing)
