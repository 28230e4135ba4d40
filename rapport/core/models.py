"""Abstract bases shared by the domain apps."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.db import models
from django.db.models.lookups import Contains
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Creation and last-change times, set by the database layer."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class VersionedModel(TimeStampedModel):
    """A row that carries a version number, raised on each save, to refuse stale edits."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True


class SearchKeyField(models.CharField):
    """A lower-cased, accent-free copy of a text, kept for indexed prefix search.

    On PostgreSQL the column uses the "C" collation (byte order), so one plain B-tree index
    serves both ``LIKE 'x%'`` and ``ORDER BY``; with a linguistic collation the planner can
    use neither for a prefix and walks the whole index. SQLite compares bytes already.
    """

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        parameters = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            parameters["collation"] = "C"
        return parameters


class ChoiceSetField(models.CharField):
    """Several choices in one text column, stored as ",a,b," in a fixed order.

    ``field__has="a"`` finds rows holding choice "a" on every engine (the delimiters keep one
    choice from matching inside another), and history records the set as one field.
    """

    description = "A set of choices"

    def __init__(self, *args: Any, options: Any = None, **kwargs: Any) -> None:
        self.options = options
        kwargs.setdefault("max_length", 255)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", list)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["options"] = self.options
        return name, path, args, kwargs

    @cached_property
    def option_values(self) -> list[str]:
        return [value for value, _label in (self.options.choices if self.options else [])]

    def _as_list(self, value: Any) -> list[str]:
        """The chosen values, once each, in the order of the options (unknown ones last)."""
        if value is None or value == "":
            return []
        if isinstance(value, str):
            parts = {part for part in value.split(",") if part}
        else:
            parts = {str(part) for part in value}
        ordered = [option for option in self.option_values if option in parts]
        return ordered + sorted(parts - set(ordered))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> list[str]:
        return self._as_list(value)

    def to_python(self, value: Any) -> list[str]:
        return self._as_list(value)

    def get_prep_value(self, value: Any) -> str:
        ordered = self._as_list(value)
        return f",{','.join(ordered)}," if ordered else ""

    def validate(self, value: Any, model_instance: Any) -> None:
        from django.core.exceptions import ValidationError
        from django.utils.translation import gettext as _

        unknown = [part for part in self._as_list(value) if part not in self.option_values]
        if unknown:
            raise ValidationError(
                _("Unknown value: %(values)s. Choose among: %(options)s.")
                % {"values": ", ".join(unknown), "options": ", ".join(self.option_values)},
                code="invalid_choice",
            )

    def value_to_string(self, obj: Any) -> str:
        return self.get_prep_value(self.value_from_object(obj))

    def labels(self, value: Any) -> list[str]:
        names = dict(self.options.choices) if self.options else {}
        return [str(names.get(part, part)) for part in self._as_list(value)]

    def formfield(self, **kwargs: Any) -> Any:  # type: ignore[override]  # builds its own field
        from django import forms

        defaults: dict[str, Any] = {
            "form_class": forms.TypedMultipleChoiceField,
            "choices": self.options.choices if self.options else [],
            "widget": forms.CheckboxSelectMultiple,
            "required": not self.blank,
            "label": self.verbose_name,
            "help_text": self.help_text,
        }
        defaults.update(kwargs)
        form_class = defaults.pop("form_class")
        return form_class(**defaults)


class HasChoice(Contains):
    """``field__has="a"``: rows whose set holds choice "a" (never a choice that contains it).

    A ``LIKE '%,a,%'`` underneath, so it keeps the ``contains`` operator of each engine.
    """

    def get_db_prep_lookup(self, value: Any, connection: Any) -> Any:
        return ("%s", [f",{value},"])


ChoiceSetField.register_lookup(HasChoice, lookup_name="has")


def salesforce_id_field() -> models.CharField[str | None, str | None]:
    """The 18-character Id of the Salesforce record a row was imported from, kept for re-imports."""
    return models.CharField(
        _("Salesforce Id"), max_length=18, null=True, blank=True, editable=False
    )


def salesforce_id_unique() -> models.UniqueConstraint:
    """One row per Salesforce record; rows born in Rapport have none and are not indexed."""
    return models.UniqueConstraint(
        fields=["salesforce_id"],
        condition=models.Q(salesforce_id__isnull=False),
        name="%(app_label)s_%(class)s_salesforce_id_once",
    )
