"""HQ admin: CSV imports (upload, result, bad-row report). Filled in by the imports work."""
