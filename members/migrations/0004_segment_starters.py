"""The starter segments (预置分组) as data (the nightly schedules live in jobs/0002).

Idempotent by name: a segment that already exists is left as HQ has edited it.
Reversing removes only starter segments nobody has built on (no sub-segment, no rule tag).
"""

from django.db import migrations

RFM_GROUPS = [
    ("important_value", "重要价值客户"),
    ("ordinary_value", "一般价值客户"),
    ("important_development", "重要发展客户"),
    ("ordinary_development", "一般发展客户"),
    ("important_retention", "重要保持客户"),
    ("ordinary_retention", "一般保持客户"),
    ("important_winback", "重要挽留客户"),
    ("ordinary_winback", "一般挽留客户"),
    ("no_purchase", "未消费会员"),
]


def _only(condition: dict) -> dict:
    return {"op": "and", "items": [condition]}


STARTERS = [
    *(
        (name, f"RFM 客户群：{name}", _only({"type": "rfm_group", "groups": [group]}))
        for group, name in RFM_GROUPS
    ),
    ("金卡会员", "客单价 400 元以上", _only({"type": "average_ticket", "min": "400"})),
    ("本月生日", "生日在本月", _only({"type": "birthday_month", "when": "this"})),
    ("本月新会员", "本月开卡", _only({"type": "joined", "when": "this_month"})),
    (
        "营销窗口期",
        "距上次购买 40–60 天：营销开始的时候",
        _only({"type": "purchase_phase", "phases": ["marketing"]}),
    ),
    ("流失会员", "距上次购买 180 天以上", _only({"type": "purchase_phase", "phases": ["lost"]})),
    (
        "近90天购买过紧致系列",
        "最近 90 天买过紧致系列的会员",
        _only({"type": "bought", "scope": "series", "value": "紧致系列", "days": 90}),
    ),
]

# After the nightly regroup (which the segment task also waits for); 03:30 Shanghai time.


def starters_create(apps, schema_editor):
    Segment = apps.get_model("members", "Segment")
    for name, description, rule in STARTERS:
        Segment.objects.get_or_create(
            name=name,
            store=None,
            defaults={"description": description, "rule": rule, "is_starter": True},
        )


def starters_remove(apps, schema_editor):
    Segment = apps.get_model("members", "Segment")
    Segment.objects.filter(
        is_starter=True,
        store=None,
        name__in=[name for name, _description, _rule in STARTERS],
        sub_segments__isnull=True,
        rule_tags__isnull=True,
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0003_rfm_lean_writes"),
    ]

    operations = [
        migrations.RunPython(starters_create, starters_remove),
    ]
