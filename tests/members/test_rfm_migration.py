"""Migration members 0020: the regroup's work table goes, and a run left unfinished by the
earlier design (which the new one cannot resume) is removed, so that its date runs again."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("members", "0019_order_net_cents"), ("jobs", "0005_chunk_detail")]
AFTER = [("members", "0020_rfm_run_table_measured")]
FINISHED, UNFINISHED = date(2026, 6, 29), date(2026, 6, 30)


def migrated(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def latest():
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_an_unfinished_run_of_the_earlier_design_is_removed_with_its_records():
    try:
        # given: a finished run and an unfinished one, with its job, chunk, group change and
        # run table, before the migration
        apps = migrated(BEFORE)
        region = apps.get_model("members", "Region").objects.create(name="华东")
        store = apps.get_model("members", "Store").objects.create(
            code="S1", name="徐汇店", region=region
        )
        member = apps.get_model("members", "Member").objects.create(
            phone="13800000001",
            name="王芳",
            home_store=store,
            joined_at=date(2026, 1, 1),
        )
        JobRun = apps.get_model("jobs", "JobRun")
        RfmRun = apps.get_model("members", "RfmRun")
        RfmGroupChange = apps.get_model("members", "RfmGroupChange")
        common = {"window_days": 365, "r_method": "median", "f_method": "median"}
        for day, finished in ((FINISHED, True), (UNFINISHED, False)):
            job = JobRun.objects.create(
                job="members.rfm_regroup", business_date=day, step="classify"
            )
            job.chunks.create(step="classify", lo=1, hi=100)
            run = RfmRun.objects.create(
                business_date=day,
                job_run=job,
                m_method="median",
                finished_at="2026-07-01T00:00:00+08:00" if finished else None,
                **common,
            )
            RfmGroupChange.objects.create(
                member=member, business_date=day, from_group="", to_group="no_purchase",
                store=store,
            )  # fmt: skip
        table = connection.ops.quote_name(f"members_memberrfm_next_{run.pk}")
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE {table} (member_id bigint)")
        # when
        apps = migrated(AFTER)
        # then: the unfinished run and all it left are gone; the finished one is untouched
        RfmRun = apps.get_model("members", "RfmRun")
        assert list(RfmRun.objects.values_list("business_date", flat=True)) == [FINISHED]
        jobs = apps.get_model("jobs", "JobRun").objects
        assert list(jobs.values_list("business_date", flat=True)) == [FINISHED]
        assert apps.get_model("jobs", "JobChunk").objects.count() == 1
        changes = apps.get_model("members", "RfmGroupChange").objects
        assert list(changes.values_list("business_date", flat=True)) == [FINISHED]
        tables = connection.introspection.table_names()
        assert f"members_memberrfm_next_{run.pk}" not in tables
        assert "members_rfmstage" not in tables
    finally:
        latest()
