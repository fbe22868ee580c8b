"""Settings shared by every environment. Every environment variable is read here, in one place."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=0))
# The orders' member index carries their net cents on Postgres (INCLUDE); the SQLite demo builds
# it without them, as intended.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis serves as the Celery broker and result backend. Without it, tasks run in-process.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # GinIndex (the member name trigram index) must be declared through this app (postgres.E005).
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_celery_beat",
    "auditlog",
    "jobs",
    "members",
    "pos",
    "coupons",
    "messaging",
    "callbacks",
    "livestream",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "members.User"
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"
# Import reports and uploads stay private: they are served only through scoped views.
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.PageSizePagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Siyu 私域运营后台 API",
    "DESCRIPTION": "门店、会员、订单与 POS 接口。门店用户只能看到本店数据。",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery: reliability settings per INVARIANTS (INV-JOB-RERUN); a test pins them.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
# The visibility timeout must outlast the longest task, or Redis hands the task to a second worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# The nightly RFM regroup: member ids per chunk task (members.rfm).
RFM_CHUNK_SIZE = env.int("SIYU_RFM_CHUNK_SIZE", default=100_000)

# Who owns a POS request: a per-store API key, sent as "Authorization: Api-Key <key>".
POS_IDEMPOTENCY_HEADER = "Idempotency-Key"
# How long a POS call's first answer is kept for replay. Tills retry within minutes or hours; after
# this a late retry of an order gets "order exists" (409) instead of the replay.
POS_IDEMPOTENCY_RETENTION_DAYS = env.int("POS_IDEMPOTENCY_RETENTION_DAYS", default=30)

# Coupons' nightly expiry and morning reminders: ids per chunk task (jobs.sweeps).
COUPON_CHUNK_SIZE = env.int("SIYU_COUPON_CHUNK_SIZE", default=50_000)

# Callbacks' jobs (task generation per plan, the nightly conversion check, overdue reminders and
# lifecycle rules): member ids per chunk task (jobs.sweeps).
CALLBACK_CHUNK_SIZE = env.int("SIYU_CALLBACK_CHUNK_SIZE", default=20_000)

# Messaging (the outbox). The SMS gateway is a dotted path: messaging.gateways.LogGateway (the
# default: logs masked phones, sends nothing) or messaging.gateways.HttpSmsGateway, which needs
# SMS_GATEWAY_URL and SMS_GATEWAY_API_KEY (production refuses to start without them).
SMS_GATEWAY = env("SMS_GATEWAY", default="messaging.gateways.LogGateway")
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_API_KEY = env("SMS_GATEWAY_API_KEY", default="")
SMS_GATEWAY_TIMEOUT_SECONDS = env.float("SMS_GATEWAY_TIMEOUT_SECONDS", default=5.0)
# The brand signature every SMS carries at its start or end (operators reject SMS without it).
BRAND_SMS_SIGNATURE = env("BRAND_SMS_SIGNATURE", default="【私域优选】")
# Marketing messages go out only between these local hours [from, until); others at any time.
MARKETING_SEND_HOURS = (9, 21)
# One sender run: at most this many messages, and no new message after this many seconds, so it
# ends well within the task time limit even when the gateway times out on every message.
OUTBOX_SEND_LIMIT = env.int("OUTBOX_SEND_LIMIT", default=500)
OUTBOX_SEND_SECONDS = 120
# A message that failed this many times is marked failed and not tried again.
OUTBOX_MAX_ATTEMPTS = 3

# django-auditlog: the audit trail for ownership changes, phone reveals and exports.
AUDITLOG_INCLUDE_ALL_MODELS = False

UNFOLD = {
    "SITE_TITLE": "Siyu 私域运营后台",
    "SITE_HEADER": "Siyu 私域运营后台",
    "SITE_SYMBOL": "storefront",
    "SHOW_LANGUAGES": True,
    "SHOW_HISTORY": True,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Tasks run in-process (no broker: the demo): no "Task … succeeded" line per task, and
        # not the warning kombu gives when Celery builds (never connects) a producer for them.
        "celery.app.trace": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"},
        "kombu.connection": {"level": "ERROR" if CELERY_TASK_ALWAYS_EAGER else "WARNING"},
    },
}
