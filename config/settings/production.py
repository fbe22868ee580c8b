"""Production: Postgres, Redis, gunicorn. Refuses to start without its secrets."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    CELERY_BROKER_URL,
    DATABASES,
    SECRET_KEY,
    SMS_GATEWAY,
    SMS_GATEWAY_API_KEY,
    SMS_GATEWAY_URL,
)

if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY 未设置：生产环境拒绝启动。")
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise ImproperlyConfigured("生产环境需要 PostgreSQL：请设置 DATABASE_URL。")
if not CELERY_BROKER_URL:
    raise ImproperlyConfigured("生产环境需要 Redis：请设置 REDIS_URL 或 CELERY_BROKER_URL。")
if SMS_GATEWAY.endswith(".HttpSmsGateway"):
    _unset = [
        name
        for name, value in [
            ("SMS_GATEWAY_URL", SMS_GATEWAY_URL),
            ("SMS_GATEWAY_API_KEY", SMS_GATEWAY_API_KEY),
        ]
        if not value
    ]
    if _unset:
        raise ImproperlyConfigured(
            f"短信网关为 HttpSmsGateway，但未设置 {'、'.join(_unset)}：生产环境拒绝启动。"
        )

DEBUG = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
