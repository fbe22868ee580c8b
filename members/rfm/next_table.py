"""The run's MemberRfm, built beside the live table and swapped in when the run finishes.

A regroup rewrites every member's MemberRfm row. Updating a million indexed rows in place wrote
each row twice (the new version, and the index entries of both), left a million dead rows for
vacuum every night, and let readers see a half-regrouped chain while the chunks ran. Instead the
measure chunks fill a table of the run's own, with MemberRfm's columns and no index
(`members_memberrfm_next_<run id>`, created when the run opens); once they are done its primary
key is built (`next_table_key`) and the table analysed, beside the thresholds and the settle
(members.rfm.runs, the prepare step); the finish builds MemberRfm's secondary indexes (it has
none at present: MemberRfm.Meta says why; one would need its statistics taken after it), drops
the live table and renames the new one into its place, in the finish's transaction. Readers
see the previous run's table, whole, until that commit, and this run's after.

The primary key is built after the fill, in one sort, on PostgreSQL: kept during the fill, every
chunk's insert paid for it row by row. At 1M members, two workers, the step that filled the
table (then a classify step) took 1.89-2.03 s with it and 1.41-1.59 s without, while the build
took 0.16 s to 0.31-0.35 s (bench/regroup.py, three and six runs). A chunk writes its range once, in
the transaction that marks it finished, so the build finds no duplicate; if it ever did, the
run would fail, not pass it on. SQLite (the demo) keeps the key from the start: it cannot add
one to a table.

The DDL comes from Django's schema editor for a copy of the model (never entered: the SQLite
editor refuses to run inside a transaction, and every step here runs in one), so the swapped-in
table is what the migrations made: same columns, types, primary key and index names.
"""

from django.apps.registry import Apps
from django.db import connection, models

from members.models import MemberRfm, MemberStoreChange, RfmRun

from . import sql

LIVE_TABLE = MemberRfm._meta.db_table
STORE_LOG = MemberStoreChange._meta.db_table


def next_table_name(run: RfmRun) -> str:
    return f"{LIVE_TABLE}_next_{run.pk}"


def next_table_create(run: RfmRun) -> None:
    """Create the run's empty table, when the run opens (dropping any left by an opening that
    failed after it, on SQLite)."""
    table = next_table_name(run)
    statement, params = _editor().table_sql(_model(table))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_quoted(table)}")
        cursor.execute(statement, params)
        if sql.is_postgres():
            cursor.execute(f"ALTER TABLE {_quoted(table)} DROP CONSTRAINT {_quoted(_pkey(table))}")


def next_table_drop(run: RfmRun) -> None:
    """Drop the run's table without swapping it in (an abandoned run: runs._abandoned_clear)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_quoted(next_table_name(run))}")


def next_table_key(run: RfmRun) -> None:
    """Build the run's table's primary key index (unless built already), once every chunk has
    written its rows, on PostgreSQL (SQLite's table has its key from the start)."""
    if sql.is_postgres():
        table = next_table_name(run)
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE UNIQUE INDEX IF NOT EXISTS {_quoted(_pkey(table))}"
                f" ON {_quoted(table)} (member_id)"
            )


def next_table_swap(run: RfmRun) -> None:
    """Index the run's table (its key built by `next_table_key`) and put it in the live table's
    place, in the caller's transaction, then settle the store changes against it
    (`store_changes_settle`).

    PostgreSQL builds the other indexes under temporary names while
    readers still use the live table, then gives them their names; SQLite (the demo) cannot
    rename an index and builds them after the swap.
    """
    table = next_table_name(run)
    temporary = {index.name: f"{index.name}_next" for index in MemberRfm._meta.indexes}
    editor = _editor()
    with connection.cursor() as cursor:
        if sql.is_postgres():
            for index in _indexes(temporary):
                cursor.execute(str(index.create_sql(_model(table), editor)))
        cursor.execute(f"DROP TABLE {_quoted(LIVE_TABLE)}")
        cursor.execute(f"ALTER TABLE {_quoted(table)} RENAME TO {_quoted(LIVE_TABLE)}")
        if sql.is_postgres():
            for final, temp in temporary.items():
                cursor.execute(f"ALTER INDEX {_quoted(temp)} RENAME TO {_quoted(final)}")
            # Names the index after the constraint, as the migrations made it.
            cursor.execute(
                f"ALTER TABLE {_quoted(LIVE_TABLE)} ADD CONSTRAINT {_quoted(_pkey(LIVE_TABLE))}"
                f" PRIMARY KEY USING INDEX {_quoted(_pkey(table))}"
            )
        else:
            for index in MemberRfm._meta.indexes:
                cursor.execute(str(index.create_sql(MemberRfm, editor)))
    store_changes_settle()


def store_changes_settle() -> None:
    """At the end of the swap, in its transaction: the rows of members added or moved since
    their chunk read them (MemberStoreChange) take the member's current store, then the log
    keeps only the members whose row is still missing or stale (a move committed after that
    check included) and drops those deleted since."""
    with connection.cursor() as cursor:
        cursor.execute(f"""
            UPDATE {LIVE_TABLE} SET home_store_id = m.home_store_id
            FROM members_member m
            WHERE m.id = {LIVE_TABLE}.member_id
              AND {LIVE_TABLE}.member_id IN (SELECT member_id FROM {STORE_LOG})
              AND ({LIVE_TABLE}.home_store_id IS NULL
                   OR {LIVE_TABLE}.home_store_id <> m.home_store_id)
        """)
        cursor.execute(f"""
            DELETE FROM {STORE_LOG}
            WHERE NOT EXISTS (
                SELECT 1 FROM members_member m
                WHERE m.id = {STORE_LOG}.member_id
                  AND NOT EXISTS (SELECT 1 FROM {LIVE_TABLE} r
                                  WHERE r.member_id = m.id AND r.home_store_id = m.home_store_id)
            )
        """)


def _indexes(names: dict[str, str]) -> list[models.Index]:
    """MemberRfm's indexes under other names."""
    renamed = []
    for index in MemberRfm._meta.indexes:
        clone = index.clone()
        clone.name = names[index.name]
        renamed.append(clone)
    return renamed


def _model(table: str) -> type[models.Model]:
    """MemberRfm's columns on `table`: the member as a plain bigint primary key and the home
    store as a plain bigint (neither has a database-level foreign key), every other field
    cloned; no indexes."""
    fields = {"member_id": models.BigIntegerField(primary_key=True)}
    for field in MemberRfm._meta.local_fields:
        if field.primary_key:
            continue
        if field.is_relation:
            fields[field.attname] = models.BigIntegerField(null=field.null)
        else:
            fields[field.name] = field.clone()
    meta = type("Meta", (), {"apps": Apps(), "app_label": "members", "db_table": table})
    name = f"MemberRfmNext{table.rsplit('_', 1)[-1]}"
    return type(name, (models.Model,), {"__module__": __name__, "Meta": meta, **fields})


def _pkey(table: str) -> str:
    """The name PostgreSQL gives a table's primary key constraint (and its index)."""
    return f"{table}_pkey"


def _editor():
    return connection.schema_editor(collect_sql=False, atomic=False)


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)
