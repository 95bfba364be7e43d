"""Group commit: one writer per database takes the units of work of many calls at once.

A channel method hands its database work to the store as a function of a `Unit`
and awaits it. The writer thread runs every unit that has gathered in one
transaction and commits once; only then does each caller get its result, so an
answer still goes out only after its data is committed. Under load a commit is
shared by hundreds of calls, SQLite's single write lock is never fought over,
and the rows most calls write (audit log, meter values, last_seen) go in as one
statement per batch.

A unit may run more than once: if anything in a batch fails, the batch is rolled
back and each unit runs again in a transaction of its own, so one bad unit fails
alone. A unit therefore only touches the database; what it decides it returns.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog
from sqlalchemy import Connection, bindparam, update
from sqlalchemy.orm import Session, sessionmaker

from ocpp_cable.channels.domain import audit, registration, stations
from ocpp_cable.channels.domain.timeutil import now
from ocpp_cable.channels.domain.transactions import insert_meter_values
from ocpp_cable.channels.storage.bulk import insert_rows
from ocpp_cable.channels.storage.db import core, dispose_engine, make_engine
from ocpp_cable.channels.storage.models import ChargePoint, MessageLog
from ocpp_cable.foundation.throttle import LogThrottle

log = structlog.get_logger("channels.store")

T = TypeVar("T")
MAX_UNITS = 512  # per transaction: a bound on the work one commit may lose to a rollback


@dataclass(slots=True)
class Unit:
    """What a unit of work sees: the batch's session, and writes the batch gathers."""

    _session: Session
    audit_rows: list[dict[str, Any]] = field(default_factory=list)
    meter_rows: list[dict[str, Any]] = field(default_factory=list)
    status_rows: list[dict[str, Any]] = field(default_factory=list)
    # Stations first heard of, in order, each once, with their registration.
    new_stations: dict[str, str] = field(default_factory=dict)
    station_updates: dict[str, dict[str, Any]] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)

    @property
    def session(self) -> Session:
        """The batch's session. Station rows gathered so far are written first: a unit that
        reads or writes the database itself comes after what earlier units did."""
        if self.new_stations or self.station_updates:
            self._write_stations()
        return self._session

    @property
    def connection(self) -> Connection:
        """The transaction's connection, for Core statements without the ORM's cost."""
        return self.session.connection()

    def registration(self, station_id: str) -> str | None:
        """The station's registration (None: unknown). The station rows gathered so far
        are written first only when this station's are among them: no other station's
        row changes it, and a storm's boots then cost a query each, not a write too."""
        if station_id in self.new_stations or station_id in self.station_updates:
            self._write_stations()
        return registration.registration_of(self._session, station_id)

    def audit(self, *args: Any) -> None:
        """One MessageLog row (audit.row's arguments), inserted with the batch's others."""
        self.audit_rows.append(audit.row(*args))

    def add_meter_values(self, rows: list[dict[str, Any]]) -> None:
        """Sampled values, inserted with the batch's others; a known dedup_key is skipped."""
        self.meter_rows.extend(rows)

    def register(self, station_id: str, registration: str = "accepted") -> None:
        """Register a station first heard of (with its registration: accepted, pending),
        with the batch's others. If it exists by then (added meanwhile), the batch fails
        and each unit runs again alone: this one then finds the station as it was added."""
        self.new_stations[station_id] = registration

    def update_station(self, station_id: str, values: dict[str, Any]) -> None:
        """Set columns of the station's row (stations.boot_values, connected_values), with
        the batch's others; of several for one station, each column's last value stays."""
        self.station_updates.setdefault(station_id, {}).update(values)

    def set_status(self, station_id: str, payload: dict[str, Any]) -> None:
        """A StatusNotification: the connector's row, upserted with the batch's others
        (nothing in a unit reads connectors, so none misses one written later)."""
        self.status_rows.append(stations.status_row(station_id, payload))

    def set_status_row(self, row: dict[str, Any]) -> None:
        """A connector's row as another version's StatusNotification fills it (the keys of
        stations.status_row), upserted like set_status's."""
        self.status_rows.append(row)

    def touch(self, station_id: str) -> None:
        """The station was heard from: its last_seen, set once per batch (to the batch's
        time, a few milliseconds later at most)."""
        self.seen.add(station_id)

    def _write_stations(self) -> None:
        connection = core(self._session)
        if self.new_stations:  # first: the updates may name them
            stations.register(connection, self.new_stations)
            self.new_stations.clear()
        if self.station_updates:
            stations.write_updates(connection, self.station_updates)
            self.station_updates = {}


@dataclass(slots=True)
class _Job:
    work: Callable[[Unit], Any]
    deliver: Callable[[Any, BaseException | None], None]


class Store:
    """The writer of one database. One is enough on PostgreSQL too: a second one, to
    prepare a batch while the server works on the last, measured no faster."""

    def __init__(self, url: str) -> None:
        self.url = url
        # Its own engine, without a ping per batch: a connection that broke fails its batch,
        # is dropped by the pool, and the units run again on a new one.
        self.engine = make_engine(url, pre_ping=False)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)
        self._jobs: list[_Job] = []
        self._ready = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self._thread.start()

    async def run(self, work: Callable[[Unit], T]) -> T:
        """Run `work` in the next batch; its result once the batch is committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def deliver(result: Any, error: BaseException | None) -> None:
            # The caller's loop may be gone (it was shut down): nobody to tell.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future, result, error)

        self._submit(_Job(work, deliver))
        return await future

    def run_sync(self, work: Callable[[Unit], T]) -> T:
        """The same, from a thread that may block (a synchronous channel method)."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def deliver(result: Any, error: BaseException | None) -> None:
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)

        self._submit(_Job(work, deliver))
        return future.result()

    def _submit(self, job: _Job) -> None:
        with self._ready:
            if self._closed:
                raise RuntimeError("the store is closed")
            self._jobs.append(job)
            self._ready.notify()

    def close(self) -> None:
        """Finish what was handed in, then stop the writer."""
        with self._ready:
            self._closed = True
            self._ready.notify()
        if threading.current_thread() is not self._thread:
            self._thread.join()
            self.engine.dispose()

    # --- the writer thread ---------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._jobs and not self._closed:
                    self._ready.wait()
                if not self._jobs:
                    return
                jobs, self._jobs = self._jobs[:MAX_UNITS], self._jobs[MAX_UNITS:]
            self._commit(jobs)

    def _commit(self, jobs: list[_Job]) -> None:
        try:
            results = self._transaction(jobs)
        except Exception as exc:
            if len(jobs) > 1:
                # Someone's unit failed: each again on its own, so only it fails.
                log.info("batch rolled back, units retried one by one", units=len(jobs))
                for job in jobs:
                    self._commit([job])
                return
            jobs[0].deliver(None, exc)
            return
        for job, result in zip(jobs, results, strict=True):
            job.deliver(result, None)

    def _transaction(self, jobs: list[_Job]) -> list[Any]:
        with self._factory() as session, session.begin():
            unit = Unit(session)
            results = [job.work(unit) for job in jobs]
            session.flush()
            _write_gathered(unit)
        return results


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.done():  # the caller gave up (cancelled): nothing to tell
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


_TOUCH = (
    update(ChargePoint.__table__)
    .where(ChargePoint.__table__.c.id.in_(bindparam("stations", expanding=True)))
    .values(last_seen=bindparam("seen"))
)


_kept_apart_log = LogThrottle(interval=60.0)  # the writer thread's alone


def _write_gathered(unit: Unit) -> None:
    connection = unit.connection  # first the stations: the other rows may name them
    for station_id, claimed in insert_meter_values(connection, unit.meter_rows).items():
        # A station sends as many as it likes: one line a minute, the rest counted.
        held_back = _kept_apart_log.allow("kept apart")
        if held_back is not None:
            log.warning(
                "readings kept apart: not a transaction of this station's",
                station_id=station_id,
                transaction_ids=sorted(claimed)[:5],
                since_last=held_back,
            )
    if unit.status_rows:
        stations.write_statuses(connection, unit.status_rows)
    if unit.audit_rows:
        insert_rows(connection, MessageLog.__table__, unit.audit_rows)
    if unit.seen:
        connection.execute(_TOUCH, {"stations": sorted(unit.seen), "seen": now()})


_stores: dict[str, Store] = {}
_lock = threading.Lock()


def store(url: str) -> Store:
    """The writer of the database at `url`, started on first use."""
    with _lock:
        found = _stores.get(url)
        if found is None:
            found = _stores[url] = Store(url)
        return found


def close(url: str) -> None:
    with _lock:
        found = _stores.pop(url, None)
    if found is not None:
        found.close()


def dispose(url: str) -> None:
    """Let go of the database at `url`: the writer first (it holds a connection of the
    engine), then the engine."""
    close(url)
    dispose_engine(url)
