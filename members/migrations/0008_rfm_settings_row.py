"""HQ's RFM settings row, created once here so that reading the settings never writes."""

from django.db import migrations


def settings_row_create(apps, schema_editor):
    settings = apps.get_model("members", "RfmSettings")
    if not settings.objects.exists():
        settings.objects.create()


class Migration(migrations.Migration):
    dependencies = [("members", "0007_rfm_group_change_key")]

    operations = [migrations.RunPython(settings_row_create, migrations.RunPython.noop)]
