"""Test personas: the same cast drives every permission test.

- ``owner``: the account manager of ``account``
- ``teammate``: on ``account``'s team (support lead), not its owner
- ``outsider``: an account manager with no link to ``account``
- ``read_only``: may read everything, change nothing
- ``head``: head of account management (may edit every account)
- ``admin``: administrator
"""

from __future__ import annotations

from dataclasses import dataclass

from rapport.accounts.choices import TeamRole
from rapport.accounts.models import Account, TeamMember
from rapport.core.tests.factories import (
    AccountFactory,
    StakeholderFactory,
    TeamMemberFactory,
    UserFactory,
)
from rapport.stakeholders.models import Stakeholder
from rapport.users.choices import Role
from rapport.users.models import User


@dataclass
class Personas:
    owner: User
    teammate: User
    outsider: User
    read_only: User
    head: User
    admin: User
    account: Account
    other_account: Account
    stakeholder: Stakeholder
    membership: TeamMember


def make_personas() -> Personas:
    owner = UserFactory(email="owner@example.com", role=Role.ACCOUNT_MANAGER)
    teammate = UserFactory(email="teammate@example.com", role=Role.TEAM_MEMBER)
    outsider = UserFactory(email="outsider@example.com", role=Role.ACCOUNT_MANAGER)
    read_only = UserFactory(email="readonly@example.com", role=Role.READ_ONLY)
    head = UserFactory(email="head@example.com", role=Role.HEAD_OF_ACCOUNT_MANAGEMENT)
    admin = UserFactory(
        email="admin@example.com", role=Role.ADMINISTRATOR, is_superuser=True, is_staff=True
    )
    account = AccountFactory(name="Northwind Traders", owner=owner)
    other_account = AccountFactory(name="Contoso", owner=outsider)
    TeamMemberFactory(account=account, user=owner, role=TeamRole.ACCOUNT_MANAGER)
    membership = TeamMemberFactory(account=account, user=teammate, role=TeamRole.SUPPORT_LEAD)
    # The read-only user is on the team too: membership alone must not let them edit.
    TeamMemberFactory(account=account, user=read_only, role=TeamRole.OTHER)
    stakeholder = StakeholderFactory(account=account, first_name="Ada", last_name="Lovelace")
    return Personas(
        owner=owner,
        teammate=teammate,
        outsider=outsider,
        read_only=read_only,
        head=head,
        admin=admin,
        account=account,
        other_account=other_account,
        stakeholder=stakeholder,
        membership=membership,
    )
