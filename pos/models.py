"""POS credentials and idempotent requests (filled in by the POS ingest work)."""
