import os
import tempfile
from pathlib import Path

import pytest

from tests import apps

# `make run` leaves ocpp_cable.key in the checkout; neither in-process settings nor
# the CLI processes a test starts may pick it up unasked.
os.environ.setdefault(
    "OCPP_CABLE_BROADCAST_KEY_FILE", str(Path(tempfile.mkdtemp(prefix="ocpp-cable-")) / "none.key")
)


@pytest.fixture(autouse=True)
def _clear_record():
    apps.RECORD.clear()
    yield
    apps.RECORD.clear()


# Fixtures for the real servers (Redis, NATS, PostgreSQL), usable from every test module.
from tests.services import database_url, nats_url, redis_url  # noqa: E402, F401
