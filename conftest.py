"""Fixtures shared by every app's tests: personas and factories."""

from __future__ import annotations

import pytest

from rapport.core.tests.personas import Personas, make_personas


@pytest.fixture
def personas(db: None) -> Personas:
    """owner, teammate, outsider, read_only, head and admin around one account."""
    return make_personas()
