"""The RFM(L) engine: the contract (thresholds, group rules), its set-based SQL, and the nightly
regroup job built on the chunk primitives of `jobs.services` (INV-JOB-RERUN).

Callers use `rfm_regroup` and `rfm_chunk_run` from here.
"""

from .runs import DEFAULT_CHUNK_SIZE, rfm_chunk_run, rfm_regroup, run_inline

__all__ = ["DEFAULT_CHUNK_SIZE", "rfm_chunk_run", "rfm_regroup", "run_inline"]
