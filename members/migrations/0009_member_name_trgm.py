"""A trigram index for the member name search (MemberQuerySet.search, `name__icontains`).

Django's icontains on Postgres is `UPPER("name"::text) LIKE UPPER('%term%')`; a GIN index on
`UPPER(name) gin_trgm_ops` answers it for terms of three characters or more. Postgres only:
on SQLite (the demo, tests without DATABASE_URL) both operations do nothing, while the model
state still gets the index. Built CONCURRENTLY (so not atomic), so a million-member table stays
writable while it builds; pg_trgm is a trusted extension, so the database owner may create it.
"""

import django.db.models.functions.text
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import AddIndexConcurrently, TrigramExtension
from django.db import migrations


class OnPostgresOnly:
    """Leaves other databases alone both ways. (TrigramExtension alone skips them going forwards
    but, unapplied, asks pg_extension first and fails on SQLite.)"""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class TrigramExtensionOnPostgres(OnPostgresOnly, TrigramExtension):
    pass


class AddIndexConcurrentlyOnPostgres(OnPostgresOnly, AddIndexConcurrently):
    pass


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("members", "0008_rfm_settings_row")]

    operations = [
        TrigramExtensionOnPostgres(),
        AddIndexConcurrentlyOnPostgres(
            model_name="member",
            index=GinIndex(
                OpClass(django.db.models.functions.text.Upper("name"), name="gin_trgm_ops"),
                name="member_name_trgm",
            ),
        ),
    ]
