"""Customer-group pages: the group migration matrix and group sizes per store.

One page-context builder serves the store portal (/groups/migration/) and the HQ admin page; the
figures come from members.selectors_rfm, always within the user's scope.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from .errors import RuleViolation
from .forms import MigrationFilterForm
from .selectors_rfm import (
    default_migration_dates,
    finished_run_dates,
    group_figures_check,
    group_migration_matrix,
    group_sizes_by_store,
)


def _with_default_dates(params, run_dates):
    data = params.copy()
    earlier, latest = default_migration_dates(run_dates)
    if earlier is not None:
        data.setdefault("date_from", earlier.isoformat())
        data.setdefault("date_to", latest.isoformat())
    return data


def migration_page(user, params) -> tuple[dict, int]:
    """(context, status): the filter form, the matrix and the latest run's sizes per store."""
    run_dates = finished_run_dates()
    data = _with_default_dates(params, run_dates)
    form = MigrationFilterForm(data, user=user, run_dates=run_dates)
    context = {"form": form, "matrix": None, "sizes": None, "notice": ""}
    valid = form.is_valid()
    place = form.place()
    if run_dates:
        context["sizes"] = group_sizes_by_store(user=user, run_date=run_dates[0], **place)
    if len(run_dates) < 2:
        context["notice"] = _("至少需要两次已完成的分群运行才能比较客户群迁移。")
        return context, 200
    if not valid:
        return context, 400
    try:
        context["matrix"] = group_migration_matrix(
            user=user,
            date_from=form.cleaned_data["date_from"],
            date_to=form.cleaned_data["date_to"],
            **place,
        )
    except RuleViolation as refused:
        form.add_error(None, refused.message)
        return context, refused.status_code
    return context, 200


@login_required
@require_safe
def group_migration(request):
    group_figures_check(request.user)
    context, status = migration_page(request.user, request.GET)
    return render(request, "portal/group_migration.html", context, status=status)
