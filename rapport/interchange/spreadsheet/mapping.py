"""Which column feeds which field: suggestions, checks, and the mappings people confirmed.

A mapping is kept as ``{"columns": {header: field}, "date_order": "dmy"}``: on the run it is
what the import reads; as a ``ColumnMapping`` it is offered again for any file with the same
headers (its signature), before any guess from the headers' names.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from rapport.core.services import require_permission
from rapport.core.text import search_key
from rapport.interchange.choices import ImportStatus
from rapport.interchange.exceptions import ImportRefused
from rapport.interchange.models import ColumnMapping, ImportRun
from rapport.interchange.spreadsheet.fields import DateOrder, ImportField, field_map, fields_for
from rapport.users.models import User

IGNORE = ""


def normalise(header: str) -> str:
    """A header reduced to what matters for matching: lower case, no accents, single spaces."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", search_key(header)).split())


def _spellings(field: ImportField) -> list[str]:
    """Every normalised name a column for this field may have, the surest first."""
    names = [field.name]
    for language in ("en", "fr"):
        with translation.override(language):
            names.append(str(field.label))
    names.extend(field.aliases)
    return [normalise(name) for name in names]


def signature(headers: Iterable[str]) -> str:
    """The same layout of columns, whatever their case or accents, gives the same signature."""
    joined = "\x1f".join(normalise(header) for header in headers)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def saved_mapping(*, target: str, headers: list[str]) -> ColumnMapping | None:
    """The mapping someone confirmed for files with exactly these headers, if any."""
    return ColumnMapping.objects.filter(target=target, signature=signature(headers)).first()


def suggest(*, target: str, headers: list[str]) -> tuple[dict[str, str], str, bool]:
    """A field per column, the date order, and whether both came from a saved mapping.

    A saved mapping for the same headers wins; otherwise each header is matched against the
    fields' names, English and French labels and usual aliases, each field given once.
    """
    known = field_map(target)
    saved = saved_mapping(target=target, headers=headers)
    if saved is not None:
        # The signature ignores case and accents: match the saved headers the same way.
        by_key = {
            normalise(header): field
            for header, field in dict(saved.mapping.get("columns") or {}).items()
            if field in known
        }
        columns = {
            header: by_key[normalise(header)] for header in headers if normalise(header) in by_key
        }
        order = str(saved.mapping.get("date_order") or DateOrder.DAY_FIRST)
        return columns, order, True
    spellings = {field.name: _spellings(field) for field in fields_for(target)}
    suggestions: dict[str, str] = {}
    taken: set[str] = set()
    # Exact names first, over every column, so that a label beats an alias seen earlier.
    for rank in range(max(len(names) for names in spellings.values())):
        for header in headers:
            if header in suggestions:
                continue
            key = normalise(header)
            squeezed = key.replace(" ", "")
            for name, names in spellings.items():
                if name in taken or rank >= len(names):
                    continue
                candidate = names[rank]
                if key == candidate or squeezed == candidate.replace(" ", ""):
                    suggestions[header] = name
                    taken.add(name)
                    break
    ordered = {header: suggestions[header] for header in headers if header in suggestions}
    return ordered, DateOrder.DAY_FIRST, False


def mapping_problems(*, target: str, columns: Mapping[str, str]) -> list[str]:
    """Why a mapping cannot be imported: a required field not mapped, a field mapped twice."""
    known = field_map(target)
    problems = []
    used = Counter(field for field in columns.values() if field != IGNORE)
    for name in used:
        if name not in known:
            problems.append(_("“%(field)s” is not a field of this import.") % {"field": name})
    for name, count in used.items():
        if count > 1 and name in known:
            headers = ", ".join(f"“{header}”" for header, field in columns.items() if field == name)
            problems.append(
                _("%(field)s is given by several columns (%(columns)s): keep one.")
                % {"field": known[name].label, "columns": headers}
            )
    for field in fields_for(target):
        if field.required and field.name not in used:
            problems.append(
                _("%(field)s is required: choose the column that holds it.")
                % {"field": field.label}
            )
    return problems


def run_mapping(
    *, target: str, mapping: Mapping[str, Any], headers: list[str]
) -> tuple[dict[str, str], str]:
    """The columns and date order a run was given, refused if they do not fit its file."""
    columns = {
        str(header): str(field)
        for header, field in dict(mapping.get("columns") or {}).items()
        if field != IGNORE
    }
    missing = [header for header in columns if header not in headers]
    if missing:
        raise ImportRefused(
            _("The file has no column %(columns)s: map its columns again.")
            % {"columns": ", ".join(f"“{header}”" for header in missing)}
        )
    problems = mapping_problems(target=target, columns=columns)
    if not columns:
        problems.insert(0, _("No column is mapped to a field."))
    if problems:
        raise ImportRefused(" ".join(problems))
    order = str(mapping.get("date_order") or DateOrder.DAY_FIRST)
    if order not in DateOrder.values:
        order = DateOrder.DAY_FIRST
    return columns, order


@transaction.atomic
def mapping_confirm(
    *,
    run: ImportRun,
    headers: list[str],
    columns: Mapping[str, str],
    date_order: str,
    remember: bool,
    acting_user: User,
) -> ImportRun:
    """Give a waiting spreadsheet run its mapping, and keep it for the same headers if asked."""
    require_permission(acting_user, "interchange.import_data")
    locked = ImportRun.objects.select_for_update().get(pk=run.pk)
    if locked.status != ImportStatus.QUEUED or locked.started_at is not None:
        raise ImportRefused(_("This import has already started: its mapping cannot change."))
    kept = {header: field for header, field in columns.items() if field != IGNORE}
    problems = mapping_problems(target=locked.target, columns=kept)
    if problems:
        raise ImportRefused(" ".join(problems))
    value = {"columns": kept, "date_order": date_order}
    locked.mapping = value
    locked.save(update_fields=["mapping"])
    if remember:
        ColumnMapping.objects.update_or_create(
            target=locked.target,
            signature=signature(headers),
            defaults={"mapping": value, "updated_by": acting_user},
        )
    return locked
