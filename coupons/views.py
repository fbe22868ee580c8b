"""Coupon pages of the store portal, thin: every read through visible_to(request.user).

- coupons/: store managers and region managers: the batches, this month's coupon figures and the
  coupons about to expire; guides are sent to their own list (403 here), HQ to the admin.
- coupons/expiring/: "本周到期的券": unused coupons of the user's members that expire this week
  (Monday to Sunday), each a reason to call the member.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from jobs.dates import month_window
from members.selectors_rfm import may_see_group_figures

from .selectors import RoiBy, coupon_roi
from .selectors_portal import expiring_coupons, soon, store_batches, week_of


def coupon_figures_check(user) -> None:
    """Store-level coupon figures: the same people as the other store-level figures."""
    if not may_see_group_figures(user):
        raise PermissionDenied(_("优惠券页面只对店长和片区经理开放；导购请查看“本周到期的券”。"))


@login_required
@require_safe
def store_coupons(request):
    user = request.user
    if user.is_hq:
        return redirect("admin:coupons_redemption_roi")
    coupon_figures_check(user)
    today = timezone.localdate()
    start, end = month_window(today)
    first, last = soon(today)
    context = {
        "month": start,
        "by_store": coupon_roi(user=user, start=start, end=end, by=RoiBy.STORE),
        "by_template": coupon_roi(user=user, start=start, end=end, by=RoiBy.TEMPLATE),
        "batches": store_batches(user),
        "expiring": expiring_coupons(user, first=first, last=last),
        "expiring_until": last,
    }
    return render(request, "coupons/store_coupons.html", context)


@login_required
@require_safe
def expiring_this_week(request):
    monday, sunday = week_of(timezone.localdate())
    context = {
        "monday": monday,
        "sunday": sunday,
        "expiring": expiring_coupons(request.user, first=monday, last=sunday),
    }
    return render(request, "coupons/expiring.html", context)
