"""Paging the portal's lists (members, segment members, callback worklist and plans): a bad or
absurd page number is a 404 in Chinese, never a 500."""

from django.core.paginator import InvalidPage, Page, Paginator
from django.http import Http404
from django.utils.translation import gettext as _

# Nobody pages 10,000 pages deep; beyond it the offset only burdens the database (or overflows).
MAX_PAGE = 10_000


def page_number(request) -> int:
    try:
        number = int(request.GET.get("page", 1))
    except ValueError:
        raise Http404(_("页码无效。")) from None
    if not 1 <= number <= MAX_PAGE:
        raise Http404(_("页码无效。"))
    return number


def page_of(request, queryset, *, per_page: int) -> Page:
    try:
        return Paginator(queryset, per_page).page(page_number(request))
    except InvalidPage:
        raise Http404(_("页码无效。")) from None


def query_without_page(request) -> str:
    """The list's other parameters (its filters), for the pager's links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
