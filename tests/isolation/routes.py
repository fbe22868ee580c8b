"""Every URL pattern, classified. A pattern missing here fails test_url_map: no URL slips by.

Classes:
- public: no member data (login, language switch, API schema).
- hq: the HQ admin (everything under admin/); store staff must never get in.
- store: store-scoped pages and API; kwargs say which model each URL argument names, so the
  canary test can try another store's object.
- pos: the POS API, authenticated by a per-store key.
"""

import re
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    kind: str
    kwargs: dict = field(default_factory=dict)
    method: str = "get"


HQ_PREFIX = "admin/"

ROUTES = {
    # Public
    "login/": Route("public"),
    "logout/": Route("public", method="post"),
    "i18n/setlang/": Route("public", method="post"),
    "api/schema/": Route("public"),
    "api/docs/": Route("public"),
    "admin/login/": Route("public"),
    "admin/logout/": Route("public", method="post"),
    # Store portal
    "": Route("store"),
    "members/": Route("store"),
    # The member list's CSV export: walked (POST) by the canary with every list filter
    "members/export/": Route("store", method="post"),
    "members/<int:pk>/": Route("store", {"pk": "member"}),
    "members/<int:pk>/phone/": Route("store", {"pk": "member"}, "post"),
    "members/<int:pk>/rebind/": Route("store", {"pk": "member"}, "post"),
    "members/<int:pk>/tags/": Route("store", {"pk": "member"}, "post"),
    "members/<int:pk>/tags/new/": Route("store", {"pk": "member"}, "post"),
    "members/<int:pk>/tags/<int:tag_id>/remove/": Route(
        "store", {"pk": "member", "tag_id": "tag"}, "post"
    ),
    # Store-level group figures: store managers (own store), region managers; guides 403
    "groups/migration/": Route("store"),
    "segments/": Route("store"),
    "segments/new/": Route("store"),
    "segments/<int:pk>/": Route("store", {"pk": "segment"}),
    "segments/<int:pk>/edit/": Route("store", {"pk": "segment"}),
    "segments/<int:pk>/materialise/": Route("store", {"pk": "segment"}, "post"),
    "segments/<int:pk>/export/": Route("store", {"pk": "segment"}, "post"),
    # Coupons: the store's page (managers; guides 403), the week's expiring coupons (all staff)
    "coupons/": Route("store"),
    "coupons/expiring/": Route("store"),
    "coupons/batches/new/": Route("store"),
    "coupons/batches/<int:pk>/": Route("store", {"pk": "batch"}),
    "coupons/batches/<int:pk>/progress/": Route("store", {"pk": "batch"}),
    "coupons/<int:pk>/": Route("store", {"pk": "coupon"}),
    "coupons/members/<int:pk>/issue/": Route("store", {"pk": "member"}, "post"),
    # Callbacks: the worklist (store staff), a task (pk: CallbackTask, visible_to like its
    # member), progress (managers), the funnel (managers, region managers; guides 403), plans
    # (pk: CallbackPlan: HQ's are shared, a store's own only within its scope)
    "callbacks/": Route("store"),
    "callbacks/tasks/reassign/": Route("store", method="post"),
    "callbacks/tasks/<int:pk>/": Route("store", {"pk": "task"}),
    "callbacks/tasks/<int:pk>/record/": Route("store", {"pk": "task"}, "post"),
    "callbacks/tasks/<int:pk>/reassign/": Route("store", {"pk": "task"}, "post"),
    "callbacks/progress/": Route("store"),
    "callbacks/funnel/": Route("store"),
    # The plan form's product search: the brand's catalogue (no member data), plan makers only
    "callbacks/products/": Route("store"),
    "callbacks/plans/": Route("store"),
    "callbacks/plans/new/": Route("store"),
    "callbacks/plans/<int:pk>/": Route("store", {"pk": "plan"}),
    "callbacks/plans/<int:pk>/edit/": Route("store", {"pk": "plan"}),
    "callbacks/plans/<int:pk>/activate/": Route("store", {"pk": "plan"}, "post"),
    "callbacks/plans/<int:pk>/close/": Route("store", {"pk": "plan"}, "post"),
    # Member API
    "api/": Route("store"),
    "api/<drf_format_suffix:format>": Route("store"),
    "api/^members/$": Route("store"),
    "api/^members\\.(?P<format>[a-z0-9]+)/?$": Route("store"),
    "api/^members/(?P<pk>[^/.]+)/$": Route("store", {"pk": "member"}),
    "api/^members/(?P<pk>[^/.]+)\\.(?P<format>[a-z0-9]+)/?$": Route("store", {"pk": "member"}),
    "api/^members/(?P<pk>[^/.]+)/reveal-phone/$": Route("store", {"pk": "member"}, "post"),
    "api/^members/(?P<pk>[^/.]+)/reveal-phone\\.(?P<format>[a-z0-9]+)/?$": Route(
        "store", {"pk": "member"}, "post"
    ),
    # POS
    "api/pos/orders/": Route("pos", method="post"),
    "api/pos/orders/<str:order_no>/refunds/": Route("pos", {"order_no": "order_no"}, "post"),
    "api/pos/coupons/validate/": Route("pos", method="post"),
    "api/pos/coupons/redeem/": Route("pos", method="post"),
    "api/pos/coupons/<str:code>/reverse/": Route("pos", {"code": "coupon_code"}, "post"),
}


def all_routes() -> list[str]:
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    return list(dict.fromkeys(walk(get_resolver().url_patterns)))


def classify(route: str) -> Route | None:
    if route in ROUTES:
        return ROUTES[route]
    if route.startswith(HQ_PREFIX):
        return Route("hq", {"object_id": "member", "content_type_id": "member"})
    return None


_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def concrete_path(route: str, values: dict) -> str:
    """'members/<int:pk>/' with {'pk': 7} -> '/members/7/'; also the regex routes of DRF routers."""

    def converter(match):
        if match.group(1) == "drf_format_suffix":
            return ".json"
        return str(values.get(match.group(2), 1))

    defaults = {"format": "json", "app_label": "members", "url": "members/member/"}
    values = {**defaults, **values}
    path = _GROUP.sub(lambda m: str(values.get(m.group(1), 1)), route)
    path = _CONVERTER.sub(converter, path)
    path = path.replace("^", "").replace("$", "").replace("\\.", ".").replace("/?", "/")
    return "/" + path
