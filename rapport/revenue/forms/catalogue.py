"""Forms of the catalogue pages: products, their families, the exchange rates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from rapport.core.forms import VersionedFormMixin
from rapport.revenue.forms.contracts import CurrencyInput, DateInput
from rapport.revenue.models import Product, ProductFamily


class ProductForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Product
        fields = ("name", "code", "family", "list_price", "is_active", "description")
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "list_price": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
        }
        error_messages = {
            "name": {"required": _("Give the product a name.")},
            "family": {"required": _("Choose the product's family.")},
            "list_price": {"required": _("Give its list price per unit and per year.")},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        family = self.fields["family"]
        assert isinstance(family, forms.ModelChoiceField)
        family.queryset = ProductFamily.objects.order_by("position", "name")
        family.empty_label = _("Choose a family")
        self.fields["name"].widget.attrs["autofocus"] = True

    def product_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class FamilyForm(forms.ModelForm):
    class Meta:
        model = ProductFamily
        fields = ("name", "position", "description")
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"position": _("Families are listed, and drawn in the white space, in order.")}
        error_messages = {"name": {"required": _("Give the family a name.")}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autofocus"] = True
        if self.instance.pk is None and not self.is_bound:
            last = ProductFamily.objects.aggregate(last=Max("position"))["last"]
            self.initial["position"] = (last or 0) + 1

    def family_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class RateForm(forms.Form):
    """A currency's rate from a day on; the same currency and day again corrects it."""

    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        widget=CurrencyInput(),
        help_text=_("Three letters, e.g. USD."),
        error_messages={"required": _("Give the currency.")},
    )
    effective_date = forms.DateField(
        label=_("In force from"),
        widget=DateInput(),
        error_messages={"required": _("Give the first day the rate applies.")},
    )
    rate = forms.DecimalField(
        label=_("Rate"),
        max_digits=18,
        decimal_places=8,
        min_value=Decimal("0.00000001"),
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        error_messages={
            "required": _("Give the rate."),
            "min_value": _("A rate must be more than zero."),
        },
    )

    def __init__(self, *args: Any, company_currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rate"].help_text = _(
            "How many %(company)s one unit of the currency is worth."
        ) % {"company": company_currency}
        self.fields["currency"].widget.attrs["autofocus"] = True

    def clean_currency(self) -> str:
        return str(self.cleaned_data.get("currency") or "").strip().upper()
