"""MemberRfm carries the member's home store, and MemberStoreChange logs the members whose row
does not (yet) name their current one, so that HQ's previews read MemberRfm alone for the rest.

Triggers on members_member write a MemberStoreChange row for every member inserted, and for every
member whose home store changes (every write path: the ORM, bulk imports, raw SQL). PostgreSQL:
statement-level triggers with transition tables; SQLite (the demo): row-level triggers. Existing
rows get their member's store here; members without a row are logged.
"""

import django.db.models.deletion
from django.db import migrations, models

from members.migrations import _triggers

LOG = "members_memberstorechange"

POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION members_member_store_log() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {LOG} (member_id) SELECT id FROM new_members;
    ELSE
        INSERT INTO {LOG} (member_id)
        SELECT n.id FROM new_members n JOIN old_members o ON o.id = n.id
        WHERE n.home_store_id IS DISTINCT FROM o.home_store_id;
    END IF;
    RETURN NULL;
END
$$
"""
POSTGRES_TRIGGERS = {
    "members_member_store_insert": "AFTER INSERT ON members_member"
    " REFERENCING NEW TABLE AS new_members",
    # No column list: PostgreSQL refuses one with transition tables (the function compares).
    "members_member_store_update": "AFTER UPDATE ON members_member"
    " REFERENCING OLD TABLE AS old_members NEW TABLE AS new_members",
}
SQLITE_TRIGGERS = {
    "members_member_store_insert": f"""
        AFTER INSERT ON members_member
        BEGIN INSERT INTO {LOG} (member_id) VALUES (NEW.id); END""",
    "members_member_store_update": f"""
        AFTER UPDATE OF home_store_id ON members_member
        WHEN NEW.home_store_id IS NOT OLD.home_store_id
        BEGIN INSERT INTO {LOG} (member_id) VALUES (NEW.id); END""",
}

EXISTING_ROWS = """
UPDATE members_memberrfm SET home_store_id = m.home_store_id
FROM members_member m WHERE m.id = members_memberrfm.member_id
"""
MEMBERS_WITHOUT_ROW = f"""
INSERT INTO {LOG} (member_id)
SELECT m.id FROM members_member m
WHERE NOT EXISTS (SELECT 1 FROM members_memberrfm r WHERE r.member_id = m.id)
"""


TRIGGERS = {
    "function": "members_member_store_log",
    "postgres": POSTGRES_TRIGGERS,
    "sqlite": SQLITE_TRIGGERS,
}


def forward(apps, schema_editor):
    schema_editor.execute(EXISTING_ROWS)
    schema_editor.execute(MEMBERS_WITHOUT_ROW)
    _triggers.triggers_create(schema_editor, function_sql=POSTGRES_FUNCTION, **TRIGGERS)


def backward(apps, schema_editor):
    _triggers.triggers_drop(schema_editor, table="members_member", **TRIGGERS)


class Migration(migrations.Migration):
    dependencies = [("members", "0015_order_member_figures_index")]

    operations = [
        migrations.CreateModel(
            name="MemberStoreChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("member_id", models.BigIntegerField(db_index=True)),
            ],
            options={"verbose_name": "会员门店变更", "verbose_name_plural": "会员门店变更"},
        ),
        migrations.AddField(
            model_name="memberrfm",
            name="home_store",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="members.store",
                verbose_name="分群时归属门店",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
