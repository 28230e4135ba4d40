"""A small but complete book of business, built through the services, for the export tests.

Every object a Salesforce export carries is there, with the awkward text real data has:
accents, commas, double quotes and line breaks inside fields.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from rapport.accounts import services as account_services
from rapport.accounts.choices import Industry, LifecycleStage, Segment, TeamRole, Tier
from rapport.accounts.models import Account
from rapport.communications import services as communication_services
from rapport.communications.choices import Sentiment, TaskStatus, TouchpointKind
from rapport.communications.models import Task, Touchpoint
from rapport.core.tests.factories import UserFactory
from rapport.interchange.models import SalesforceRecord
from rapport.interchange.salesforce.ids import normalize_id
from rapport.revenue import services as revenue_services
from rapport.revenue.choices import LossReason, OpportunityType
from rapport.revenue.models import Contract, Opportunity, OpportunityContact
from rapport.revenue.tests import factories as revenue
from rapport.stakeholders import services as stakeholder_services
from rapport.stakeholders.models import Stakeholder
from rapport.users.choices import Language, Role
from rapport.users.models import User

AWKWARD_NOTES = 'She said "yes, gladly",\nthen: « on verra ».\r\nÉté 2024; naïve café'
CASE_ID = normalize_id("500AA00000ABCDE")
OTHER_CASE_ID = normalize_id("500AA00000ABCDa")


@dataclass
class Book:
    admin: User
    manager: User
    group: Account
    subsidiary: Account
    ceo: Stakeholder
    cfo: Stakeholder
    engineer: Stakeholder
    trashed: Stakeholder
    contract: Contract
    upsell: Opportunity
    touchpoints: list[Touchpoint]
    tasks: list[Task]


def build_book() -> Book:
    """Users, accounts, people, contracts, opportunities, touchpoints, tasks and a kept case."""
    today = timezone.localdate()
    admin = UserFactory(
        email="zoe.admin@example.com", first_name="Zoë", last_name="Admin", role=Role.ADMINISTRATOR
    )
    manager = UserFactory(
        email="elodie.dupont@example.com",
        first_name="Élodie",
        last_name="Dupont, Jr.",
        title='Head of "key" accounts',
        language=Language.FRENCH,
    )
    executive = UserFactory(
        email="sam.exec@example.com",
        first_name="Sam",
        last_name="O'Neil",
        role=Role.ACCOUNT_EXECUTIVE,
    )
    UserFactory(email="gone@example.com", first_name="Old", last_name="Timer", is_active=False)

    group = account_services.account_create(
        acting_user=admin,
        data={
            "name": "Groupe Lumière, SA",
            "legal_name": "Groupe Lumière Société Anonyme",
            "website": "https://lumiere.example",
            "domain": "lumiere.example",
            "industry": Industry.ENERGY,
            "country": "FR",
            "employees": 12000,
            "tier": Tier.STRATEGIC,
            "segment": Segment.ENTERPRISE,
            "lifecycle_stage": LifecycleStage.ADOPTION,
            "description": AWKWARD_NOTES,
            "owner": manager,
        },
    )
    subsidiary = account_services.account_create(
        acting_user=admin,
        data={
            "name": "Lumière Nord",
            "parent": group,
            "industry": Industry.MANUFACTURING,
            "country": "BE",
            "owner": manager,
            "originating_executive": executive,
        },
    )
    lonely = account_services.account_create(acting_user=admin, data={"name": "Zeta Ltd"})
    account_services.team_member_add(
        account=group, acting_user=admin, user=executive, role=TeamRole.SUPPORT_LEAD
    )
    account_services.team_member_add(
        account=subsidiary,
        acting_user=admin,
        user=admin,
        role=TeamRole.MARKETING,
        start_date=today - datetime.timedelta(days=400),
        end_date=today - datetime.timedelta(days=30),
    )

    def person(account: Account, first: str, last: str, **data: object) -> Stakeholder:
        return stakeholder_services.stakeholder_create(
            account=account,
            acting_user=admin,
            data={"first_name": first, "last_name": last, **data},
        )

    ceo = person(
        group,
        "Hélène",
        "Lefèvre",
        title="Président-directeur général",
        email="helene@lumiere.example",
        phone="+33 1 23 45 67 89",
    )
    cfo = person(
        group,
        "François",
        "Martin",
        title="CFO, Finance & Legal",
        department="Finance",
        notes=AWKWARD_NOTES,
        reports_to=ceo,
    )
    trashed = person(group, "Paul", "Parti", reports_to=ceo)
    engineer = person(group, "Chloé", "Ng", title="Engineer", reports_to=trashed)
    person(subsidiary, "Ana", "Ruiz", reports_to=None)
    stakeholder_services.account_link_add(
        stakeholder=cfo,
        account=subsidiary,
        acting_user=admin,
        role="Board member, advisor",
        start_date=today - datetime.timedelta(days=200),
    )
    stakeholder_services.account_link_add(
        stakeholder=trashed, account=lonely, acting_user=admin, role="Gone"
    )
    stakeholder_services.stakeholder_delete(stakeholder=trashed, acting_user=admin)

    revenue.rate("USD", datetime.date(2000, 1, 1), "0.92")
    platform = revenue.product("Plateforme « Pro »", family_name="Platform", list_price=1200)
    support = revenue.product("Support, premium", family_name="Services", list_price="99.90")
    support.code = "SUP-01"
    support.description = "Line one\nline two"
    support.save()
    contract = revenue.contract(
        account=group,
        start=today - datetime.timedelta(days=300),
        end=today + datetime.timedelta(days=64),
        lines=[revenue.line(platform, 10, "1150.50"), revenue.line(support, 1, "99.90")],
        reference="CT-2024/001",
        auto_renew=True,
        notice_days=90,
        notes="Signed in Lyon,\nrenewed tacitly",
    )
    revenue.contract(
        account=subsidiary,
        start=today - datetime.timedelta(days=100),
        end=today + datetime.timedelta(days=265),
        currency="USD",
    )
    close = today + datetime.timedelta(days=40)
    renewal = revenue.opportunity(
        account=group,
        type=OpportunityType.RENEWAL,
        contract=contract,
        close_date=close,
        amount="12500.00",
        acting_user=admin,
    )
    upsell = revenue.opportunity(
        account=group,
        type=OpportunityType.UPSELL,
        close_date=close,
        amount=None,
        acting_user=admin,
        lines=[revenue.line(platform, "2.5", 1000), revenue.line(support, 3, "99.90")],
        name="Upsell, phase 2",
        next_step='Send "final" quote',
        description=AWKWARD_NOTES,
    )
    cross_sell = revenue.opportunity(
        account=subsidiary,
        type=OpportunityType.CROSS_SELL,
        close_date=close,
        amount=3000,
        acting_user=admin,
    )
    new_business = revenue.opportunity(
        account=lonely,
        type=OpportunityType.NEW_BUSINESS,
        close_date=close,
        amount=45000,
        acting_user=admin,
    )
    revenue_services.opportunity_win(opportunity=cross_sell, acting_user=admin)
    revenue_services.opportunity_lose(
        opportunity=new_business, acting_user=admin, loss_reason=LossReason.PRICE
    )
    OpportunityContact.objects.create(
        opportunity=upsell, stakeholder=ceo, role="Economic Buyer", is_primary=True
    )
    OpportunityContact.objects.create(opportunity=upsell, stakeholder=cfo, role="Evaluator")
    OpportunityContact.objects.create(opportunity=renewal, stakeholder=trashed, role="Gone")

    moment = timezone.now().replace(microsecond=123456) - datetime.timedelta(days=3)
    touchpoints = []
    for index, kind in enumerate(TouchpointKind.values):
        touchpoints.append(
            communication_services.touchpoint_create(
                acting_user=manager,
                account=group,
                data={
                    "kind": kind,
                    "occurred_at": moment - datetime.timedelta(days=index, hours=index),
                    "duration_minutes": 15 * index or None,
                    "subject": f"{kind}: «point», d'étape" if index % 2 else f"Plain {kind}",
                    "notes": AWKWARD_NOTES if index == 1 else "",
                    "sentiment": [Sentiment.POSITIVE, Sentiment.NEGATIVE, ""][index % 3],
                },
                stakeholders=[cfo, ceo] if index % 2 else [ceo],
            )
        )
    communication_services.touchpoint_create(
        acting_user=manager,
        account=subsidiary,
        data={"kind": TouchpointKind.NOTE, "subject": "Only a note", "occurred_at": moment},
    )
    tasks = [
        communication_services.task_create(
            acting_user=manager,
            data={
                "title": "Send the deck, v2",
                "account": group,
                "due_on": today + datetime.timedelta(days=5),
                "notes": AWKWARD_NOTES,
            },
        ),
        communication_services.task_create(
            acting_user=manager, data={"title": "Call back", "account": subsidiary}
        ),
        communication_services.task_create(acting_user=admin, data={"title": "No account"}),
        communication_services.task_create(
            acting_user=manager, data={"title": "Dropped idea", "account": group}
        ),
    ]
    communication_services.task_set_status(
        task=tasks[1], acting_user=manager, status=TaskStatus.DONE
    )
    communication_services.task_set_status(
        task=tasks[3], acting_user=manager, status=TaskStatus.CANCELLED
    )
    SalesforceRecord.objects.create(
        object_name="Case",
        salesforce_id=CASE_ID,
        data={
            "Id": CASE_ID,
            "Subject": "Login fails, again",
            "Description": "Steps:\n1. open\n2. « fail »",
            "Status": "New",
            "Priority": "High",
        },
    )
    SalesforceRecord.objects.create(
        object_name="Case",
        salesforce_id=OTHER_CASE_ID,
        data={"Id": OTHER_CASE_ID, "Subject": "Invoice", "Origin": "Email"},
    )
    return Book(
        admin=admin,
        manager=manager,
        group=group,
        subsidiary=subsidiary,
        ceo=ceo,
        cfo=cfo,
        engineer=engineer,
        trashed=trashed,
        contract=contract,
        upsell=upsell,
        touchpoints=touchpoints,
        tasks=tasks,
    )


def empty_instance() -> None:
    """What a new installation holds: no data but the shipped pipeline (and a rate for USD)."""
    if connection.vendor == "postgresql":
        # The test's own transaction still holds deferred foreign-key checks, which PostgreSQL
        # will not truncate over: run them now.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    revenue.pipeline()
    revenue.rate("USD", datetime.date(2000, 1, 1), "0.92")
