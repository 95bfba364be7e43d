"""The HTTP API against requests generated from its own OpenAPI document (schemathesis):
whatever is sent, no 500, and every answer is one the document promises (status,
content type, body shape)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from ocpp_cable.channels.domain import stations, viewers
from ocpp_cable.channels.operators.api import create_app
from ocpp_cable.channels.settings import Settings
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import IdTag
from ocpp_cable.rpc_app import broadcasting
from tests.support.api import bearer, make_token


@pytest.fixture
def fuzzed(database_url):
    url = database_url
    with db.session_scope(url) as session:
        stations.add_station(session, "CP-1", password="pw-123456")
        session.add(IdTag(tag="TAG-1"))
    # Set up as a network serving firmware runs (without --files-url the firmware route
    # answers 503, a server's misconfiguration: never what a request causes).
    settings = Settings(database_url=url, api_command_wait=0.1, files_url="http://127.0.0.1:9080")
    app = create_app(settings)
    yield app, bearer(make_token(url))


# Its time grows with the routes (each gets its examples): more than the default minute
# on a loaded machine.
@pytest.mark.timeout(180)
def test_no_request_breaks_the_api(fuzzed):
    app, auth = fuzzed
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=int(os.environ.get("API_FUZZ_EXAMPLES", "12")),
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            # Schema-valid data may still be refused, as the document says: a string may
            # hold NUL (every route's 400), a command's payload is checked against its
            # action's OCPP schema, a firmware file must be in --firmware-dir, a
            # reservation keep OCPP's rules (422). Every other check stays: no 5xx, and
            # every answer one the document promises.
            case.call_and_validate(headers=auth, excluded_checks=[positive_data_acceptance])

        fuzz()


class Unheard:
    """A broadcaster that takes every message and tells no gateway."""

    def publish(self, messages: list[dict]) -> None:
        pass


def test_no_request_breaks_the_token_routes(fuzzed, database_url):
    """The same, for an admin token's routes (above, a write token only hears 403)."""
    app, _ = fuzzed
    admin = bearer(make_token(database_url, "root", viewers.ADMIN))
    broadcasting.configure(Unheard())  # the revocations' remote disconnects
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    token_routes = [o for o in operations if o.path.split("/")[3] in ("tokens", "me")]
    assert len(token_routes) == 4
    for operation in token_routes:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=int(os.environ.get("API_FUZZ_EXAMPLES", "12")) * 2,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            case.call_and_validate(headers=admin, excluded_checks=[positive_data_acceptance])

        fuzz()
