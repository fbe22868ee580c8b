"""Bulk writers for the demo rows: COPY on PostgreSQL, batched INSERTs elsewhere (SQLite).

Rows are tuples in the order of the table's column list. Values are ints, strings (dates as
"YYYY-MM-DD", money as "123.40", timestamps from `timestamp()`), 0/1 for booleans, and
`sink.NULL` for a missing value, so one generator feeds both writers.
"""

import threading
from datetime import UTC, datetime

from django.core.management.color import no_style
from django.db import connection


class _Sink:
    NULL = None
    TZ_SUFFIX = ""

    def __init__(self):
        self.buffers: dict[type, list] = {}
        self.columns: dict[type, list[str]] = {}
        self._utc_days: dict[int, str] = {}

    def register(self, model, fields: list[str]) -> None:
        self.columns[model] = [model._meta.get_field(name).column for name in fields]
        self.buffers[model] = []

    def timestamp(self, epoch: int) -> str:
        """An aware instant (seconds since the epoch) as the database's text form, in UTC."""
        day, seconds = divmod(epoch, 86400)
        day_text = self._utc_days.get(day)
        if day_text is None:
            day_text = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%d")
            self._utc_days[day] = day_text
        hours, rest = divmod(seconds, 3600)
        return f"{day_text} {hours:02d}:{rest // 60:02d}:{rest % 60:02d}{self.TZ_SUFFIX}"

    def start(self) -> None:
        """Called once before the first row."""

    def finish(self) -> None:
        """Called once after the last flush: every row is written when it returns."""
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), list(self.columns)):
                cursor.execute(sql)


class InsertSink(_Sink):
    """Batched `INSERT ... VALUES` through the DB-API's executemany (SQLite and others)."""

    def add(self, model, row: tuple) -> None:
        self.buffers[model].append(row)

    def flush(self) -> None:
        with connection.cursor() as cursor:
            for model, rows in self.buffers.items():
                if rows:
                    columns = self.columns[model]
                    cursor.executemany(
                        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
                        f"VALUES ({', '.join(['%s'] * len(columns))})",
                        rows,
                    )
                    rows.clear()


class CopySink(_Sink):
    """PostgreSQL COPY in text format, sent by a background thread while the next chunk is made.

    For the load, the tables' secondary indexes, unique and foreign-key constraints are dropped
    and then rebuilt in one pass each (much faster than maintaining them row by row). It all
    happens in the caller's transaction, so a failed load leaves the schema as it was.
    """

    NULL = "\\N"
    TZ_SUFFIX = "+00"

    def __init__(self):
        super().__init__()
        self._writer: threading.Thread | None = None
        self._error: BaseException | None = None
        self._dropped: list[tuple[str, list, list]] = []

    def add(self, model, row: tuple) -> None:
        # Values never hold tabs, newlines or backslashes (names and codes are our own).
        self.buffers[model].append("\t".join(map(str, row)))

    def start(self) -> None:
        with connection.cursor() as cursor:
            # Check the staff and stores just created now: a table with pending deferred
            # foreign-key checks cannot be altered.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for model in self.columns:
                self._dropped.append(_drop_indexes_and_constraints(cursor, model._meta.db_table))

    def flush(self) -> None:
        batches = [(model, rows) for model, rows in self.buffers.items() if rows]
        self.buffers = {model: [] for model in self.buffers}
        self._wait()
        raw_connection = connection.connection
        self._writer = threading.Thread(target=self._copy_all, args=(raw_connection, batches))
        self._writer.start()

    def finish(self) -> None:
        self._wait()
        with connection.cursor() as cursor:
            for table, indexes, constraints in self._dropped:
                _restore_indexes_and_constraints(cursor, table, indexes, constraints)
            for model in self.columns:
                cursor.execute(f"ANALYZE {model._meta.db_table}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # back to Django's default
        super().finish()

    def _wait(self) -> None:
        if self._writer is not None:
            self._writer.join()
            self._writer = None
        if self._error is not None:
            raise self._error

    def _copy_all(self, raw_connection, batches) -> None:
        try:
            with raw_connection.cursor() as cursor:
                for model, rows in batches:
                    self._copy(cursor, model, rows)
        except BaseException as error:  # re-raised in the main thread by _wait()
            self._error = error

    def _copy(self, cursor, model, rows: list[str]) -> None:
        statement = f"COPY {model._meta.db_table} ({', '.join(self.columns[model])}) FROM STDIN"
        with cursor.copy(statement) as copy:
            for start in range(0, len(rows), 10_000):
                copy.write("\n".join(rows[start : start + 10_000]) + "\n")


def _drop_indexes_and_constraints(cursor, table: str) -> tuple[str, list, list]:
    """Drop what a bulk load would maintain row by row; return what is needed to rebuild it."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('f', 'u') ORDER BY contype DESC, conname",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND NOT EXISTS ("
        "  SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.contype <> 'f')",
        [table],
    )
    indexes = cursor.fetchall()
    quoted = connection.ops.quote_name
    for name, _ in constraints:
        cursor.execute(f"ALTER TABLE {quoted(table)} DROP CONSTRAINT {quoted(name)}")
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {quoted(name)}")
    return table, indexes, constraints


def _restore_indexes_and_constraints(cursor, table: str, indexes, constraints) -> None:
    for _, definition in indexes:
        cursor.execute(definition)
    quoted = connection.ops.quote_name
    for name, definition in constraints:  # unique ones first, then foreign keys
        cursor.execute(f"ALTER TABLE {quoted(table)} ADD CONSTRAINT {quoted(name)} {definition}")


def sink_for_connection() -> _Sink:
    return CopySink() if connection.vendor == "postgresql" else InsertSink()
