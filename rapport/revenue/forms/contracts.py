"""Forms of the contract pages: a contract with its lines, an amendment, its status, the notice.

A contract's lines are a formset of rows (product, quantity, yearly unit price). A row left blank
is ignored, so the page works without JavaScript with a few blank rows at the end; a row ticked
"remove" is dropped. The services check the lines themselves (quantities, prices, overlaps) and
answer per line, which the page shows above the rows.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from rapport.accounts.forms import AccountNameField
from rapport.accounts.models import Account
from rapport.core.forms import VersionedFormMixin
from rapport.core.views_helpers import run_service
from rapport.revenue.choices import ContractStatus, LossReason
from rapport.revenue.models import Contract, ContractLine, ExchangeRate, Product
from rapport.revenue.rates import CENT, company_currency

# Blank rows drawn after the lines, so a page without JavaScript can add products.
BLANK_ROWS = 3
MAX_LINES = 100
CONTRACT_FIELDS = (
    "reference",
    "currency",
    "start_date",
    "end_date",
    "auto_renew",
    "notice_days",
    "notes",
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def known_currencies() -> list[str]:
    """The company currency and every currency with a rate: what a contract can be written in."""
    rated = ExchangeRate.objects.order_by().values_list("currency", flat=True).distinct()
    return sorted({company_currency(), *rated})


class CurrencyInput(forms.TextInput):
    """Three letters, with the known currencies offered as suggestions."""

    def __init__(self) -> None:
        super().__init__(
            attrs={
                "list": "currency-suggestions",
                "maxlength": 3,
                "size": 4,
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
            }
        )


# The header ---------------------------------------------------------------------------------


class ContractForm(VersionedFormMixin, forms.ModelForm):
    """A contract's own fields; the account too when the page was not opened from one."""

    account = AccountNameField(
        label=_("Account"),
        help_text=_("Type the start of its name and pick from the suggestions."),
    )

    class Meta:
        model = Contract
        fields = CONTRACT_FIELDS
        widgets = {
            "currency": CurrencyInput(),
            "start_date": DateInput(),
            "end_date": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"currency": _("Three letters, e.g. EUR or USD.")}
        error_messages = {
            "start_date": {"required": _("Give the first day of the term.")},
            "end_date": {"required": _("Give the last day of the term.")},
            "currency": {"required": _("Give the currency of the contract.")},
        }

    def __init__(self, *args: Any, pick_account: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if pick_account:
            self.fields["account"].widget.attrs.update(
                {
                    "list": "account-suggestions",
                    "autocomplete": "off",
                    "hx-get": reverse("stakeholders:account_suggest"),
                    "hx-trigger": "input changed delay:200ms",
                    "hx-target": "#account-suggestions",
                }
            )
            first = "account"
        else:
            del self.fields["account"]
            first = "reference"
        self.fields[first].widget.attrs["autofocus"] = True
        if self.instance.pk is None and not self.is_bound:
            self.initial.setdefault("currency", company_currency())

    def clean_currency(self) -> str:
        return str(self.cleaned_data.get("currency") or "").strip().upper()

    def contract_data(self) -> dict[str, Any]:
        """The ``data`` of ``services.contract_create`` and ``contract_update``."""
        return {name: self.cleaned_data[name] for name in CONTRACT_FIELDS}

    def chosen_account(self) -> Account | None:
        account = self.cleaned_data.get("account") if "account" in self.fields else None
        return account if isinstance(account, Account) else None


class AmendForm(forms.Form):
    """When an amendment takes effect and why; the lines come from the rows below it."""

    effective_date = forms.DateField(
        label=_("In force from"),
        widget=DateInput(),
        help_text=_(
            "The first day the new lines apply; the lines they replace end the day before."
        ),
        error_messages={"required": _("Give the day the change takes effect.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        error_messages={"required": _("Say why the contract changes.")},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, contract: Contract, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("version", contract.version)
        widget = self.fields["effective_date"].widget
        widget.attrs["min"] = (contract.start_date + datetime.timedelta(days=1)).isoformat()
        widget.attrs["max"] = contract.end_date.isoformat()
        widget.attrs["autofocus"] = True

    @property
    def expected_version(self) -> int | None:
        value = self.cleaned_data.get("version")
        return int(value) if value else None


# The lines -----------------------------------------------------------------------------------


def product_choices(extra_ids: Iterable[int] = ()) -> tuple[list[Any], dict[int, Product]]:
    """Products on sale by family (with those a contract already holds), and each by its id.

    Built once per page: every row's select shares the list instead of querying for its own.
    """
    wanted = set(extra_ids)
    rows = Product.objects.select_related("family").order_by(
        "family__position", "family__name", "search_name", "id"
    )
    products = {
        product.pk: product for product in rows if product.is_active or product.pk in wanted
    }
    groups: dict[str, list[tuple[int, str]]] = {}
    for product in products.values():
        label = (
            str(product.name)
            if product.is_active
            else _("%(name)s (no longer sold)") % {"name": product.name}
        )
        groups.setdefault(str(product.family), []).append((product.pk, str(label)))
    choices: list[Any] = [("", _("Choose a product"))]
    choices.extend((family, options) for family, options in groups.items())
    return choices, products


class LineForm(forms.Form):
    """One row: a product, how many, and the yearly price of one in the contract's currency."""

    product = forms.TypedChoiceField(label=_("Product"), required=False, coerce=int)
    quantity = forms.DecimalField(
        label=_("Quantity"),
        required=False,
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    unit_price = forms.DecimalField(
        label=_("Unit price per year"),
        required=False,
        max_digits=16,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        help_text=_("Empty: the list price, for a contract in the company currency."),
    )

    def __init__(self, *args: Any, choices: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["product"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = choices
        field.widget.attrs["class"] = "line-product"
        self.fields["quantity"].widget.attrs["class"] = "line-quantity"
        self.fields["unit_price"].widget.attrs["class"] = "line-price"

    def is_blank(self) -> bool:
        """A row with nothing in it: the blank rows at the end, or one emptied on purpose."""
        data = getattr(self, "cleaned_data", {})
        if data.get("DELETE"):
            return True
        return all(data.get(name) in (None, "") for name in ("product", "quantity", "unit_price"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("DELETE") or all(
            cleaned.get(name) in (None, "") for name in ("product", "quantity", "unit_price")
        ):
            return cleaned
        if cleaned.get("product") in (None, ""):
            self.add_error("product", _("Choose a product, or empty the row."))
        if cleaned.get("quantity") is None and "quantity" not in self.errors:
            self.add_error("quantity", _("Give a quantity."))
        return cleaned

    @property
    def annual_value(self) -> Decimal | None:
        """What the row comes to in a year, as typed (or as loaded)."""
        source = (getattr(self, "cleaned_data", None) or {}) if self.is_bound else self.initial
        quantity, price = source.get("quantity"), source.get("unit_price")
        if quantity is None or price is None or source.get("DELETE"):
            return None
        try:
            return (Decimal(str(quantity)) * Decimal(str(price))).quantize(CENT)
        except ArithmeticError:
            return None


LineFormSet = formset_factory(
    LineForm, extra=BLANK_ROWS, can_delete=True, max_num=MAX_LINES, validate_max=True
)


def line_initial(lines: Sequence[ContractLine]) -> list[dict[str, Any]]:
    return [
        {"product": line.product_id, "quantity": line.quantity, "unit_price": line.unit_price}
        for line in lines
    ]


class LinesSheet:
    """A form and the rows of lines under it, checked together and sent to one service."""

    form: forms.BaseForm

    def __init__(
        self,
        data: Any,
        *,
        initial_lines: Sequence[ContractLine] = (),
        with_lines: bool = True,
        held_product_ids: Iterable[int] = (),
    ) -> None:
        self.line_errors: list[str] = []
        self.lines: Any = None
        if with_lines:
            held = {line.product_id for line in initial_lines} | set(held_product_ids)
            self.choices, self.products = product_choices(held)
            self.lines = LineFormSet(
                data,
                prefix="lines",
                initial=line_initial(initial_lines) or None,
                form_kwargs={"choices": self.choices},
            )

    def currency(self) -> str:
        raise NotImplementedError

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        if self.lines is None:
            return valid
        if not self.lines.is_valid():
            return False
        if not valid:
            return False
        currency = self.currency()
        for row in self.lines.forms:
            if row.is_blank() or row.cleaned_data.get("unit_price") is not None:
                continue
            product = self.products.get(row.cleaned_data.get("product") or 0)
            if product is None:
                continue
            if currency != company_currency():
                row.add_error(
                    "unit_price",
                    _("Give the unit price in %(currency)s: the list price is in %(company)s.")
                    % {"currency": currency or "?", "company": company_currency()},
                )
        return all(row.is_valid() for row in self.lines.forms)

    def line_specs(self) -> list[dict[str, Any]]:
        """The rows that say something, as the services take lines."""
        specs = []
        for row in self.lines.forms if self.lines is not None else []:
            if row.is_blank():
                continue
            product = self.products[row.cleaned_data["product"]]
            price = row.cleaned_data.get("unit_price")
            specs.append(
                {
                    "product": product,
                    "quantity": row.cleaned_data["quantity"],
                    "unit_price": product.list_price if price is None else price,
                }
            )
        return specs

    def run(self, call: Callable[[], Any]) -> Any:
        """Call a service; its refusals go on the form, those about the lines above the rows."""

        def guarded() -> Any:
            try:
                return call()
            except ValidationError as error:
                if not hasattr(error, "error_dict") or "lines" not in error.error_dict:
                    raise
                self.line_errors = error.message_dict["lines"]
                rest = {key: value for key, value in error.error_dict.items() if key != "lines"}
                if rest:
                    raise ValidationError(rest) from error
                return None

        return run_service(self.form, guarded)

    @property
    def total(self) -> Decimal | None:
        """What the rows come to in a year, as typed."""
        if self.lines is None:
            return None
        values = [row.annual_value for row in self.lines.forms]
        return sum((value for value in values if value is not None), Decimal("0.00"))


class ContractSheet(LinesSheet):
    """A new contract, or one being corrected: its header and, while it has no amendment, lines."""

    form: ContractForm

    def __init__(
        self,
        data: Any,
        *,
        contract: Contract | None = None,
        pick_account: bool = False,
        with_lines: bool = True,
    ) -> None:
        instance = copy.copy(contract) if contract is not None else None
        self.form = ContractForm(data, instance=instance, pick_account=pick_account)
        lines = list(contract.lines.all()) if contract is not None and with_lines else []
        super().__init__(data, initial_lines=lines, with_lines=with_lines)

    def currency(self) -> str:
        return str(self.form.cleaned_data.get("currency") or "")

    def lines_changed(self, contract: Contract) -> bool:
        """Whether the rows say something else than the lines the contract holds."""

        def key(spec: Any) -> tuple[int, Decimal, Decimal]:
            return (spec["product"].pk, Decimal(spec["quantity"]), Decimal(spec["unit_price"]))

        current = sorted(
            (line.product_id, line.quantity, line.unit_price) for line in contract.lines.all()
        )
        return sorted(key(spec) for spec in self.line_specs()) != current


class AmendSheet(LinesSheet):
    """An amendment: its date and reason, and every line in force from that date."""

    form: AmendForm

    def __init__(
        self, data: Any, *, contract: Contract, initial_lines: Sequence[ContractLine]
    ) -> None:
        self.contract = contract
        self.form = AmendForm(data, contract=contract)
        held = {line.product_id for line in contract.lines.all()}
        super().__init__(data, initial_lines=initial_lines, held_product_ids=held)

    def currency(self) -> str:
        return self.contract.currency


# Status and notice ---------------------------------------------------------------------------


class ContractStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (ContractStatus.ACTIVE, ContractStatus.ACTIVE.label),
            (ContractStatus.CHURNED, ContractStatus.CHURNED.label),
            (ContractStatus.CANCELLED, ContractStatus.CANCELLED.label),
        ],
    )
    churn_reason = forms.ChoiceField(
        label=_("Why the client left"),
        choices=[("", _("Choose a reason")), *LossReason.choices],
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class NoticeForm(forms.Form):
    client_notified_on = forms.DateField(
        label=_("Day the client was reminded"),
        widget=DateInput(),
        error_messages={"required": _("Give the day the client was reminded.")},
    )

    def __init__(self, *args: Any, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("client_notified_on", today)
        self.fields["client_notified_on"].widget.attrs["max"] = today.isoformat()
