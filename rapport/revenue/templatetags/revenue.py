"""Money and percentages in the reader's number format, and the revenue card that the account's
360° page (an app below this one) shows without importing it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.translation import gettext as _

from rapport.accounts.models import Account
from rapport.revenue.drawing import amount_text, money_text

register = template.Library()

NOTHING = "—"


@register.filter
def money(value: Decimal | int | float | None, currency: str | None = None) -> str:
    """{{ value|money }} or {{ value|money:currency }}: “12,500 EUR”; “—” for no figure."""
    if value is None or value == "":
        return NOTHING
    return money_text(value, currency or None)


@register.filter
def money_change(value: Decimal | int | float | None, currency: str | None = None) -> str:
    """A change of money with its sign (a true minus sign when it is down): “+1,200 EUR”."""
    if value is None or value == "":
        return NOTHING
    figure = Decimal(str(value))
    shown = money_text(abs(figure), currency or None)
    if figure > 0:
        return f"+{shown}"
    if figure < 0:
        return f"\u2212{shown}"
    return shown


@register.filter
def percent(value: Decimal | int | float | None, decimals: int = 1) -> str:
    """{{ report.net_revenue_retention|percent }}: “104.5%” (“104,5 %” in French); “—” for
    no figure, e.g. a retention with no cohort."""
    if value is None or value == "":
        return NOTHING
    return _("%(value)s%%") % {"value": amount_text(value, decimals=decimals)}


@register.filter
def percent_change(value: Decimal | int | float | None) -> str:
    """A change in percent with its sign, a true minus sign when down: “+12.5%”."""
    if value is None or value == "":
        return NOTHING
    figure = Decimal(str(value))
    shown = percent(abs(figure))
    if figure > 0:
        return f"+{shown}"
    if figure < 0:
        return f"\u2212{shown}"
    return shown


@register.filter
def amount(value: Decimal | int | float | None) -> str:
    """A figure without its currency, for tables whose heading names it."""
    if value is None or value == "":
        return NOTHING
    return amount_text(value)


@register.filter
def abs_value(value: int) -> int:
    return abs(value)


@register.inclusion_tag("revenue/includes/account_revenue_card.html", takes_context=True)
def account_revenue_card(context: Any, account: Account) -> dict[str, Any]:
    """{% account_revenue_card account %}: the 360° page's revenue card. Its figures are read
    once the page is up, so the page's own query budget stays what it is."""
    return {"account": account, "request": context.get("request")}


# Which revenue page a URL name belongs to, for the sub-navigation; the first prefix that
# matches wins.
SECTIONS = (
    ("dashboard", "dashboard"),
    ("opportunity_board", "board"),
    ("opportunity_", "opportunities"),
    ("renewal_", "renewals"),
    ("contract_", "contracts"),
    ("white_space", "white_space"),
    ("product_", "products"),
    ("family_", "products"),
    ("rate_", "rates"),
    ("stage_", "pipeline"),
)


@register.simple_tag(takes_context=True)
def revenue_section(context: Any) -> str:
    """{% revenue_section as section %}: the sub-navigation entry of the page being shown."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match is None or match.app_name != "revenue":
        return ""
    name = match.url_name or ""
    return next((section for prefix, section in SECTIONS if name.startswith(prefix)), "")


@register.filter
def forecast_amount(row: Any, column: str) -> Decimal:
    """{{ month|forecast_amount:"commit" }}: a forecast month's (or a dict's) amount in a column."""
    if isinstance(row, dict):
        return Decimal(row.get(column) or 0)
    return Decimal(row.amount(column))
