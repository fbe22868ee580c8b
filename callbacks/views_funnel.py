"""The portal's funnel page: store managers (their store's guides) and region managers (their
region's stores); HQ reads it in the admin. Guides get a 403: the per-guide comparison is for
the people who lead them."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from members.selectors_rfm import may_see_group_figures

from .funnel_page import funnel_page
from .selectors import FunnelBy


@login_required
@require_safe
def funnel(request):
    user = request.user
    if user.is_hq:
        return redirect("admin:callbacks_callbackplan_funnel")
    if not may_see_group_figures(user):
        raise PermissionDenied(_("回访漏斗只对店长和片区经理开放。"))
    default_by = FunnelBy.STORE if user.is_region_manager else FunnelBy.GUIDE
    context, status = funnel_page(user, request.GET, default_by=default_by)
    return render(request, "callbacks/funnel.html", context, status=status)
