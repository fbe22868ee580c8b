"""Realistic demo data for the chain (`manage.py seed_demo`), from a 20,000-member demo to
millions of members for the benchmarks."""

from .seeding import DEFAULT_MEMBERS, DEFAULT_SEED, demo_loaded, demo_logins, seed_demo

__all__ = ["DEFAULT_MEMBERS", "DEFAULT_SEED", "demo_loaded", "demo_logins", "seed_demo"]
