"""Orders written while a regroup measures from a base, with real threads on Postgres: an order
committed after a measure chunk took its range's change-log rows stays in the log, and the next
run measures its member; one committed before is measured now."""

import threading
from datetime import timedelta

import pytest
from django.db import connections

from members.models import MemberOrderChange, MemberRfm
from members.rfm import measure, rfm_chunk_run, rfm_regroup, runs
from tests.members.factories import MemberFactory
from tests.members.rfm_helpers import AS_OF, buy, local

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FIRST = AS_OF - timedelta(days=2)


def test_an_order_committed_while_its_range_is_measured_waits_for_the_next_run(
    store_a, monkeypatch
):
    # given: two members measured by a first run; one buys before the next run opens
    early, late = MemberFactory(home_store=store_a), MemberFactory(home_store=store_a)
    buy(early, local(FIRST, 9))
    buy(late, local(FIRST, 9))
    rfm_regroup(business_date=FIRST)
    buy(early, local(AS_OF - timedelta(days=1), 9), "300.00")
    measured, inserted = threading.Event(), threading.Event()
    write = measure.measure_chunk

    def measure_then_wait(*args, **kwargs):
        done = write(*args, **kwargs)
        measured.set()
        assert inserted.wait(10)  # the other order commits while this chunk is still open
        return done

    monkeypatch.setattr(runs, "measure_chunk", measure_then_wait)
    chunks = []
    rfm_regroup(business_date=AS_OF - timedelta(days=1), dispatch=chunks.extend)

    def chunk_run():
        try:
            rfm_chunk_run(chunk_id=chunks[0], dispatch=runs.run_inline)
        finally:
            connections.close_all()

    worker = threading.Thread(target=chunk_run)
    worker.start()
    # when: the late member buys while the chunk holds its transaction open
    assert measured.wait(10)
    buy(late, local(AS_OF - timedelta(days=1), 10), "500.00")
    inserted.set()
    worker.join(20)
    # then: this run measured the early member only; the late one waits in the log
    assert MemberRfm.objects.get(member=early).order_count == 2
    assert MemberRfm.objects.get(member=late).order_count == 1
    assert list(MemberOrderChange.objects.values_list("member_id", flat=True)) == [late.pk]
    monkeypatch.setattr(runs, "measure_chunk", write)
    # and the next run measures it
    nxt = rfm_regroup(business_date=AS_OF)
    assert nxt.base.business_date == AS_OF - timedelta(days=1)
    assert MemberRfm.objects.get(member=late).order_count == 2
    assert not MemberOrderChange.objects.exists()
