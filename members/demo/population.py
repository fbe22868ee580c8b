"""Members and their purchase histories, generated one member at a time into a bulk sink.

Members are generated in the order they joined (ids grow with the card-opening date), so a
referrer is always an earlier member of the same store. Each member's orders are a Poisson
process on the sales calendar's weighted days, at a personal rate (heavy-tailed: a few loyal
members buy often, many rarely, some never) that may stop early (the member drifts away).
Sales are credited through `members.services.order_attribution`, the rule used at ingest.
"""

import bisect
import itertools
import math
from datetime import date, timedelta
from types import SimpleNamespace

from members.models import Channel, Level, Member, MemberTag, Order, OrderLine, Refund, Source
from members.services import order_attribution

from .calendar import SalesCalendar
from .catalogue import PRODUCT_TYPES, SOURCE_WEIGHTS
from .organisation import Organisation
from .people import PhoneBook, person_name

MEMBER_FIELDS = [
    "id", "created_at", "updated_at", "phone", "name", "gender", "birthday", "joined_at",
    "home_store", "guide", "source", "referrer", "level", "points", "marketing_opt_out",
]  # fmt: skip
ORDER_FIELDS = [
    "id", "created_at", "updated_at", "store", "order_no", "member", "guide", "channel",
    "paid_at", "amount", "refunded_amount", "credited_store", "credited_guide",
]  # fmt: skip
LINE_FIELDS = ["id", "order", "product", "quantity", "amount"]
REFUND_FIELDS = ["id", "order", "refund_no", "amount", "refunded_at", "created_at"]
MEMBER_TAG_FIELDS = ["id", "member", "tag", "tagged_by", "created_at"]

CARD_YEARS = 8  # cards were opened over the last eight years
ORDERS_PER_YEAR = 8.6  # the mean purchase rate of a buying member, tuned to ~10 orders a member
NEVER_BOUGHT = 0.12
DRIFTED_AWAY = 0.35
UNBOUND = 0.03
ONLINE_MINDED_SOURCES = {Source.LIVESTREAM, Source.MINI_PROGRAM, Source.PARCEL_CARD}
LEVEL_THRESHOLDS = ((8000_00, Level.DIAMOND), (3000_00, Level.GOLD), (1000_00, Level.SILVER))


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _cumulative(weights) -> list[float]:
    running = list(itertools.accumulate(weights))
    return [w / running[-1] for w in running]


class IdRange:
    """The next primary keys of one table: rows are written with explicit ids."""

    def __init__(self, start: int):
        self.next = start

    def take(self) -> int:
        value = self.next
        self.next += 1
        return value


class Population:
    """Generates `total` members and their orders, `chunk()` by `chunk()`, into `sink`."""

    def __init__(self, rng, sink, org: Organisation, *, total: int, today: date, first_ids: dict):
        self.rng, self.sink, self.org, self.total = rng, sink, org, total
        self.today = today
        self.calendar = SalesCalendar(last_day=today - timedelta(days=1))
        self.now = self.calendar.local_midnight[-1] + 86400  # today, 00:00: always past
        self.now_text = sink.timestamp(self.now)
        self.ids = {model: IdRange(first_ids[model]) for model in first_ids}
        self.phones = PhoneBook(rng)
        self.generated = 0
        self.orders = 0
        self.members_of_store: list[list[int]] = [[] for _ in org.stores]
        self.store_order_count = dict.fromkeys((s.id for s in org.stores), 0)
        self.store_shares = _cumulative(s.busyness for s in org.stores)
        self.stores_by_region = org.stores_of_region()
        self.store_refs = {s.id: SimpleNamespace(pk=s.id) for s in org.stores}
        self.guide_refs = {
            g: SimpleNamespace(pk=g, store_id=s.id) for s in org.stores for g in s.guide_ids
        }
        self.source_shares = _cumulative(w for _, w in SOURCE_WEIGHTS)
        self.type_shares = _cumulative(t[3] for t in PRODUCT_TYPES)
        self.products = {(p.series, p.type_index): p for p in org.products}
        self.series_count = 1 + max(p.series for p in org.products)
        for model, fields in (
            (Member, MEMBER_FIELDS),
            (Order, ORDER_FIELDS),
            (OrderLine, LINE_FIELDS),
            (Refund, REFUND_FIELDS),
            (MemberTag, MEMBER_TAG_FIELDS),
        ):
            sink.register(model, fields)

    def chunk(self, size: int) -> int:
        """Generate up to `size` more members with their orders; returns how many."""
        count = min(size, self.total - self.generated)
        for _ in range(count):
            self._member()
            self.generated += 1
        self.sink.flush()
        return count

    # --- one member ----------------------------------------------------------------------------

    def _member(self) -> None:
        rng = self.rng
        store_index = bisect.bisect_left(self.store_shares, rng.random())
        store = self.org.stores[store_index]
        member_id = self.ids[Member].take()
        joined = self._joined_at()
        gender = "F" if rng.random() < 0.86 else ("M" if rng.random() < 0.8 else "")
        source, referrer = self._source(store_index)
        guide_id = None
        if rng.random() >= UNBOUND:
            guide_id = store.guide_ids[
                bisect.bisect_left(store.guide_weights, rng.random() * store.guide_weights[-1])
            ]
        profile = SimpleNamespace(
            id=member_id,
            home_store_id=store.id,
            guide_id=guide_id,
            guide=self.guide_refs.get(guide_id),
            store=store,
            source=source,
            favourite_series=rng.randrange(self.series_count),
            online_share=0.4 if source in ONLINE_MINDED_SOURCES else 0.12,
        )
        spend = self._orders(profile, joined)
        self._member_row(profile, joined, gender, referrer, spend)
        self.members_of_store[store_index].append(member_id)

    def _joined_at(self) -> date:
        """Monotone in the member's number; recruitment tripled over the eight years."""
        share = (self.generated + self.rng.random()) / self.total
        days = CARD_YEARS * 365 * math.log(1 + 2 * share) / math.log(3)
        return self.today - timedelta(days=CARD_YEARS * 365 - int(days) or 1)

    def _source(self, store_index: int) -> tuple[str, int | None]:
        source = SOURCE_WEIGHTS[bisect.bisect_left(self.source_shares, self.rng.random())][0]
        if source != Source.REFERRAL:
            return source, None
        earlier = self.members_of_store[store_index]
        if not earlier:
            return Source.IN_STORE, None
        return source, earlier[int(self.rng.random() * len(earlier))]

    def _birthday(self, joined: date) -> date:
        """Ages 18 to 65 today, most between 25 and 45, and at least 16 when the card opened."""
        age_days = int((18 + 47 * self.rng.betavariate(2.2, 3.5)) * 365.25)
        birthday = self.today - timedelta(days=age_days)
        latest = joined - timedelta(days=16 * 365)
        return birthday if birthday <= latest else latest - timedelta(days=self.rng.randrange(900))

    def _member_row(self, profile, joined: date, gender: str, referrer, spend: dict) -> None:
        rng, null = self.rng, self.sink.NULL
        level = next((lv for floor, lv in LEVEL_THRESHOLDS if spend["net"] >= floor), Level.REGULAR)
        points = int(spend["net"] // 100 * rng.uniform(0.5, 1.0))  # part of them already used
        self.sink.add(
            Member,
            (
                profile.id, self.now_text, self.now_text,
                self.phones.number(self.generated), person_name(rng, gender), gender,
                self._birthday(joined).isoformat(), joined.isoformat(),
                profile.home_store_id, null if profile.guide_id is None else profile.guide_id,
                profile.source, null if referrer is None else referrer,
                int(level), points, 1 if rng.random() < 0.04 else 0,
            ),
        )  # fmt: skip
        self._tags(profile, joined, gender, spend, points)

    def _tags(self, profile, joined: date, gender: str, spend: dict, points: int) -> None:
        rng, tags = self.rng, self.org.tags
        age_years = (self.today - joined).days / 365
        wanted = [
            ("学生党", rng.random() < 0.08),
            ("宝妈", gender == "F" and rng.random() < 0.1),
            ("职场白领", rng.random() < 0.15),
            ("高客单", spend["orders"] > 0 and spend["gross"] / spend["orders"] > 400_00),
            ("复购达人", spend["orders"] >= 20),
            ("折扣敏感", rng.random() < 0.15),
            ("五年老会员", age_years >= 5 and rng.random() < 0.7),
            ("积分大户", points >= 5000),
            ("敏感肌", rng.random() < 0.12),
            ("油皮", rng.random() < 0.1),
            ("直播常客", spend["livestream"] >= 3),
        ]
        for name, attached in wanted:
            if attached and name in tags:
                row = (self.ids[MemberTag].take(), profile.id, tags[name], self.sink.NULL)
                self.sink.add(MemberTag, (*row, self.now_text))

    # --- one member's orders -------------------------------------------------------------------

    def _purchase_days(self, joined: date) -> list[int]:
        """Days (calendar indices) of a member's purchases, in order."""
        rng, cal = self.rng, self.calendar
        if rng.random() < NEVER_BOUGHT:
            return []
        first = cal.day_index(joined)
        if first >= len(cal.days):
            return []
        last = len(cal.days) - 1
        if rng.random() < DRIFTED_AWAY:
            last = rng.randint(first, last)
        rate = (
            rng.gammavariate(1.3, ORDERS_PER_YEAR / 1.3) / 365 * len(cal.days) / cal.cumulative[-1]
        )
        point, end = cal.cumulative[first], cal.cumulative[last + 1]
        days = [first] if joined >= cal.first_day and rng.random() < 0.6 else []
        while True:
            point += rng.expovariate(rate)
            if point >= end:
                return days
            days.append(cal.day_at(point))

    def _orders(self, profile, joined: date) -> dict:
        spend = {"gross": 0, "net": 0, "orders": 0, "livestream": 0}
        busy = profile.store.busyness**0.3
        for day in self._purchase_days(joined):
            if busy < 1 and self.rng.random() > busy:
                continue  # quieter stores see their members less often
            gross, refunded, channel = self._order(profile, day)
            spend["gross"] += gross
            spend["net"] += gross - refunded
            spend["orders"] += 1
            spend["livestream"] += channel == Channel.LIVESTREAM
        return spend

    def _channel(self, profile) -> str:
        rng = self.rng
        if rng.random() >= profile.online_share:
            return Channel.STORE
        return Channel.LIVESTREAM if rng.random() < 0.4 else Channel.MINI_PROGRAM

    def _seller(self, profile, channel: str):
        """(selling store, selling guide id): mostly the home store; online orders have no guide."""
        rng, home = self.rng, profile.store
        if channel != Channel.STORE:
            return home, None
        store = home
        if rng.random() < 0.06:  # bought while visiting another store of the region
            store = rng.choice(self.stores_by_region[home.region])
        if store is home and profile.guide_id and rng.random() < 0.75:
            return store, profile.guide_id
        if rng.random() < 0.9:
            return store, rng.choice(store.guide_ids)
        return store, None

    def _order(self, profile, day: int) -> tuple[int, int, str]:
        rng, sink, cal = self.rng, self.sink, self.calendar
        channel = self._channel(profile)
        store, guide_id = self._seller(profile, channel)
        credited_store, credited_guide = order_attribution(
            store=self.store_refs[store.id],
            guide=self.guide_refs.get(guide_id),
            member=profile,
            channel=channel,
        )
        shares, hours = cal.hours[channel]
        paid = cal.local_midnight[day] + hours[bisect.bisect_left(shares, rng.random())] * 3600
        paid += int(rng.random() * 3600)
        order_id = self.ids[Order].take()
        lines = self._lines(profile, day)
        amount = sum(cents for _, _, cents in lines)
        order_no = self._order_no(store, day)
        refunded = self._refund(order_id, order_no, amount, lines, paid)
        paid_text, null = sink.timestamp(paid), sink.NULL
        sink.add(
            Order,
            (
                order_id, paid_text, paid_text, store.id,
                order_no, profile.id,
                null if guide_id is None else guide_id, channel, paid_text,
                money(amount), money(refunded), credited_store,
                null if credited_guide is None else credited_guide,
            ),
        )  # fmt: skip
        for product_id, quantity, cents in lines:
            sink.add(
                OrderLine,
                (self.ids[OrderLine].take(), order_id, product_id, quantity, money(cents)),
            )
        self.orders += 1
        return amount, refunded, channel

    def _order_no(self, store, day: int) -> str:
        """The store's own running number, prefixed with the day: independent of primary keys."""
        self.store_order_count[store.id] += 1
        return f"{self.calendar.day_codes[day]}{store.code}{self.store_order_count[store.id]:07d}"

    def _lines(self, profile, day: int) -> list[tuple[int, int, int]]:
        """1 to 3 distinct products, mostly of the favourite series, at the day's discount."""
        rng = self.rng
        count = 1 if (r := rng.random()) < 0.55 else (2 if r < 0.85 else 3)
        discount = rng.choice(self.calendar.discounts[day])
        chosen = {}
        for _ in range(count):
            series = (
                profile.favourite_series if rng.random() < 0.6 else rng.randrange(self.series_count)
            )
            kind = bisect.bisect_left(self.type_shares, rng.random())
            product = self.products[(series, kind)]
            if product.id not in chosen:
                quantity = 1 if (q := rng.random()) < 0.85 else (2 if q < 0.97 else 3)
                chosen[product.id] = (
                    quantity,
                    int(product.price_cents * quantity * discount + 0.5),
                )
        return [(pid, quantity, cents) for pid, (quantity, cents) in chosen.items()]

    def _refund(self, order_id: int, order_no: str, amount: int, lines, paid: int) -> int:
        """About 2% of orders are refunded in full and 1.5% in part (one line, or part of one)."""
        rng = self.rng
        r = rng.random()
        if r >= 0.035 or amount == 0:
            return 0
        if r < 0.02:
            refunded = amount
        elif len(lines) > 1:
            refunded = lines[-1][2]
        else:
            refunded = max(100, amount * rng.randint(20, 50) // 100 // 100 * 100)
        refunded_at = min(paid + rng.randint(1, 10) * 86400 + rng.randint(0, 7200), self.now)
        text = self.sink.timestamp(refunded_at)
        row = (self.ids[Refund].take(), order_id, f"R{order_no}", money(refunded), text, text)
        self.sink.add(Refund, row)
        return refunded
