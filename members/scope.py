"""Who sees what: the one rule behind every `visible_to(user)` in every app.

HQ (admin, operator, superuser) sees everything; a region manager their region's stores; a store
manager their store; a guide the rows bound to them in their own store. Anyone else sees nothing.
Every QuerySet of a store-owned model calls `scope_q` with the paths from itself to its store and
(where it has one) to its guide, so the rule lives here and only here.
"""

from django.db.models import Q

NOTHING = Q(pk__in=[])


def _at(path: str, attr: str) -> str:
    return f"{path}__{attr}" if path else attr


def scope_q(user, *, store: str, guide: str | None = None) -> Q:
    """A filter restricting a queryset to what `user` may see.

    `store` is the lookup path from the model to its Store ("" for Store itself); `guide` the path
    to the bound guide ("" for the User model itself), or None when the model has no guide.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    if user.is_hq:
        return Q()
    if user.is_region_manager and user.region_id:
        return Q(**{_at(store, "region_id"): user.region_id})
    if user.is_store_manager and user.store_id:
        return Q(**{_at(store, "id"): user.store_id})
    if user.is_guide and user.store_id:
        own_store = Q(**{_at(store, "id"): user.store_id})
        return own_store if guide is None else own_store & Q(**{_at(guide, "id"): user.pk})
    return NOTHING


def store_visible_to(user, store) -> bool:
    """The same rule asked of one Store already in hand (a query, except for HQ)."""
    scope = scope_q(user, store="")
    if not scope:  # HQ
        return True
    return type(store).objects.filter(scope, pk=store.pk).exists()


def shared_or_scope_q(user, *, store: str) -> Q:
    """For models HQ shares with every store (tags, segments): rows without a store are seen by
    all staff, a store's own rows only within `scope_q`. HQ sees everything."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    scope = scope_q(user, store=store)
    if not scope:  # HQ. (`shared | Q()` would drop the empty side and leave HQ the shared rows.)
        return scope
    return Q(**{f"{store}__isnull": True}) | scope
