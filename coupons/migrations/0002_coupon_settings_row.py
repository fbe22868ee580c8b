"""HQ's coupon settings row, created once here so that reading the settings never writes."""

from django.db import migrations

from coupons.models import reminder_sms_template_default


def settings_row_create(apps, schema_editor):
    settings = apps.get_model("coupons", "CouponSettings")
    if not settings.objects.exists():
        settings.objects.create(reminder_sms_template=reminder_sms_template_default())


class Migration(migrations.Migration):
    dependencies = [("coupons", "0001_coupons")]

    operations = [migrations.RunPython(settings_row_create, migrations.RunPython.noop)]
