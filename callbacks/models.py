"""Arrives with its own issue; the app is registered so that the layout is stable."""
