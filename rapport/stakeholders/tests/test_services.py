"""Stakeholder services: reporting lines, leaving, the trash, history."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from rapport.core.exceptions import NotAllowedError, StaleVersionError
from rapport.core.tests.factories import AccountFactory, StakeholderFactory
from rapport.core.tests.personas import Personas
from rapport.stakeholders.choices import StakeholderStatus
from rapport.stakeholders.models import Stakeholder
from rapport.stakeholders.services import (
    stakeholder_create,
    stakeholder_delete,
    stakeholder_mark_left,
    stakeholder_restore,
    stakeholder_set_manager,
    stakeholder_update,
)


def test_create_with_a_manager_of_the_same_account(personas: Personas) -> None:
    person = stakeholder_create(
        account=personas.account,
        acting_user=personas.owner,
        data={
            "first_name": "Grace",
            "last_name": "Hopper",
            "reports_to": personas.stakeholder,
            "email": "G@X.COM",
        },
    )
    assert person.reports_to == personas.stakeholder
    assert person.email == "g@x.com"
    assert person.history.first().history_user == personas.owner


def test_a_manager_from_another_account_is_refused(personas: Personas) -> None:
    stranger = StakeholderFactory(account=personas.other_account)
    with pytest.raises(ValidationError) as error:
        stakeholder_create(
            account=personas.account,
            acting_user=personas.owner,
            data={"first_name": "Grace", "last_name": "Hopper", "reports_to": stranger},
        )
    assert "reports_to" in error.value.message_dict
    assert not Stakeholder.objects.filter(last_name="Hopper").exists()


def test_a_reporting_loop_is_refused(personas: Personas) -> None:
    top = personas.stakeholder
    middle = StakeholderFactory(account=personas.account, reports_to=top)
    bottom = StakeholderFactory(account=personas.account, reports_to=middle)
    with pytest.raises(ValidationError) as error:
        stakeholder_set_manager(stakeholder=top, manager=bottom, acting_user=personas.owner)
    assert "loop" in " ".join(error.value.message_dict["reports_to"])
    top.refresh_from_db()
    assert top.reports_to is None


def test_nobody_reports_to_themselves(personas: Personas) -> None:
    with pytest.raises(ValidationError):
        stakeholder_set_manager(
            stakeholder=personas.stakeholder,
            manager=personas.stakeholder,
            acting_user=personas.owner,
        )


def test_marking_as_left_records_the_date_and_the_change(personas: Personas) -> None:
    person = stakeholder_mark_left(stakeholder=personas.stakeholder, acting_user=personas.teammate)
    assert person.status == StakeholderStatus.LEFT
    assert person.left_on is not None
    latest, previous = list(person.history.all()[:2])
    delta = latest.diff_against(previous)
    assert {change.field for change in delta.changes} >= {"status", "left_on"}
    assert latest.history_user == personas.teammate


def test_outsiders_and_read_only_users_change_nothing(personas: Personas) -> None:
    for user in (personas.outsider, personas.read_only):
        with pytest.raises(NotAllowedError):
            stakeholder_update(
                stakeholder=personas.stakeholder,
                acting_user=user,
                data={"title": "CEO"},
                expected_version=None,
            )
    personas.stakeholder.refresh_from_db()
    assert personas.stakeholder.title == "Director"


def test_a_stale_version_is_refused(personas: Personas) -> None:
    person = personas.stakeholder
    loaded = person.version
    stakeholder_update(
        stakeholder=person,
        acting_user=personas.owner,
        data={"title": "CFO"},
        expected_version=loaded,
    )
    with pytest.raises(StaleVersionError):
        stakeholder_update(
            stakeholder=person,
            acting_user=personas.teammate,
            data={"title": "CTO"},
            expected_version=loaded,
        )
    person.refresh_from_db()
    assert person.title == "CFO"


def test_delete_moves_to_the_trash_and_an_administrator_restores(personas: Personas) -> None:
    person = personas.stakeholder
    stakeholder_delete(stakeholder=person, acting_user=personas.owner)
    assert not Stakeholder.objects.filter(pk=person.pk).exists()
    assert Stakeholder.all_objects.filter(pk=person.pk, deleted_by=personas.owner).exists()
    with pytest.raises(NotAllowedError):
        stakeholder_restore(stakeholder=person, acting_user=personas.owner)
    stakeholder_restore(stakeholder=person, acting_user=personas.admin)
    assert Stakeholder.objects.filter(pk=person.pk).exists()


def test_a_person_in_the_trash_cannot_be_edited(personas: Personas) -> None:
    stakeholder_delete(stakeholder=personas.stakeholder, acting_user=personas.owner)
    with pytest.raises(ValidationError):
        stakeholder_update(
            stakeholder=personas.stakeholder,
            acting_user=personas.owner,
            data={"title": "X"},
            expected_version=None,
        )


@pytest.mark.django_db
def test_people_in_the_trash_leave_the_org_chart_but_their_reports_stay() -> None:
    from rapport.stakeholders.selectors import stakeholder_tree
    from rapport.users.models import User

    account = AccountFactory()
    boss = StakeholderFactory(account=account, first_name="Boss")
    worker = StakeholderFactory(account=account, first_name="Worker", reports_to=boss)
    admin = User.objects.create_superuser("root@example.com", "x-very-long-password-1")
    stakeholder_delete(stakeholder=boss, acting_user=admin)
    roots = stakeholder_tree(account=account)
    assert [node.stakeholder.pk for node in roots] == [worker.pk]
