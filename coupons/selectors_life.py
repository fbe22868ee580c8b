"""A coupon's life, for HQ's admin and the store portal: issued, reminded, redeemed, reversed,
expired or voided, in time order.

It reads three sources (the coupon with its batch, its redemptions, its audit rows) in three
queries, whatever the number of events. A store user sees the guide of a redemption only when
the redeeming store is one they may see: a member may shop in another store, whose staff are
not theirs to know.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jobs.dates import local_day_start
from members.audit import LogEntry
from members.models import Store
from members.scope import store_visible_to

from .models import Coupon, CouponStatus, Redemption

ISSUED = _("由批次 #%(batch)s（%(source)s）发放%(by)s。")
ISSUED_BY = _("，发放人 %(name)s")
REMINDED = _("到期提醒已发送。")
REDEEMED = _("在 %(store)s 核销，订单 %(order_no)s，订单金额 %(amount)s 元，抵扣 %(discount)s 元。")
REVERSED_BACK = _("退款单 %(refund_no)s 冲正，券已退回会员。")
REVERSED_VOID = _("退款单 %(refund_no)s 冲正，券已作废，不可再用。")
EXPIRED = _("券已过期。")
VOIDED = _("券被作废。")
SYSTEM = _("系统")


class LifeEventKind(models.TextChoices):
    ISSUED = "issued", _("发放")
    REMINDED = "reminded", _("到期提醒")
    REDEEMED = "redeemed", _("核销")
    REVERSED = "reversed", _("冲正")
    EXPIRED = "expired", _("过期")
    VOIDED = "voided", _("作废")


ORDER = list(LifeEventKind.values)  # same instant: the order things happen in a coupon's life


@dataclass(frozen=True)
class LifeEvent:
    """One step of a coupon's life. `at` is local midnight for the reminder, which has a date."""

    kind: str
    at: datetime
    summary: str
    actor: str = ""
    store: Store | None = None
    guide: str = ""
    order_no: str = ""
    order_amount: Decimal | None = None
    discount: Decimal | None = None
    refund_no: str = ""
    usable_again: bool | None = None

    @property
    def label(self) -> str:
        return str(LifeEventKind(self.kind).label)


def _name(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _sees_store(viewer, store: Store | None) -> bool:
    """Whether the page's viewer may see names from `store` (None: HQ's own batch; no viewer:
    HQ or the system)."""
    return viewer is None or store is None or store_visible_to(viewer, store)


def _issued(coupon: Coupon, viewer) -> LifeEvent:
    """Who issued it is named only to those who may see the issuing store (a store's guide is
    that store's business)."""
    batch = coupon.batch
    issuer = batch.created_by if _sees_store(viewer, batch.store) else None
    by = ISSUED_BY % {"name": _name(issuer)} if issuer else ""
    summary = ISSUED % {"batch": batch.pk, "source": batch.get_source_display(), "by": by}
    return LifeEvent(LifeEventKind.ISSUED, coupon.issued_at, str(summary), actor=_name(issuer))


def _reminded(coupon: Coupon) -> list[LifeEvent]:
    if coupon.reminded_on is None:
        return []
    at = local_day_start(coupon.reminded_on)
    return [LifeEvent(LifeEventKind.REMINDED, at, str(REMINDED))]


def _redeemed(redemption: Redemption, viewer) -> LifeEvent:
    summary = REDEEMED % {
        "store": redemption.store.name,
        "order_no": redemption.order_no,
        "amount": redemption.order_amount,
        "discount": redemption.discount,
    }
    guide = _name(redemption.guide) if _sees_store(viewer, redemption.store) else ""
    return LifeEvent(
        LifeEventKind.REDEEMED,
        redemption.redeemed_at,
        str(summary),
        store=redemption.store,
        guide=guide,
        order_no=redemption.order_no,
        order_amount=redemption.order_amount,
        discount=redemption.discount,
    )


def _reversed(redemption: Redemption, usable_again: bool) -> LifeEvent:
    message = REVERSED_BACK if usable_again else REVERSED_VOID
    return LifeEvent(
        LifeEventKind.REVERSED,
        redemption.reversed_at,
        str(message % {"refund_no": redemption.reversal_refund_no}),
        store=redemption.store,
        order_no=redemption.order_no,
        refund_no=redemption.reversal_refund_no,
        usable_again=usable_again,
    )


def _moved_to(entry: LogEntry) -> str:
    status = (entry.changes or {}).get("status") or [None, None]
    return status[-1] if isinstance(status, list) else ""


def _ended(entry: LogEntry) -> LifeEvent | None:
    """An expiry or a voiding from the audit trail; a reversal's voiding is told by `_reversed`."""
    to = _moved_to(entry)
    event = (entry.additional_data or {}).get("event", "")
    if to not in (CouponStatus.EXPIRED, CouponStatus.VOIDED) or event == "coupon_reversed":
        return None
    kind = LifeEventKind.EXPIRED if to == CouponStatus.EXPIRED else LifeEventKind.VOIDED
    summary = EXPIRED if kind == LifeEventKind.EXPIRED else VOIDED
    actor = _name(entry.actor) if entry.actor_id else str(SYSTEM)
    return LifeEvent(kind, entry.timestamp, str(summary), actor=actor)


def _reversals_given_back(entries: list[LogEntry]) -> dict[str, bool]:
    """refund no -> whether that reversal put the coupon back in the member's hands."""
    return {
        (entry.additional_data or {}).get("refund_no", ""): _moved_to(entry) == CouponStatus.ISSUED
        for entry in entries
        if (entry.additional_data or {}).get("event") == "coupon_reversed"
    }


def coupon_life(coupon: Coupon, *, viewer=None) -> list[LifeEvent]:
    """Every step of `coupon`'s life in time order, in three queries. `viewer` is the user the
    page is for (None: HQ or the system)."""
    coupon = Coupon.objects.select_related("batch__created_by", "batch__store").get(pk=coupon.pk)
    redemptions = list(coupon.redemptions.select_related("store", "guide").order_by("pk"))
    entries = list(LogEntry.objects.get_for_object(coupon).select_related("actor"))
    given_back = _reversals_given_back(entries)
    events = [_issued(coupon, viewer), *_reminded(coupon)]
    for redemption in redemptions:
        events.append(_redeemed(redemption, viewer))
        if redemption.reversed_at is not None:
            still_valid = timezone.localdate(redemption.reversed_at) <= coupon.valid_until
            usable = given_back.get(redemption.reversal_refund_no, False) and still_valid
            events.append(_reversed(redemption, usable))
    events.extend(event for entry in entries if (event := _ended(entry)))
    return sorted(events, key=lambda e: (e.at, ORDER.index(e.kind)))
