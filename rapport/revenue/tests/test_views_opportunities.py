"""Opportunity pages: the list, the board and its moves, the form, one opportunity, renewals.

Everyone signed in reads them; whoever edits the account changes them (the others get 403 and
change nothing); the list and the board cost the same number of queries whatever the book.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from rapport.accounts.models import Account
from rapport.core.tests.factories import AccountFactory, StakeholderFactory, UserFactory
from rapport.core.tests.personas import Personas
from rapport.revenue import selectors, services
from rapport.revenue.choices import ContractStatus, LossReason, OpportunityStatus, OpportunityType
from rapport.revenue.models import Contract, Opportunity, OpportunityLine, PipelineStage
from rapport.revenue.tests import factories
from rapport.stakeholders.choices import DecisionRole, StakeholderStatus, Stance
from rapport.users.choices import Role
from rapport.users.models import User

pytestmark = pytest.mark.django_db

LIST = reverse("revenue:opportunity_list")
BOARD = reverse("revenue:opportunity_board")
CREATE = reverse("revenue:opportunity_create")
RENEWALS = reverse("revenue:renewal_list")
HTMX = {"HTTP_HX_REQUEST": "true"}


def days(number: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=number)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response: object) -> str:
    """The page's words, without its tags, spaces squeezed."""
    content = response.content.decode()  # type: ignore[attr-defined]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", content)).replace("&amp;", "&")


def url(name: str, opportunity: Opportunity) -> str:
    return reverse(f"revenue:{name}", args=[opportunity.pk])


def contract_ending_in(account: Account, number: int, **data: object) -> Contract:
    end = days(number)
    return factories.contract(
        account=account, start=end - datetime.timedelta(days=364), end=end, **data
    )


# The list --------------------------------------------------------------------------------------


def test_the_list_shows_each_opportunity_and_the_totals(personas: Personas) -> None:
    factories.rate("USD", days(-400), "0.5")
    late = factories.opportunity(
        account=personas.account,
        name="Analytics upsell",
        close_date=days(-3),
        amount=1000,
        next_step="Send the quote",
    )
    factories.opportunity(
        account=personas.other_account,
        name="Dollar deal",
        type=OpportunityType.CROSS_SELL,
        close_date=days(30),
        amount=2000,
        currency="USD",
        stage=factories.stage("Proposal"),
    )

    response = signed_in(personas.read_only).get(LIST)

    assert response.status_code == 200
    page = text(response)
    assert "Analytics upsell Northwind Traders Upsell Qualification 1,000.00 EUR 10 %" in page
    assert "Send the quote" in page
    assert "Late" in page and str(late.owner) in page
    assert "Dollar deal Contoso Cross-sell Proposal 2,000.00 USD 1,000.00 EUR 50 %" in page
    # 1,000 + 1,000 in euros; weighted 10 % of 1,000 + 50 % of 1,000.
    assert "2 opportunities" in page
    assert "2,000.00 EUR in all" in page
    assert "600.00 EUR weighted by probability" in page
    assert "New opportunity" not in page  # read-only: nothing to open


def test_the_list_filters_by_owner_type_and_status(personas: Personas) -> None:
    mine = factories.opportunity(account=personas.account, name="Mine", close_date=days(5))
    factories.opportunity(account=personas.other_account, name="Theirs", close_date=days(5))
    won = factories.opportunity(account=personas.account, name="Already won", close_date=days(5))
    services.opportunity_win(opportunity=won, acting_user=personas.owner)
    client = signed_in(personas.owner)

    by_owner = client.get(LIST, {"owner": "me"}, **HTMX)
    closed = client.get(LIST, {"status": "won"}, **HTMX)
    by_type = client.get(LIST, {"type": "renewal"}, **HTMX)
    bad = client.get(LIST, {"closes_before": "soon"}, **HTMX)

    assert mine.name in text(by_owner) and "Theirs" not in text(by_owner)
    assert "<html" not in by_owner.content.decode()  # the htmx answer is the results alone
    assert "Already won" in text(closed) and "Mine" not in text(closed)
    assert "No opportunity matches these filters." in text(by_type)
    assert "were ignored: closes_before" in text(bad)


def test_the_list_paginates_and_says_when_it_is_empty(personas: Personas, settings: object) -> None:
    settings.RAPPORT_PAGE_SIZE = 2  # type: ignore[attr-defined]
    client = signed_in(personas.owner)
    assert "No open opportunity yet." in text(client.get(LIST))
    for number in range(3):
        factories.opportunity(
            account=personas.account, name=f"Deal {number}", close_date=days(number)
        )

    first, second = client.get(LIST), client.get(LIST, {"page": 2})

    assert "Deal 0" in text(first) and "Deal 2" not in text(first)
    assert "Page 1 of 2" in text(first)
    assert "Deal 2" in text(second) and "3 opportunities" in text(second)


def queries_for(client: Client, address: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == 200
    return len(captured.captured_queries)


# Session, user, the nav counts (2) and permissions (2); then the list's totals, filter choices
# (people, stages) and one page of rows.
def test_the_list_costs_the_same_queries_whatever_the_book(
    personas: Personas, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    client = signed_in(personas.owner)
    factories.opportunity(account=personas.account, close_date=days(3))
    client.get(LIST)  # the session is warm
    small = queries_for(client, LIST)
    for number in range(12):
        account = AccountFactory(owner=UserFactory(role=Role.ACCOUNT_MANAGER))
        factories.opportunity(
            account=account,
            close_date=days(number),
            stage=factories.pipeline()[number % 5],
        )

    with django_assert_num_queries(small):
        response = client.get(LIST)

    assert response.status_code == 200
    assert small == 10


# The board: session, user, the nav counts (2) and permissions (2), the filter's people, its
# figures by stage, the stages and the accounts the user may change; then one query for the
# first cards of each column that has any (a slice on the stage's index: numbering every open
# opportunity by stage in one query sorted the whole book), whatever the number of cards.
BOARD_QUERIES = 10


def open_stages() -> list[PipelineStage]:
    return [stage for stage in factories.pipeline() if stage.is_open]


def test_the_board_costs_a_fixed_number_of_queries_and_one_per_open_stage(
    personas: Personas, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    stages = open_stages()
    client = signed_in(personas.owner)
    for stage in stages[:3]:
        factories.opportunity(account=personas.account, close_date=days(3), stage=stage)
    client.get(BOARD)  # the session is warm
    three_columns = queries_for(client, BOARD)
    for stage in stages[3:]:
        factories.opportunity(account=personas.account, close_date=days(4), stage=stage)
    every_column = queries_for(client, BOARD)
    for number in range(30):
        account = AccountFactory(owner=UserFactory(role=Role.ACCOUNT_MANAGER))
        factories.opportunity(
            account=account, close_date=days(number), stage=stages[number % len(stages)]
        )

    with django_assert_num_queries(every_column):
        response = client.get(BOARD)

    assert response.status_code == 200
    assert len(stages) == 5
    assert every_column == BOARD_QUERIES + len(stages)
    # An empty column costs no query: the figures have counted it empty already.
    assert three_columns == BOARD_QUERIES + 3


# The board -------------------------------------------------------------------------------------


def test_the_board_has_a_column_per_open_stage_and_drop_zones(personas: Personas) -> None:
    factories.opportunity(
        account=personas.account,
        name="Seats for the new office",
        close_date=days(9),
        amount=3000,
        stage=factories.stage("Proposal"),
    )
    retired = factories.stage("Discovery")
    factories.opportunity(
        account=personas.other_account, name="Parked", close_date=days(9), stage=retired
    )
    services.stage_update(stage=retired, acting_user=personas.head, data={"is_active": False})

    response = signed_in(personas.owner).get(BOARD)

    page = response.content.decode()
    headings = re.findall(r'<h2 id="stage-\d+-title">([^<]+)', page)
    assert headings == ["Qualification", "Discovery ", "Proposal", "Negotiation", "Commit"]
    assert "not in use" in text(response)
    assert "Proposal 1 · 3,000.00 EUR" in text(response)
    assert "1,500.00 EUR weighted" in text(response)
    assert 'data-drop-stage="{}"'.format(factories.stage("Closed won").pk) in page
    assert 'data-drop-stage="{}"'.format(factories.stage("Closed lost").pk) in page
    assert "revenue-board.js" in page
    # The owner may move the card of their account, not the outsider's.
    cards = re.findall(r"<article [^>]*>", page)
    draggable = [card for card in cards if 'draggable="true"' in card]
    assert len(cards) == 2 and len(draggable) == 1


def test_the_board_bounds_its_columns(personas: Personas, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selectors, "BOARD_CARDS_PER_COLUMN", 2)
    for number in range(5):
        factories.opportunity(
            account=personas.account, name=f"Deal {number}", close_date=days(number)
        )

    response = signed_in(personas.owner).get(BOARD, {"tier": "growth"})

    page = text(response)
    assert "Deal 1" in page and "Deal 2" not in page
    assert "3 more" in page
    first = factories.stage("Qualification").pk
    assert f"?tier=growth&amp;stage={first}" in response.content.decode()


def test_the_board_filters_and_answers_htmx_with_the_board_alone(personas: Personas) -> None:
    factories.opportunity(
        account=personas.account,
        name="Renewal soon",
        type=OpportunityType.RENEWAL,
        contract=contract_ending_in(personas.account, 40),
        close_date=days(40),
    )
    factories.opportunity(account=personas.account, name="Upsell soon", close_date=days(40))

    response = signed_in(personas.owner).get(BOARD, {"type": "renewal"}, **HTMX)

    assert response.content.decode().lstrip().startswith('<div id="board"')
    assert "Renewal soon" in text(response) and "Upsell soon" not in text(response)


def move(client: Client, opportunity: Opportunity, stage_name: str, **extra: object) -> object:
    data = {"stage": factories.stage(stage_name).pk, "version": opportunity.version}
    return client.post(url("opportunity_move", opportunity), data, **extra)


def test_a_card_dragged_to_another_stage_moves_and_the_board_comes_back(
    personas: Personas,
) -> None:
    opportunity = factories.opportunity(account=personas.account, name="Seats", close_date=days(9))

    response = move(signed_in(personas.teammate), opportunity, "Negotiation", **HTMX)

    assert response.status_code == 200
    stored = Opportunity.objects.get(pk=opportunity.pk)
    assert (stored.stage.name, stored.version) == ("Negotiation", opportunity.version + 1)
    assert stored.probability == 75
    assert "“Seats” moved to Negotiation." in text(response)
    assert response.content.decode().lstrip().startswith('<div id="board"')


def test_a_stale_card_is_not_moved_and_the_board_shows_it_as_it_stands(
    personas: Personas,
) -> None:
    opportunity = factories.opportunity(account=personas.account, name="Seats", close_date=days(9))
    services.opportunity_move(
        opportunity=opportunity, acting_user=personas.head, stage=factories.stage("Proposal")
    )

    response = move(signed_in(personas.owner), opportunity, "Commit", **HTMX)

    assert response.status_code == 200
    assert "“Seats” changed since the board was drawn" in text(response)
    stored = Opportunity.objects.get(pk=opportunity.pk)
    assert stored.stage.name == "Proposal"
    assert f'data-version="{stored.version}"' in response.content.decode()


def test_dropping_on_won_wins_and_on_lost_asks_why(personas: Personas) -> None:
    won = factories.opportunity(account=personas.account, name="Signed", close_date=days(9))
    lost = factories.opportunity(account=personas.account, name="Gone", close_date=days(9))
    client = signed_in(personas.owner)

    winning = move(client, won, "Closed won", **HTMX)
    losing = move(client, lost, "Closed lost", **HTMX)
    without_js = move(client, lost, "Closed lost")

    assert Opportunity.objects.get(pk=won.pk).status == OpportunityStatus.WON
    assert "“Signed” is won." in text(winning)
    lose_page = url("opportunity_lose", lost)
    assert losing["HX-Redirect"].startswith(lose_page + "?next=")
    assert without_js.status_code == 302 and without_js.url.startswith(lose_page)
    assert Opportunity.objects.get(pk=lost.pk).status == OpportunityStatus.OPEN


def test_moving_without_javascript_comes_back_to_the_board(personas: Personas) -> None:
    opportunity = factories.opportunity(account=personas.account, close_date=days(9))
    client = signed_in(personas.owner)

    response = client.post(
        url("opportunity_move", opportunity) + "?owner=me",
        {
            "stage": factories.stage("Proposal").pk,
            "version": opportunity.version,
            "next": BOARD + "?owner=me",
        },
    )

    assert response.status_code == 302 and response.url == BOARD + "?owner=me"
    assert Opportunity.objects.get(pk=opportunity.pk).stage.name == "Proposal"
    followed = client.get(response.url)
    assert "moved to Proposal" in text(followed)


@pytest.mark.parametrize("who", ["outsider", "read_only"])
def test_others_cannot_move_a_card(personas: Personas, who: str) -> None:
    opportunity = factories.opportunity(account=personas.account, close_date=days(9))

    response = move(signed_in(getattr(personas, who)), opportunity, "Proposal", **HTMX)

    assert response.status_code == 403
    stored = Opportunity.objects.get(pk=opportunity.pk)
    assert (stored.stage.name, stored.version) == ("Qualification", opportunity.version)


# Opening and editing ---------------------------------------------------------------------------


def line_data(*rows: tuple[object, object, object], total: int = 3) -> dict[str, object]:
    data: dict[str, object] = {
        "lines-TOTAL_FORMS": str(total),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "100",
    }
    for number, (product, quantity, price) in enumerate(rows):
        data |= {
            f"lines-{number}-product": product,
            f"lines-{number}-quantity": quantity,
            f"lines-{number}-unit_price": price,
        }
    return data


def form_data(**values: object) -> dict[str, object]:
    data: dict[str, object] = {
        "type": OpportunityType.UPSELL,
        "name": "",
        "stage": factories.stage("Qualification").pk,
        "probability": "10",
        "forecast_category": "pipeline",
        "currency": "EUR",
        "amount": "",
        "close_date": days(60).isoformat(),
        "next_step": "",
        "risk_note": "",
        "description": "",
    }
    return data | values


def test_a_new_renewal_is_offered_the_account_contracts(personas: Personas) -> None:
    contract = contract_ending_in(personas.account, 100, reference="MSA 2026")
    factories.contract(
        account=personas.other_account, start=days(-10), end=days(300), reference="Not theirs"
    )

    response = signed_in(personas.owner).get(
        CREATE,
        {"account": personas.account.pk, "type": "renewal", "contract": contract.pk},
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "New opportunity with Northwind Traders" in text(response)
    assert f'<option value="{contract.pk}" selected>' in page
    assert "Not theirs" not in page
    assert '<option value="renewal" selected>' in page
    assert f'value="{contract.end_date.isoformat()}"' in page  # it closes when the term ends


def test_an_opportunity_is_opened_with_its_lines(personas: Personas) -> None:
    licence = factories.product("Platform licence")
    support = factories.product("Premium support", family_name="Services")
    client = signed_in(personas.teammate)

    response = client.post(
        f"{CREATE}?account={personas.account.pk}",
        form_data(next_step="Demo the API", owner="")
        | line_data((licence.pk, "10", "120"), (support.pk, "1", "500")),
    )

    opportunity = Opportunity.objects.get()
    assert response.status_code == 302 and response.url == opportunity.get_absolute_url()
    assert opportunity.name == "Upsell – Northwind Traders"
    assert opportunity.amount == Decimal("1700.00")
    assert opportunity.owner == personas.owner  # the account's manager by default
    assert opportunity.created_by == personas.teammate
    assert opportunity.lines.count() == 2
    assert opportunity.next_step == "Demo the API"


def test_the_stage_brings_its_figures_unless_they_were_changed(personas: Personas) -> None:
    client = signed_in(personas.owner)
    negotiation = factories.stage("Negotiation").pk

    client.post(
        f"{CREATE}?account={personas.account.pk}",
        form_data(name="Follows the stage", stage=negotiation, amount="100") | line_data(),
    )
    client.post(
        f"{CREATE}?account={personas.account.pk}",
        form_data(name="Own figure", stage=negotiation, probability="60", amount="100")
        | line_data(),
    )

    follows, own = Opportunity.objects.order_by("id")
    assert (follows.probability, follows.forecast_category) == (75, "best_case")
    assert (own.probability, own.forecast_category) == (60, "best_case")


def test_bad_input_is_shown_per_field_and_per_line_and_nothing_is_saved(
    personas: Personas,
) -> None:
    licence = factories.product()
    client = signed_in(personas.owner)

    response = client.post(
        f"{CREATE}?account={personas.account.pk}",
        form_data(close_date="", probability="140")
        | line_data((licence.pk, "", "100"), ("", "2", "")),
    )

    assert response.status_code == 200
    page = text(response)
    assert "This field is required." in page
    assert "Ensure this value is less than or equal to 100." in page
    assert "Give a quantity." in page
    assert "Choose a product for this line." in page
    assert "Give a unit price." in page
    assert not Opportunity.objects.exists()


def test_a_missing_rate_is_refused_with_its_message(personas: Personas) -> None:
    response = signed_in(personas.owner).post(
        f"{CREATE}?account={personas.account.pk}",
        form_data(currency="CHF", amount="100") | line_data(),
    )

    assert "There is no exchange rate for CHF on" in text(response)
    assert not Opportunity.objects.exists()


def test_an_account_is_chosen_by_name_when_the_page_does_not_know_it(
    personas: Personas,
) -> None:
    client = signed_in(personas.owner)

    unknown = client.post(CREATE, form_data(account="Nobody Inc", amount="5") | line_data())
    known = client.post(CREATE, form_data(account="Northwind Traders", amount="5") | line_data())
    not_mine = client.post(CREATE, form_data(account="Contoso", amount="5") | line_data())

    assert "No account is named “Nobody Inc”." in text(unknown)
    assert known.status_code == 302
    assert not_mine.status_code == 403
    assert list(Opportunity.objects.values_list("account__name", flat=True)) == [
        "Northwind Traders"
    ]


@pytest.mark.parametrize("who", ["outsider", "read_only"])
def test_others_cannot_open_one_on_the_account(personas: Personas, who: str) -> None:
    client = signed_in(getattr(personas, who))
    address = f"{CREATE}?account={personas.account.pk}"

    assert client.get(address).status_code == 403
    assert client.post(address, form_data(amount="5") | line_data()).status_code == 403
    assert not Opportunity.objects.exists()


def test_an_edit_checks_the_version_and_keeps_the_lines_it_did_not_touch(
    personas: Personas,
) -> None:
    licence = factories.product()
    opportunity = factories.opportunity(
        account=personas.account,
        close_date=days(30),
        amount=None,
        lines=[factories.line(licence, 2, 100)],
    )
    edit = url("opportunity_edit", opportunity)
    client = signed_in(personas.owner)
    page = client.get(edit)
    assert 'name="version" value="1"' in page.content.decode()
    kept_lines = line_data((licence.pk, "2.00", "100.00"), total=4) | {"lines-INITIAL_FORMS": "1"}
    saved = client.post(
        edit,
        form_data(name="Bigger deal", amount="250", version=opportunity.version) | kept_lines,
    )
    stale = client.post(
        edit, form_data(name="Overwrite", amount="1", version=opportunity.version) | kept_lines
    )

    assert saved.status_code == 302
    stored = Opportunity.objects.get(pk=opportunity.pk)
    assert (stored.name, stored.amount, stored.version) == ("Bigger deal", Decimal("250.00"), 2)
    assert stored.lines.count() == 1
    assert OpportunityLine.history.filter(opportunity_id=opportunity.pk).count() == 1
    assert stale.status_code == 200
    assert "Someone else changed this record since you opened it." in text(stale)
    assert Opportunity.objects.get(pk=opportunity.pk).name == "Bigger deal"


@pytest.mark.parametrize("who", ["outsider", "read_only"])
def test_others_cannot_edit(personas: Personas, who: str) -> None:
    opportunity = factories.opportunity(account=personas.account, close_date=days(30))
    client = signed_in(getattr(personas, who))

    assert client.get(url("opportunity_edit", opportunity)).status_code == 403
    response = client.post(url("opportunity_edit", opportunity), form_data(name="Mine"))

    assert response.status_code == 403
    assert Opportunity.objects.get(pk=opportunity.pk).name == opportunity.name


def test_a_closed_opportunity_sends_the_editor_back(personas: Personas) -> None:
    opportunity = factories.opportunity(account=personas.account, close_date=days(30))
    services.opportunity_win(opportunity=opportunity, acting_user=personas.owner)

    response = signed_in(personas.owner).get(url("opportunity_edit", opportunity))

    assert response.status_code == 302 and response.url == opportunity.get_absolute_url()


# One opportunity -------------------------------------------------------------------------------


def approver(personas: Personas, name: str, roles: list[str], stance: str, **extra: object) -> None:
    first, last = name.split()
    StakeholderFactory(
        account=personas.account,
        first_name=first,
        last_name=last,
        decision_roles=roles,
        stance=stance,
        **extra,
    )


def test_the_detail_shows_the_consensus_of_the_approvers(personas: Personas) -> None:
    now = timezone.now()
    approver(
        personas,
        "Clara Ostrowski",
        [DecisionRole.DECISION_MAKER],
        Stance.ADVOCATE,
        last_contact_at=now - datetime.timedelta(days=3),
    )
    approver(
        personas,
        "Tomas Brandt",
        [DecisionRole.CHAMPION],
        Stance.SUPPORTER,
        last_contact_at=now - datetime.timedelta(days=120),
    )
    approver(
        personas,
        "Ines Duarte",
        [DecisionRole.DECISION_MAKER, DecisionRole.CHAMPION],
        Stance.SUPPORTER,
        last_contact_at=now,
    )
    approver(personas, "Bo Lindqvist", [DecisionRole.DECISION_MAKER], Stance.NEUTRAL)
    approver(personas, "Rui Costa", [DecisionRole.CHAMPION], Stance.OPPONENT, last_contact_at=now)
    # Not approvers: a mere user, someone who left, a placeholder.
    approver(personas, "Una User", [DecisionRole.USER], Stance.ADVOCATE)
    approver(
        personas,
        "Lea Left",
        [DecisionRole.DECISION_MAKER],
        Stance.OPPONENT,
        status=StakeholderStatus.LEFT,
        left_on=timezone.localdate(),
    )
    approver(personas, "Pat Holder", [DecisionRole.ECONOMIC_BUYER], "", is_placeholder=True)
    opportunity = factories.opportunity(account=personas.account, close_date=days(30))

    response = signed_in(personas.outsider).get(opportunity.get_absolute_url())

    assert response.status_code == 200
    page = text(response)
    assert "3 of 5 approvers are for it (60 %); 1 against." in page
    assert "No economic buyer on the account map." in page
    assert "2 approvers have had no exchange with us for 90 days or more." in page
    assert "Clara Ostrowski Director Decision maker For Advocate" in page
    assert "Ines Duarte Director Decision maker, Champion For Supporter" in page
    assert "Bo Lindqvist Director Decision maker Undecided Neutral Never" in page
    assert "Rui Costa Director Champion Against Opponent" in page
    assert "over 90 days" in page
    for outsider in ("Una User", "Lea Left", "Pat Holder"):
        assert outsider not in page
    assert (
        "Edit" not in re.findall(r'class="actions">(.*?)</div>', response.content.decode(), re.S)[0]
    )


def test_a_consensus_without_approvers_says_what_is_missing(personas: Personas) -> None:
    opportunity = factories.opportunity(account=personas.account, close_date=days(30))

    view = selectors.consensus(opportunity)

    assert (view.total, view.percent, view.missing_roles) == (
        0,
        None,
        ["decision_maker", "economic_buyer", "champion"],
    )
    assert view.summary.startswith("Nobody on the account map decides")


def test_an_open_renewal_says_what_closing_it_does(personas: Personas) -> None:
    contract = factories.contract(
        account=personas.account, start=datetime.date(2026, 1, 1), end=datetime.date(2026, 12, 31)
    )
    renewal = factories.opportunity(
        account=personas.account,
        type=OpportunityType.RENEWAL,
        contract=contract,
        close_date=contract.end_date,
        amount=None,
    )

    response = signed_in(personas.owner).get(renewal.get_absolute_url())

    page = text(response)
    assert "the next term of the contract starts, from Jan. 1, 2027 to Dec. 31, 2027" in page
    assert "with the contract's products in force on its last day" in page
    assert "if the account has no other live contract, it moves to the churned stage" in page
    assert reverse("revenue:contract_detail", args=[contract.pk]) in response.content.decode()
    assert "Mark renewed" in page and "Mark churned" in page


def test_marking_a_renewal_renewed_starts_the_next_term(personas: Personas) -> None:
    contract = factories.contract(
        account=personas.account, start=datetime.date(2025, 1, 1), end=datetime.date(2025, 12, 31)
    )
    renewal = factories.opportunity(
        account=personas.account,
        type=OpportunityType.RENEWAL,
        contract=contract,
        close_date=contract.end_date,
        amount=None,
    )
    client = signed_in(personas.owner)
    form = client.get(url("opportunity_win", renewal))
    assert "from Jan. 1, 2026 to Dec. 31, 2026" in text(form)

    response = client.post(
        url("opportunity_win", renewal),
        {"version": renewal.version, "closed_on": days(0).isoformat(), "close_note": "Signed"},
        follow=True,
    )

    stored = Opportunity.objects.get(pk=renewal.pk)
    assert stored.status == OpportunityStatus.WON and stored.close_note == "Signed"
    assert stored.next_contract is not None
    assert "the next term runs from 2026-01-01 to 2026-12-31" in text(response)
    assert "Open the next term" in text(response)
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.RENEWED


def test_a_won_upsell_on_a_contract_links_to_its_amendment(personas: Personas) -> None:
    contract = contract_ending_in(personas.account, 200)
    upsell = factories.opportunity(account=personas.account, contract=contract, close_date=days(10))
    services.opportunity_win(opportunity=upsell, acting_user=personas.owner)

    response = signed_in(personas.owner).get(upsell.get_absolute_url())

    assert "Record it on the contract" in text(response)
    assert reverse("revenue:contract_amend", args=[contract.pk]) in response.content.decode()
    assert "Reopen" in text(response)


def test_a_lost_renewal_needs_its_churn_reason(personas: Personas) -> None:
    contract = contract_ending_in(personas.account, 60)
    renewal = factories.opportunity(
        account=personas.account,
        type=OpportunityType.RENEWAL,
        contract=contract,
        close_date=contract.end_date,
    )
    client = signed_in(personas.owner)

    refused = client.post(url("opportunity_lose", renewal), {"version": renewal.version})
    lost = client.post(
        url("opportunity_lose", renewal),
        {"version": renewal.version, "loss_reason": LossReason.PRICE, "close_note": "Too dear"},
    )

    assert "Churn reason" in text(refused)
    assert "Say why the client leaves." in text(refused)
    assert lost.status_code == 302
    assert Opportunity.objects.get(pk=renewal.pk).loss_reason == LossReason.PRICE
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.CHURNED


def test_a_closing_date_in_the_future_is_refused(personas: Personas) -> None:
    opportunity = factories.opportunity(account=personas.account, close_date=days(10))

    response = signed_in(personas.owner).post(
        url("opportunity_win", opportunity),
        {"version": opportunity.version, "closed_on": days(3).isoformat()},
    )

    assert "An opportunity cannot close in the future." in text(response)
    assert Opportunity.objects.get(pk=opportunity.pk).status == OpportunityStatus.OPEN


def test_reopening_undoes_the_close(personas: Personas) -> None:
    opportunity = factories.opportunity(account=personas.account, close_date=days(10))
    won = services.opportunity_win(opportunity=opportunity, acting_user=personas.owner)
    client = signed_in(personas.owner)

    response = client.post(url("opportunity_reopen", won), {"version": won.version}, follow=True)

    assert Opportunity.objects.get(pk=won.pk).status == OpportunityStatus.OPEN
    assert "is open again" in text(response)


@pytest.mark.parametrize("who", ["outsider", "read_only"])
def test_others_cannot_close_or_reopen(personas: Personas, who: str) -> None:
    opportunity = factories.opportunity(account=personas.account, close_date=days(10))
    closed = factories.opportunity(account=personas.account, close_date=days(10))
    services.opportunity_win(opportunity=closed, acting_user=personas.owner)
    client = signed_in(getattr(personas, who))

    assert client.post(url("opportunity_win", opportunity), {}).status_code == 403
    assert (
        client.post(url("opportunity_lose", opportunity), {"loss_reason": "price"}).status_code
        == 403
    )
    assert client.post(url("opportunity_reopen", closed), {}).status_code == 403
    assert Opportunity.objects.get(pk=opportunity.pk).status == OpportunityStatus.OPEN
    assert Opportunity.objects.get(pk=closed.pk).status == OpportunityStatus.WON


def test_the_history_shows_who_changed_what(personas: Personas) -> None:
    opportunity = factories.opportunity(account=personas.account, close_date=days(10))
    services.opportunity_move(
        opportunity=opportunity, acting_user=personas.teammate, stage=factories.stage("Commit")
    )

    response = signed_in(personas.read_only).get(url("opportunity_history", opportunity))

    page = text(response)
    assert response.status_code == 200
    assert f"{personas.teammate} changed" in page
    assert "Stage Qualification Commit" in page
    assert "Probability (%) 10 90" in page


def test_pages_need_a_signed_in_user(personas: Personas) -> None:
    opportunity = factories.opportunity(account=personas.account, close_date=days(10))

    for address in (LIST, BOARD, RENEWALS, opportunity.get_absolute_url()):
        response = Client().get(address)
        assert response.status_code == 302 and "/login/" in response.url


# Renewals --------------------------------------------------------------------------------------


def test_the_renewals_page_groups_renewals_by_month_with_their_contracts(
    personas: Personas,
) -> None:
    factories.pipeline()
    tacit = contract_ending_in(personas.account, 70, auto_renew=True, notice_days=60)
    (renewal,) = services.renewals_open()
    services.opportunity_update(
        opportunity=renewal,
        acting_user=personas.owner,
        data={"risk_note": "Budget freeze announced", "amount": Decimal(1500)},
        expected_version=renewal.version,
    )
    waiting = factories.contract(
        account=personas.other_account, start=days(-200), end=days(20), reference="Fresh"
    )

    response = signed_in(personas.owner).get(RENEWALS)

    assert response.status_code == 200
    page = text(response)
    month = tacit.end_date.strftime("%B %Y")
    assert f"{month} 1 renewal" in page
    assert "Pipeline 1,500.00 EUR (1)" in page
    assert "Northwind Traders" in page and "Budget freeze announced" in page
    assert "1,500.00 EUR 1,000.00 EUR Pipeline Qualification" in page
    assert "client not notified yet" in page
    assert "Contracts ending without a renewal yet" in page
    assert "Fresh" in page
    open_it = f"?account={waiting.account_id}&amp;type=renewal&amp;contract={waiting.pk}"
    assert open_it in response.content.decode()


def test_the_renewals_page_filters_by_tier(personas: Personas) -> None:
    factories.pipeline()
    contract_ending_in(personas.account, 40)
    contract_ending_in(personas.other_account, 50)
    Account.objects.filter(pk=personas.other_account.pk).update(tier="strategic")
    services.renewals_open()

    response = signed_in(personas.owner).get(RENEWALS, {"tier": "strategic"}, **HTMX)

    page = text(response)
    assert "Contoso" in page and "Northwind Traders" not in page


def test_a_new_renewal_link_opens_with_the_contract(personas: Personas) -> None:
    contract = contract_ending_in(personas.account, 20)
    client = signed_in(personas.owner)

    response = client.post(
        f"{CREATE}?account={personas.account.pk}&type=renewal&contract={contract.pk}",
        form_data(type="renewal", contract=contract.pk) | line_data(),
    )

    renewal = Opportunity.objects.get()
    assert response.status_code == 302
    assert (renewal.type, renewal.contract, renewal.amount) == (
        OpportunityType.RENEWAL,
        contract,
        Decimal("0.00"),
    )
    again = client.post(
        f"{CREATE}?account={personas.account.pk}",
        form_data(type="renewal", contract=contract.pk, amount="5") | line_data(),
    )
    assert "This contract already has a renewal opportunity." in text(again)
    assert Opportunity.objects.count() == 1
