"""Segments (分组): the condition engine, scoping, preview, materialisation and export.

- `registry`: the pluggable condition classes (`@register`), built-ins in `conditions_*`.
- `rules`: rule JSON -> validation errors with paths, or a `Q` on Member.
- `selectors`: a segment's members for a user, the live preview.
- `services`: create/update/materialise, rule tags, export.
"""

from . import (  # noqa: F401  (importing registers the built-in conditions)
    conditions_profile,
    conditions_purchases,
    conditions_rfm,
    conditions_store,
)
from .registry import Condition, condition_for, conditions, register
from .rules import MAX_CONDITIONS, MAX_DEPTH, RuleError, rule_check, rule_q, rule_validate

__all__ = [
    "MAX_CONDITIONS",
    "MAX_DEPTH",
    "Condition",
    "RuleError",
    "condition_for",
    "conditions",
    "register",
    "rule_check",
    "rule_q",
    "rule_validate",
]
