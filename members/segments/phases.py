"""The purchase cycle (DOMAIN.md: a median cycle of about 45 days), as named phases.

Days are counted from the last counted purchase to `today` (Asia/Shanghai local date): the day of
the purchase is day 0. Days 0–15 are care only (no selling); marketing starts at day 40 and runs to
day 60; after that a member is lapsing (61–180) and then lost (over 180). Days 16–39 are the quiet
wait between care and marketing.
"""

from dataclasses import dataclass

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _


class PurchasePhase(TextChoices):
    CARE = "care", _("关怀期（购后 0–15 天）")
    QUIET = "quiet", _("平稳期（购后 16–39 天）")
    MARKETING = "marketing", _("营销期（购后 40–60 天）")
    LAPSING = "lapsing", _("沉睡期（购后 61–180 天）")
    LOST = "lost", _("流失期（购后 180 天以上）")


@dataclass(frozen=True)
class DayRange:
    low: int
    high: int | None  # inclusive; None = no upper bound


PHASE_DAYS = {
    PurchasePhase.CARE: DayRange(0, 15),
    PurchasePhase.QUIET: DayRange(16, 39),
    PurchasePhase.MARKETING: DayRange(40, 60),
    PurchasePhase.LAPSING: DayRange(61, 180),
    PurchasePhase.LOST: DayRange(181, None),
}
