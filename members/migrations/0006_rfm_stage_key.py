"""RfmStage keyed by (run, member) alone: the surrogate id and its index go (bench/regroup.py:
the id's index was 40% of the measure step's writes).

Django cannot turn an id key into a composite one in place, so the stage is rebuilt: a new table
with the composite key, the rows of any unfinished run copied over, the old table dropped and the
new one renamed. Portable SQL, on PostgreSQL and SQLite alike.
"""

import django.db.models.deletion
from django.db import migrations, models

COLUMNS = (
    "run_id, member_id, recency_days, frequency, monetary, lifetime_days, first_purchase_on, "
    "last_purchase_on, order_count, total_spent"
)


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0005_purchase_summary"),
    ]

    operations = [
        migrations.CreateModel(
            name="RfmStageKeyed",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "run",
                        "member_id",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                (
                    "run",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="members.rfmrun",
                    ),
                ),
                ("member_id", models.BigIntegerField()),
                ("recency_days", models.IntegerField(null=True)),
                ("frequency", models.IntegerField(default=0)),
                ("monetary", models.DecimalField(decimal_places=2, default=0, max_digits=14)),
                ("lifetime_days", models.IntegerField(null=True)),
                ("first_purchase_on", models.DateField(null=True)),
                ("last_purchase_on", models.DateField(null=True)),
                ("order_count", models.IntegerField(default=0)),
                ("total_spent", models.DecimalField(decimal_places=2, default=0, max_digits=14)),
            ],
            options={"ordering": ["run", "member_id"]},
        ),
        migrations.RunSQL(
            f"INSERT INTO members_rfmstagekeyed ({COLUMNS}) SELECT {COLUMNS} FROM members_rfmstage",
            f"INSERT INTO members_rfmstage ({COLUMNS}) SELECT {COLUMNS} FROM members_rfmstagekeyed",
        ),
        migrations.DeleteModel(name="RfmStage"),
        migrations.RenameModel(old_name="RfmStageKeyed", new_name="RfmStage"),
    ]
