"""The opportunity form and its product lines; the win, lose and move forms; the renewals filter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.forms import formset_factory
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pydantic import Field

from rapport.accounts.choices import Segment, Tier
from rapport.accounts.forms import AccountNameField
from rapport.accounts.models import Account
from rapport.communications.forms import assignable_users
from rapport.core.api import InputSchema, RecordId
from rapport.core.exceptions import NotAllowedError, StaleVersionError
from rapport.core.forms import VersionedFormMixin
from rapport.revenue.choices import ContractStatus, LossReason, OpportunityStatus, OpportunityType
from rapport.revenue.metrics import MetricsFilter
from rapport.revenue.models import Contract, Opportunity, PipelineStage, Product
from rapport.revenue.rates import company_currency
from rapport.users.models import User

T = TypeVar("T")

# Fields given to the service only when the person changed them: left alone, the stage (or the
# contract, or the account) decides them.
DEFAULTED_FIELDS = ("probability", "forecast_category", "currency")
LINE_ROWS = 3


class OpportunityForm(VersionedFormMixin, forms.ModelForm):
    """An opportunity; the account is fixed when the page knows it."""

    account = AccountNameField(
        label=_("Account"),
        help_text=_("Type the start of a name and pick from the suggestions."),
    )
    amount = forms.DecimalField(
        label=_("Amount"),
        required=False,
        max_digits=16,
        decimal_places=2,
        help_text=_(
            "The change in annual value; for a renewal, the next term's annual value. "
            "Leave empty to add up the product lines."
        ),
    )

    class Meta:
        model = Opportunity
        fields = (
            "type",
            "name",
            "contract",
            "stage",
            "probability",
            "forecast_category",
            "currency",
            "amount",
            "close_date",
            "owner",
            "next_step",
            "risk_note",
            "description",
        )
        widgets = {
            "close_date": forms.DateInput(attrs={"type": "date"}),
            "risk_note": forms.Textarea(attrs={"rows": 3}),
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(
        self, *args: Any, user: User, account: Account | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        instance: Opportunity = self.instance
        self.fixed_account = account or (instance.account if instance.pk else None)
        if self.fixed_account is not None:
            del self.fields["account"]
        else:
            self.fields["account"].widget.attrs.update(
                {
                    "list": "opportunity-account-suggestions",
                    "autocomplete": "off",
                    "hx-get": reverse("stakeholders:account_suggest"),
                    "hx-trigger": "input changed delay:200ms",
                    "hx-target": "#opportunity-account-suggestions",
                }
            )
        self.fields["name"].required = False
        self.fields["name"].help_text = _("Leave empty for “type – account”.")
        self._limit_contracts()
        self._limit_stages()
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = assignable_users()
        for name in DEFAULTED_FIELDS:
            self.fields[name].required = False
        self.fields["probability"].help_text = _("Leave as it is to follow the stage.")
        self.fields["forecast_category"].help_text = _("Leave as it is to follow the stage.")
        # Also when bound: the initial values tell which defaults the person changed.
        if instance.pk is None:
            default_owner = self.fixed_account.owner if self.fixed_account else None
            if default_owner is None or not default_owner.is_active or default_owner.is_read_only:
                default_owner = user
            self.initial.setdefault("owner", default_owner.pk)
            self.initial.setdefault("currency", company_currency())
            stage = self.fields["stage"]
            assert isinstance(stage, forms.ModelChoiceField)
            first = stage.queryset.first()
            if first is not None:
                self.initial.setdefault("stage", first.pk)
                self.initial.setdefault("probability", first.probability)
                self.initial.setdefault("forecast_category", first.forecast_category)
        self.fields["type"].widget.attrs["autofocus"] = True

    def _limit_contracts(self) -> None:
        contract = self.fields["contract"]
        assert isinstance(contract, forms.ModelChoiceField)
        if self.fixed_account is None:
            del self.fields["contract"]
            return
        chosen = self.instance.contract_id
        contract.queryset = Contract.objects.filter(account=self.fixed_account).filter(
            ~Q(status=ContractStatus.CANCELLED) | Q(pk=chosen or 0)
        )
        contract.help_text = _(
            "For a renewal, the term it renews; for an upsell, the one it grows."
        )
        contract.empty_label = _("No contract")

    def _limit_stages(self) -> None:
        stage = self.fields["stage"]
        assert isinstance(stage, forms.ModelChoiceField)
        current = self.instance.stage_id if self.instance.pk else None
        stage.queryset = PipelineStage.objects.filter(
            Q(is_active=True, outcome=OpportunityStatus.OPEN) | Q(pk=current or 0)
        ).order_by("position", "id")
        stage.empty_label = None
        stage.help_text = _("Mark it won or lost from its page to close it.")

    def chosen_account(self) -> Account:
        account = self.fixed_account or self.cleaned_data["account"]
        assert isinstance(account, Account)
        return account

    def opportunity_data(self) -> dict[str, Any]:
        """What the service needs: every field, except defaults left as the page offered them."""
        data: dict[str, Any] = {}
        for name in self._meta.fields or ():
            if name not in self.cleaned_data or name == "account":
                continue
            value = self.cleaned_data[name]
            if name in DEFAULTED_FIELDS and (name not in self.changed_data or value in (None, "")):
                continue
            if name == "owner" and value is None and self.instance.pk is None:
                continue  # the service gives it to the account's manager
            if name == "name" and not value and self.instance.pk is not None:
                continue
            data[name] = value
        return data


class OpportunityLineForm(forms.Form):
    """One product the opportunity would sell."""

    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.none(),
        required=False,
        empty_label=_("Choose a product"),
    )
    quantity = forms.DecimalField(
        label=_("Quantity"), required=False, max_digits=12, decimal_places=2
    )
    unit_price = forms.DecimalField(
        label=_("Unit price per year"), required=False, max_digits=16, decimal_places=2
    )

    def __init__(self, *args: Any, products: QuerySet[Product], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        product = self.fields["product"]
        assert isinstance(product, forms.ModelChoiceField)
        product.queryset = products

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.is_blank():
            return cleaned
        if cleaned.get("product") is None and "product" not in self.errors:
            self.add_error("product", _("Choose a product for this line."))
        quantity = cleaned.get("quantity")
        if quantity is None and "quantity" not in self.errors:
            self.add_error("quantity", _("Give a quantity."))
        elif quantity is not None and quantity <= 0:
            self.add_error("quantity", _("The quantity must be more than zero."))
        price = cleaned.get("unit_price")
        if price is None and "unit_price" not in self.errors:
            self.add_error("unit_price", _("Give a unit price."))
        elif price is not None and price < 0:
            self.add_error("unit_price", _("A price cannot be negative."))
        return cleaned

    def is_blank(self) -> bool:
        cleaned = getattr(self, "cleaned_data", {})
        wanted = ("product", "quantity", "unit_price")
        return all(cleaned.get(name) in (None, "") for name in wanted) and not any(
            self.data.get(self.add_prefix(name)) for name in wanted
        )


BaseLineFormSet = formset_factory(OpportunityLineForm, extra=LINE_ROWS, max_num=100)


class OpportunitySheet:
    """The opportunity form and its product lines, read and checked together."""

    def __init__(
        self,
        data: QueryDict | None,
        *,
        user: User,
        opportunity: Opportunity | None = None,
        account: Account | None = None,
        initial: dict[str, Any] | None = None,
    ) -> None:
        self.opportunity = opportunity
        self.form = OpportunityForm(
            data, user=user, account=account, instance=opportunity, initial=initial
        )
        existing = list(opportunity.lines.all()) if opportunity is not None else []
        chosen = [line.product_id for line in existing]
        products = Product.objects.filter(Q(is_active=True) | Q(pk__in=chosen)).order_by(
            "search_name", "id"
        )
        self.lines = BaseLineFormSet(
            data,
            prefix="lines",
            initial=[
                {
                    "product": line.product_id,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                }
                for line in existing
            ],
            form_kwargs={"products": products},
        )
        self.service_errors: list[str] = []

    def is_valid(self) -> bool:
        return all([self.form.is_valid(), self.lines.is_valid()])

    def line_specs(self) -> list[dict[str, Any]] | None:
        """The lines to save, or None to keep them as they are (an edit that left them alone)."""
        if (
            self.opportunity is not None
            and not self.lines.has_changed()
            and self.form.cleaned_data.get("amount") is not None
        ):
            return None
        return [
            {
                "product": line.cleaned_data["product"],
                "quantity": line.cleaned_data["quantity"],
                "unit_price": line.cleaned_data["unit_price"],
            }
            for line in self.lines.forms
            if not line.is_blank()
        ]

    def run(self, call: Callable[[], T]) -> T | None:
        """Call the service; put what it refuses on the form, or on the lines for theirs."""
        try:
            return call()
        except StaleVersionError as error:
            self.form.add_error(None, str(error.message))
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for name, messages in error.message_dict.items():
                    if name == "lines":
                        self.service_errors.extend(messages)
                    else:
                        self.form.add_error(name if name in self.form.fields else None, messages)
            else:
                self.form.add_error(None, error.messages)
        except NotAllowedError as error:
            raise PermissionDenied from error
        return None

    @property
    def line_errors(self) -> list[str]:
        return [*self.lines.non_form_errors(), *self.service_errors]


class WinForm(forms.Form):
    """Closing an opportunity won."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    closed_on = forms.DateField(
        label=_("Closed on"), widget=forms.DateInput(attrs={"type": "date"}), required=False
    )
    close_note = forms.CharField(
        label=_("Why it was won"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, opportunity: Opportunity, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("version", opportunity.version)
            self.initial.setdefault("closed_on", timezone.localdate())

    @property
    def expected_version(self) -> int | None:
        return self.cleaned_data.get("version") or None


class LoseForm(WinForm):
    """Closing an opportunity lost, with the reason (for a renewal, why the client leaves)."""

    loss_reason = forms.ChoiceField(
        label=_("Reason lost"), choices=[("", "—"), *LossReason.choices]
    )
    field_order = ("loss_reason", "closed_on", "close_note")

    def __init__(self, *args: Any, opportunity: Opportunity, **kwargs: Any) -> None:
        super().__init__(*args, opportunity=opportunity, **kwargs)
        self.fields["close_note"].label = _("What happened")
        self.fields["loss_reason"].error_messages["required"] = _("Say why it was lost.")
        if opportunity.is_renewal:
            self.fields["loss_reason"].label = _("Churn reason")
            self.fields["loss_reason"].error_messages["required"] = _("Say why the client leaves.")


class MoveForm(forms.Form):
    """Moving a card of the board to another stage."""

    stage = forms.ModelChoiceField(
        label=_("Move to"), queryset=PipelineStage.objects.filter(is_active=True)
    )
    version = forms.IntegerField(required=False, min_value=1)


def default_type(value: str | None) -> str:
    return value if value in OpportunityType.values else OpportunityType.UPSELL


class RenewalFilter(InputSchema):
    """Whose renewals the page shows: by the account's manager, tier and segment."""

    owner: Literal["me"] | RecordId | None = Field(
        default=None, description="A user id or “me”; everyone's when absent."
    )
    tier: Tier | None = None
    segment: Segment | None = None

    def metrics_filter(self, *, user_id: int) -> MetricsFilter:
        owner = user_id if self.owner == "me" else self.owner
        return MetricsFilter(
            owner_id=owner if isinstance(owner, int) else None,
            tier=self.tier or "",
            segment=self.segment or "",
        )

    def is_filtered(self) -> bool:
        return bool(self.owner or self.tier or self.segment)
