"""The SQLite file holds the message log and the stations' password hashes: it and the
files SQLite keeps beside it (-wal, -shm) are readable by their owner only, whichever
command opens it first. A file someone made readable by others is left so, and said so."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from ocpp_cable.channels.domain import stations
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.store import dispose, store
from ocpp_cable.cli import main
from tests.support.admin import run_admin_line


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask():
    """The usual umask, under which a file made with SQLite's default mode is 0644."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def migrate(url: str) -> None:
    assert main(["migrate", "--database-url", url]) == 0


def add_station(url: str) -> None:
    code, _, err = run_admin_line(url, "stations", "add", "CP-1", "--no-auth")
    assert code == 0, err


async def store_work(url: str) -> None:  # rpc_app's first query, the schema not made yet
    await store(url).run(lambda u: u.session.execute(text("select 1")))


@pytest.mark.parametrize("first", [migrate, add_station, store_work])
async def test_the_database_and_its_wal_are_the_owners_only(tmp_path, first):
    path = tmp_path / "central.db"
    url = f"sqlite:///{path}"
    try:
        result = first(url)
        if result is not None:
            await result
        assert path.exists() and mode(path) == 0o600
        db.upgrade(url)
        with db.session_scope(url) as session:
            stations.add_station(session, "CP-2", password="pw-123456")
            session.flush()  # written to the WAL, which is made now if it was not
            beside = [Path(f"{path}-wal"), Path(f"{path}-shm")]
            assert all(p.exists() for p in beside)
            assert {p.name: mode(p) for p in beside} == {p.name: 0o600 for p in beside}
    finally:
        dispose(url)


async def test_a_file_readable_by_others_is_left_so_and_said_so(tmp_path, caplog):
    path = tmp_path / "shared.db"
    path.touch(mode=0o644)
    url = f"sqlite:///{path}"
    try:
        with caplog.at_level(logging.WARNING, logger="channels.db"):
            migrate(url)
            add_station(url)
        assert mode(path) == 0o644
        warned = [r.getMessage() for r in caplog.records if r.name == "channels.db"]
        assert len(warned) == 1  # once per process, not per engine
        assert str(path) in warned[0] and "chmod 600" in warned[0]
    finally:
        dispose(url)
