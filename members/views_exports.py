"""The member list's CSV export (store portal): the list's own filters, posted by its button."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from .errors import RuleViolation
from .exports import export_check, logged_filters, member_list_export
from .views import member_filter_for, render_member_list


def _csv_response(lines, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def member_export(request):
    """Posted with the list's filters; `full_phones=1` (HQ only) exports numbers in full."""
    masked = request.POST.get("full_phones") != "1"
    try:
        export_check(request.user, masked=masked)
    except RuleViolation as refused:
        raise PermissionDenied(refused.message) from None
    member_filter = member_filter_for(request, request.POST)
    if not member_filter.is_valid():
        return render_member_list(request, member_filter, status=400)
    try:
        log, lines = member_list_export(
            members=member_filter.qs,
            filters=logged_filters(request.POST),
            masked=masked,
            actor=request.user,
        )
    except RuleViolation as refused:
        return render_member_list(
            request, member_filter, status=refused.status_code, export_error=refused.message
        )
    return _csv_response(lines, f"members-{timezone.localtime(log.created_at):%Y%m%d%H%M}.csv")
