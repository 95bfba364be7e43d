"""Where a test goes (see tests/README.md) and what every test shares.

Tests under tests/integration, tests/faults and tests/conformance are marked `integration`
here, by their folder: `make test-unit` runs the rest in seconds.
"""

import os
import tempfile
from pathlib import Path

import pytest

from tests.support import apps

HERE = Path(__file__).resolve().parent
INTEGRATION = (HERE / "integration", HERE / "faults", HERE / "conformance")

# `make run` leaves ocpp_cable.key in the checkout; neither in-process settings nor
# the CLI processes a test starts may pick it up unasked.
os.environ.setdefault(
    "OCPP_CABLE_BROADCAST_KEY_FILE", str(Path(tempfile.mkdtemp(prefix="ocpp-cable-")) / "none.key")
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if any(folder in item.path.parents for folder in INTEGRATION):
            item.add_marker(pytest.mark.integration)


@pytest.fixture
def record() -> apps.Record:
    """What the test channels (tests/support/apps.py) saw during this test."""
    return apps.start_recording()


# Fixtures for the real servers (Redis, NATS, PostgreSQL), usable from every test module.
from tests.support.services import database_url, nats_url, redis_url  # noqa: E402, F401
