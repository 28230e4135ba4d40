from unittest import mock

import pytest
from django.utils import timezone

from rapport.accounts.models import Account, TeamMember
from rapport.communications.choices import EXCHANGE_KINDS, CadenceKind
from rapport.communications.models import (
    CadenceRule,
    Task,
    Touchpoint,
    TouchpointStakeholder,
    TouchpointUser,
)
from rapport.core.tests.factories import UserFactory
from rapport.interchange.choices import ImportKind, ImportStatus
from rapport.interchange.report import read_problems
from rapport.interchange.services import import_run_create, import_run_execute
from rapport.interchange.tests.sfgen import SalesforceExport
from rapport.revenue.models import Opportunity
from rapport.revenue.tests.factories import pipeline
from rapport.stakeholders.models import Stakeholder
from rapport.users.choices import Role


@pytest.fixture
def imports(tmp_path, settings):
    settings.RAPPORT_IMPORT_DIR = tmp_path / "imports"
    pipeline()
    return tmp_path


def run(path, **options):
    created = import_run_create(
        kind=ImportKind.SALESFORCE, file_name=str(path), chunks=None, acting_user=None, **options
    )
    return import_run_execute(run=created, source=path)


def reasons(result):
    return [(p["field"], p["reason"]) for p in read_problems(result.report_path, limit=1000)]


def book(seed=1):
    export = SalesforceExport(seed=seed, short_ids=0.5)
    owner = export.user(email="Owner@Example.com")
    top = export.account(owner=owner, name="Groß, Holding\nSA")
    sub = export.account(parent=top, owner=owner)
    boss = export.contact(account=top, LastName="山田")
    export.contact(account=top, reports_to=boss)
    export.contact(account=sub)
    deal = export.opportunity(account=top)
    export.task(what=top, who=boss, owner=owner)
    export.task(
        what=deal, owner=owner, TaskSubtype="Task", Type="", Status="Not Started", IsClosed="false"
    )
    export.event(what=sub, owner=owner)
    export.case()
    return export, {"top": top, "sub": sub, "boss": boss, "owner": owner}


@pytest.mark.django_db
def test_import_twice_changes_nothing_the_second_time(imports):
    export, ids = book()
    path = export.write_zip(imports / "export.zip", bom=True)
    first = run(path)
    assert first.status == ImportStatus.DONE, first.message
    assert first.counts["Account"]["created"] == 2
    assert first.counts["Contact"]["created"] == 3
    top = Account.objects.get(salesforce_id=ids["top"])
    assert top.name == "Groß, Holding\nSA"
    assert Account.objects.get(salesforce_id=ids["sub"]).parent == top
    boss = Stakeholder.objects.get(salesforce_id=ids["boss"])
    assert boss.direct_reports.count() == 1
    assert Touchpoint.objects.count() == 2 and Task.objects.count() == 1
    assert TouchpointStakeholder.objects.filter(stakeholder=boss).exists()
    boss.refresh_from_db()
    assert boss.last_contact_at is not None
    assert top.history.filter(history_change_reason="Salesforce import").count() == 1
    history_rows = (
        Account.history.count() + Stakeholder.history.count() + Touchpoint.history.count()
    )

    second = run(path)
    for name, counts in second.counts.items():
        assert counts["created"] == counts["updated"] == 0, name
    assert (
        Account.history.count() + Stakeholder.history.count() + Touchpoint.history.count()
        == history_rows
    )
    assert Account.objects.count() == 2 and Stakeholder.objects.count() == 3


@pytest.mark.django_db
def test_newer_export_updates_only_what_changed(imports):
    export, ids = book()
    run(export.write_folder(imports / "one"))
    version = Account.objects.get(salesforce_id=ids["sub"]).version
    for row in export.rows["Account"]:
        if row["Id"] == ids["sub"]:
            row["Name"] = "Renamed"
    result = run(export.write_folder(imports / "two"))
    assert result.counts["Account"] == {"created": 0, "updated": 1, "unchanged": 1, "skipped": 0}
    sub = Account.objects.get(salesforce_id=ids["sub"])
    assert sub.name == "Renamed" and sub.version == version + 1
    assert sub.history.first().history_type == "~"


def _tracked(history_row):
    return {
        field.attname: getattr(history_row, field.attname)
        for field in history_row.instance_type.history.model.tracked_fields
    }


@pytest.mark.django_db
def test_each_history_row_is_the_row_as_written_by_whom_and_when(imports):
    export, ids = book()
    head = UserFactory(email="head@example.com", role=Role.HEAD_OF_ACCOUNT_MANAGEMENT)
    created = import_run_create(
        kind=ImportKind.SALESFORCE,
        file_name="one",
        chunks=None,
        acting_user=head,
    )
    import_run_execute(run=created, source=export.write_folder(imports / "one"))
    for row in export.rows["Account"]:
        if row["Id"] == ids["sub"]:
            row["Name"] = "Renamed"
    again = import_run_create(
        kind=ImportKind.SALESFORCE, file_name="two", chunks=None, acting_user=head
    )
    import_run_execute(run=again, source=export.write_folder(imports / "two"))

    checked = 0
    models = (
        Account,
        TeamMember,
        Stakeholder,
        Touchpoint,
        TouchpointStakeholder,
        TouchpointUser,
        Task,
    )
    for model in models:
        for current in model._base_manager.all():
            latest = current.history.order_by("-history_id").first()
            assert latest.history_user_id == head.pk
            assert latest.history_change_reason == "Salesforce import"
            tracked = _tracked(latest)
            assert tracked == {name: getattr(current, name) for name in tracked}, model
            checked += 1
    assert checked == sum(model._base_manager.count() for model in models) >= 10
    sub = Account.objects.get(salesforce_id=ids["sub"])
    kinds = list(sub.history.order_by("history_id").values_list("history_type", "name"))
    assert kinds[0][0] == "+" and kinds[-1] == ("~", "Renamed")


@pytest.mark.django_db
def test_deleted_duplicates_missing_references_and_bad_values(imports):
    export = SalesforceExport(seed=4)
    account = export.account(name="Kept")
    export.account(name="Gone", IsDeleted="true")
    export.add_row("Account", {"Id": account, "Name": "Duplicate"})
    export.account(name="Bad size", NumberOfEmployees="many")
    export.account(name="Orphan", ParentId="001A0000006Vm9rIAC")
    export.contact(account="001A0000006Vm9r", LastName="Nobody")
    export.contract(account=account, StartDate="2024-02-30")
    result = run(export.write_folder(imports / "x"))
    assert result.counts["Account"] == {"created": 2, "updated": 0, "unchanged": 0, "skipped": 3}
    assert result.counts["Contact"]["skipped"] == 1
    assert result.counts["Contract"]["skipped"] == 1
    assert Account.objects.get(name="Orphan").parent is None
    fields = [field for field, _reason in reasons(result)]
    assert {"Id", "NumberOfEmployees", "ParentId", "AccountId"} <= set(fields)


@pytest.mark.django_db
def test_cycles_are_left_empty_and_reported(imports):
    export = SalesforceExport(seed=5)
    a_id, b_id, c_id = (export.new_id("Account") for _ in range(3))
    export.add_row("Account", {"Id": a_id, "Name": "A", "ParentId": b_id})
    export.add_row("Account", {"Id": b_id, "Name": "B", "ParentId": c_id})
    export.add_row("Account", {"Id": c_id, "Name": "C", "ParentId": a_id[:15]})
    x_id, y_id = export.new_id("Contact"), export.new_id("Contact")
    export.add_row("Contact", {"Id": x_id, "AccountId": a_id, "LastName": "X", "ReportsToId": y_id})
    export.add_row("Contact", {"Id": y_id, "AccountId": a_id, "LastName": "Y", "ReportsToId": x_id})
    export.contact(account=b_id, reports_to=x_id, LastName="Elsewhere")
    result = run(export.write_folder(imports / "x"))
    parents = dict(Account.objects.values_list("name", "parent__name"))
    assert parents == {"A": "B", "B": "C", "C": None}
    managers = dict(Stakeholder.objects.values_list("last_name", "reports_to__last_name"))
    assert managers == {"X": "Y", "Y": None, "Elsewhere": None}
    found = reasons(result)
    assert sum("loop" in reason for _f, reason in found) == 2
    assert any("same account" in reason for _f, reason in found)


@pytest.mark.django_db
def test_dry_run_counts_exactly_and_writes_nothing(imports):
    export, _ids = book()
    path = export.write_zip(imports / "export.zip")
    dry = run(path, dry_run=True)
    assert dry.status == ImportStatus.DONE
    assert Account.objects.count() == 0 and Account.history.count() == 0
    real = run(path)
    assert real.counts == dry.counts


@pytest.mark.django_db
def test_strict_refuses_everything_on_a_problem(imports):
    export, _ids = book()
    export.account(name="Bad", NumberOfEmployees="-")
    result = run(export.write_folder(imports / "x"), strict=True)
    assert result.status == ImportStatus.REFUSED and result.problem_count >= 1
    assert Account.objects.count() == 0


@pytest.mark.django_db
def test_a_crash_mid_way_leaves_nothing(imports):
    export, _ids = book()
    path = export.write_folder(imports / "x")
    with mock.patch(
        "rapport.interchange.salesforce.revenue.OpportunityMapper.values",
        side_effect=RuntimeError("boom"),
    ):
        result = run(path)
    assert result.status == ImportStatus.FAILED
    assert Account.objects.count() == 0 and Stakeholder.all_objects.count() == 0


@pytest.mark.django_db
def test_renewal_without_contract_becomes_upsell(imports):
    export = SalesforceExport(seed=6)
    account = export.account()
    export.opportunity(account=account, Type="Renewal")
    result = run(export.write_folder(imports / "x"))
    assert Opportunity.objects.get().type == "upsell"
    assert any(field == "Type" for field, _r in reasons(result))


@pytest.mark.django_db
def test_a_manager_written_before_is_set_at_insert_in_the_one_history_row(imports):
    export = SalesforceExport(seed=6)
    home = export.account(name="Home")
    other = export.account(name="Other")
    # Listed after their report, in the same batch: inserted first, a level above.
    boss_id = export.new_id("Contact")
    deputy = export.contact(account=home, reports_to=boss_id, LastName="Deputy")
    export.add_row("Contact", {"Id": boss_id, "AccountId": home, "LastName": "Boss"})
    aide = export.contact(account=home, reports_to=deputy, LastName="Aide")
    run(export.write_folder(imports / "one"))
    deputy_row = Stakeholder.objects.get(salesforce_id=deputy)
    aide_row = Stakeholder.objects.get(salesforce_id=aide)
    assert deputy_row.reports_to.last_name == "Boss"
    assert list(deputy_row.history.values_list("history_type", "reports_to_id")) == [
        ("+", deputy_row.reports_to_id)
    ]
    # Named earlier in the same batch: set at insert, the "+" row carries it.
    assert aide_row.reports_to == deputy_row
    assert list(aide_row.history.values_list("history_type", "reports_to_id")) == [
        ("+", deputy_row.pk)
    ]

    # A later export names people imported before: set at insert too, within the account only.
    export.contact(account=home, reports_to=aide, LastName="Later")
    export.contact(account=other, reports_to=aide, LastName="Outsider")
    result = run(export.write_folder(imports / "two"))
    later = Stakeholder.objects.get(last_name="Later")
    assert later.reports_to == aide_row
    assert list(later.history.values_list("history_type", flat=True)) == ["+"]
    outsider = Stakeholder.objects.get(last_name="Outsider")
    assert outsider.reports_to is None
    assert outsider.history.count() == 1
    assert [reason for field, reason in reasons(result) if field == "ReportsToId"] == [
        "A person can only report to someone of the same account; left empty."
    ]
    assert result.counts["Contact"] == {"created": 2, "updated": 0, "unchanged": 3, "skipped": 0}


@pytest.mark.django_db
def test_new_accounts_get_their_cadence_kept_by_the_imported_exchanges(imports):
    export, ids = book()
    run(export.write_folder(imports / "one"))
    top = Account.objects.get(salesforce_id=ids["top"])
    sub = Account.objects.get(salesforce_id=ids["sub"])
    held = top.touchpoints.get(kind__in=EXCHANGE_KINDS).occurred_at
    check_in = CadenceRule.objects.get(account=top, kind=CadenceKind.CHECK_IN)
    assert check_in.last_done_at == held
    assert check_in.next_due_on == check_in.compute_next_due() > timezone.localdate(held)
    assert top.last_contact_at == held
    untouched = CadenceRule.objects.filter(account=sub).exclude(kind=CadenceKind.CHECK_IN)
    assert untouched.exists()
    for rule in untouched:
        assert rule.last_done_at is None and rule.next_due_on == rule.compute_next_due()
