"""Every API operation, fed generated input from its own OpenAPI schema, answers without a
server error, and what it answers matches the schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from rapport.core.tests.personas import make_personas
from rapport.users.services import api_token_create
from rapport.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def bearer(db: None) -> Iterator[dict[str, str]]:
    cast = make_personas()
    _token, raw = api_token_create(user=cast.admin, name="fuzz")
    # Requests go through the real WSGI handler, which closes the database connection when a
    # request ends; that would drop the test's transaction, so (as Django's test client does)
    # keep the connection for the length of the test.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {"Authorization": f"Bearer {raw}"}
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
def test_api_operation_never_fails_on_generated_input(
    case: schemathesis.Case, bearer: dict[str, str]
) -> None:
    case.call_and_validate(headers=bearer, checks=[not_a_server_error, response_schema_conformance])
