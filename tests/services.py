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


PG_ADMIN = os.environ.get("OCPP_CABLE_TEST_PG", "postgresql://root@127.0.0.1:5432/test")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, migrated database: an SQLite file, and a new PostgreSQL database."""
    from channels import db

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/central.db"
        db.upgrade(url)
        yield url
        db.dispose(url)
        return
    require("PostgreSQL", "127.0.0.1", 5432)
    import uuid

    import psycopg

    name = f"ocpp_cable_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://root@127.0.0.1:5432/{name}"
    try:
        db.upgrade(url)
        yield url
    finally:
        db.dispose(url)
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
