"""Fixtures shared by every app's tests: personas and factories."""

from __future__ import annotations

import factory.random
import pytest
from pytest_django.fixtures import Settings

from rapport.core.tests.personas import Personas, make_personas


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Settings) -> None:
    """The production hasher is slow on purpose; six personas per test would take seconds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def personas(db: None) -> Personas:
    """owner, teammate, outsider, read_only, head and admin around one account."""
    return make_personas()


@pytest.fixture(autouse=True)
def _same_fake_data_every_run() -> None:
    """Factories draw names from Faker; a fixed seed makes every run build the same rows."""
    factory.random.reseed_random("rapport")
