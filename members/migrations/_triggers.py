"""Creating and dropping the change-log triggers of migrations 0014, 0016 and 0018 (not a
migration: the loader skips modules whose name starts with an underscore).

PostgreSQL: one plpgsql function, fired FOR EACH STATEMENT by each of `postgres` (trigger name:
its timing, event, table and transition tables). SQLite: each of `sqlite` (trigger name: its
whole body after the name). Keep it stable: the migrations that use it are applied history.
"""


def triggers_create(
    schema_editor, *, function: str, function_sql: str, postgres: dict, sqlite: dict
) -> None:
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute(function_sql)
        for name, when in postgres.items():
            execute(
                f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )
    else:
        for name, body in sqlite.items():
            execute(f"CREATE TRIGGER {name} {body}")


def triggers_drop(
    schema_editor, *, table: str, function: str, postgres: dict, sqlite: dict
) -> None:
    postgres_db = schema_editor.connection.vendor == "postgresql"
    on_table = f" ON {table}" if postgres_db else ""
    for name in postgres if postgres_db else sqlite:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}{on_table}")
    if postgres_db:
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}()")
