"""The real servers some tests need: Redis, NATS, PostgreSQL on 127.0.0.1.

Missing locally: the test is skipped. Missing in CI (CI=true): the test fails,
since .ci/run starts every server and a skip there would hide a broken set-up.
"""

from __future__ import annotations

import os
import socket

import pytest

REDIS_URL = os.environ.get("OCPP_CABLE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
NATS_URL = os.environ.get("OCPP_CABLE_TEST_NATS_URL", "nats://127.0.0.1:4222")


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require(name: str, host: str, port: int) -> None:
    if reachable(host, port):
        return
    message = f"{name} is not reachable at {host}:{port}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI must have it running)")
    pytest.skip(message)


@pytest.fixture
def redis_url() -> str:
    require("Redis", "127.0.0.1", 6379)
    return REDIS_URL


@pytest.fixture
def nats_url() -> str:
    require("NATS", "127.0.0.1", 4222)
    return NATS_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, migrated database: an SQLite file, and a new PostgreSQL database."""
    from faults.system import database

    if request.param == "postgresql":
        require("PostgreSQL", "127.0.0.1", 5432)
    with database(request.param, tmp_path, prefix="ocpp_cable_test") as url:
        yield url
