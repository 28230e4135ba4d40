"""Readable change history from django-simple-history records."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from rapport.core.models import ChoiceSetField

HISTORY_TYPES = {"+": _("created"), "~": _("changed"), "-": _("deleted")}
# Bookkeeping columns that mean nothing to a reader.
HIDDEN_FIELDS = {"version", "updated_at", "created_at", "search_name", "search_last_name", "id"}


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    when: datetime.datetime
    who: Any
    action: str
    subject: str
    changes: list[FieldChange] = field(default_factory=list)


def _display(
    model: type[models.Model], name: str, value: Any, related: dict[tuple[type, Any], str]
) -> str:
    if value is None or value == "" or value == []:
        return "—"
    model_field = model._meta.get_field(name)
    assert isinstance(model_field, models.Field)
    if isinstance(model_field, ChoiceSetField):
        return ", ".join(model_field.labels(value)) or "—"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.ForeignKey):
        return related.get((model_field.related_model, value), f"#{value}")  # type: ignore[arg-type]
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    return str(value)


def _subject(
    model: type[models.Model],
    record: Any,
    fields: tuple[str, ...],
    related: dict[tuple[type, Any], str],
) -> str:
    if not fields:
        return str(record.instance)
    values = []
    for name in fields:
        model_field = model._meta.get_field(name)
        attribute = model_field.attname if isinstance(model_field, models.Field) else name
        values.append(_display(model, name, getattr(record, attribute), related))
    return " — ".join(values)


def history_entries(
    records: list[Any],
    model: type[models.Model],
    subject: str = "",
    subject_fields: tuple[str, ...] = (),
) -> list[HistoryEntry]:
    """One entry per historical record, newest first, each with its field changes old → new.

    ``records`` must hold every version of each object (oldest to newest order not required),
    already joined to ``history_user``; related names are fetched in one query per model.
    Each entry names its object by ``subject``, or else by the values of ``subject_fields``.
    """
    by_object: dict[Any, list[Any]] = defaultdict(list)
    for record in records:
        by_object[record.id].append(record)
    pairs: list[tuple[Any, Any]] = []
    for versions in by_object.values():
        versions.sort(key=lambda r: (r.history_date, r.history_id))
        previous = None
        for record in versions:
            pairs.append((record, previous))
            previous = record

    foreign_keys = [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and f.name not in HIDDEN_FIELDS
    ]
    wanted: dict[type, set[Any]] = defaultdict(set)
    for record, _previous in pairs:
        for fk in foreign_keys:
            value = getattr(record, fk.attname)
            if value is not None:
                wanted[fk.related_model].add(value)  # type: ignore[index]
    related: dict[tuple[type, Any], str] = {}
    for related_model, ids in wanted.items():
        manager = related_model._base_manager  # type: ignore[attr-defined]
        for obj in manager.filter(pk__in=ids):
            related[(related_model, obj.pk)] = str(obj)

    entries = []
    for record, previous in pairs:
        changes: list[FieldChange] = []
        if previous is not None:
            delta = record.diff_against(previous)
            for change in delta.changes:
                if change.field in HIDDEN_FIELDS:
                    continue
                model_field = model._meta.get_field(change.field)
                assert isinstance(model_field, models.Field)
                changes.append(
                    FieldChange(
                        label=str(model_field.verbose_name).capitalize(),
                        old=_display(model, change.field, change.old, related),
                        new=_display(model, change.field, change.new, related),
                    )
                )
            if not changes:
                continue
        entries.append(
            HistoryEntry(
                when=record.history_date,
                who=record.history_user,
                action=str(HISTORY_TYPES.get(record.history_type, record.history_type)),
                subject=subject or _subject(model, record, subject_fields, related),
                changes=changes,
            )
        )
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries
