"""When the demo's orders happen: two years of days weighted by weekday and the retail peaks
(Spring Festival, 38 女神节, 618, Double 11, Double 12), at realistic local hours per channel.

Days are indexed 0..n-1 (day 0 two years before yesterday). Orders are drawn uniformly on the
cumulative weight axis and mapped back to a day, which gives the seasonality for free.
"""

import bisect
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from members.models import Channel

# The Chinese New Year's day of each year (the calendar has no closed formula).
SPRING_FESTIVAL = {
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
}
WEEKDAY_WEIGHT = (0.85, 0.85, 0.9, 0.95, 1.1, 1.4, 1.3)  # Monday .. Sunday

# Local hours of sale per channel: shops open 10:00-22:00 with afternoon and evening peaks,
# livestreams run in the evening, the mini-program sells all day with an evening peak.
HOUR_WEIGHTS = {  # channel: (first hour, weight of each hour from it)
    Channel.STORE: (10, (3, 5, 5, 6, 8, 9, 8, 7, 7, 9, 9, 5)),
    Channel.LIVESTREAM: (19, (3, 6, 6, 4, 1)),
    Channel.MINI_PROGRAM: (8, (1, 2, 3, 3, 5, 4, 3, 3, 3, 3, 4, 5, 7, 8, 7, 3)),
}
REGULAR_DISCOUNTS = (1.0, 1.0, 1.0, 0.95, 0.95, 0.9, 0.88)
PEAK_DISCOUNTS = (0.9, 0.85, 0.8, 0.8, 0.75, 0.7)


def festival_boost(day: date) -> float:
    """Extra weight of a day for the retail peaks; 0 on an ordinary day."""
    boost = 0.0
    md = (day.month, day.day)
    if (6, 1) <= md <= (6, 18):
        boost += 2.6 if md == (6, 18) else (1.0 if md >= (6, 16) else 0.35)
    if (11, 1) <= md <= (11, 12):
        boost += 3.6 if md == (11, 11) else (0.5 if md == (11, 12) else 0.6)
    if md in ((3, 7), (3, 8)):
        boost += 1.0
    if md in ((5, 20), (12, 12), (12, 24), (12, 25)):
        boost += 0.6
    festival = SPRING_FESTIVAL.get(day.year + (1 if day.month >= 12 else 0))
    if festival:
        before = (festival - day).days
        if 1 <= before <= 21:  # New Year gifts: the three weeks before the festival
            boost += 1.1
        elif -3 <= before <= 0:  # shops half closed over the first days of the year
            boost -= 0.5
    return boost


class SalesCalendar:
    """The order window [first_day, last_day] with cumulative weights and local timestamps."""

    def __init__(self, *, last_day: date, days: int = 730):
        self.last_day = last_day
        self.first_day = last_day - timedelta(days=days - 1)
        self.days = [self.first_day + timedelta(days=i) for i in range(days)]
        self.day_codes = [f"{d:%y%m%d}" for d in self.days]  # for order numbers
        weights = [self._weight(i, d) for i, d in enumerate(self.days)]
        self.cumulative = [0.0]
        for w in weights:
            self.cumulative.append(self.cumulative[-1] + w)
        self.discounts = [
            PEAK_DISCOUNTS if festival_boost(d) > 0.5 else REGULAR_DISCOUNTS for d in self.days
        ]
        tz = ZoneInfo(settings.TIME_ZONE)
        self.local_midnight = [
            int(datetime.combine(d, time(), tzinfo=tz).timestamp()) for d in self.days
        ]
        self.hours = {channel: _hour_picker(*hours) for channel, hours in HOUR_WEIGHTS.items()}

    def _weight(self, index: int, day: date) -> float:
        growth = 1.0 + 0.15 * index / 365  # the chain grows about 15% a year
        return (WEEKDAY_WEIGHT[day.weekday()] + festival_boost(day)) * growth

    def day_index(self, day: date) -> int:
        """The index of `day`, clamped to the window."""
        return min(max((day - self.first_day).days, 0), len(self.days))

    def day_at(self, weight_point: float) -> int:
        return bisect.bisect_right(self.cumulative, weight_point) - 1


def _hour_picker(first_hour: int, weights: tuple[int, ...]) -> tuple[list[float], list[int]]:
    """(cumulative shares, hours) for drawing an hour with one random number and a bisect."""
    total, running, shares = sum(weights), 0, []
    for weight in weights:
        running += weight
        shares.append(running / total)
    return shares, list(range(first_hour, first_hour + len(weights)))
