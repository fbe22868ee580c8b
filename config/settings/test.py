"""The test suite: Postgres and Redis when DATABASE_URL / REDIS_URL are set, SQLite otherwise."""

from .base import *  # noqa: F403
from .base import CELERY_BROKER_TRANSPORT_OPTIONS, CELERY_BROKER_URL, DATABASES, env

SECRET_KEY = "test-only-key"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests call tasks in-process; the real-worker tests start their own worker against Redis,
# with SIYU_CELERY_EAGER=0 and a queue of their own.
CELERY_TASK_ALWAYS_EAGER = env.bool("SIYU_CELERY_EAGER", default=True)
CELERY_TASK_DEFAULT_QUEUE = env("SIYU_CELERY_QUEUE", default="celery")
# ... and transport options of their own (a key prefix, a short visibility timeout), as JSON.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    **env.json("SIYU_CELERY_TRANSPORT_OPTIONS", default={}),
}
# The worker-kill test slows each RFM chunk down, inside its transaction, to kill it there.
RFM_CHUNK_DELAY_SECONDS = env.float("SIYU_RFM_CHUNK_DELAY", default=0)
CELERY_TASK_EAGER_PROPAGATES = True
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
HAS_BROKER = bool(CELERY_BROKER_URL)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files straight from the apps and static/ (no collectstatic needed).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
