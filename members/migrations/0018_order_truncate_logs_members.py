"""A TRUNCATE of members_order fires no row or statement trigger of 0014: log every member whose
MemberRfm row counts an order instead, so that the next regroup built on the last measures them
again (to no order) rather than keeping figures of orders that are gone. PostgreSQL only: SQLite
has no TRUNCATE (a DELETE without WHERE fires 0014's triggers)."""

from django.db import migrations

from members.migrations import _triggers

FUNCTION = """
CREATE OR REPLACE FUNCTION members_order_truncate_log() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO members_memberorderchange (member_id)
    SELECT member_id FROM members_memberrfm WHERE order_count > 0;
    RETURN NULL;
END
$$
"""


TRIGGERS = {
    "function": "members_order_truncate_log",
    "postgres": {"members_order_changes_truncate": "AFTER TRUNCATE ON members_order"},
    "sqlite": {},
}


def forward(apps, schema_editor):
    _triggers.triggers_create(schema_editor, function_sql=FUNCTION, **TRIGGERS)


def backward(apps, schema_editor):
    _triggers.triggers_drop(schema_editor, table="members_order", **TRIGGERS)


class Migration(migrations.Migration):
    dependencies = [("members", "0017_memberrfm_no_last_purchase_index")]

    operations = [migrations.RunPython(forward, backward)]
