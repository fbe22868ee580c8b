"""HQ's lifecycle rules row (both rules off), created once here so that reading it never writes."""

from django.db import migrations

from callbacks.models import (
    lifecycle_script_default,
    retention_sms_default,
    winback_sms_default,
)


def settings_row_create(apps, schema_editor):
    settings = apps.get_model("callbacks", "LifecycleSettings")
    if not settings.objects.exists():
        settings.objects.create(
            personal_script=lifecycle_script_default(),
            retention_sms_template=retention_sms_default(),
            winback_sms_template=winback_sms_default(),
        )


class Migration(migrations.Migration):
    dependencies = [("callbacks", "0002_lifecycle_rules")]

    operations = [migrations.RunPython(settings_row_create, migrations.RunPython.noop)]
