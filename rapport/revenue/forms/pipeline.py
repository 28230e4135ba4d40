"""The pipeline stage form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.revenue.models import PipelineStage
from rapport.revenue.services import STAGE_FIELDS

# The position is set by the order buttons of the list, not typed in.
STAGE_FORM_FIELDS = tuple(name for name in STAGE_FIELDS if name != "position")


class StageForm(forms.ModelForm):
    """A step of the pipeline: its name, how it ends an opportunity, and what it forecasts."""

    class Meta:
        model = PipelineStage
        fields = STAGE_FORM_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autofocus"] = True
        self.fields["probability"].help_text = _(
            "What an opportunity at this stage is likely worth, in percent of its amount."
        )
        self.fields["is_active"].help_text = _(
            "A stage out of use gets no new opportunities and leaves the board once empty."
        )

    def stage_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in STAGE_FORM_FIELDS}


class StageOrderForm(forms.Form):
    """Moving one stage up or down the pipeline."""

    stage = forms.ModelChoiceField(queryset=PipelineStage.objects.all())
    direction = forms.ChoiceField(choices=[("up", _("Up")), ("down", _("Down"))])
