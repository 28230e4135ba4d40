"""What a spreadsheet's columns can feed, per target, and how each cell is read.

Spreadsheets carry no ids, so references are by name or e-mail (an account by its name, a
person by e-mail or full name). Each field knows its label, whether a file must provide it,
how to read a cell (numbers, dates, a choice given by its value or its English or French label)
and the other names its column often has, in English and French, for the suggestions.

Reading a cell only turns text into a value; whether the value is acceptable is for the app's
own forms and services, exactly as for a record typed in by hand.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.accounts.choices import Industry, LifecycleStage, Segment, Tier
from rapport.communications.choices import Sentiment, TouchpointKind
from rapport.core.text import search_key
from rapport.interchange.choices import ImportTarget
from rapport.stakeholders.choices import DecisionRole, Influence, Stance


class DateOrder(models.TextChoices):
    """How to read a date written with slashes: the file's convention, chosen on the mapping."""

    DAY_FIRST = "dmy", gettext_lazy("Day first (31/12/2025)")
    MONTH_FIRST = "mdy", gettext_lazy("Month first (12/31/2025)")


# Excel counts days from 30 December 1899 (its 1900 leap-year bug included).
EXCEL_EPOCH = datetime.datetime(1899, 12, 30)  # a count of days, not a moment
# Serial numbers from 1 January 1950 to 31 December 2099: a plausible date, not a plain number.
EXCEL_SERIALS = range(18264, 73051)
SLASHED = re.compile(
    r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T]+(\d{1,2})[:h](\d{2})(?::(\d{2}))?)?$"
)
ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
TRUE_WORDS = {"1", "true", "yes", "y", "x", "oui", "o", "vrai"}
FALSE_WORDS = {"0", "false", "no", "n", "non", "faux"}


@dataclass(frozen=True)
class Context:
    """What reading a cell may depend on: the date order chosen for the file."""

    date_order: str = DateOrder.DAY_FIRST


Parser = Callable[[Any, Context], Any]


@dataclass(frozen=True)
class ImportField:
    """One field a column can feed."""

    name: str
    label: Promise | str
    parse: Parser
    required: bool = False
    aliases: tuple[str, ...] = ()
    help_text: Promise | str = ""
    # For a choice (or a set of them): the labels the preview shows for the values read.
    choices: type[models.TextChoices] | None = None

    def show(self, value: Any) -> str:
        """A value read from a cell, as the preview shows it."""
        if self.choices is not None:
            labels = dict(self.choices.choices)
            if isinstance(value, list):
                return ", ".join(str(labels.get(item, item)) for item in value)
            return str(labels.get(value, value))
        if isinstance(value, list):
            return "; ".join(str(item) for item in value)
        if isinstance(value, bool):
            return str(_("Yes") if value else _("No"))
        if isinstance(value, datetime.datetime):
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        if isinstance(value, datetime.date):
            return value.isoformat()
        return str(value)


# Reading cells --------------------------------------------------------------------------------


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_text(value: Any, context: Context) -> str:
    """A cell as text, kept as written: a formula's text is text, never computed."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value).strip()


def parse_integer(value: Any, context: Context) -> int:
    if isinstance(value, bool):
        raise ValidationError(_("“%(value)s” is not a whole number.") % {"value": value})
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = re.sub(r"[\s\u00a0\u202f]", "", str(value))
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    raise ValidationError(_("“%(value)s” is not a whole number.") % {"value": value})


def parse_decimal(value: Any, context: Context) -> Decimal:
    """A number written the English way (1,234.50) or the French way (1 234,50)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    text = re.sub(r"[\s\u00a0\u202f]", "", str(value))
    if "," in text and "." in text:
        # The last separator is the decimal one; the other groups thousands.
        thousands = "," if text.rfind(".") > text.rfind(",") else "."
        text = text.replace(thousands, "")
    text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise ValidationError(_("“%(value)s” is not a number.") % {"value": value})
    return number


def parse_boolean(value: Any, context: Context) -> bool:
    if isinstance(value, bool):
        return value
    word = search_key(parse_text(value, context))
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValidationError(_("“%(value)s” is neither yes nor no.") % {"value": value})


def _from_excel(value: Any) -> datetime.datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if int(value) not in EXCEL_SERIALS:
        return None
    return EXCEL_EPOCH + datetime.timedelta(days=float(value))


def _bad_date(value: Any, context: Context) -> ValidationError:
    example = "31/12/2025" if context.date_order == DateOrder.DAY_FIRST else "12/31/2025"
    return ValidationError(
        _("“%(value)s” is not a date (write 2025-12-31 or %(example)s).")
        % {"value": value, "example": example}
    )


def _parse_moment(value: Any, context: Context) -> datetime.datetime:
    """A naive date and time from a cell: a real date, an Excel serial number, or text."""
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, datetime.date):
        return datetime.datetime.combine(value, datetime.time())
    serial = _from_excel(value)
    if serial is None and isinstance(value, str) and re.fullmatch(r"\d{5}(\.\d+)?", value.strip()):
        serial = _from_excel(float(value))
    if serial is not None:
        return serial.replace(microsecond=0)
    text = str(value).strip()
    parts: tuple[str | None, ...]
    iso = ISO.match(text)
    if iso and iso.end() == len(text.rstrip("Z")):
        year, month, day, *clock = iso.groups()
    else:
        slashed = SLASHED.match(text)
        if slashed is None:
            raise _bad_date(value, context)
        first, second, year, *clock = slashed.groups()
        day, month = (
            (first, second) if context.date_order == DateOrder.DAY_FIRST else (second, first)
        )
    parts = (year, month, day, *clock)
    try:
        numbers = [int(part) if part else 0 for part in parts]
        year_number, month_number, day_number, hour, minute, second = numbers
        # Naive on purpose: the caller makes it aware in the installation's time zone.
        return datetime.datetime(year_number, month_number, day_number, hour, minute, second)
    except (TypeError, ValueError) as error:
        raise _bad_date(value, context) from error


def parse_date(value: Any, context: Context) -> datetime.date:
    return _parse_moment(value, context).date()


def parse_datetime(value: Any, context: Context) -> datetime.datetime:
    """A moment in the installation's time zone (spreadsheets carry none)."""
    return timezone.make_aware(_parse_moment(value, context))


def choice_lookup(choices: type[models.TextChoices]) -> dict[str, str]:
    """Every way a choice may be written: its value and its English and French labels."""
    lookup: dict[str, str] = {}
    for value, label in choices.choices:
        lookup[search_key(value)] = value
        lookup[search_key(value.replace("_", " "))] = value
        for language in ("en", "fr"):
            with translation.override(language):
                lookup[search_key(str(label))] = value
    return lookup


def _choice_parser(choices: type[models.TextChoices]) -> Parser:
    def parse(value: Any, context: Context) -> str:
        text = parse_text(value, context)
        found = choice_lookup(choices).get(search_key(text))
        if found is None:
            labels = ", ".join(str(label) for _value, label in choices.choices)
            raise ValidationError(
                _("“%(value)s” is not one of: %(labels)s.") % {"value": text, "labels": labels}
            )
        return found

    return parse


def _choice_set_parser(choices: type[models.TextChoices]) -> Parser:
    single = _choice_parser(choices)

    def parse(value: Any, context: Context) -> list[str]:
        parts = [part for part in re.split(r"[,;\n]", parse_text(value, context)) if part.strip()]
        return list(dict.fromkeys(single(part, context) for part in parts))

    return parse


def parse_list(value: Any, context: Context) -> list[str]:
    """Several e-mails or names in one cell, separated by semicolons or commas."""
    return [
        part.strip() for part in re.split(r"[;,\n]", parse_text(value, context)) if part.strip()
    ]


def parse_country(value: Any, context: Context) -> str:
    text = parse_text(value, context).upper()
    if not re.fullmatch(r"[A-Z]{2}", text):
        raise ValidationError(
            _("“%(value)s” is not a two-letter country code such as FR.") % {"value": value}
        )
    return text


def parse_currency(value: Any, context: Context) -> str:
    return parse_text(value, context).upper()


# The fields of each target ------------------------------------------------------------------

ACCOUNT_FIELDS = (
    ImportField(
        "name",
        gettext_lazy("Name"),
        parse_text,
        required=True,
        aliases=(
            "account",
            "account name",
            "company",
            "company name",
            "client",
            "organisation",
            "organization",
            "compte",
            "nom du compte",
            "nom",
            "societe",
            "entreprise",
            "raison sociale usuelle",
            "client name",
        ),
    ),
    ImportField(
        "legal_name",
        gettext_lazy("Legal name"),
        parse_text,
        aliases=(
            "legal name",
            "registered name",
            "raison sociale",
            "denomination sociale",
            "nom legal",
        ),
    ),
    ImportField(
        "website", gettext_lazy("Website"), parse_text, aliases=("web", "url", "site", "site web")
    ),
    ImportField(
        "domain",
        gettext_lazy("E-mail domain"),
        parse_text,
        aliases=("domain", "email domain", "domaine", "domaine email", "domaine de messagerie"),
    ),
    ImportField(
        "industry",
        gettext_lazy("Industry"),
        _choice_parser(Industry),
        choices=Industry,
        aliases=("sector", "secteur", "secteur d activite", "industrie"),
    ),
    ImportField(
        "country",
        gettext_lazy("Country"),
        parse_country,
        aliases=("country code", "pays", "code pays", "billing country"),
    ),
    ImportField(
        "employees",
        gettext_lazy("Employees"),
        parse_integer,
        aliases=(
            "number of employees",
            "headcount",
            "staff",
            "effectif",
            "salaries",
            "nombre de salaries",
            "employes",
        ),
    ),
    ImportField(
        "tier", gettext_lazy("Tier"), _choice_parser(Tier), choices=Tier, aliases=("niveau",)
    ),
    ImportField("segment", gettext_lazy("Segment"), _choice_parser(Segment), choices=Segment),
    ImportField(
        "lifecycle_stage",
        gettext_lazy("Lifecycle stage"),
        _choice_parser(LifecycleStage),
        choices=LifecycleStage,
        aliases=("stage", "lifecycle", "etape", "phase", "cycle de vie", "etape du cycle de vie"),
    ),
    ImportField(
        "parent",
        gettext_lazy("Parent account"),
        parse_text,
        aliases=(
            "parent",
            "parent company",
            "group",
            "maison mere",
            "compte parent",
            "groupe",
            "societe mere",
        ),
        help_text=gettext_lazy("By name."),
    ),
    ImportField(
        "owner",
        gettext_lazy("Account manager"),
        parse_text,
        aliases=(
            "owner",
            "account owner",
            "manager",
            "responsable",
            "responsable du compte",
            "gestionnaire",
            "gestionnaire de compte",
            "proprietaire",
        ),
        help_text=gettext_lazy("By e-mail or full name."),
    ),
    ImportField(
        "description",
        gettext_lazy("Description"),
        parse_text,
        aliases=("notes", "comments", "commentaires", "remarques"),
    ),
)

STAKEHOLDER_FIELDS = (
    ImportField(
        "first_name",
        gettext_lazy("First name"),
        parse_text,
        aliases=("firstname", "given name", "prenom"),
    ),
    ImportField(
        "last_name",
        gettext_lazy("Last name"),
        parse_text,
        required=True,
        aliases=("lastname", "surname", "family name", "name", "nom", "nom de famille"),
    ),
    ImportField(
        "account",
        gettext_lazy("Account"),
        parse_text,
        required=True,
        aliases=(
            "account name",
            "company",
            "organisation",
            "organization",
            "compte",
            "societe",
            "entreprise",
            "client",
        ),
        help_text=gettext_lazy("By name."),
    ),
    ImportField(
        "title",
        gettext_lazy("Job title"),
        parse_text,
        aliases=(
            "title",
            "position",
            "role",
            "job",
            "fonction",
            "poste",
            "intitule du poste",
            "titre",
        ),
    ),
    ImportField(
        "department", gettext_lazy("Department"), parse_text, aliases=("service", "departement")
    ),
    ImportField(
        "email",
        gettext_lazy("E-mail"),
        parse_text,
        aliases=(
            "email",
            "e mail",
            "mail",
            "email address",
            "adresse email",
            "courriel",
            "adresse e mail",
            "adresse electronique",
        ),
    ),
    ImportField(
        "phone",
        gettext_lazy("Phone"),
        parse_text,
        aliases=("telephone", "phone number", "mobile", "tel", "numero de telephone", "portable"),
    ),
    ImportField(
        "reports_to",
        gettext_lazy("Reports to"),
        parse_text,
        aliases=(
            "manager",
            "reports to",
            "superieur",
            "manager direct",
            "responsable",
            "rend compte a",
            "n 1",
        ),
        help_text=gettext_lazy("By e-mail or full name, within the account."),
    ),
    ImportField(
        "decision_roles",
        gettext_lazy("Decision roles"),
        _choice_set_parser(DecisionRole),
        choices=DecisionRole,
        aliases=(
            "roles",
            "decision role",
            "buying role",
            "role dans la decision",
            "roles de decision",
        ),
        help_text=gettext_lazy("Several, separated by commas."),
    ),
    ImportField(
        "stance",
        gettext_lazy("Stance"),
        _choice_parser(Stance),
        choices=Stance,
        aliases=("attitude", "posture", "stance toward us"),
    ),
    ImportField(
        "influence", gettext_lazy("Influence"), _choice_parser(Influence), choices=Influence
    ),
    ImportField(
        "notes",
        gettext_lazy("Notes"),
        parse_text,
        aliases=("comments", "description", "commentaires", "remarques"),
    ),
)

TOUCHPOINT_FIELDS = (
    ImportField(
        "account",
        gettext_lazy("Account"),
        parse_text,
        required=True,
        aliases=("account name", "company", "client", "compte", "societe", "entreprise"),
        help_text=gettext_lazy("By name."),
    ),
    ImportField(
        "kind",
        gettext_lazy("Kind"),
        _choice_parser(TouchpointKind),
        choices=TouchpointKind,
        aliases=("type", "activity type", "channel", "genre", "nature", "canal"),
        help_text=gettext_lazy("Empty: a call."),
    ),
    ImportField(
        "occurred_at",
        gettext_lazy("Date and time"),
        parse_datetime,
        required=True,
        aliases=(
            "date",
            "datetime",
            "when",
            "date and time",
            "date time",
            "date et heure",
            "quand",
            "date de l echange",
        ),
    ),
    ImportField(
        "subject",
        gettext_lazy("Subject"),
        parse_text,
        required=True,
        aliases=("title", "topic", "summary", "objet", "sujet", "titre"),
    ),
    ImportField(
        "notes",
        gettext_lazy("Notes"),
        parse_text,
        aliases=("description", "comments", "details", "compte rendu", "commentaires", "remarques"),
    ),
    ImportField(
        "sentiment",
        gettext_lazy("Sentiment"),
        _choice_parser(Sentiment),
        choices=Sentiment,
        aliases=("mood", "humeur"),
    ),
    ImportField(
        "participants",
        gettext_lazy("Participants"),
        parse_list,
        aliases=("attendees", "contacts", "people", "participants", "invites", "personnes"),
        help_text=gettext_lazy("Stakeholder e-mails separated by ; or ,"),
    ),
    ImportField(
        "duration_minutes",
        gettext_lazy("Duration (minutes)"),
        parse_integer,
        aliases=("duration", "minutes", "length", "duree", "duree minutes"),
    ),
)

CONTRACT_FIELDS = (
    ImportField(
        "account",
        gettext_lazy("Account"),
        parse_text,
        required=True,
        aliases=("account name", "company", "client", "compte", "societe", "entreprise"),
        help_text=gettext_lazy("By name."),
    ),
    ImportField(
        "reference",
        gettext_lazy("Reference"),
        parse_text,
        aliases=(
            "contract",
            "contract number",
            "contract reference",
            "number",
            "ref",
            "reference du contrat",
            "numero",
            "numero de contrat",
            "contrat",
        ),
    ),
    ImportField("currency", gettext_lazy("Currency"), parse_currency, aliases=("devise",)),
    ImportField(
        "start_date",
        gettext_lazy("Start date"),
        parse_date,
        required=True,
        aliases=("start", "from", "begins", "debut", "date de debut", "date d effet"),
    ),
    ImportField(
        "end_date",
        gettext_lazy("End date"),
        parse_date,
        required=True,
        aliases=(
            "end",
            "until",
            "expiry",
            "expiration date",
            "fin",
            "date de fin",
            "echeance",
            "date d echeance",
        ),
    ),
    ImportField(
        "auto_renew",
        gettext_lazy("Renews tacitly"),
        parse_boolean,
        aliases=(
            "auto renew",
            "auto renewal",
            "automatic renewal",
            "tacit renewal",
            "tacite reconduction",
            "reconduction tacite",
            "renouvellement automatique",
        ),
    ),
    ImportField(
        "notice_days",
        gettext_lazy("Notice period (days)"),
        parse_integer,
        aliases=("notice", "notice period", "preavis", "preavis jours", "delai de preavis"),
    ),
    ImportField(
        "notes",
        gettext_lazy("Notes"),
        parse_text,
        aliases=("comments", "commentaires", "remarques"),
    ),
    ImportField(
        "product",
        gettext_lazy("Product"),
        parse_text,
        aliases=("product name", "item", "produit", "offre", "article"),
        help_text=gettext_lazy("By name; a new contract needs one."),
    ),
    ImportField(
        "quantity", gettext_lazy("Quantity"), parse_decimal, aliases=("qty", "units", "quantite")
    ),
    ImportField(
        "unit_price",
        gettext_lazy("Unit price per year"),
        parse_decimal,
        aliases=(
            "unit price",
            "price",
            "annual unit price",
            "prix",
            "prix unitaire",
            "prix unitaire annuel",
            "tarif",
        ),
        help_text=gettext_lazy("Empty: the product's list price."),
    ),
)

FIELDS: dict[str, tuple[ImportField, ...]] = {
    ImportTarget.ACCOUNTS: ACCOUNT_FIELDS,
    ImportTarget.STAKEHOLDERS: STAKEHOLDER_FIELDS,
    ImportTarget.TOUCHPOINTS: TOUCHPOINT_FIELDS,
    ImportTarget.CONTRACTS: CONTRACT_FIELDS,
}
# Targets whose files hold dates written with slashes, whose order the person chooses.
DATED_TARGETS = frozenset({ImportTarget.TOUCHPOINTS, ImportTarget.CONTRACTS})


def fields_for(target: str) -> tuple[ImportField, ...]:
    return FIELDS[target]


def field_map(target: str) -> dict[str, ImportField]:
    return {field.name: field for field in FIELDS[target]}
