"""Segment conditions on callbacks (family "回访"), registered from CallbacksConfig.ready()."""
