"""The regroup's measure chunks write the run's own MemberRfm table directly (members.rfm.measure):
the work table of measured figures (RfmStage) goes.

A run left unfinished by the earlier design (its chunks wrote that work table, and its classify
step the run's table) cannot be resumed by the new one: it is removed with its job records, the
group changes its chunks recorded and its table, so that its date runs again from the start.
"""

from django.db import migrations

JOB = "members.rfm_regroup"


def unfinished_runs_remove(apps, schema_editor):
    RfmRun = apps.get_model("members", "RfmRun")
    RfmGroupChange = apps.get_model("members", "RfmGroupChange")
    JobRun = apps.get_model("jobs", "JobRun")
    unfinished = list(RfmRun.objects.filter(finished_at__isnull=True))
    connection = schema_editor.connection
    for run in unfinished:
        RfmGroupChange.objects.filter(business_date=run.business_date).delete()
        table = connection.ops.quote_name(f"members_memberrfm_next_{run.pk}")
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        job_run_id = run.job_run_id
        run.delete()
        if job_run_id:
            JobRun.objects.filter(pk=job_run_id, job=JOB).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0005_chunk_detail"),
        ("members", "0019_order_net_cents"),
    ]

    operations = [
        migrations.RunPython(unfinished_runs_remove, migrations.RunPython.noop),
        migrations.DeleteModel(name="RfmStage"),
    ]
