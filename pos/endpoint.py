"""The base of every POS endpoint (orders here; coupon validate/redeem later): a store's API key,
JSON in, JSON out with sorted keys so that a replayed answer is byte for byte the first one."""

import json

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.views import APIView

from .authentication import IsPosClient, PosApiKeyAuthentication


class SortedKeysEncoder(JSONEncoder):
    def __init__(self, *args, **kwargs):
        kwargs["sort_keys"] = True
        super().__init__(*args, **kwargs)


class PosJSONRenderer(JSONRenderer):
    # Postgres' jsonb does not keep key order; sorting makes the first answer and a replay equal.
    encoder_class = SortedKeysEncoder


class PosJSONParser(JSONParser):
    """Any body that is not JSON, however broken or deeply nested, is a 400, never a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
            # A lone surrogate ("\ud800") parses, but no database can store it.
            json.dumps(data, ensure_ascii=False).encode()
        except (ParseError, RecursionError, UnicodeError) as exc:
            raise ParseError(_("请求体不是有效的 JSON，请检查格式与编码（UTF-8）。")) from exc
        return data


class PosAPIView(APIView):
    """Authenticated by `Authorization: Api-Key <key>` only; staff sessions are not accepted.

    The store is `request.auth.store`. Decorate state-changing handlers with
    `pos.idempotency.idempotent`.
    """

    authentication_classes = [PosApiKeyAuthentication]
    permission_classes = [IsPosClient]
    parser_classes = [PosJSONParser]
    renderer_classes = [PosJSONRenderer]

    @property
    def store(self):
        return self.request.auth.store
