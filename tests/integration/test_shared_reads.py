"""Reads shared across callers (channels/storage/shared_reads.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import event

from ocpp_cable.channels.domain import stations
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.shared_reads import SharedRead
from ocpp_cable.channels.storage.store import store

credentials = SharedRead(lambda u, ids: stations.credentials_of(u.session, ids))


def statements(url: str) -> list[str]:
    """A list that grows by each statement the database's store sends."""
    seen: list[str] = []
    event.listen(store(url).engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def add(url: str, *station_ids: str, password: str | None = None) -> None:
    with db.session_scope(url) as session:
        for station_id in station_ids:
            stations.add_station(session, station_id, password=password)


async def hold(writer):
    """Keep the writer busy until `release` is set: what is handed in meanwhile waits."""
    started, release = threading.Event(), threading.Event()

    def busy(u):
        started.set()
        release.wait(5)

    holding = asyncio.ensure_future(writer.run(busy))
    await asyncio.to_thread(started.wait, 5)
    return release, holding


async def test_concurrent_lookups_are_one_query(database_url):
    add(database_url, *(f"CP-{i}" for i in range(0, 300, 2)))
    writer = store(database_url)
    sent = statements(database_url)
    found = await asyncio.gather(*(credentials.get(writer, f"CP-{i}") for i in range(300)))
    assert [f is not None for f in found] == [i % 2 == 0 for i in range(300)]
    assert all(f.station_id == f"CP-{i}" for i, f in enumerate(found) if f is not None)
    assert len(sent) <= 2, f"{len(sent)} statements for 300 lookups"


async def test_a_lookup_made_while_the_writer_reads_waits_for_the_next_query(database_url):
    """The writer takes the keys when it runs the read; a later key is not lost, and it
    sees what was committed before it was asked for."""
    writer = store(database_url)
    reading, release = threading.Event(), threading.Event()

    def slow_fetch(u, ids):
        reading.set()
        release.wait(5)
        return stations.credentials_of(u.session, ids)

    slow = SharedRead(slow_fetch)
    first = asyncio.ensure_future(slow.get(writer, "CP-A"))
    await asyncio.to_thread(reading.wait, 5)
    add(database_url, "CP-B")
    second = asyncio.ensure_future(slow.get(writer, "CP-B"))
    await asyncio.sleep(0.05)
    release.set()
    assert await first is None
    assert (await second).station_id == "CP-B"


async def test_a_read_in_a_rolled_back_batch_reads_the_same_keys_again(database_url):
    add(database_url, "CP-1", "CP-2")
    writer = store(database_url)

    def broken(u):
        raise ValueError("this unit is broken")

    release, holding = await hold(writer)
    lookups = [asyncio.ensure_future(credentials.get(writer, f"CP-{i}")) for i in (1, 2, 3)]
    failing = asyncio.ensure_future(writer.run(broken))
    await asyncio.sleep(0)
    release.set()
    await holding
    assert [f and f.station_id for f in await asyncio.gather(*lookups)] == ["CP-1", "CP-2", None]
    with pytest.raises(ValueError):
        await failing


async def test_a_caller_that_gives_up_leaves_the_others_their_answer(database_url):
    add(database_url, "CP-1", "CP-2")
    writer = store(database_url)
    release, holding = await hold(writer)
    leaving = asyncio.ensure_future(credentials.get(writer, "CP-1"))
    staying = asyncio.ensure_future(credentials.get(writer, "CP-2"))
    await asyncio.sleep(0)
    leaving.cancel()
    release.set()
    await holding
    assert (await staying).station_id == "CP-2"
    assert leaving.cancelled()
