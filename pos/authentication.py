"""Who is calling a POS endpoint: a store, through one of its API keys, never a staff session.

`request.user` is a `PosClient` (authenticated, but with no staff role, so every `visible_to`
returns nothing for it) and `request.auth` is the `PosApiKey`; the store is `request.auth.store`.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission

from .models import PosApiKey

KEYWORD = "Api-Key"


class PosClient:
    """The principal behind a POS key: a store's till, not a person. It holds no staff role."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    is_hq = is_region_manager = is_store_manager = is_guide = is_store_staff = False
    role = ""
    pk = id = None

    def __init__(self, api_key: PosApiKey):
        self.api_key = api_key
        self.store = api_key.store

    def __str__(self):
        return f"POS {self.store.code}"

    def has_perm(self, perm, obj=None) -> bool:
        return False


class PosApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Api-Key <key>`. Any other or missing credential is a 401."""

    def authenticate(self, request):
        raw_key = self._raw_key(request)
        api_key = PosApiKey.objects.for_raw_key(raw_key)
        if api_key is None:
            raise exceptions.AuthenticationFailed(
                _("POS 接口密钥无效或已停用，请联系总部重新发放。")
            )
        api_key.mark_used()
        return PosClient(api_key), api_key

    def authenticate_header(self, request):
        return KEYWORD

    def _raw_key(self, request) -> str:
        try:
            header = get_authorization_header(request)
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(_("POS 接口密钥格式不正确。")) from exc
        keyword, _sep, raw_key = header.partition(b" ")
        if keyword.decode("latin-1").lower() != KEYWORD.lower() or not raw_key.strip():
            raise exceptions.NotAuthenticated(
                _("请在请求头中提供 POS 接口密钥：Authorization: Api-Key <密钥>。")
            )
        try:
            return raw_key.strip().decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("POS 接口密钥格式不正确。")) from exc


class IsPosClient(BasePermission):
    message = _("此接口只接受 POS 接口密钥。")

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, PosApiKey) and isinstance(request.user, PosClient)


class PosApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "pos.authentication.PosApiKeyAuthentication"
    name = "PosApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": str(
                _("门店 POS 接口密钥，格式：Api-Key <密钥>。由总部在后台或命令行发放。")
            ),
        }
