"""The purchase summary: who bought which product, and when last, kept by a nightly job.

- `lookup`: "bought SKU / series / category within N days" as member ids, from the summary
  where it is sure and from the order lines where it may not be (same answer either way);
- `changes`: what changed since a refresh began (new, edited and refunded orders);
- `build`: rewriting a chunk of members' rows; `runs`: the chunked nightly job.
"""

from .lookup import bought_q, buyers_direct, paid_between_q
from .runs import DEFAULT_CHUNK_SIZE, purchase_chunk_run, purchase_summary_refresh, run_inline

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "bought_q",
    "buyers_direct",
    "paid_between_q",
    "purchase_chunk_run",
    "purchase_summary_refresh",
    "run_inline",
]
