"""Real threads released at once behind a barrier, for the concurrency tests on Postgres."""

import threading

from django.db import connection


def run_together(work, count: int, *, join_timeout: float = 120):
    """Run work(i) in `count` threads released at once; return each result or raised exception.

    Each thread closes its own database connection at its end.
    """
    barrier = threading.Barrier(count)
    results = [None] * count

    def thread(i):
        try:
            barrier.wait(timeout=10)
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=thread, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=join_timeout)
    return results
