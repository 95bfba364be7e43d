"""Database access for the central system: engines, sessions, migrations."""

from __future__ import annotations

import json
import logging
import os
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# Enough kept open for the HTTP API's concurrent requests (and rpc_app's writer and
# readers) without reconnecting; the overflow absorbs bursts.
POOL_SIZE, POOL_OVERFLOW = 20, 20

_lock = threading.Lock()
_factories: dict[str, sessionmaker[Session]] = {}
_warned_files: set[str] = set()

# The stdlib's logger: the admin commands set no logging up, and a warning of theirs must
# reach stderr (the stdlib's last resort), not their stdout as structlog's default would.
log = logging.getLogger("channels.db")


def json_text(value: object) -> str:
    """JSON columns in orjson's speed; what it cannot write (integers beyond 64 bits), in json's."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


def missing_sqlite_file(url: str) -> Path | None:
    """The SQLite file `url` names when there is none yet (the command would make it), as
    an absolute path; None for one that exists, in memory, or another database."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database).absolute()
    return None if path.exists() else path


def private_sqlite_file(url: str) -> None:
    """Make the SQLite file of `url` readable by its owner only, before SQLite opens it.

    It holds the message log and the stations' password hashes. SQLite would make it
    0644 (less the umask), and it makes the -wal, -shm and -journal files with the
    database file's mode, so they follow. An existing file's mode is its owner's choice:
    left as it is, with a warning when group or others may read it.
    """
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return  # in memory, or a URI filename (`file:...`): left to SQLite
    try:
        fd = os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        try:
            mode = stat.S_IMODE(os.stat(database).st_mode)
        except OSError:
            return
        if mode & 0o077 and database not in _warned_files:
            _warned_files.add(database)
            log.warning(
                "the database file %s (mode %04o) may be read by others: it holds the "
                "message log and password hashes (chmod 600 %s*)",
                database,
                mode,
                database,
            )
        return
    except OSError:
        return  # no such directory, no permission: SQLite says so when it opens the file
    os.close(fd)  # an empty file is an empty database to SQLite


def make_engine(url: str, pre_ping: bool = True) -> Engine:
    if url.startswith("sqlite"):
        private_sqlite_file(url)
        # The store's writer and readers (the CLI, other processes) share the file: wait
        # for the write lock instead of failing, and let readers work beside the writer (WAL).
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            json_serializer=json_text,
            hide_parameters=True,  # errors name no idTag or password hash
            # Connections kept open: one that is closed on its return (the pool's overflow)
            # is opened again, pragmas and all, by the next request of the HTTP API's many
            # threads.
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record):
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(
        url,
        pool_pre_ping=pre_ping,
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        json_serializer=json_text,
        hide_parameters=True,  # errors name no idTag or password hash
    )


def session_factory(url: str) -> sessionmaker[Session]:
    with _lock:
        factory = _factories.get(url)
        if factory is None:
            factory = sessionmaker(make_engine(url), expire_on_commit=False)
            _factories[url] = factory
        return factory


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back on an exception."""
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def core(session: Session) -> Connection:
    """The session's connection, for Core statements built once: on paths every message
    takes, the ORM's per-statement work costs more than the database's. What the ORM
    holds unflushed is flushed first, so those statements see it."""
    session.flush()
    return session.connection()


def dialect_insert(dialect_name: str) -> Callable[..., Any]:
    """The dialect's `insert`, which has ON CONFLICT (PostgreSQL and SQLite spell it alike)."""
    return postgresql.insert if dialect_name == "postgresql" else sqlite.insert


def safe_url(url: str) -> str:
    """The URL with any password masked, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Bring the schema at `url` to the newest migration."""
    command.upgrade(alembic_config(url), "head")


def dispose_engine(url: str) -> None:
    """Close the engine of `url` (the store's writer, which holds one of its connections,
    is closed first by `store.dispose`)."""
    with _lock:
        factory = _factories.pop(url, None)
    if factory is not None:
        factory.kw["bind"].dispose()
