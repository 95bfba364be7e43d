"""Many rows into one table at once: the store's audit log and meter values.

SQLite takes the driver's executemany of one prepared INSERT (its loop runs in C).
PostgreSQL takes COPY, the fastest way in; when rows a conflict may skip meet one
(a retried message), they are copied into a temporary table instead and moved with
one INSERT ... SELECT ... ON CONFLICT DO NOTHING. Either way the rows go to the
driver as the columns' own bind processing leaves them, past SQLAlchemy's
per-row parameter handling. (Its multi-row INSERT rendered and parsed a new
statement for every batch size, and spent more time on that than the server on
the rows; its executemany spent a third of the insert's time on parameters.)
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from sqlalchemy import Connection, Table

Processor = Callable[[Any], Any] | None


def insert_rows(
    connection: Connection,
    table: Table,
    rows: list[dict[str, Any]],
    skip_conflicts_on: Sequence[str] = (),
) -> None:
    """Insert `rows` (dicts with the same keys); with `skip_conflicts_on`, a row whose
    value there is already stored is skipped (ON CONFLICT DO NOTHING)."""
    if not rows:
        return
    columns = tuple(rows[0])
    plan = _plan(connection, table, columns, tuple(skip_conflicts_on))
    driver = connection.connection.driver_connection  # the driver's, in our transaction
    values = [[row[n] if p is None else p(row[n]) for n, p in plan.columns] for row in rows]
    if plan.insert is not None:
        driver.executemany(plan.insert, values)
        return
    if plan.staging is None:
        _copy(driver, plan.copy, values)
        return
    # A conflict is rare (a charger's retry): straight in, and only if that meets one,
    # through the staging table that skips what is already stored.
    try:
        with driver.transaction():  # a savepoint: a failed COPY leaves ours intact
            _copy(driver, plan.copy, values)
    except psycopg.errors.UniqueViolation:
        with driver.cursor() as cursor:
            cursor.execute(plan.create_staging)
            _copy(driver, plan.copy_staging, values)
            cursor.execute(plan.move)
            cursor.execute(plan.empty_staging)


def _copy(driver: Any, statement: str, values: list[list[Any]]) -> None:
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in values:
            copy.write_row(row)


class _Plan:
    """The statements for one table and set of columns, and each column's processing."""

    def __init__(
        self, connection: Connection, table: Table, columns: tuple[str, ...], conflict: tuple
    ) -> None:
        dialect = connection.dialect
        quote = dialect.identifier_preparer.quote
        names = ", ".join(map(quote, columns))
        # Each column's own bind processing: NUL-safe text, UTC times, JSON as text.
        self.columns = [(name, _processor(table, name, dialect)) for name in columns]
        self.staging = self.create_staging = self.move = self.empty_staging = None
        target = quote(table.name)
        self.insert: str | None = None
        if dialect.name != "postgresql":  # SQLite, with its qmark parameters
            self.insert = f"INSERT INTO {target} ({names}) VALUES ({', '.join('?' * len(columns))})"
            if conflict:
                self.insert += f" ON CONFLICT ({', '.join(map(quote, conflict))}) DO NOTHING"
            return
        self.copy = f"COPY {target} ({names}) FROM STDIN"
        if conflict:
            self.staging = quote(f"_bulk_{table.name}")
            self.create_staging = (
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {self.staging} ON COMMIT DELETE ROWS "
                f"AS SELECT {names} FROM {target} WITH NO DATA"
            )
            self.move = (
                f"INSERT INTO {target} ({names}) SELECT {names} FROM {self.staging} "
                f"ON CONFLICT ({', '.join(map(quote, conflict))}) DO NOTHING"
            )
            self.empty_staging = f"DELETE FROM {self.staging}"
            self.copy_staging = f"COPY {self.staging} ({names}) FROM STDIN"


# Per dialect: a column's bind processing is its engine's (its JSON serializer, say),
# and a plan lives as long as the engine that made it.
_plans: weakref.WeakKeyDictionary[Any, dict[tuple, _Plan]] = weakref.WeakKeyDictionary()


def _plan(
    connection: Connection, table: Table, columns: tuple[str, ...], conflict: tuple[str, ...]
) -> _Plan:
    plans = _plans.setdefault(connection.dialect, {})
    key = (table.name, columns, conflict)
    plan = plans.get(key)
    if plan is None:
        plan = plans[key] = _Plan(connection, table, columns, conflict)
    return plan


def _processor(table: Table, column: str, dialect: Any) -> Processor:
    """What SQLAlchemy would do to a value of `column` before the driver has it: the
    dialect's own type (SQLite's DATETIME writes its text format), and a TypeDecorator's
    own processing before it."""
    return table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
