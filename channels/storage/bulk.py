"""Many rows into one table at once: the store's audit log and meter values.

SQLite takes an executemany (its loop runs in C). PostgreSQL takes COPY, the
fastest way in; when rows a conflict may skip meet one (a retried message), they
are copied into a temporary table instead and moved with one INSERT ... SELECT
... ON CONFLICT DO NOTHING. (SQLAlchemy's
multi-row INSERT rendered and parsed a new statement for every batch size, and
spent more time on that than the server on the rows.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from sqlalchemy import Connection, Table
from sqlalchemy.dialects import sqlite

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
    if connection.dialect.name != "postgresql":
        statement = sqlite.insert(table)
        if skip_conflicts_on:
            statement = statement.on_conflict_do_nothing(index_elements=list(skip_conflicts_on))
        connection.execute(statement, rows)
        return
    columns = tuple(rows[0])
    plan = _plan(connection, table, columns, tuple(skip_conflicts_on))
    driver = connection.connection.driver_connection  # psycopg's, in our transaction
    values = [[row[n] if p is None else p(row[n]) for n, p in plan.columns] for row in rows]
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
        self.columns = [(name, table.c[name].type.bind_processor(dialect)) for name in columns]
        self.staging = self.create_staging = self.move = self.empty_staging = None
        target = quote(table.name)
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


_plans: dict[tuple[str, tuple[str, ...], tuple[str, ...]], _Plan] = {}


def _plan(
    connection: Connection, table: Table, columns: tuple[str, ...], conflict: tuple[str, ...]
) -> _Plan:
    key = (table.name, columns, conflict)
    plan = _plans.get(key)
    if plan is None:
        plan = _plans[key] = _Plan(connection, table, columns, conflict)
    return plan
