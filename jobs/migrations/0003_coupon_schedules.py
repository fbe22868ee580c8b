"""The coupon, message and purchase-summary schedules, as data HQ can see and edit in the admin (django_celery_beat).

Declared once, here (INVARIANTS: exactly one beat scheduler; schedules are data):

- 00:30 Asia/Shanghai, "优惠券每晚过期" -> coupons.expire_nightly: a coupon is valid through its
  last day, so just after midnight the coupons whose last day was yesterday expire. A re-run for
  the same date moves nothing.
- 02:30, "购买汇总每晚更新" -> members.purchase_summary_nightly: the per-member purchase
  summary as of yesterday that "bought within N days" segment conditions read (orders changed
  since are read from the orders themselves, so its hour never changes an answer); after the
  02:00 regroup so the two do not compete, before the 03:30 segments so they read it fresh.
- every hour at :10, "开卡礼每小时发放" -> coupons.welcome_pack_hourly: new members get their
  welcome pack within the hour (yesterday is included for members imported late); the day's
  batches are keyed and re-run, so a repeat issues nothing twice.
- 06:00, "生日券每日发放" -> coupons.birthday_coupons_daily: this month's birthday coupons before
  the shops open, after the 02:00-03:30 nightly jobs; each day's re-run picks up new members.
- 09:30, "优惠券到期提醒" -> coupons.remind_nightly: people read SMS in the morning; it only
  writes the outbox (one message per member and day), the sender delivers.
- every 5 minutes, "待发消息发送" -> messaging.outbox_send: the sender itself keeps marketing
  SMS within 09:00-21:00, so running all day only lets staff and internal messages through
  promptly.
"""

from django.db import migrations

from jobs.schedules import schedules_remove, schedules_write

SCHEDULES = [
    {"name": "优惠券每晚过期", "task": "coupons.expire_nightly", "hour": "0", "minute": "30"},
    {
        "name": "购买汇总每晚更新",
        "task": "members.purchase_summary_nightly",
        "hour": "2",
        "minute": "30",
    },
    {"name": "开卡礼每小时发放", "task": "coupons.welcome_pack_hourly", "hour": "*", "minute": "10"},
    {"name": "生日券每日发放", "task": "coupons.birthday_coupons_daily", "hour": "6", "minute": "0"},
    {"name": "优惠券到期提醒", "task": "coupons.remind_nightly", "hour": "9", "minute": "30"},
    {"name": "待发消息发送", "task": "messaging.outbox_send", "hour": "*", "minute": "*/5"},
]


def schedules_create(apps, schema_editor):
    schedules_write(apps, SCHEDULES)


def schedules_delete(apps, schema_editor):
    schedules_remove(apps, SCHEDULES)


class Migration(migrations.Migration):
    dependencies = [("jobs", "0002_nightly_schedules")]

    operations = [migrations.RunPython(schedules_create, schedules_delete)]
