"""Builds the demo company: deterministic, believable, loaded in one transaction."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from rapport.accountmaps.services import refresh_all_summaries
from rapport.accounts.choices import Industry, LifecycleStage, Segment, TeamRole, Tier
from rapport.accounts.models import Account, TeamMember
from rapport.accounts.services import account_update
from rapport.communications.models import Touchpoint
from rapport.core.text import search_key
from rapport.demo import data
from rapport.demo.communications import has_communications, load_communications
from rapport.demo.imports import load_imports
from rapport.demo.revenue import has_revenue, load_revenue
from rapport.demo.roadmaps import has_roadmaps, load_roadmaps
from rapport.revenue.models import Contract, Opportunity
from rapport.roadmaps.models import Roadmap
from rapport.stakeholders.models import RelationshipOwner, Stakeholder, StakeholderRelationship
from rapport.stakeholders.services import (
    account_link_add,
    account_seed_buying_committee,
    job_position_add,
    stakeholder_mark_left,
    stakeholder_record_move,
    stakeholder_update,
)
from rapport.users.models import User
from rapport.users.services import user_create

ACCOUNT_COUNT = 150
SEED = 20261127


@dataclass
class DemoResult:
    created: bool
    users: list[tuple[str, str]]
    accounts: int
    stakeholders: int
    touchpoints: int = 0
    roadmaps: int = 0
    # A demo company loaded before communications (or roadmaps) existed receives them on the
    # next run.
    communications_added: bool = False
    roadmaps_added: bool = False
    contracts: int = 0
    opportunities: int = 0
    revenue_added: bool = False
    imports_added: bool = False


def demo_load() -> DemoResult:
    """Load the demo company unless it is already there; running it again changes nothing."""
    logins = [(email, role) for email, _f, _l, role, _lang, _t in data.USERS]
    if User.objects.filter(email=data.USERS[0][0]).exists():
        added = _add_missing_communications()
        roadmaps_added = _add_missing_roadmaps()
        revenue_added = _add_missing_revenue()
        # Last: the dry run reads the company as the steps above left it.
        imports_added = load_imports()
        return DemoResult(
            False,
            logins,
            Account.objects.count(),
            Stakeholder.objects.count(),
            Touchpoint.objects.count(),
            Roadmap.objects.count(),
            communications_added=added,
            roadmaps_added=roadmaps_added,
            contracts=Contract.objects.count(),
            opportunities=Opportunity.objects.count(),
            revenue_added=revenue_added,
            imports_added=imports_added,
        )
    with transaction.atomic():
        users = _create_users()
        accounts = _create_accounts(users)
        _create_teams(accounts, users)
        _create_stakeholders(accounts)
        _shape_account_maps(accounts, users)
        _record_some_everyday_changes(accounts, users)
        _people_across_accounts(accounts, users)
        load_communications(accounts=list(Account.objects.order_by("id")), users=users)
    # Owners and ties were bulk-created, which sends no signals: assess every account once.
    refresh_all_summaries()
    load_roadmaps(users=users)
    _add_missing_revenue()
    load_imports()
    return DemoResult(
        True,
        logins,
        Account.objects.count(),
        Stakeholder.objects.count(),
        Touchpoint.objects.count(),
        Roadmap.objects.count(),
        contracts=Contract.objects.count(),
        opportunities=Opportunity.objects.count(),
    )


def _add_missing_communications() -> bool:
    """Give an earlier demo company its communications, once; nothing if it has any."""
    emails = [email for email, *_rest in data.USERS]
    users = {user.email: user for user in User.objects.filter(email__in=emails)}
    if len(users) < len(emails) or has_communications():
        return False
    load_communications(accounts=list(Account.objects.order_by("id")), users=users)
    refresh_all_summaries()
    return True


def _add_missing_roadmaps() -> bool:
    """Give an earlier demo company its roadmaps and handoffs, once; nothing if it has any."""
    emails = [email for email, *_rest in data.USERS]
    users = {user.email: user for user in User.objects.filter(email__in=emails)}
    if len(users) < len(emails) or has_roadmaps():
        return False
    return load_roadmaps(users=users) > 0


def _add_missing_revenue() -> bool:
    """Give the demo company its revenue, once, after its roadmaps: its contract ends follow
    the renewals they count back from, and it starts the renewal playbooks the nightly job would
    have (which would keep the roadmaps from being added later)."""
    emails = [email for email, *_rest in data.USERS]
    users = {user.email: user for user in User.objects.filter(email__in=emails)}
    if len(users) < len(emails) or has_revenue() or not has_roadmaps():
        return False
    return load_revenue(users=users) > 0


def _create_users() -> dict[str, User]:
    users = {}
    for email, first, last, role, language, title in data.USERS:
        users[email] = user_create(
            email=email,
            password=data.DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            role=role,
            language=language,
            title=title,
            time_zone=data.TIME_ZONES.get(email, "Europe/Paris"),
        )
    return users


def _account_names(rng: random.Random) -> list[tuple[str, str]]:
    industries = list(data.INDUSTRY_SUFFIXES)
    names: list[tuple[str, str]] = []
    seen: set[str] = set()
    while len(names) < ACCOUNT_COUNT:
        industry = rng.choice(industries)
        name = f"{rng.choice(data.NAME_STEMS)} {rng.choice(data.INDUSTRY_SUFFIXES[industry])}"
        if name not in seen:
            seen.add(name)
            names.append((name, industry))
    return names


def _create_accounts(users: dict[str, User]) -> list[Account]:
    rng = random.Random(SEED)
    managers = [
        users["marc@rapport.demo"],
        users["sofia@rapport.demo"],
        users["james@rapport.demo"],
    ]
    executive = users["nina@rapport.demo"]
    admin = users["admin@rapport.demo"]
    accounts = []
    for index, (name, industry) in enumerate(_account_names(rng)):
        tier = rng.choice(data.TIERS)
        employees = rng.randint(*data.EMPLOYEE_RANGES[tier])
        segment = (
            Segment.PUBLIC_SECTOR
            if industry == Industry.PUBLIC_SECTOR
            else Segment.ENTERPRISE
            if employees >= 2000
            else Segment.MID_MARKET
            if employees >= 250
            else Segment.SMALL_BUSINESS
        )
        slug = search_key(name).replace(" ", "")
        accounts.append(
            Account(
                name=name,
                search_name=search_key(name),
                legal_name=f"{name} {rng.choice(data.LEGAL_FORMS)}",
                website=f"https://www.{slug}.example",
                domain=f"{slug}.example",
                industry=industry,
                country=rng.choice(data.COUNTRIES),
                employees=employees,
                tier=tier,
                segment=segment,
                lifecycle_stage=rng.choice(data.STAGES),
                owner=managers[index % len(managers)] if index % 17 else None,
                originating_executive=executive if index % 3 == 0 else None,
                description="",
            )
        )
    created = bulk_create_with_history(accounts, Account, default_user=admin)
    created = list(Account.objects.order_by("id"))
    # A few groups: the first strategic accounts own some subsidiaries.
    parents = [account for account in created if account.tier == Tier.STRATEGIC][:4]
    children = [account for account in created if account.tier in {Tier.GROWTH, Tier.MAINTAIN}]
    for parent_index, parent in enumerate(parents):
        for child in children[parent_index * 3 : parent_index * 3 + 3]:
            child.parent = parent
            child._history_user = admin
            child.save()
    return created


def _create_teams(accounts: list[Account], users: dict[str, User]) -> None:
    rng = random.Random(SEED + 1)
    today = timezone.localdate()
    support = users["omar@rapport.demo"]
    head = users["head@rapport.demo"]
    executive = users["nina@rapport.demo"]
    members = []
    for account in accounts:
        start = today - datetime.timedelta(days=rng.randint(30, 900))
        if account.owner_id:
            members.append(
                TeamMember(
                    account=account,
                    user_id=account.owner_id,
                    role=TeamRole.ACCOUNT_MANAGER,
                    start_date=start,
                )
            )
        if account.originating_executive_id:
            members.append(
                TeamMember(
                    account=account,
                    user=executive,
                    role=TeamRole.ACCOUNT_EXECUTIVE,
                    start_date=start,
                )
            )
        if account.tier in {Tier.STRATEGIC, Tier.KEY}:
            members.append(
                TeamMember(
                    account=account, user=support, role=TeamRole.SUPPORT_LEAD, start_date=start
                )
            )
        if account.tier == Tier.STRATEGIC:
            members.append(
                TeamMember(
                    account=account, user=head, role=TeamRole.EXECUTIVE_SPONSOR, start_date=start
                )
            )
    bulk_create_with_history(members, TeamMember, default_user=users["admin@rapport.demo"])


def _create_stakeholders(accounts: list[Account]) -> None:
    rng = random.Random(SEED + 2)
    admin = User.objects.get(email="admin@rapport.demo")
    for account in accounts:
        size = rng.randint(7, len(data.ORG_TEMPLATE))
        chosen = data.ORG_TEMPLATE[:size]
        people: list[Stakeholder] = []
        used: set[str] = set()
        for title, department, _manager in chosen:
            while True:
                first, last = rng.choice(data.FIRST_NAMES), rng.choice(data.LAST_NAMES)
                if (first, last) not in used:
                    used.add((first, last))  # type: ignore[arg-type]
                    break
            local = search_key(f"{first}.{last}").replace(" ", "-")
            people.append(
                Stakeholder(
                    account=account,
                    first_name=first,
                    last_name=last,
                    search_name=search_key(f"{first} {last}"),
                    search_last_name=search_key(last),
                    title=title,
                    department=department,
                    email=f"{local}@{account.domain}",
                    phone="+33 1 " + " ".join(str(rng.randint(10, 99)) for _ in range(4)),
                )
            )
        created = bulk_create_with_history(people, Stakeholder, default_user=admin)
        created = list(Stakeholder.objects.filter(account=account).order_by("id"))
        for person, (_title, _department, manager_index) in zip(created, chosen, strict=True):
            if manager_index is not None:
                person.reports_to = created[manager_index]
        Stakeholder.objects.bulk_update(created, ["reports_to"])


def _shape_account_maps(accounts: list[Account], users: dict[str, User]) -> None:
    """Roles, stances, influence, our relationship owners and a few ties on every map.

    Some accounts are left with a typical weakness (no champion, a champion who left, a
    hostile blocker, one person carrying everything) so relationship risk has something to say.
    """
    rng = random.Random(SEED + 4)
    head = users["head@rapport.demo"]
    support = users["omar@rapport.demo"]
    executive = users["nina@rapport.demo"]
    owners: list[RelationshipOwner] = []
    ties: list[StakeholderRelationship] = []
    by_id = users_by_id(users)
    for index, account in enumerate(accounts):
        people = {person.title: person for person in Stakeholder.objects.filter(account=account)}
        manager = by_id.get(account.owner_id) if account.owner_id else None
        acting = manager or users["admin@rapport.demo"]
        champion_title = next((t for t in data.CHAMPION_TITLES if t in people), None)
        if index % 7 == 3:
            champion_title = None  # no champion yet
        for title, person in people.items():
            roles, influence = data.MAP_PROFILE.get(title, ([], "low"))
            roles = list(roles)
            stance = rng.choice(data.STANCES)
            if title == champion_title:
                roles.append("champion")
                stance = rng.choice(["advocate", "supporter"])
            if title == "Data Protection Officer" and index % 5 == 1:
                roles.append("blocker")
                stance = "opponent"
                influence = "high"
            person.decision_roles = roles
            person.stance = stance
            person.influence = influence
            if title == champion_title and index % 11 == 5:
                person.status = "left"
                person.left_on = timezone.localdate() - datetime.timedelta(days=rng.randint(10, 90))
            person._history_user = acting  # type: ignore[attr-defined]
            person.save()
        if manager is not None and index % 9 != 4:
            for owned_title in (champion_title, "Chief Information Officer"):
                if owned_title is not None and owned_title in people:
                    owners.append(
                        RelationshipOwner(
                            stakeholder=people[owned_title],
                            user=manager,
                            strength=rng.randint(40, 95),
                        )
                    )
        if account.tier == Tier.STRATEGIC and "Chief Executive Officer" in people:
            owners.append(
                RelationshipOwner(
                    stakeholder=people["Chief Executive Officer"], user=head, strength=70
                )
            )
        if account.tier in {Tier.STRATEGIC, Tier.KEY} and "Head of IT Infrastructure" in people:
            owners.append(
                RelationshipOwner(
                    stakeholder=people["Head of IT Infrastructure"], user=support, strength=60
                )
            )
        if account.originating_executive_id and "Chief Financial Officer" in people:
            owners.append(
                RelationshipOwner(
                    stakeholder=people["Chief Financial Officer"], user=executive, strength=50
                )
            )
        for source, target, kind, note in (
            (
                "Chief Financial Officer",
                "Chief Executive Officer",
                "influences",
                "Signs off every budget line.",
            ),
            ("Chief Information Officer", champion_title, "allied_with", "Ran the pilot together."),
            (
                "Data Protection Officer",
                "Chief Information Officer",
                "in_conflict_with",
                "Disagree on hosting.",
            ),
        ):
            if source in people and target in people and index % 3 != 2:
                ties.append(
                    StakeholderRelationship(
                        account=account,
                        source=people[source],
                        target=people[target],
                        kind=kind,
                        note=note,
                    )
                )
    admin = users["admin@rapport.demo"]
    unique_owners = {(owner.stakeholder_id, owner.user_id): owner for owner in owners}
    bulk_create_with_history(list(unique_owners.values()), RelationshipOwner, default_user=admin)
    bulk_create_with_history(ties, StakeholderRelationship, default_user=admin)


def _people_across_accounts(accounts: list[Account], users: dict[str, User]) -> None:
    """Links to group companies, careers, champions who moved, and maps begun from the template."""
    admin = users["admin@rapport.demo"]
    today = timezone.localdate()
    parents = [account for account in accounts if account.subsidiaries.exists()]
    for parent in parents:
        chief = Stakeholder.objects.filter(account=parent, title="Chief Executive Officer").first()
        subsidiary = parent.subsidiaries.order_by("id").first()
        if chief is not None and subsidiary is not None:
            account_link_add(
                stakeholder=chief,
                account=subsidiary,
                acting_user=admin,
                role="Board member",
                start_date=today - datetime.timedelta(days=700),
            )
    champions = list(
        Stakeholder.objects.filter(decision_roles__has="champion", status="active").order_by("id")
    )
    for champion in champions[:12]:
        job_position_add(
            stakeholder=champion,
            acting_user=admin,
            company="Quillon Analytics",
            title="Operations lead",
            start_date=today - datetime.timedelta(days=2400),
            end_date=today - datetime.timedelta(days=900),
        )
    destinations = [accounts[-1], None, None]
    for champion, destination in zip(champions[12:15], destinations, strict=False):
        stakeholder_record_move(
            stakeholder=champion,
            acting_user=admin,
            date=today - datetime.timedelta(days=20),
            company="" if destination is not None else "Fairhaven Robotics",
            account=destination,
            title="Chief Operating Officer",
        )
    for account in [a for index, a in enumerate(accounts) if index % 7 == 3][:3]:
        account_seed_buying_committee(account=account, acting_user=admin)


def users_by_id(users: dict[str, User]) -> dict[int | None, User]:
    return {user.pk: user for user in users.values()}


def _record_some_everyday_changes(accounts: list[Account], users: dict[str, User]) -> None:
    """Edits made through the services, so the History pages show real changes by real people."""
    rng = random.Random(SEED + 3)
    marc = users["marc@rapport.demo"]
    sofia = users["sofia@rapport.demo"]
    owned = [account for account in accounts if account.owner_id in {marc.pk, sofia.pk}][:12]
    for account in owned:
        actor = marc if account.owner_id == marc.pk else sofia
        fresh = Account.objects.get(pk=account.pk)
        account_update(
            account=fresh,
            acting_user=actor,
            data={"lifecycle_stage": rng.choice([LifecycleStage.GROWTH, LifecycleStage.RENEWAL])},
            expected_version=None,
        )
        people = list(Stakeholder.objects.filter(account=account).order_by("id")[:6])
        if len(people) > 5:
            stakeholder_update(
                stakeholder=people[4],
                acting_user=actor,
                data={"title": "Chief Procurement Officer"},
                expected_version=None,
            )
            stakeholder_mark_left(stakeholder=people[5], acting_user=actor)
