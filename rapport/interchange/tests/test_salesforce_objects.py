"""Each Salesforce object on its own: created right, unchanged on re-import, updated when it
changes, its unresolved references reported. Users, people links, team and revenue objects."""

import datetime
import itertools
from decimal import Decimal

import pytest

from rapport.accounts.choices import TeamRole
from rapport.accounts.models import Account, TeamMember
from rapport.core.tests.factories import UserFactory
from rapport.interchange.choices import ImportKind, ImportStatus
from rapport.interchange.report import read_problems
from rapport.interchange.services import import_run_create, import_run_execute
from rapport.interchange.tests.sfgen import SalesforceExport
from rapport.revenue.choices import ForecastCategory, OpportunityStatus, OpportunityType
from rapport.revenue.models import (
    Contract,
    Opportunity,
    OpportunityContact,
    OpportunityLine,
    PipelineStage,
    Product,
    ProductFamily,
)
from rapport.revenue.tests.factories import family, pipeline, rate
from rapport.stakeholders.models import AccountLink, Stakeholder
from rapport.users.choices import Language, Role
from rapport.users.models import User

REASON = "Salesforce import"


@pytest.fixture
def load(tmp_path, settings):
    return loader(tmp_path, settings)


def loader(tmp_path, settings):
    """Import an export (written to a new folder each time); the finished run is returned."""
    settings.RAPPORT_IMPORT_DIR = tmp_path / "imports"
    settings.RAPPORT_CURRENCY = "EUR"
    pipeline()
    folders = itertools.count()

    def load(export, **options):
        path = export.write_folder(tmp_path / f"export{next(folders)}")
        created = import_run_create(
            kind=ImportKind.SALESFORCE,
            file_name=str(path),
            chunks=None,
            acting_user=None,
            **options,
        )
        result = import_run_execute(run=created, source=path)
        assert result.status == ImportStatus.DONE, result.message
        return result

    return load


def problems(result):
    return [
        (p["file"], int(p["line"]) if p["line"] else None, p["field"], p["reason"])
        for p in read_problems(result.report_path, limit=1000)
    ]


def edit(export, object_name, id18, **cells):
    """Change cells of a row already in the export, as a newer export would have them."""
    for row in export.rows[object_name]:
        if row["Id"] == id18:
            row.update({key: str(value) for key, value in cells.items()})
            return
    raise AssertionError(f"{id18} is not in {object_name}")


def counts(result, name):
    return result.counts[name]


def tally(created=0, updated=0, unchanged=0, skipped=0):
    return {"created": created, "updated": updated, "unchanged": unchanged, "skipped": skipped}


def base(seed=1):
    """An export with a user and an account without line breaks, so lines are predictable."""
    export = SalesforceExport(seed=seed)
    owner = export.user(email="owner@example.com")
    account = export.account(name="Acme", owner=owner, Description="")
    return export, owner, account


# User -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_user_created_then_unchanged_then_updated(load):
    export = SalesforceExport(seed=1)
    ana = export.user(
        email="Ana.Lima@Example.com",
        FirstName="Ana",
        LastName="Lima",
        Title="Key account lead",
        LanguageLocaleKey="fr_FR",
    )
    gone = export.user(email="gone@example.com", IsActive="false", LanguageLocaleKey="en_US")
    first = load(export)
    assert counts(first, "User") == tally(created=2)
    user = User.objects.get(salesforce_id=ana)
    assert (user.email, user.first_name, user.last_name, user.title) == (
        "ana.lima@example.com",
        "Ana",
        "Lima",
        "Key account lead",
    )
    assert user.role == Role.ACCOUNT_MANAGER and user.language == Language.FRENCH
    assert user.is_active and not user.has_usable_password()
    former = User.objects.get(salesforce_id=gone)
    assert not former.is_active and former.language == Language.ENGLISH

    second = load(export)
    assert counts(second, "User") == tally(unchanged=2)

    edit(export, "User", ana, Title="Director")
    edit(export, "User", gone, IsActive="true")
    third = load(export)
    assert counts(third, "User") == tally(updated=2)
    user.refresh_from_db()
    former.refresh_from_db()
    assert user.title == "Director" and former.is_active


@pytest.mark.django_db
def test_user_matched_by_email_in_any_case_keeps_their_name_and_role(load):
    admin = UserFactory(
        email="chief@example.com", first_name="Claire", last_name="Roux", role=Role.ADMINISTRATOR
    )
    export = SalesforceExport(seed=2)
    chief = export.user(email="CHIEF@Example.COM", FirstName="C.", LastName="R.", IsActive="false")
    result = load(export)
    assert counts(result, "User") == tally(updated=1)
    assert User.objects.count() == 1
    admin.refresh_from_db()
    assert admin.salesforce_id == chief
    assert (admin.first_name, admin.last_name, admin.role) == ("Claire", "Roux", "administrator")
    assert admin.is_active
    assert load(export).counts["User"] == tally(unchanged=1)


@pytest.mark.django_db
def test_user_without_or_with_a_bad_email_is_skipped_and_reported(load):
    export = SalesforceExport(seed=3)
    export.user(email="fine@example.com")
    export.add_row("User", {"Id": export.new_id("User"), "LastName": "Nobody", "Email": ""})
    export.add_row("User", {"Id": export.new_id("User"), "LastName": "Typo", "Email": "not-mail"})
    result = load(export)
    assert counts(result, "User") == tally(created=1, skipped=2)
    found = problems(result)
    assert ("User.csv", 3, "Email", "A user needs an e-mail address; skipped.") in found
    assert [line for file, line, field, _r in found if field == "Email"] == [3, 4, 4]


# AccountContactRelation -------------------------------------------------------------------------


@pytest.mark.django_db
def test_account_contact_relation_links_a_person_to_another_account(load):
    export, _owner, home = base()
    other = export.account(name="Holding", Description="")
    person = export.contact(account=home, LastName="Weber", Description="")
    indirect = export.account_contact_relation(
        account=other,
        contact=person,
        Roles="Decision Maker; Influencer;",
        StartDate="2023-02-01",
        EndDate="2024-01-31",
    )
    direct = export.account_contact_relation(account=home, contact=person, direct=True)
    first = load(export)
    assert counts(first, "AccountContactRelation") == tally(created=1, unchanged=1)
    link = AccountLink.objects.get()
    assert link.salesforce_id == indirect and link.salesforce_id != direct
    assert link.stakeholder == Stakeholder.objects.get(salesforce_id=person)
    assert link.account == Account.objects.get(salesforce_id=other)
    assert link.role == "Decision Maker, Influencer"
    assert (link.start_date, link.end_date) == (
        datetime.date(2023, 2, 1),
        datetime.date(2024, 1, 31),
    )
    assert link.history.get().history_change_reason == REASON

    again = load(export)
    assert counts(again, "AccountContactRelation") == tally(unchanged=2)
    assert link.history.count() == 1

    edit(export, "AccountContactRelation", indirect, EndDate="", Roles="Economic Buyer")
    changed = load(export)
    assert counts(changed, "AccountContactRelation") == tally(updated=1, unchanged=1)
    link.refresh_from_db()
    assert (link.role, link.end_date) == ("Economic Buyer", None)
    assert link.history.first().history_type == "~"


@pytest.mark.django_db
def test_account_contact_relation_on_the_own_account_is_not_a_link(load):
    """IsDirect false but the contact's own account: nothing to add, nothing reported."""
    export, _owner, home = base()
    person = export.contact(account=home, Description="")
    export.account_contact_relation(account=home, contact=person, direct=False)
    result = load(export)
    assert counts(result, "AccountContactRelation") == tally(unchanged=1)
    assert AccountLink.objects.count() == 0 and problems(result) == []


@pytest.mark.django_db
def test_account_contact_relation_problems(load):
    export, _owner, home = base()
    other = export.account(name="Other", Description="")
    person = export.contact(account=home, Description="")
    unknown_contact = export.new_id("Contact")
    export.account_contact_relation(account=other, contact=unknown_contact)  # line 2
    export.account_contact_relation(account=export.new_id("Account"), contact=person)  # line 3
    export.account_contact_relation(account=other, contact=person, IsDirect="maybe")  # line 4
    export.account_contact_relation(
        account=other, contact=person, StartDate="2024-05-01", EndDate="2024-04-01"
    )  # line 5
    result = load(export)
    assert counts(result, "AccountContactRelation") == tally(skipped=4)
    found = {(line, field) for file, line, field, _r in problems(result)}
    assert found == {(2, "ContactId"), (3, "AccountId"), (4, ""), (5, "EndDate")}
    assert all(file == "AccountContactRelation.csv" for file, *_rest in problems(result))
    assert AccountLink.objects.count() == 0


# AccountTeamMember ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_team_member_roles_and_reimport(load):
    export, owner, account = base()
    helper = export.user(email="helper@example.com")
    support = export.team_member(account=account, user=helper, role="Customer Support")
    odd = export.team_member(account=account, user=helper, role="Partner Liaison")
    manager = export.team_member(account=account, user=owner, role="Account Manager")
    first = load(export)
    assert counts(first, "AccountTeamMember") == tally(created=3)
    members = {m.salesforce_id: m for m in TeamMember.objects.filter(salesforce_id__isnull=False)}
    assert members[support].role == TeamRole.SUPPORT_LEAD and members[support].note == ""
    assert (members[odd].role, members[odd].note) == (TeamRole.OTHER, "Partner Liaison")
    assert members[manager].user.salesforce_id == owner
    # The owner's membership came from the export: no second one for the manager.
    assert TeamMember.objects.count() == 3
    assert all(m.history.get().history_change_reason == REASON for m in members.values())

    again = load(export)
    assert counts(again, "AccountTeamMember") == tally(unchanged=3)
    assert TeamMember.history.count() == 3

    edit(export, "AccountTeamMember", odd, TeamMemberRole="Sales Engineer")
    changed = load(export)
    assert counts(changed, "AccountTeamMember") == tally(updated=1, unchanged=2)
    member = TeamMember.objects.get(salesforce_id=odd)
    assert (member.role, member.note) == (TeamRole.SALES_ENGINEER, "")
    assert member.history.first().history_type == "~"


@pytest.mark.django_db
def test_team_member_made_in_rapport_is_matched_not_doubled(load):
    export, _owner, account = base()
    helper = export.user(email="helper@example.com")
    export.team_member(account=account, user=helper, role="Support Lead")
    load(export)
    made_here = TeamMember.objects.get(role=TeamRole.SUPPORT_LEAD)
    # The same membership, made in Rapport before the export carried it.
    made_here.salesforce_id = None
    made_here.save()
    result = load(export)
    assert counts(result, "AccountTeamMember") == tally(updated=1)
    assert TeamMember.objects.filter(role=TeamRole.SUPPORT_LEAD).count() == 1


@pytest.mark.django_db
def test_team_member_problems(load):
    export, owner, account = base()
    export.team_member(account=account, user=export.new_id("User"))  # line 2
    export.team_member(account=export.new_id("Account"), user=owner)  # line 3
    export.team_member(account=account, user=owner, role="Support Lead")  # line 4
    export.team_member(account=account, user=owner, role="Support Lead")  # line 5, twice
    result = load(export)
    assert counts(result, "AccountTeamMember") == tally(created=1, skipped=3)
    found = [(line, field) for _file, line, field, _r in problems(result)]
    assert found == [(2, "UserId"), (3, "AccountId"), (5, "TeamMemberRole")]


@pytest.mark.django_db
def test_a_bad_id_is_reported_once_though_read_several_times(load):
    export, owner, _account = base()
    export.team_member(account="001A0000004XYZWIAA", user=owner)  # wrong checksum
    result = load(export)
    assert counts(result, "AccountTeamMember") == tally(skipped=1)
    found = problems(result)
    assert [reason for *_where, reason in found if "not a valid Salesforce Id" in reason] == [
        "“001A0000004XYZWIAA” is not a valid Salesforce Id: its last three characters are wrong."
    ]
    assert {(line, field) for _file, line, field, _r in found} == {(2, "AccountId")}


@pytest.mark.django_db
def test_new_account_manager_joins_the_team_without_a_team_file(load):
    export, owner, account = base()
    load(export)
    member = TeamMember.objects.get()
    assert member.role == TeamRole.ACCOUNT_MANAGER
    assert member.user.salesforce_id == owner and member.account.salesforce_id == account
    assert member.history.get().history_change_reason == REASON


# Product2 ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_product_created_with_family_and_search_name(load):
    export = SalesforceExport(seed=7)
    suite = export.product(name="Élan Suite", family="Analytics", ProductCode="ELS")
    old = export.product(name="Legacy", family="", IsActive="false")
    first = load(export)
    assert counts(first, "Product2") == tally(created=2)
    product = Product.objects.get(salesforce_id=suite)
    assert (product.code, product.family.name, product.is_active) == ("ELS", "Analytics", True)
    assert product.list_price == 0
    assert product.search_name == "elan suite"
    legacy = Product.objects.get(salesforce_id=old)
    assert not legacy.is_active and legacy.family is not None
    assert product.history.get().history_change_reason == REASON

    again = load(export)
    assert counts(again, "Product2") == tally(unchanged=2)
    assert Product.history.count() == 2

    edit(export, "Product2", suite, Name="Elan Suite Pro", Family="Platform")
    changed = load(export)
    assert counts(changed, "Product2") == tally(updated=1, unchanged=1)
    product.refresh_from_db()
    assert (product.name, product.search_name, product.family.name) == (
        "Elan Suite Pro",
        "elan suite pro",
        "Platform",
    )
    assert product.history.first().history_type == "~"
    assert set(ProductFamily.objects.values_list("name", flat=True)) >= {"Analytics", "Platform"}


@pytest.mark.django_db
def test_product_of_the_same_name_made_in_rapport_is_taken_over(load):
    mine = Product.objects.create(name="Platform", family=family("Core"), list_price=Decimal(500))
    export = SalesforceExport(seed=8)
    theirs = export.product(name="Platform", family="Core")
    export.product(name="Platform", family="Core")  # a second product of that name
    result = load(export)
    assert counts(result, "Product2") == tally(updated=1, skipped=1)
    mine.refresh_from_db()
    assert mine.salesforce_id == theirs and mine.list_price == 500
    assert [field for _f, _l, field, _r in problems(result)] == ["Name"]


# Contract ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_contract_created_unchanged_updated(load):
    export, _owner, account = base()
    signed = export.contract(
        account=account,
        start="2024-01-01",
        end="2024-12-31",
        ContractNumber="C-1",
        CurrencyIsoCode="usd",
        Rapport_Auto_Renew__c="true",
        Rapport_Notice_Days__c="60",
    )
    termed = export.contract(account=account, start="2024-03-01", end="", ContractTerm="12")
    first = load(export)
    assert counts(first, "Contract") == tally(created=2)
    contract = Contract.objects.get(salesforce_id=signed)
    assert contract.account.salesforce_id == account
    assert (contract.reference, contract.currency, contract.auto_renew, contract.notice_days) == (
        "C-1",
        "USD",
        True,
        60,
    )
    assert contract.status == "active"
    assert Contract.objects.get(salesforce_id=termed).end_date == datetime.date(2025, 2, 28)
    assert Contract.objects.get(salesforce_id=termed).currency == "EUR"

    assert counts(load(export), "Contract") == tally(unchanged=2)
    assert Contract.history.count() == 2

    edit(export, "Contract", signed, EndDate="2025-06-30", Description="Extended")
    changed = load(export)
    assert counts(changed, "Contract") == tally(updated=1, unchanged=1)
    contract.refresh_from_db()
    assert contract.end_date == datetime.date(2025, 6, 30) and contract.notes == "Extended"
    assert contract.history.first().history_type == "~"


@pytest.mark.django_db
def test_contract_problems(load):
    export, _owner, account = base()
    export.contract(account=export.new_id("Account"))  # line 2
    export.contract(account=account, start="2024-05-01", end="2024-05-01")  # line 3
    export.contract(account=account, end="", ContractTerm="")  # line 4
    export.contract(account=account, CurrencyIsoCode="euro")  # line 5
    export.contract(account=account, Rapport_Notice_Days__c="400")  # line 6
    result = load(export)
    assert counts(result, "Contract") == tally(skipped=5)
    found = [(line, field) for _file, line, field, _r in problems(result)]
    assert found == [
        (2, "AccountId"),
        (3, "EndDate"),
        (4, "EndDate"),
        (5, "CurrencyIsoCode"),
        (6, "Rapport_Notice_Days__c"),
    ]


# Opportunity ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("New Customer", OpportunityType.NEW_BUSINESS),
        ("New Business", OpportunityType.NEW_BUSINESS),
        ("Existing Customer - Upgrade", OpportunityType.UPSELL),
        ("Existing Customer - Replacement", OpportunityType.CROSS_SELL),
        ("Existing Customer - Downgrade", OpportunityType.RENEWAL),
        ("Renewal", OpportunityType.RENEWAL),
        ("", OpportunityType.UPSELL),
    ],
)
def test_opportunity_types(load, text, kind):
    export, _owner, account = base()
    contract = export.contract(account=account, start="2024-01-01", end="2024-12-31")
    deal = export.opportunity(account=account, Type=text, close="2024-12-01")
    result = load(export)
    opportunity = Opportunity.objects.get(salesforce_id=deal)
    assert opportunity.type == kind
    if kind == OpportunityType.RENEWAL:
        # No ContractId: the account's latest contract before the close date is the one renewed.
        assert opportunity.contract == Contract.objects.get(salesforce_id=contract)
    else:
        assert opportunity.contract is None
    assert not any(field == "Type" for _f, _l, field, _r in problems(result))


@pytest.mark.django_db
def test_opportunity_unknown_type_is_an_upsell_and_reported(load):
    export, _owner, account = base()
    export.opportunity(account=account, Type="Partner Deal")
    result = load(export)
    assert Opportunity.objects.get().type == OpportunityType.UPSELL
    assert [(line, field) for _f, line, field, _r in problems(result)] == [(2, "Type")]


@pytest.mark.django_db
def test_downgrade_names_its_contract_and_a_second_renewal_of_it_is_an_upsell(load):
    export, _owner, account = base()
    contract = export.contract(account=account)
    first = export.opportunity(
        account=account, Type="Existing Customer - Downgrade", ContractId=contract, Amount="-500"
    )
    second = export.opportunity(account=account, Type="Renewal", ContractId=contract)
    result = load(export)
    down = Opportunity.objects.get(salesforce_id=first)
    assert down.type == OpportunityType.RENEWAL and down.amount == Decimal(-500)
    assert down.contract.salesforce_id == contract
    other = Opportunity.objects.get(salesforce_id=second)
    assert other.type == OpportunityType.UPSELL and other.contract_id == down.contract_id
    assert [(line, field) for _f, line, field, _r in problems(result)] == [(3, "Type")]
    assert counts(load(export), "Opportunity") == tally(unchanged=2)


@pytest.mark.django_db
def test_opportunity_stage_status_and_defaults(load):
    export, _owner, account = base()
    open_deal = export.opportunity(account=account, stage="negotiation")
    won = export.opportunity(
        account=account, stage="Closed won", IsClosed="true", IsWon="true", Probability="100.0"
    )
    lost = export.opportunity(account=account, stage="Closed Lost", IsClosed="true")
    unknown = export.opportunity(account=account, stage="Verbal yes")  # line 5
    mismatch = export.opportunity(
        account=account, stage="Proposal", IsClosed="true", IsWon="true"
    )  # line 6
    chosen = export.opportunity(
        account=account, stage="Proposal", Probability="35", ForecastCategoryName="Best Case"
    )
    result = load(export)
    by_id = {o.salesforce_id: o for o in Opportunity.objects.select_related("stage")}

    deal = by_id[open_deal]
    assert (deal.stage.name, deal.status, deal.probability, deal.forecast_category) == (
        "Negotiation",
        OpportunityStatus.OPEN,
        75,
        ForecastCategory.BEST_CASE,
    )
    assert deal.closed_on is None
    assert (by_id[won].status, by_id[won].probability) == (OpportunityStatus.WON, 100)
    assert by_id[won].closed_on == by_id[won].close_date
    assert (by_id[lost].stage.name, by_id[lost].status) == ("Closed lost", OpportunityStatus.LOST)
    assert by_id[lost].forecast_category == ForecastCategory.OMITTED
    assert (by_id[unknown].stage.name, by_id[unknown].status) == (
        "Qualification",
        OpportunityStatus.OPEN,
    )
    assert (by_id[mismatch].stage.name, by_id[mismatch].status) == (
        "Closed won",
        OpportunityStatus.WON,
    )
    assert (by_id[chosen].probability, by_id[chosen].forecast_category) == (
        35,
        ForecastCategory.BEST_CASE,
    )
    assert [(line, field) for _f, line, field, _r in problems(result)] == [
        (5, "StageName"),
        (6, "StageName"),
    ]


@pytest.mark.django_db
def test_opportunity_with_no_stage_to_fall_back_on_is_skipped(load):
    PipelineStage.objects.filter(outcome=OpportunityStatus.LOST).update(is_active=False)
    export, _owner, account = base()
    export.opportunity(account=account, stage="Gone", IsClosed="true", IsWon="false")
    result = load(export)
    assert counts(result, "Opportunity") == tally(skipped=1)
    assert [field for _f, _l, field, _r in problems(result)] == ["StageName"]


@pytest.mark.django_db
def test_opportunity_currency_and_company_amount(load):
    rate("USD", datetime.date(2024, 1, 1), "0.9")
    rate("USD", datetime.date(2025, 1, 1), "0.8")
    export, owner, account = base()
    dollars = export.opportunity(
        account=account, Amount="1000", CurrencyIsoCode="USD", close="2024-06-30", OwnerId=owner
    )
    euros = export.opportunity(account=account, Amount="250.5", CurrencyIsoCode="")
    export.opportunity(account=account, CurrencyIsoCode="GBP")  # line 4: no rate
    result = load(export)
    deal = Opportunity.objects.get(salesforce_id=dollars)
    assert (deal.currency, deal.amount, deal.amount_company) == (
        "USD",
        Decimal("1000.00"),
        Decimal("900.00"),
    )
    assert deal.owner.salesforce_id == owner
    assert Opportunity.objects.get(salesforce_id=euros).amount_company == Decimal("250.50")
    assert [(line, field) for _f, line, field, _r in problems(result)] == [(4, "CurrencyIsoCode")]
    assert counts(result, "Opportunity") == tally(created=2, skipped=1)

    edit(export, "Opportunity", dollars, CloseDate="2025-03-31")
    changed = load(export)
    assert counts(changed, "Opportunity")["updated"] == 1
    deal.refresh_from_db()
    assert deal.amount_company == Decimal("800.00")
    assert deal.history.first().history_type == "~"
    assert deal.history.count() == 2


@pytest.mark.django_db
def test_opportunity_references_and_bad_values(load):
    export, _owner, account = base()
    other = export.account(name="Other", Description="")
    foreign = export.contract(account=other)
    export.opportunity(account=export.new_id("Account"))  # line 2: skipped
    export.opportunity(account=account, OwnerId=export.new_id("User"))  # line 3: owner left empty
    export.opportunity(account=account, ContractId=foreign)  # line 4: contract left empty
    export.opportunity(account=account, Probability="120")  # line 5
    export.opportunity(account=account, Amount="-1")  # line 6
    export.opportunity(account=account, CloseDate="someday")  # line 7
    export.opportunity(account=account, Name="")  # line 8
    result = load(export)
    assert counts(result, "Opportunity") == tally(created=2, skipped=5)
    assert [(line, field) for _f, line, field, _r in problems(result)] == [
        (2, "AccountId"),
        (3, "OwnerId"),
        (4, "ContractId"),
        (5, "Probability"),
        (6, "Amount"),
        (7, ""),
        (8, "Name"),
    ]
    assert set(Opportunity.objects.values_list("owner", "contract")) == {(None, None)}


@pytest.mark.django_db
def test_opportunity_owner_who_cannot_own_is_left_empty(load):
    export, _owner, account = base()
    former = export.user(email="former@example.com", IsActive="false")
    export.opportunity(account=account, OwnerId=former)
    result = load(export)
    assert Opportunity.objects.get().owner is None
    assert [field for _f, _l, field, _r in problems(result)] == ["OwnerId"]


# OpportunityContactRole -------------------------------------------------------------------------


@pytest.mark.django_db
def test_opportunity_contact_role(load):
    export, _owner, account = base()
    person = export.contact(account=account, Description="")
    deal = export.opportunity(account=account)
    role = export.opportunity_contact_role(opportunity=deal, contact=person, Role="Economic Buyer")
    export.opportunity_contact_role(opportunity=deal, contact=person)  # line 3: twice
    # Line 4: an opportunity that is not in the export.
    export.opportunity_contact_role(opportunity=export.new_id("Opportunity"), contact=person)
    export.opportunity_contact_role(opportunity=deal, contact=export.new_id("Contact"))  # line 5
    first = load(export)
    assert counts(first, "OpportunityContactRole") == tally(created=1, skipped=3)
    member = OpportunityContact.objects.get()
    assert member.salesforce_id == role
    assert member.opportunity.salesforce_id == deal
    assert member.stakeholder.salesforce_id == person
    assert (member.role, member.is_primary) == ("Economic Buyer", True)
    assert [(line, field) for _f, line, field, _r in problems(first)] == [
        (3, "ContactId"),
        (4, "OpportunityId"),
        (5, "ContactId"),
    ]

    again = load(export)
    assert counts(again, "OpportunityContactRole") == tally(unchanged=1, skipped=3)
    assert OpportunityContact.history.count() == 1

    edit(export, "OpportunityContactRole", role, IsPrimary="false", Role="Evaluator")
    changed = load(export)
    assert counts(changed, "OpportunityContactRole")["updated"] == 1
    member.refresh_from_db()
    assert (member.role, member.is_primary) == ("Evaluator", False)
    assert member.history.first().history_type == "~"


# OpportunityLineItem ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_opportunity_line_item(load):
    export, _owner, account = base()
    product = export.product(name="Seats")
    deal = export.opportunity(account=account)
    item = export.opportunity_line_item(opportunity=deal, product=product, Quantity="2.5")
    export.opportunity_line_item(opportunity=deal, product=export.new_id("Product2"))  # line 3
    # Line 4: an opportunity that is not in the export.
    export.opportunity_line_item(opportunity=export.new_id("Opportunity"), product=product)
    export.opportunity_line_item(opportunity=deal, product=product, Quantity="0")  # line 5
    export.opportunity_line_item(opportunity=deal, product=product, UnitPrice="ten")  # line 6
    first = load(export)
    assert counts(first, "OpportunityLineItem") == tally(created=1, skipped=4)
    line = OpportunityLine.objects.get()
    assert line.salesforce_id == item
    assert (line.opportunity.salesforce_id, line.product.salesforce_id) == (deal, product)
    assert (line.quantity, line.unit_price) == (Decimal("2.50"), Decimal("99.90"))
    assert [(number, field) for _f, number, field, _r in problems(first)] == [
        (3, "Product2Id"),
        (4, "OpportunityId"),
        (5, "Quantity"),
        (6, ""),
    ]

    again = load(export)
    assert counts(again, "OpportunityLineItem") == tally(unchanged=1, skipped=4)
    assert OpportunityLine.history.count() == 1

    edit(export, "OpportunityLineItem", item, UnitPrice="120")
    changed = load(export)
    assert counts(changed, "OpportunityLineItem")["updated"] == 1
    line.refresh_from_db()
    assert line.unit_price == Decimal("120.00")
    assert line.history.first().history_type == "~"
