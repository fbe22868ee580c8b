"""RfmGroupChange: the brand-wide matrix's date index becomes a BRIN on PostgreSQL.

A first regroup writes a change row for every member (a million at 1M members), each paying for
every btree on the table. Change rows are appended in business-date order (a run never goes back
in time), so a BRIN on the date answers "changes in (X, Y]" as well, for almost nothing per row;
the per-store matrix keeps its (store, business_date) btree. SQLite (the demo) has no BRIN: there
the date index is only dropped.
"""

from django.contrib.postgres.indexes import BrinIndex
from django.db import migrations


class AddIndexOnPostgres(migrations.AddIndex):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("members", "0011_rfm_stage_unlogged")]

    operations = [
        migrations.RemoveIndex(model_name="rfmgroupchange", name="groupchange_date_store"),
        AddIndexOnPostgres(
            model_name="rfmgroupchange",
            index=BrinIndex(fields=["business_date"], name="groupchange_date_brin"),
        ),
    ]
