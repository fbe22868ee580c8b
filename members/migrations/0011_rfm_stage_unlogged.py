"""RfmStage UNLOGGED on PostgreSQL: the regroup's work table skips the write-ahead log.

The stage holds an unfinished run's measured figures only; they can always be measured again
from the orders. A crash of the database server empties an unlogged table, so the regroup checks
each range's stage rows against what its measure chunk wrote and re-measures a range that lost
them (members.rfm.measure.stage_ensure). SQLite (the demo) has no such tables: nothing to do.
"""

from django.db import migrations


def _alter(persistence: str):
    def alter(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE members_rfmstage SET {persistence}")

    return alter


class Migration(migrations.Migration):
    dependencies = [("members", "0010_importrun_status_and_file")]

    operations = [migrations.RunPython(_alter("UNLOGGED"), _alter("LOGGED"))]
