"""The store's group commit (channels/storage/store.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import event, select

from ocpp_cable.channels.domain import stations
from ocpp_cable.channels.domain.transactions import meter_rows
from ocpp_cable.channels.storage import db
from ocpp_cable.channels.storage.models import ChargePoint, Connector, MessageLog, MeterValue
from ocpp_cable.channels.storage.store import dispose, store


def commits(url: str) -> list[int]:
    """A list that grows by one at every commit of the database's store."""
    seen: list[int] = []
    event.listen(store(url).engine, "commit", lambda _connection: seen.append(1))
    return seen


def reading(value: int) -> list[dict]:
    return [{"timestamp": "2026-01-01T00:00:00Z", "sampledValue": [{"value": str(value)}]}]


async def test_concurrent_units_share_one_commit(database_url):
    with db.session_scope(database_url) as session:
        stations.add_station(session, "CP-1")
    counted = commits(database_url)
    writer = store(database_url)
    assert await writer.run(lambda u: 1) == 1 and len(counted) == 1  # the counter counts

    def work(i: int):
        def unit(u):
            u.audit("CP-1", "in", "CALL", "MeterValues", str(i), {"i": i})
            u.add_meter_values(meter_rows("CP-1", 1, None, reading(i)))
            u.touch("CP-1")
            return i

        return unit

    results = await asyncio.gather(*(writer.run(work(i)) for i in range(200)))
    assert results == list(range(200))
    assert len(counted) < 50, f"{len(counted)} commits for 200 units"
    with db.session_scope(database_url) as session:
        assert len(session.scalars(select(MessageLog)).all()) == 200
        assert len(session.scalars(select(MeterValue)).all()) == 200
        assert session.get(ChargePoint, "CP-1").last_seen is not None


async def test_a_failing_unit_fails_alone(database_url):
    with db.session_scope(database_url) as session:
        stations.add_station(session, "CP-1")
    writer = store(database_url)

    def good(i: int):
        return lambda u: u.audit("CP-1", "in", "CALL", "Heartbeat", str(i), {}) or i

    def bad(u):
        u.audit("CP-1", "in", "CALL", "Heartbeat", "bad", {})
        raise ValueError("this unit is broken")

    def breaks_at_commit(u):
        # Fails only when the batch's gathered rows are written: a NOT NULL column.
        u.audit_rows.append({"station_id": None, "direction": "in", "message_type": "CALL"})

    units = (
        [good(i) for i in range(50)] + [bad, breaks_at_commit] + [good(i) for i in range(50, 100)]
    )
    results = await asyncio.gather(*(writer.run(u) for u in units), return_exceptions=True)
    assert isinstance(results[50], ValueError)
    assert isinstance(results[51], Exception)
    assert [r for r in results if not isinstance(r, Exception)] == list(range(100))
    with db.session_scope(database_url) as session:
        ids = set(session.scalars(select(MessageLog.message_id)))
    assert ids == {str(i) for i in range(100)}, "the failed units' rows are not kept"


async def test_the_result_comes_after_the_commit(database_url):
    """What a unit wrote is visible to everyone else by the time its caller hears back."""
    writer = store(database_url)
    for i in range(20):
        await writer.run(lambda u, i=i: stations.add_station(u.session, f"CP-{i}"))
        with db.session_scope(database_url) as session:
            assert session.get(ChargePoint, f"CP-{i}") is not None


async def test_a_caller_that_gives_up_does_not_stop_the_writer(database_url):
    writer = store(database_url)
    started = threading.Event()
    release = threading.Event()

    def slow(u):
        started.set()
        release.wait(5)
        stations.add_station(u.session, "CP-SLOW")

    task = asyncio.create_task(writer.run(slow))
    await asyncio.to_thread(started.wait, 5)
    task.cancel()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The unit itself was committed (the caller only stopped waiting), and the writer goes on.
    assert await writer.run(lambda u: u.session.get(ChargePoint, "CP-SLOW") is not None)


async def test_synchronous_code_waits_in_its_thread(database_url):
    writer = store(database_url)

    def in_thread() -> bool:
        writer.run_sync(lambda u: stations.add_station(u.session, "CP-T"))
        return writer.run_sync(lambda u: u.session.get(ChargePoint, "CP-T") is not None)

    assert await asyncio.to_thread(in_thread)


async def test_closing_finishes_what_was_handed_in(database_url):
    writer = store(database_url)
    pending = [
        asyncio.ensure_future(writer.run(lambda u, i=i: stations.add_station(u.session, f"C-{i}")))
        for i in range(30)
    ]
    await asyncio.sleep(0)  # handed in
    await asyncio.to_thread(dispose, database_url)  # closes the store first
    await asyncio.gather(*pending)
    with pytest.raises(RuntimeError, match="closed"):
        await writer.run(lambda u: None)
    with db.session_scope(database_url) as session:
        assert len(session.scalars(select(ChargePoint)).all()) == 30


async def test_a_batch_with_readings_already_stored_adds_only_the_new_ones(database_url):
    """PostgreSQL copies rows straight in; a batch that meets a stored reading (a
    charger's retry) goes through the conflict-skipping path instead."""
    with db.session_scope(database_url) as session:
        stations.add_station(session, "CP-1")
    writer = store(database_url)

    def readings(values):
        return lambda u: u.add_meter_values(meter_rows("CP-1", 1, None, reading_list(values)))

    await writer.run(readings(range(0, 10)))
    await writer.run(readings(range(5, 15)))  # 5..9 again, 10..14 new
    with db.session_scope(database_url) as session:
        stored = sorted(int(v) for v in session.scalars(select(MeterValue.value)))
    assert stored == list(range(15))


def reading_list(values) -> list[dict]:
    return [
        {"timestamp": "2026-01-01T00:00:00Z", "sampledValue": [{"value": str(v)} for v in values]}
    ]


async def held_batch(writer, units):
    """Run `units` in one batch: the writer is held busy until all are handed in."""
    started, release = threading.Event(), threading.Event()

    def hold(u):
        started.set()
        release.wait(5)

    holding = asyncio.ensure_future(writer.run(hold))
    await asyncio.to_thread(started.wait, 5)
    pending = [asyncio.ensure_future(writer.run(unit)) for unit in units]
    await asyncio.sleep(0)  # handed in, in this order
    release.set()
    await holding
    return await asyncio.gather(*pending, return_exceptions=True)


async def test_statuses_of_one_batch_leave_the_last_per_connector(database_url):
    with db.session_scope(database_url) as session:
        stations.add_station(session, "CP-1")
    writer = store(database_url)
    states = ["Preparing", "Charging", "SuspendedEV", "Finishing", "Available"]

    def status(connector: int, state: str):
        payload = {"connectorId": connector, "errorCode": "NoError", "status": state}
        return lambda u: u.set_status("CP-1", payload)

    units = [status(1, state) for state in states] + [status(2, s) for s in reversed(states)]
    await held_batch(writer, units)
    with db.session_scope(database_url) as session:
        found = dict(session.execute(select(Connector.connector_id, Connector.status)).all())
    assert found == {1: "Available", 2: "Preparing"}


async def test_a_station_added_while_its_first_connection_registers_it_keeps_its_password(
    database_url,
):
    """The registration goes in at the end of the batch; if the station was added meanwhile
    (by the CLI, in a transaction of its own), the connection's unit runs again and finds it."""
    writer = store(database_url)

    def first_connection(u):
        found = stations.credentials(u.session, "CP-NEW")
        if found is None:
            u.register("CP-NEW")
            return "registered"
        return "password required" if found.auth_required else "open"

    def operator_adds(_u):
        with db.session_scope(database_url) as session:
            stations.add_station(session, "CP-NEW", password="s3cret-pass")
        return "added"

    results = await held_batch(writer, [first_connection, operator_adds])
    assert results[0] == "password required"
    with db.session_scope(database_url) as session:
        assert session.get(ChargePoint, "CP-NEW").password_hash is not None


async def test_a_storm_s_connections_and_boots_are_a_few_statements(database_url):
    """Each station's connection and boot set columns of its row; the batch writes them
    together, and a station the batch registers gets them too."""
    stations_seen: list[str] = []
    event.listen(
        store(database_url).engine,
        "before_cursor_execute",
        lambda *args: stations_seen.append(args[2]),
    )
    writer = store(database_url)
    boot = {"chargePointVendor": "Acme", "chargePointModel": "X", "iccid": "8931"}
    units = []
    for i in range(100):
        station_id = f"CP-{i}"
        units.append(lambda u, s=station_id: u.register(s))
        units.append(
            lambda u, s=station_id: u.update_station(s, stations.connected_values(f"c-{s}", "n1"))
        )
        units.append(
            lambda u, s=station_id: u.update_station(s, stations.boot_values(boot, "Accepted"))
        )
    await held_batch(writer, units)
    written = [s for s in stations_seen if "charge_points" in s]
    assert len(written) <= 4, f"{len(written)} statements for 100 connections and boots"
    with db.session_scope(database_url) as session:
        rows = session.scalars(select(ChargePoint)).all()
    assert len(rows) == 100
    assert all(r.connected and r.connection_id == f"c-{r.id}" and r.node_id == "n1" for r in rows)
    assert all(r.vendor == "Acme" and r.iccid == "8931" and r.booted_at for r in rows)


async def test_a_storm_s_boots_read_their_registration_without_writing_the_batch_first(
    database_url,
):
    """A boot reads its station's registration. Other stations' gathered rows wait for the
    batch's end (a storm's boots would otherwise each write the batch so far); the
    station's own are written first, so a station the batch registers is found."""
    with db.session_scope(database_url) as session:
        for i in range(100):
            stations.add_station(session, f"CP-{i}", registration=("accepted", "pending")[i % 2])
    statements: list[str] = []
    writer = store(database_url)
    event.listen(writer.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    units = []
    for i in range(50):
        connected = stations.connected_values(f"c-{i}", "n1")
        units.append(lambda u, s=f"CP-{i}", values=connected: u.update_station(s, values))
        units.append(lambda u, s=f"CP-{50 + i}": u.registration(s))
    units.append(lambda u: u.register("CP-NEW", "pending"))
    units.append(lambda u: u.registration("CP-NEW"))
    results = await held_batch(writer, units)
    writes = [s for s in statements if "charge_points" in s and not s.lstrip().startswith("SELECT")]
    assert len(writes) <= 3, f"{len(writes)} writes for 50 connections, 50 boots and one more"
    assert results[1:100:2] == [("accepted", "pending")[i % 2] for i in range(50, 100)]
    assert results[-1] == "pending"
    with db.session_scope(database_url) as session:
        assert session.get(ChargePoint, "CP-0").connection_id == "c-0"


async def test_a_disconnect_in_the_batch_of_its_connection_comes_after_it(database_url):
    """A unit that uses the session itself sees the station rows earlier units set."""
    with db.session_scope(database_url) as session:
        stations.add_station(session, "CP-1")
        stations.add_station(session, "CP-2")
    writer = store(database_url)

    def connected(station_id, connection_id):
        values = stations.connected_values(connection_id)
        return lambda u: u.update_station(station_id, values)

    def disconnected(station_id, connection_id):
        return lambda u: stations.mark_disconnected(u.session, station_id, connection_id)

    await held_batch(
        writer,
        [
            connected("CP-1", "a"),
            disconnected("CP-1", "a"),  # CP-1's only connection ends
            connected("CP-2", "old"),
            connected("CP-2", "new"),
            disconnected("CP-2", "old"),  # late: CP-2 stays on "new"
        ],
    )
    with db.session_scope(database_url) as session:
        one, two = session.get(ChargePoint, "CP-1"), session.get(ChargePoint, "CP-2")
        assert (one.connected, one.connection_id) == (False, "a")
        assert (two.connected, two.connection_id) == (True, "new")


async def test_a_station_removed_while_connected_comes_back_with_its_boot(database_url):
    writer = store(database_url)
    boot = {"chargePointVendor": "Acme", "chargePointModel": "X"}
    await writer.run(lambda u: u.update_station("CP-GONE", stations.boot_values(boot, "Accepted")))
    with db.session_scope(database_url) as session:
        found = session.get(ChargePoint, "CP-GONE")
        assert found.vendor == "Acme" and found.auth_required is False
