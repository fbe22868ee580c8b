"""Reads across members, orders and products: a member's figures, the five-looks card and the
member's RFM group explained."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, F, Max, Min, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import ZERO, Gender, Member, MemberRfm, OrderLine, RfmRun, counted_q
from .phones import phone_for
from .rfm.contract import is_high, is_recent

CENT = Decimal("0.01")


@dataclass(frozen=True)
class ProductBought:
    sku: str
    name: str
    series: str
    category: str
    quantity: int
    amount: Decimal
    last_bought_at: datetime


@dataclass(frozen=True)
class MemberFigures:
    """A member's purchase figures; refunded-in-full orders do not count, partial refunds net."""

    first_purchase_at: datetime | None = None
    last_purchase_at: datetime | None = None
    order_count: int = 0
    total_spent: Decimal = ZERO
    products: list[ProductBought] = field(default_factory=list)

    @property
    def average_ticket(self) -> Decimal:
        if not self.order_count:
            return ZERO
        return (self.total_spent / self.order_count).quantize(CENT)

    @property
    def favourite_series(self) -> str:
        return _favourite(self.products, "series")

    @property
    def favourite_category(self) -> str:
        return _favourite(self.products, "category")


def _favourite(products: list[ProductBought], attr: str) -> str:
    spent = Counter()
    for product in products:
        if getattr(product, attr):
            spent[getattr(product, attr)] += product.amount
    return spent.most_common(1)[0][0] if spent else ""


def member_figures(member: Member) -> MemberFigures:
    totals = member.orders.counted().aggregate(
        first=Min("paid_at"),
        last=Max("paid_at"),
        count=Count("id"),
        spent=Sum(F("amount") - F("refunded_amount")),
    )
    products = (
        OrderLine.objects.filter(counted_q("order__"), order__member=member)
        .values("product__sku", "product__name", "product__series", "product__category")
        .annotate(quantity=Sum("quantity"), amount=Sum("amount"), last=Max("order__paid_at"))
        .order_by("-last", "product__sku")
    )
    return MemberFigures(
        first_purchase_at=totals["first"],
        last_purchase_at=totals["last"],
        order_count=totals["count"],
        total_spent=(totals["spent"] or ZERO).quantize(CENT),
        products=[
            ProductBought(
                sku=row["product__sku"],
                name=row["product__name"],
                series=row["product__series"],
                category=row["product__category"],
                quantity=row["quantity"],
                amount=row["amount"],
                last_bought_at=row["last"],
            )
            for row in products
        ],
    )


# --- The five looks (五看) ------------------------------------------------------------------------

AGE_BANDS = [
    (25, gettext_lazy("25岁以下")),
    (30, gettext_lazy("25–29岁")),
    (35, gettext_lazy("30–34岁")),
    (40, gettext_lazy("35–39岁")),
    (50, gettext_lazy("40–49岁")),
]


def age_on(birthday: date, today: date) -> int:
    return today.year - birthday.year - ((today.month, today.day) < (birthday.month, birthday.day))


def age_band(age: int) -> str:
    for upper, label in AGE_BANDS:
        if age < upper:
            return str(label)
    return _("50岁及以上")


def form_of_address(member: Member, age: int | None) -> str:
    """How a guide greets them: by surname and an address that suits gender and age."""
    forms = _ADDRESS_FORMS.get(member.gender)
    if forms is None:
        return member.name
    young, middle, senior = forms
    form = young if age is not None and age < 30 else middle if age is None or age < 50 else senior
    return form % {"surname": member.name[:1]}


# Under 30, 30 to 49 (or age unknown), 50 and over; one whole phrase each, so English can reorder.
_ADDRESS_FORMS = {
    Gender.FEMALE: (
        gettext_lazy("%(surname)s小姐"),
        gettext_lazy("%(surname)s姐"),
        gettext_lazy("%(surname)s阿姨"),
    ),
    Gender.MALE: (
        gettext_lazy("%(surname)s先生"),
        gettext_lazy("%(surname)s哥"),
        gettext_lazy("%(surname)s叔"),
    ),
}


def tenure_label(joined_at: date, today: date) -> str:
    months = (today.year - joined_at.year) * 12 + today.month - joined_at.month
    months -= today.day < joined_at.day
    months = max(months, 0)
    years, months = divmod(months, 12)
    if years:
        return _("%(years)d年%(months)d个月") % {"years": years, "months": months}
    return _("%(months)d个月") % {"months": months}


@dataclass(frozen=True)
class FiveLooks:
    age_band: str
    address_as: str
    birthday_md: str
    tenure: str
    tenure_days: int
    average_ticket: Decimal
    order_count: int
    products: list[ProductBought]
    favourite_series: str
    favourite_category: str


def five_looks(member: Member, figures: MemberFigures, today: date | None = None) -> FiveLooks:
    """The card a guide reads before a call. Shows birthday month and day, never the year."""
    today = today or timezone.localdate()
    age = age_on(member.birthday, today) if member.birthday else None
    return FiveLooks(
        age_band=age_band(age) if age is not None else _("未知"),
        address_as=form_of_address(member, age),
        birthday_md=member.birthday.strftime("%m-%d") if member.birthday else "",
        tenure=tenure_label(member.joined_at, today),
        tenure_days=(today - member.joined_at).days,
        average_ticket=figures.average_ticket,
        order_count=figures.order_count,
        products=figures.products[:10],
        favourite_series=figures.favourite_series,
        favourite_category=figures.favourite_category,
    )


# --- A member's group, explained ----------------------------------------------------------------


@dataclass(frozen=True)
class AxisReading:
    """One of R, F, M against the run's threshold: "R 12 天 ≤ 45 天 → 近期"."""

    axis: str
    value: str
    rule: str
    verdict: str
    met: bool


@dataclass(frozen=True)
class RfmCard:
    group: str
    group_label: str
    as_of: date
    axes: list[AxisReading]
    lifetime: str


def plain_number(value: Decimal) -> str:
    """A threshold without trailing zeros: 45.0000 -> "45", 2.5000 -> "2.5"."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def _recency(rfm: MemberRfm, run: RfmRun | None) -> AxisReading:
    if rfm.recency_days is None:
        return AxisReading("R", _("无消费"), "", _("未消费"), False)
    value = _("%(days)d 天") % {"days": rfm.recency_days}
    if run is None or run.r_threshold is None:
        return AxisReading("R", value, "", "", False)
    met = is_recent(rfm.recency_days, run.r_threshold)
    rule = _("≤ %(days)s 天为近期") % {"days": plain_number(run.r_threshold)}
    return AxisReading("R", value, rule, _("近期") if met else _("非近期"), met)


def _frequency(rfm: MemberRfm, run: RfmRun | None) -> AxisReading:
    value = _("%(times)d 次") % {"times": rfm.frequency}
    if run is None or run.f_threshold is None:
        return AxisReading("F", value, "", "", False)
    met = is_high(rfm.frequency, run.f_threshold)
    rule = _("> %(times)s 次为高频") % {"times": plain_number(run.f_threshold)}
    return AxisReading("F", value, rule, _("高频") if met else _("低频"), met)


def _monetary(rfm: MemberRfm, run: RfmRun | None) -> AxisReading:
    value = _("¥%(amount)s") % {"amount": rfm.monetary}
    if run is None or run.m_threshold is None:
        return AxisReading("M", value, "", "", False)
    met = is_high(rfm.monetary, run.m_threshold)
    rule = _("> ¥%(amount)s 为高额") % {"amount": plain_number(run.m_threshold)}
    return AxisReading("M", value, rule, _("高额") if met else _("低额"), met)


def member_rfm_card(member: Member) -> RfmCard | None:
    """The member's group with R, F, M, L and the thresholds of the run that grouped them, so a
    guide sees why; None until the member's first run."""
    try:
        rfm = member.rfm
    except MemberRfm.DoesNotExist:
        return None
    run = RfmRun.objects.filter(business_date=rfm.as_of).first()
    lifetime = "" if rfm.lifetime_days is None else _("%(days)d 天") % {"days": rfm.lifetime_days}
    return RfmCard(
        group=rfm.group,
        group_label=rfm.get_group_display(),
        as_of=rfm.as_of,
        axes=[_recency(rfm, run), _frequency(rfm, run), _monetary(rfm, run)],
        lifetime=lifetime,
    )


def member_card(user, member: Member) -> dict:
    """What every page that shows a member to staff starts from (the member card, the callback
    task page): the phone as the user may see it, the five looks and the RFM card."""
    shown = phone_for(user, member.phone)
    return {
        "member": member,
        "display_phone": shown,
        "phone_is_masked": shown != member.phone,
        "looks": five_looks(member, member_figures(member)),
        "rfm": member_rfm_card(member),
    }
