"""The order change log the regroup measures incrementally from (members.rfm.measure).

Triggers on members_order write a MemberOrderChange row per member whose counted orders may have
changed: an order inserted or deleted, or updated in its member, payment time, amount or refund
(every write path: the ORM, bulk imports, raw SQL). PostgreSQL: statement-level triggers with
transition tables, one row per member per statement; SQLite (the demo): row-level triggers.
Runs finished before this migration were measured without the log: they cannot be a base.
"""

import django.db.models.deletion
from django.db import migrations, models

from members.migrations import _triggers

LOG = "members_memberorderchange"
WATCHED = "member_id, paid_at, amount, refunded_amount"

POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION members_order_changes_log() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {LOG} (member_id)
        SELECT DISTINCT member_id FROM new_orders WHERE member_id IS NOT NULL;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO {LOG} (member_id)
        SELECT DISTINCT member_id FROM old_orders WHERE member_id IS NOT NULL;
    ELSE
        INSERT INTO {LOG} (member_id)
        SELECT DISTINCT x.member_id
        FROM new_orders n JOIN old_orders o ON o.id = n.id
        CROSS JOIN LATERAL (VALUES (n.member_id), (o.member_id)) x (member_id)
        WHERE x.member_id IS NOT NULL
          AND (n.member_id, n.paid_at, n.amount, n.refunded_amount)
              IS DISTINCT FROM (o.member_id, o.paid_at, o.amount, o.refunded_amount);
    END IF;
    RETURN NULL;
END
$$
"""
POSTGRES_TRIGGERS = {
    "members_order_changes_insert": "AFTER INSERT ON members_order"
    " REFERENCING NEW TABLE AS new_orders",
    # No column list: PostgreSQL refuses one with transition tables (the function compares).
    "members_order_changes_update": "AFTER UPDATE ON members_order"
    " REFERENCING OLD TABLE AS old_orders NEW TABLE AS new_orders",
    "members_order_changes_delete": "AFTER DELETE ON members_order"
    " REFERENCING OLD TABLE AS old_orders",
}
SQLITE_TRIGGERS = {
    "members_order_changes_insert": f"""
        AFTER INSERT ON members_order WHEN NEW.member_id IS NOT NULL
        BEGIN INSERT INTO {LOG} (member_id) VALUES (NEW.member_id); END""",
    "members_order_changes_update": f"""
        AFTER UPDATE OF {WATCHED} ON members_order
        WHEN NEW.member_id IS NOT OLD.member_id OR NEW.paid_at IS NOT OLD.paid_at
          OR NEW.amount IS NOT OLD.amount OR NEW.refunded_amount IS NOT OLD.refunded_amount
        BEGIN
            INSERT INTO {LOG} (member_id) SELECT NEW.member_id WHERE NEW.member_id IS NOT NULL;
            INSERT INTO {LOG} (member_id) SELECT OLD.member_id
            WHERE OLD.member_id IS NOT NULL AND OLD.member_id IS NOT NEW.member_id;
        END""",
    "members_order_changes_delete": f"""
        AFTER DELETE ON members_order WHEN OLD.member_id IS NOT NULL
        BEGIN INSERT INTO {LOG} (member_id) VALUES (OLD.member_id); END""",
}


TRIGGERS = {
    "function": "members_order_changes_log",
    "postgres": POSTGRES_TRIGGERS,
    "sqlite": SQLITE_TRIGGERS,
}


def triggers_create(apps, schema_editor):
    _triggers.triggers_create(schema_editor, function_sql=POSTGRES_FUNCTION, **TRIGGERS)


def triggers_drop(apps, schema_editor):
    _triggers.triggers_drop(schema_editor, table="members_order", **TRIGGERS)


class Migration(migrations.Migration):
    dependencies = [("members", "0013_memberrfm_no_group_index")]

    operations = [
        migrations.CreateModel(
            name="MemberOrderChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("member_id", models.BigIntegerField(db_index=True)),
            ],
            options={"verbose_name": "会员订单变更", "verbose_name_plural": "会员订单变更"},
        ),
        migrations.AddField(
            model_name="rfmrun",
            name="base",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="members.rfmrun",
                verbose_name="增量基准",
            ),
        ),
        # Existing runs were measured without the log (False); new runs with it (True).
        migrations.AddField(
            model_name="rfmrun",
            name="change_logged",
            field=models.BooleanField(default=False, verbose_name="订单变更已记录"),
        ),
        migrations.AlterField(
            model_name="rfmrun",
            name="change_logged",
            field=models.BooleanField(default=True, verbose_name="订单变更已记录"),
        ),
        migrations.RunPython(triggers_create, triggers_drop),
    ]
