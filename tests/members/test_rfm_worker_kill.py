"""INV-JOB-RERUN with a real Celery worker: killed in the middle of a chunk's transaction, the
regroup still finishes, with the results of a clean run and no duplicate change rows.

The workers run `celery -A config worker` against this test database and Redis (REDIS_URL),
on a queue and key prefix of their own, so nothing leaks to or from other tests.
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection

from jobs.models import JobChunk, JobStatus
from members.models import MemberRfm, RfmGroupChange, RfmRun
from members.rfm import rfm_regroup
from tests.members.rfm_helpers import AS_OF, population, rfm_results_delete, rfm_snapshot

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
MEMBERS, CHUNK_SIZE = 20, 5  # four chunks a step
CHUNK_DELAY = 1.5  # seconds each chunk of the first worker sleeps inside its transaction


class Broker:
    """A private queue and key prefix on the test Redis, for the workers and for sending."""

    def __init__(self):
        tag = uuid.uuid4().hex[:8]
        self.queue = f"rfm-kill-{tag}"
        self.options = {
            "global_keyprefix": f"rfm-kill-{tag}:",
            # A lost worker's message comes back after 3 s (the chunk is then a no-op).
            "visibility_timeout": 3,
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
        }
        self.app = Celery("rfm-kill-test", broker=settings.CELERY_BROKER_URL)
        self.app.conf.broker_transport_options = self.options
        # A plain client: it sees the keys as stored, prefix included.
        self.redis = redis.Redis.from_url(settings.CELERY_BROKER_URL)

    def send(self, task: str, *args) -> None:
        self.app.send_task(task, args=args, queue=self.queue)

    def pending(self) -> int:
        """Messages waiting in the queue or delivered but not acknowledged."""
        prefix = self.options["global_keyprefix"]
        return self.redis.llen(prefix + self.queue) + self.redis.hlen(prefix + "unacked")

    def forget(self) -> None:
        keys = list(self.redis.scan_iter(self.options["global_keyprefix"] + "*"))
        if keys:
            self.redis.delete(*keys)


def worker_start(broker: Broker, *, chunk_delay: float, log: Path) -> subprocess.Popen:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "SIYU_CELERY_EAGER": "0",
        "SIYU_CELERY_QUEUE": broker.queue,
        "SIYU_CELERY_TRANSPORT_OPTIONS": json.dumps(broker.options),
        "SIYU_RFM_CHUNK_DELAY": str(chunk_delay),
        "SIYU_RFM_CHUNK_SIZE": str(CHUNK_SIZE),
    }
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo",
        "--queues", broker.queue, "--hostname", f"{broker.queue}-{uuid.uuid4().hex[:4]}@%h",
        "--without-mingle", "--without-gossip", "--without-heartbeat", "--loglevel", "INFO",
    ]  # fmt: skip
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def worker_stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)


def wait_until(condition, *, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout} s waiting for {what}\n{log.read_text()[-3000:]}")


def chunk_mid_transaction():
    """A measure chunk started after another finished, while a backend is inside a transaction."""
    chunks = JobChunk.objects.filter(step="measure")
    if not chunks.filter(status=JobStatus.FINISHED).exists():
        return None
    running = chunks.filter(status=JobStatus.RUNNING).first()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state = 'idle in transaction' AND pid <> pg_backend_pid()"
        )
        in_transaction = cursor.fetchone()[0]
    return running if running and in_transaction else None


def test_a_worker_killed_mid_chunk_leaves_a_run_that_finishes_as_a_clean_one(
    store_a, store_b, tmp_path
):
    # given: members, a private broker and a slow worker
    population([store_a, store_b], members=MEMBERS, seed=11)
    broker, log = Broker(), tmp_path / "workers.log"
    workers = [worker_start(broker, chunk_delay=CHUNK_DELAY, log=log)]
    try:
        broker.send("members.regroup_start", AS_OF.isoformat())
        victim = wait_until(chunk_mid_transaction, timeout=40, what="a measure chunk", log=log)
        # when: the worker dies inside the chunk's transaction
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(timeout=10)
        victim.refresh_from_db()
        assert victim.status == JobStatus.RUNNING and victim.finished_at is None
        assert not RfmRun.objects.get(business_date=AS_OF).finished_at
        # and a new worker starts; the coordinator is re-run for the date, as the night's retry
        workers.append(worker_start(broker, chunk_delay=0, log=log))
        broker.send("members.regroup_start", AS_OF.isoformat())
        # then: the run finishes, every message (the lost one too) is consumed
        wait_until(
            lambda: RfmRun.objects.filter(business_date=AS_OF, finished_at__isnull=False).exists(),
            timeout=40,
            what="the run to finish",
            log=log,
        )
        wait_until(lambda: broker.pending() == 0, timeout=20, what="an empty queue", log=log)
    finally:
        for worker in workers:
            worker_stop(worker)
        broker.forget()
    victim.refresh_from_db()
    assert victim.status == JobStatus.FINISHED and victim.attempts == 2
    assert MemberRfm.objects.count() == MEMBERS  # one per member, none twice
    assert not RfmGroupChange.objects.exists()  # a first run changes no one's group
    after_kill = rfm_snapshot()
    # and the results are those of a clean in-process run on the same data
    rfm_results_delete()
    rfm_regroup(business_date=AS_OF, chunk_size=CHUNK_SIZE)
    assert after_kill == rfm_snapshot()
