"""RfmGroupChange keyed by (member, business_date): the key it was already unique on replaces
the surrogate id, one index fewer on the million rows a first regroup writes (bench/regroup.py).

Django cannot turn an id key into a composite one in place, so the table is rebuilt: a new
table with the composite key, every row copied, the old table dropped, the new one renamed and
the two matrix indexes built on the copied rows. Portable SQL, on PostgreSQL and SQLite alike.
"""

import django.db.models.deletion
from django.db import migrations, models

COLUMNS = "member_id, business_date, from_group, to_group, store_id"
GROUPS = [
    ("important_value", "重要价值"),
    ("ordinary_value", "一般价值"),
    ("important_development", "重要发展"),
    ("ordinary_development", "一般发展"),
    ("important_retention", "重要保持"),
    ("ordinary_retention", "一般保持"),
    ("important_winback", "重要挽留"),
    ("ordinary_winback", "一般挽留"),
    ("no_purchase", "未消费"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0006_rfm_stage_key"),
    ]

    operations = [
        migrations.CreateModel(
            name="RfmGroupChangeKeyed",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "member",
                        "business_date",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                (
                    "member",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="group_changes",
                        to="members.member",
                    ),
                ),
                ("business_date", models.DateField(verbose_name="统计日期")),
                (
                    "from_group",
                    models.CharField(
                        blank=True,
                        choices=GROUPS,
                        default="",
                        max_length=24,
                        verbose_name="原客户群",
                    ),
                ),
                (
                    "to_group",
                    models.CharField(choices=GROUPS, max_length=24, verbose_name="新客户群"),
                ),
                (
                    "store",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="members.store",
                    ),
                ),
            ],
            options={
                "verbose_name": "客户群变动",
                "verbose_name_plural": "客户群变动",
                "ordering": ["-business_date", "member"],
            },
        ),
        migrations.RunSQL(
            f"INSERT INTO members_rfmgroupchangekeyed ({COLUMNS}) "
            f"SELECT {COLUMNS} FROM members_rfmgroupchange",
            f"INSERT INTO members_rfmgroupchange ({COLUMNS}) "
            f"SELECT {COLUMNS} FROM members_rfmgroupchangekeyed",
        ),
        migrations.DeleteModel(name="RfmGroupChange"),
        migrations.RenameModel(old_name="RfmGroupChangeKeyed", new_name="RfmGroupChange"),
        migrations.AddIndex(
            model_name="rfmgroupchange",
            index=models.Index(fields=["business_date", "store"], name="groupchange_date_store"),
        ),
        migrations.AddIndex(
            model_name="rfmgroupchange",
            index=models.Index(fields=["store", "business_date"], name="groupchange_store_date"),
        ),
    ]
