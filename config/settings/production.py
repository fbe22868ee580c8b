"""Production: Postgres, Redis, gunicorn. Refuses to start without its secrets."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CELERY_BROKER_URL, DATABASES, SECRET_KEY

if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY 未设置：生产环境拒绝启动。")
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise ImproperlyConfigured("生产环境需要 PostgreSQL：请设置 DATABASE_URL。")
if not CELERY_BROKER_URL:
    raise ImproperlyConfigured("生产环境需要 Redis：请设置 REDIS_URL 或 CELERY_BROKER_URL。")

DEBUG = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
