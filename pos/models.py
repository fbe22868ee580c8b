"""POS credentials (API keys, each owned by a store) and idempotent requests."""

import hashlib
import secrets
from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Store

KEY_PREFIX_LENGTH = 8
# Throttle the "last used" write: one UPDATE per key per minute is enough for an operator.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_secret(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


class PosApiKeyQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Credentials are HQ business: store staff never see them, not even their own store's."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self if getattr(user, "is_hq", False) else self.none()

    def active(self):
        return self.filter(active=True, store__active=True)

    def for_raw_key(self, raw_key: str):
        """The active key whose secret is `raw_key`, or None. Keys are never stored: by hash."""
        return (
            self.active().select_related("store").filter(hashed_secret=hash_secret(raw_key)).first()
        )


class PosApiKeyManager(models.Manager.from_queryset(PosApiKeyQuerySet)):
    def issue(self, *, store: Store, name: str = "") -> tuple["PosApiKey", str]:
        """Create a key for `store` and return it with the raw key, which is shown once and lost."""
        api_key = self.model(store=store, name=name)
        raw_key = api_key.assign_new_secret()
        api_key.save()
        return api_key, raw_key


class PosApiKey(models.Model):
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, related_name="pos_api_keys", verbose_name=_("门店")
    )
    name = models.CharField(_("名称"), max_length=100, blank=True, help_text=_("例如收银台编号。"))
    prefix = models.CharField(_("密钥前缀"), max_length=KEY_PREFIX_LENGTH, editable=False)
    hashed_secret = models.CharField(_("密钥摘要"), max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)

    objects = PosApiKeyManager()

    class Meta:
        ordering = ["store__code", "-created_at"]
        verbose_name = _("POS 接口密钥")
        verbose_name_plural = _("POS 接口密钥")

    def __str__(self):
        return f"{self.prefix}… {self.name}".strip()

    def assign_new_secret(self) -> str:
        raw_key = secrets.token_urlsafe(32)
        self.prefix = raw_key[:KEY_PREFIX_LENGTH]
        self.hashed_secret = hash_secret(raw_key)
        return raw_key

    def mark_used(self) -> None:
        now = timezone.now()
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        PosApiKey.objects.filter(stale, pk=self.pk).update(last_used_at=now)


class IdempotentRequest(models.Model):
    """The first answer to a state-changing POS call, replayed for every retry with the same key."""

    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, related_name="idempotent_requests", verbose_name=_("门店")
    )
    key = models.CharField(_("幂等键"), max_length=255)
    # sha256 of method, path and canonical JSON body: the same key with another payload is refused.
    fingerprint = models.CharField(_("请求指纹"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("响应状态码"))
    response_body = models.JSONField(_("响应内容"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("POS 幂等请求")
        verbose_name_plural = _("POS 幂等请求")
        constraints = [
            # Also the index of the lookup every POS write makes.
            models.UniqueConstraint(
                fields=["store", "key"], name="unique_idempotency_key_per_store"
            ),
        ]
        # The nightly purge of answers past retention.
        indexes = [models.Index(fields=["created_at"], name="idempotent_request_created")]

    def __str__(self):
        return f"{self.store_id}:{self.key}"
