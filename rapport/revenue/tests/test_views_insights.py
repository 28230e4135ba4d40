"""The revenue dashboard, the account's revenue tab and 360° card, and renewals on the timeline."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone

from rapport.accounts.choices import Segment, Tier
from rapport.accounts.models import Account
from rapport.core.tests.factories import AccountFactory
from rapport.core.tests.personas import Personas
from rapport.revenue import services
from rapport.revenue.choices import ContractStatus, LossReason, OpportunityType
from rapport.revenue.models import Contract, Opportunity
from rapport.revenue.tests import factories
from rapport.users.models import User

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
PERIOD = {"start": "2025-01-01", "end": "2025-12-31"}


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def days(number: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=number)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(html: bytes | str) -> str:
    """The page's words, tags and repeated spaces aside."""
    content = html.decode() if isinstance(html, bytes) else html
    content = re.sub(r"<svg.*?</svg>", " ", content, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", content)).replace("&#x27;", "'")


def figure(html: bytes, name: str) -> str:
    found = re.search(rf'id="figure-{name}">([^<]*)<', html.decode())
    assert found, name
    return found.group(1)


def svgs(html: bytes) -> list[ElementTree.Element]:
    return [
        ElementTree.fromstring(match)  # noqa: S314 (our own output)
        for match in re.findall(r"<svg.*?</svg>", html.decode(), flags=re.S)
    ]


def book(owner: User) -> dict[str, Account]:
    """Four clients whose 2025 is worked out by hand (docs/revenue-metrics.md's style).

    On 31 December 2024 the cohort is A (10,000), B (5,000) and D (5,000): 20,000.
    - A expands by 2,000 in July (a second product from 1 July): ends at 12,000.
    - B's term ends on 31 May: 5,000 churned in June; ends at 0.
    - C is new in March: 3,000 (not in the cohort).
    - D drops a 4,000 product after 31 August: contraction in September; ends at 1,000.
    GRR = (10,000 + 0 + 1,000) / 20,000 = 55.0 %; NRR = (12,000 + 0 + 1,000) / 20,000 = 65.0 %;
    logo retention = 2 / 3 = 66.7 %; ARR at the end = 16,000.
    """
    platform = factories.product("Platform licence", family_name="Platform")
    analytics = factories.product("Analytics suite", family_name="Analytics")
    support = factories.product("Premium support", family_name="Services")
    a = AccountFactory(name="Alpha", owner=owner, tier=Tier.KEY)
    b = AccountFactory(name="Bravo", owner=owner, tier=Tier.STRATEGIC)
    c = AccountFactory(name="Charlie", owner=owner, segment=Segment.ENTERPRISE)
    d = AccountFactory(name="Delta", owner=owner, tier=Tier.KEY)
    factories.contract(
        account=a,
        start=day("2024-01-01"),
        end=day("2025-12-31"),
        lines=[
            factories.line(platform, 10, 1000),
            factories.line(
                analytics, 1, 2000, start_date=day("2025-07-01"), end_date=day("2025-12-31")
            ),
        ],
    )
    factories.contract(
        account=b,
        start=day("2024-06-01"),
        end=day("2025-05-31"),
        lines=[factories.line(platform, 5, 1000)],
    )
    factories.contract(
        account=c,
        start=day("2025-03-01"),
        end=day("2026-02-28"),
        lines=[factories.line(platform, 3, 1000)],
    )
    factories.contract(
        account=d,
        start=day("2024-01-01"),
        end=day("2025-12-31"),
        lines=[
            factories.line(platform, 4, 1000, end_date=day("2025-08-31")),
            factories.line(support, 1, 1000),
        ],
    )
    return {"a": a, "b": b, "c": c, "d": d}


# The dashboard -------------------------------------------------------------------------------


def test_the_dashboard_shows_the_hand_computed_figures(personas: Personas) -> None:
    book(personas.owner)
    response = signed_in(personas.read_only).get(reverse("revenue:dashboard"), PERIOD)
    assert response.status_code == 200
    assert figure(response.content, "grr") == "55.0%"
    assert figure(response.content, "nrr") == "65.0%"
    assert figure(response.content, "logos") == "66.7%"
    words = text(response.content)
    assert "2 of 3 accounts kept" in words
    assert "ARR on 12/31/2025 16,000 EUR" in words
    assert "ARR change over the period −4,000 EUR −20.0% · from 20,000 EUR" in words
    # The layout's search box is left alone.
    assert 'name="q" value=""' in response.content.decode()
    assert "New 3,000 EUR Reactivation 0 EUR Expansion 2,000 EUR" in words
    assert "Contraction 4,000 EUR Churn 5,000 EUR" in words
    # The monthly bridge, as a table: June's churn, July's expansion, the period's totals.
    assert "June 2025 23,000 0 0 0 0 −5,000 18,000" in words
    assert "July 2025 18,000 0 0 2,000 0 0 20,000" in words
    assert "Period 20,000 3,000 0 2,000 −4,000 −5,000 16,000" in words
    # The three charts, drawn from the same figures.
    arr, bridge, renewals = svgs(response.content)
    points = [point.get("data-value") for point in arr.iter(f"{SVG}circle")]
    assert points[0] == "20000.00" and points[-1] == "16000.00" and len(points) == 13
    drawn = {
        (bar.get("data-series"), bar.get("data-value"))
        for bar in bridge.iter(f"{SVG}rect")
        if "chart-bar" in bar.get("class", "")
    }
    assert drawn == {
        ("new", "3000.00"),
        ("churn", "-5000.00"),
        ("expansion", "2000.00"),
        ("contraction", "-4000.00"),
    }
    assert "renewals" in (renewals.get("class") or "")
    # The formulas, in words.
    assert "How these are computed" in words


def test_filters_narrow_the_accounts_and_no_cohort_shows_a_dash(personas: Personas) -> None:
    book(personas.owner)
    client = signed_in(personas.owner)
    key = client.get(reverse("revenue:dashboard"), {**PERIOD, "tier": Tier.KEY})
    # A and D: (10,000 + 1,000) / 15,000 and 13,000 / 15,000.
    assert figure(key.content, "grr") == "73.3%"
    assert figure(key.content, "nrr") == "86.7%"
    assert figure(key.content, "logos") == "100.0%"
    enterprise = client.get(reverse("revenue:dashboard"), {**PERIOD, "segment": "enterprise"})
    # Only C, new in the period: no cohort, so no retention figure.
    assert figure(enterprise.content, "grr") == "—"
    assert figure(enterprise.content, "nrr") == "—"
    assert figure(enterprise.content, "logos") == "—"
    assert "No account had ARR when the period started." in text(enterprise.content)
    nobody = client.get(reverse("revenue:dashboard"), {**PERIOD, "owner": personas.outsider.pk})
    assert figure(nobody.content, "nrr") == "—"
    assert "No ARR moved in this period: nothing to draw." in nobody.content.decode()


def test_an_impossible_period_is_refused_with_a_message(personas: Personas) -> None:
    client = signed_in(personas.owner)
    backwards = client.get(
        reverse("revenue:dashboard"), {"start": "2025-06-01", "end": "2025-01-01"}
    )
    assert backwards.status_code == 200
    words = text(backwards.content)
    assert "The period ends before it starts. Showing the last twelve months instead." in words
    assert 'role="alert"' in backwards.content.decode()
    # The form keeps what was typed, so it can be corrected.
    assert 'value="2025-06-01"' in backwards.content.decode()
    too_long = client.get(
        reverse("revenue:dashboard"), {"start": "2000-01-01", "end": "2025-01-01"}
    )
    assert "The period is longer than ten years" in text(too_long.content)
    garbled = client.get(reverse("revenue:dashboard"), {"start": "someday", "tier": "gold"})
    assert garbled.status_code == 200
    assert "Some filters were not understood and were ignored: start, tier" in text(garbled.content)


def test_htmx_gets_the_figures_alone(personas: Personas) -> None:
    book(personas.owner)
    response = signed_in(personas.owner).get(
        reverse("revenue:dashboard"), PERIOD, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert figure(response.content, "nrr") == "65.0%"
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_the_renewal_forecast_table_covers_the_next_twelve_months(personas: Personas) -> None:
    contract = factories.contract(account=personas.account, start=days(-300), end=days(60))
    factories.opportunity(
        account=personas.account,
        type=OpportunityType.RENEWAL,
        contract=contract,
        close_date=days(60),
        amount=7000,
    )
    response = signed_in(personas.owner).get(reverse("revenue:dashboard"))
    words = text(response.content)
    # The default period ends today: today's ARR is the bridge's last figure.
    assert "ARR today 1,000 EUR MRR 83.33 EUR" in words
    month = days(60).replace(day=1)
    label = f"{month:%B %Y}"
    # Pipeline (the first stage's category) holds it; the open total too.
    assert f"{label} 0 0 7,000 0 0 0 7,000" in words
    assert "Twelve months 0 0 7,000 0 0 0 7,000" in words
    rows = re.findall(
        r"<tr>\s*<th scope=\"row\"><time datetime=\"(\d{4}-\d{2})\"", response.content.decode()
    )
    forecast_months = rows[-12:]
    assert forecast_months[0] == f"{timezone.localdate():%Y-%m}"


def test_the_dashboard_costs_the_same_queries_for_a_bigger_book(personas: Personas) -> None:
    client = signed_in(personas.owner)
    book(personas.owner)
    client.get(reverse("revenue:dashboard"), PERIOD)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("revenue:dashboard"), PERIOD)
    for index in range(10):
        factories.contract(
            account=AccountFactory(name=f"Echo {index}", owner=personas.owner),
            start=day("2024-05-01"),
            end=day("2025-04-30"),
        )
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("revenue:dashboard"), PERIOD)
    assert len(small.captured_queries) == len(large.captured_queries) <= 10


def test_the_revenue_navigation(personas: Personas) -> None:
    response = signed_in(personas.owner).get(reverse("revenue:dashboard"))
    html = response.content.decode()
    main_nav = re.search(r'<nav class="mainnav".*?</nav>', html, flags=re.S)
    assert main_nav
    assert re.search(r'href="/revenue/" aria-current="page">Revenue<', main_nav.group(0))
    subnav = re.search(r'<nav class="tabs revenue-subnav".*?</nav>', html, flags=re.S)
    assert subnav
    current = re.findall(r'aria-current="page">([^<]+)<', subnav.group(0))
    assert current == ["Dashboard"]
    for name in (
        "opportunity_list",
        "opportunity_board",
        "renewal_list",
        "contract_list",
        "white_space",
        "product_list",
        "rate_list",
    ):
        assert f'href="{reverse(f"revenue:{name}")}"' in subnav.group(0)
    # The pipeline's settings are for those who keep them.
    assert reverse("revenue:stage_list") not in subnav.group(0)
    head_page = signed_in(personas.head).get(reverse("revenue:dashboard")).content.decode()
    assert f'href="{reverse("revenue:stage_list")}"' in head_page
    white = signed_in(personas.owner).get(reverse("revenue:white_space")).content.decode()
    subnav = re.search(r'<nav class="tabs revenue-subnav".*?</nav>', white, flags=re.S)
    assert subnav and re.findall(r'aria-current="page">([^<]+)<', subnav.group(0)) == [
        "White space"
    ]


def test_signed_out_readers_are_sent_to_sign_in(client: Client) -> None:
    for url in (
        reverse("revenue:dashboard"),
        reverse("revenue:white_space"),
        reverse("revenue:account_revenue", args=[1]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login/" in response["Location"]


# The account's revenue -----------------------------------------------------------------------


@pytest.fixture
def account_money(personas: Personas) -> dict[str, object]:
    """Northwind: a live term ending in 45 days with its renewal at commit, an earlier term, an
    upsell and a cross-sell open, and one of each outcome closed."""
    account = personas.account
    platform = factories.product("Platform licence", family_name="Platform")
    earlier = factories.contract(
        account=account,
        start=days(-730),
        end=days(-366),
        reference="NW-2023",
        lines=[factories.line(platform, 6, 1000)],
    )
    # Renewed by hand: only a won renewal renews a term through the services.
    Contract.objects.filter(pk=earlier.pk).update(status=ContractStatus.RENEWED)
    live = factories.contract(
        account=account,
        start=days(-365),
        end=days(45),
        reference="NW-2024",
        lines=[factories.line(platform, 12, 1000)],
    )
    renewal = factories.opportunity(
        account=account,
        type=OpportunityType.RENEWAL,
        contract=live,
        close_date=days(40),
        amount=12000,
        stage=factories.stage("Commit"),
    )
    upsell = factories.opportunity(account=account, close_date=days(20), amount=3000)
    cross = factories.opportunity(
        account=account, type=OpportunityType.CROSS_SELL, close_date=days(70), amount=1500
    )
    won = factories.opportunity(account=account, close_date=days(-10), amount=800, name="Seats")
    services.opportunity_win(opportunity=won, acting_user=personas.owner)
    lost = factories.opportunity(account=account, close_date=days(-5), amount=900, name="Add-on")
    services.opportunity_lose(
        opportunity=lost, acting_user=personas.owner, loss_reason=LossReason.BUDGET
    )
    return {"live": live, "earlier": earlier, "renewal": renewal, "upsell": upsell, "cross": cross}


def test_the_account_tab_shows_its_money(
    personas: Personas, account_money: dict[str, object]
) -> None:
    url = reverse("revenue:account_revenue", args=[personas.account.pk])
    response = signed_in(personas.owner).get(url)
    assert response.status_code == 200
    words = text(response.content)
    assert "ARR today 12,000 EUR MRR 1,000 EUR" in words
    end = days(45)
    assert f"Next renewal {formats.date_format(end, 'DATE_FORMAT')}" in words
    assert "in 45 days NW-2024" in words
    assert "Renewal – Northwind Traders Commit" in words
    # Open opportunities: 12,000 + 3,000 + 1,500.
    assert "Open opportunities 16,500 EUR 3 open opportunities" in words
    # Contracts with their status and ARR (the earlier term at its last day).
    assert "NW-2024 Active" in words and "12,000 EUR" in words
    assert "NW-2023" in words and "6,000 EUR" in words
    # Open ones by close date; the closed ones with their outcome.
    assert words.index("Upsell – Northwind Traders") < words.index("Cross-sell – Northwind")
    assert "Seats Upsell Won" in words and "Add-on Upsell Lost Budget cut" in words
    # The chart: 24 months of month-end ARR, ending at today's.
    (chart,) = svgs(response.content)
    values = [point.get("data-value") for point in chart.iter(f"{SVG}circle")]
    assert len(values) == 25 and values[-1] == "12000.00"
    # The tab is current, and whoever may edit the account gets the buttons.
    assert re.search(r'aria-current="page">Revenue<', response.content.decode())
    html = response.content.decode()
    account_query = f"?account={personas.account.pk}"
    assert f'href="{reverse("revenue:contract_create")}{account_query}">New contract<' in html
    assert f'href="{reverse("revenue:opportunity_create")}{account_query}"' in html
    assert "New opportunity" in words


@pytest.mark.parametrize("who", ["read_only", "outsider"])
def test_who_may_not_change_the_account_sees_no_button(
    personas: Personas, account_money: dict[str, object], who: str
) -> None:
    url = reverse("revenue:account_revenue", args=[personas.account.pk])
    response = signed_in(getattr(personas, who)).get(url)
    assert response.status_code == 200
    words = text(response.content)
    assert "ARR today 12,000 EUR" in words
    assert "New contract" not in words and "New opportunity" not in words


def test_an_account_without_money_says_so(personas: Personas) -> None:
    response = signed_in(personas.owner).get(
        reverse("revenue:account_revenue", args=[personas.other_account.pk])
    )
    words = text(response.content)
    assert "ARR today 0 EUR" in words
    assert "No active contract." in words
    assert "No contract recorded for this account." in words
    assert "No open opportunity." in words and "Nothing won or lost yet." in words
    assert "No ARR in this period yet: nothing to draw." in response.content.decode()
    missing = signed_in(personas.owner).get(reverse("revenue:account_revenue", args=[999999]))
    assert missing.status_code == 404


def test_the_360_card_loads_its_figures_after_the_page(
    personas: Personas, account_money: dict[str, object]
) -> None:
    client = signed_in(personas.teammate)
    page = client.get(reverse("accounts:account_detail", args=[personas.account.pk]))
    card_url = reverse("revenue:account_revenue", args=[personas.account.pk]) + "?card=1"
    assert f'hx-get="{card_url}"' in page.content.decode()
    assert "ARR today" not in text(page.content), "the figures cost no query on the page"
    with CaptureQueriesContext(connection) as queries:
        card = client.get(card_url, HTTP_HX_REQUEST="true")
    assert card.status_code == 200
    assert "<html" not in card.content.decode()
    words = text(card.content)
    assert "ARR today 12,000 EUR" in words
    assert "Commit" in words and "in 45 days" in words
    assert "Open opportunities 16,500 EUR 3 open opportunities" in words
    # Session, user, account, then ARR, next contract, its renewal, the open total.
    assert len(queries.captured_queries) <= 7


def test_a_renewal_overdue_is_flagged(personas: Personas) -> None:
    factories.contract(account=personas.account, start=days(-400), end=days(-3))
    card = signed_in(personas.owner).get(
        reverse("revenue:account_revenue", args=[personas.account.pk]) + "?card=1",
        HTTP_HX_REQUEST="true",
    )
    words = text(card.content)
    assert "ended 3 days ago" in words and "No renewal opportunity yet." in words


# The timeline --------------------------------------------------------------------------------


def test_renewals_and_opportunities_appear_on_the_timeline(
    personas: Personas, account_money: dict[str, object]
) -> None:
    response = signed_in(personas.owner).get(
        reverse("communications:account_timeline", args=[personas.account.pk])
    )
    assert response.status_code == 200
    html = response.content.decode()
    renewal = account_money["renewal"]
    assert isinstance(renewal, Opportunity)
    entry = re.search(
        r'<article class="event event-opportunity status-open">.*?</article>', html, flags=re.S
    )
    assert entry
    entries = re.findall(r'<article class="event event-opportunity.*?</article>', html, flags=re.S)
    renewal_entry = next(e for e in entries if renewal.get_absolute_url() in e)
    words = text(renewal_entry)
    assert "Renewal Renewal – Northwind Traders Commit Commit" in words
    assert "12,000 EUR · closes" in words and str(personas.owner) in words
    contract = account_money["live"]
    assert isinstance(contract, Contract)
    assert contract.get_absolute_url() in renewal_entry
    won = next(e for e in entries if "Seats" in e)
    assert "Won" in text(won) and "closed" in text(won)
    lost = next(e for e in entries if "Add-on" in e)
    assert "status-lost" in lost and "Lost" in text(lost)
    cross = next(e for e in entries if "Cross-sell – Northwind" in e)
    assert "Cross-sell" in text(cross) and "1,500 EUR" in text(cross)
    assert Decimal("1500") == Opportunity.objects.get(name__startswith="Cross-sell").amount
