"""Order.net_cents: amount - refunded_amount in whole cents, a stored generated column, and the
index the regroup reads orders from (order_member_figures) carrying it instead of the amounts.

PostgreSQL adds the column by rewriting the table (and its indexes) once. SQLite (the demo)
remakes the table to add a stored generated column, and a remade table has lost its triggers:
the order change log's (migration 0014) are created again after the change, both ways.
"""

import importlib

import django.db.models.expressions
import django.db.models.functions.comparison
import django.db.models.functions.math
from django.db import migrations, models

from members.migrations import _triggers

ORDER_CHANGES = importlib.import_module("members.migrations.0014_rfm_incremental")


def sqlite_order_triggers_create(apps, schema_editor):
    """The order change log's triggers on SQLite, whether or not the table change kept them."""
    if schema_editor.connection.vendor == "sqlite":
        _triggers.triggers_drop(schema_editor, table="members_order", **ORDER_CHANGES.TRIGGERS)
        _triggers.triggers_create(
            schema_editor, function_sql=ORDER_CHANGES.POSTGRES_FUNCTION, **ORDER_CHANGES.TRIGGERS
        )


class Migration(migrations.Migration):
    dependencies = [("members", "0018_order_truncate_logs_members")]

    operations = [
        # Reversed, this runs last: after SQLite has remade the table without the column.
        migrations.RunPython(migrations.RunPython.noop, sqlite_order_triggers_create),
        migrations.RemoveIndex(model_name="order", name="order_member_figures"),
        migrations.AddField(
            model_name="order",
            name="net_cents",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.comparison.Cast(
                    django.db.models.functions.math.Round(
                        django.db.models.expressions.CombinedExpression(
                            django.db.models.expressions.CombinedExpression(
                                models.F("amount"), "-", models.F("refunded_amount")
                            ),
                            "*",
                            models.Value(100),
                        )
                    ),
                    models.BigIntegerField(),
                ),
                output_field=models.BigIntegerField(),
                verbose_name="净额（分）",
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                fields=["member", "paid_at"], include=("net_cents",), name="order_member_figures"
            ),
        ),
        migrations.RunPython(sqlite_order_triggers_create, migrations.RunPython.noop),
    ]
