"""Factories for every model the foundation defines."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from rapport.accounts.choices import TeamRole, Tier
from rapport.accounts.models import Account, TeamMember
from rapport.stakeholders.models import Stakeholder
from rapport.users.choices import Role
from rapport.users.models import User

PASSWORD = "correct-horse-battery-42"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.ACCOUNT_MANAGER
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create:
            obj.save()


class AccountFactory(DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Client {n:05d}")
    tier = Tier.GROWTH
    owner = None


class TeamMemberFactory(DjangoModelFactory):
    class Meta:
        model = TeamMember

    account = factory.SubFactory(AccountFactory)
    user = factory.SubFactory(UserFactory)
    role = TeamRole.SUPPORT_LEAD


class StakeholderFactory(DjangoModelFactory):
    class Meta:
        model = Stakeholder

    account = factory.SubFactory(AccountFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    title = "Director"
    email = factory.Sequence(lambda n: f"person{n}@client.example")
