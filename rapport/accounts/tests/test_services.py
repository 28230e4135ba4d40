"""Account and team services: validation, hierarchy, history."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rapport.accounts.choices import TeamRole
from rapport.accounts.models import Account, TeamMember
from rapport.accounts.services import (
    account_create,
    account_set_archived,
    account_update,
    team_member_add,
    team_member_end,
)
from rapport.core.exceptions import NotAllowedError, StaleVersionError
from rapport.core.tests.factories import AccountFactory, UserFactory
from rapport.core.tests.personas import Personas


def test_create_puts_the_manager_and_executive_on_the_team(personas: Personas) -> None:
    executive = UserFactory(role="account_executive")
    account = account_create(
        acting_user=personas.owner,
        data={"name": "Globex", "owner": personas.owner, "originating_executive": executive},
    )
    roles = set(account.team_members.values_list("user_id", "role"))
    assert roles == {
        (personas.owner.pk, TeamRole.ACCOUNT_MANAGER),
        (executive.pk, TeamRole.ACCOUNT_EXECUTIVE),
    }
    assert account.history.first().history_user == personas.owner
    assert account.search_name == "globex"


def test_create_refuses_a_blank_name_and_writes_nothing(personas: Personas) -> None:
    before = Account.objects.count()
    with pytest.raises(ValidationError) as error:
        account_create(acting_user=personas.owner, data={"name": ""})
    assert "name" in error.value.message_dict
    assert Account.objects.count() == before


def test_read_only_users_cannot_create(personas: Personas) -> None:
    with pytest.raises(NotAllowedError):
        account_create(acting_user=personas.read_only, data={"name": "Nope"})
    assert not Account.objects.filter(name="Nope").exists()


def test_a_parent_cannot_be_one_of_its_own_subsidiaries(personas: Personas) -> None:
    group = AccountFactory(name="Group")
    child = AccountFactory(name="Child", parent=group)
    grandchild = AccountFactory(name="Grandchild", parent=child)
    with pytest.raises(ValidationError) as error:
        account_update(
            account=group,
            acting_user=personas.admin,
            data={"parent": grandchild},
            expected_version=None,
        )
    assert "parent" in error.value.message_dict
    group.refresh_from_db()
    assert group.parent is None


def test_an_account_cannot_be_its_own_parent(personas: Personas) -> None:
    account = personas.account
    with pytest.raises(ValidationError):
        account_update(
            account=account,
            acting_user=personas.owner,
            data={"parent": account},
            expected_version=None,
        )


def test_update_refuses_a_stale_version_and_keeps_the_newer_change(personas: Personas) -> None:
    account = personas.account
    loaded_version = account.version
    account_update(
        account=account,
        acting_user=personas.head,
        data={"tier": "key"},
        expected_version=loaded_version,
    )
    with pytest.raises(StaleVersionError):
        account_update(
            account=account,
            acting_user=personas.owner,
            data={"tier": "maintain"},
            expected_version=loaded_version,
        )
    account.refresh_from_db()
    assert account.tier == "key"
    assert account.version == loaded_version + 1


def test_changing_the_owner_moves_the_manager_membership(personas: Personas) -> None:
    newcomer = UserFactory()
    account_update(
        account=personas.account,
        acting_user=personas.head,
        data={"owner": newcomer},
        expected_version=None,
    )
    managers = TeamMember.objects.filter(account=personas.account, role=TeamRole.ACCOUNT_MANAGER)
    assert managers.get(end_date__isnull=True).user == newcomer
    assert managers.get(user=personas.owner).end_date == timezone.localdate()


def test_archiving_is_recorded_and_reversible(personas: Personas) -> None:
    account_set_archived(account=personas.account, acting_user=personas.owner, archived=True)
    personas.account.refresh_from_db()
    assert personas.account.is_archived
    record = personas.account.history.first()
    assert record.is_archived and record.history_user == personas.owner
    account_set_archived(account=personas.account, acting_user=personas.owner, archived=False)
    personas.account.refresh_from_db()
    assert not personas.account.is_archived


def test_ending_a_membership_keeps_it_in_the_team_history(personas: Personas) -> None:
    member = team_member_end(member=personas.membership, acting_user=personas.owner)
    assert member.end_date == timezone.localdate()
    assert not member.is_current
    assert TeamMember.objects.filter(pk=member.pk).exists()
    assert member.history.count() == 2
    with pytest.raises(ValidationError):
        team_member_end(member=member, acting_user=personas.owner)


def test_a_membership_cannot_end_before_it_starts(personas: Personas) -> None:
    with pytest.raises(ValidationError):
        team_member_add(
            account=personas.account,
            acting_user=personas.owner,
            user=UserFactory(),
            role=TeamRole.MARKETING,
            start_date=datetime.date(2026, 5, 1),
            end_date=datetime.date(2026, 4, 1),
        )


def test_the_same_role_cannot_be_held_twice_at_once(personas: Personas) -> None:
    with pytest.raises(ValidationError):
        team_member_add(
            account=personas.account,
            acting_user=personas.owner,
            user=personas.teammate,
            role=TeamRole.SUPPORT_LEAD,
        )
    assert TeamMember.objects.filter(account=personas.account, user=personas.teammate).count() == 1


@pytest.mark.django_db
def test_search_name_ignores_case_and_accents() -> None:
    account = AccountFactory(name="Société Générale Énergie")
    assert account.search_name == "societe generale energie"
