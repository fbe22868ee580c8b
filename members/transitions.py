"""Written transition tables: every status (coupon, coupon template, outbox message, and later
callback outcomes) moves only along its table, checked in one place. Moving to the status
already held is a no-op; an illegal move raises with a Chinese sentence naming both statuses."""

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import TextChoices

from .errors import RuleViolation


class IllegalTransition(RuleViolation):
    pass


@dataclass(frozen=True)
class Transitions:
    """`table` maps each status to the statuses it may move to; `message` is a lazy sentence
    with %(from)s and %(to)s (and any names passed to `check`)."""

    table: Mapping[str, frozenset[str]]
    statuses: type[TextChoices]
    code: str
    message: str

    def check(self, current: str, to: str, **names) -> bool:
        """True when `to` is a move to make, False when it is already the status; raises
        IllegalTransition for a move the table does not allow."""
        if current == to:
            return False
        if to not in self.table[current]:
            labels = {"from": self.statuses(current).label, "to": self.statuses(to).label}
            raise IllegalTransition(self.code, self.message % {**labels, **names})
        return True

    def sources_of(self, to: str) -> list[str]:
        """The statuses from which `to` may be reached (for set-based conditional updates)."""
        return [source for source, targets in self.table.items() if to in targets]
