import pytest

from tests import apps


@pytest.fixture(autouse=True)
def _clear_record():
    apps.RECORD.clear()
    yield
    apps.RECORD.clear()


# Fixtures for the real servers (Redis, NATS, PostgreSQL), usable from every test module.
from tests.services import database_url, nats_url, redis_url  # noqa: E402, F401
