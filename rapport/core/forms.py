"""Form pieces shared by the domain apps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class VersionedFormMixin(forms.Form):
    """Carries the version the editor loaded, so a stale save can be refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        if instance is not None and instance.pk is not None and not self.is_bound:
            self.initial["version"] = instance.version

    @property
    def expected_version(self) -> int | None:
        value = self.cleaned_data.get("version")
        return int(value) if value else None


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
