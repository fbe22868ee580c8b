"""The purchase summary behind "bought SKU / series / category within N days" (members.purchases).

- MemberPurchase: per member and product, the latest counted purchase's local date and order,
  keyed by (member, product) and read by (product, date) with an index-only scan;
- PurchaseSummaryRun: each nightly refresh (as-of date, the instant changes are counted from,
  the run it brings forward); PurchaseStage: the members a run rewrites (work table);
- indexes on Order.updated_at and Refund.created_at: what changed since a refresh, read by every
  "bought ..." preview and by the next refresh.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0002_nightly_schedules"),
        ("members", "0004_segment_starters"),
    ]

    operations = [
        migrations.CreateModel(
            name="PurchaseSummaryRun",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="创建时间")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                ("business_date", models.DateField(unique=True, verbose_name="统计日期")),
                ("changes_since", models.DateTimeField(verbose_name="变更起点")),
                ("rows", models.PositiveIntegerField(default=0, verbose_name="写入行数")),
                (
                    "finished_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="完成时间"),
                ),
                (
                    "job_run",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="purchase_summary_run",
                        to="jobs.jobrun",
                    ),
                ),
                (
                    "previous",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="members.purchasesummaryrun",
                    ),
                ),
            ],
            options={
                "verbose_name": "购买汇总运行",
                "verbose_name_plural": "购买汇总运行",
                "ordering": ["-business_date"],
            },
        ),
        migrations.CreateModel(
            name="MemberPurchase",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "member",
                        "product",
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
                        related_name="purchases",
                        to="members.member",
                    ),
                ),
                (
                    "product",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="members.product",
                    ),
                ),
                ("last_bought_on", models.DateField(verbose_name="最近购买日")),
                ("last_order_id", models.BigIntegerField(verbose_name="最近购买订单")),
            ],
            options={
                "verbose_name": "会员购买汇总",
                "verbose_name_plural": "会员购买汇总",
                "ordering": ["member", "product"],
                "indexes": [
                    models.Index(
                        fields=["product", "last_bought_on", "member", "last_order_id"],
                        name="memberpurchase_lookup",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="PurchaseStage",
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
                        to="members.purchasesummaryrun",
                    ),
                ),
                ("member_id", models.BigIntegerField()),
            ],
            options={"ordering": ["run", "member_id"]},
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["updated_at"], name="order_updated"),
        ),
        migrations.AddIndex(
            model_name="refund",
            index=models.Index(fields=["created_at"], name="refund_created"),
        ),
    ]
