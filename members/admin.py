"""HQ admin (django-unfold). Every get_queryset starts from visible_to(request.user)."""

from . import admin_imports  # noqa: F401  (registers the import pages)
