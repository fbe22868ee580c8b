"""POS endpoints: a till posts its sales and refunds. Thin: shape checks here, rules in services."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from members.models import Channel, Order
from members.phones import PhoneError, normalize_phone
from members.services import LineInput

from .endpoint import PosAPIView
from .idempotency import idempotent
from .services import pos_order_create, pos_order_refund

CENT = Decimal("0.01")
MAX_LINES = 500


def money(**kwargs):
    return serializers.DecimalField(max_digits=12, decimal_places=2, **kwargs)


class PosErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    errors = serializers.DictField(required=False)


def phone_checked(value: str) -> str:
    """A member's phone as the till sent it, normalised, or the field's Chinese error."""
    try:
        return normalize_phone(value)
    except PhoneError as exc:
        raise serializers.ValidationError(str(exc)) from exc


def guide_code_cleaned(value: str | None) -> str | None:
    return (value or "").strip() or None


def line_inputs(lines: list[dict]) -> tuple[LineInput, ...]:
    """The basket's lines, one per SKU."""
    skus = [line["sku"] for line in lines]
    if len(skus) != len(set(skus)):
        raise serializers.ValidationError(_("同一 SKU 只能出现在一行，请合并数量与金额。"))
    return tuple(LineInput(**line) for line in lines)


class PosOrderLineInSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)
    # A free gift line (赠品) is a line of 0.00; the order itself must cost something.
    amount = money(min_value=Decimal("0.00"))


class PosOrderInSerializer(serializers.Serializer):
    order_no = serializers.CharField(max_length=64)
    phone = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        allow_null=True,
        default=None,
        help_text=_("会员手机号；非会员销售不传。"),
    )
    guide_code = serializers.CharField(
        max_length=32, required=False, allow_blank=True, allow_null=True, default=None
    )
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.STORE)
    paid_at = serializers.DateTimeField(help_text=_("ISO 8601；不带时区时按北京时间。"))
    amount = money(min_value=CENT)
    lines = PosOrderLineInSerializer(many=True, required=False, default=list, max_length=MAX_LINES)

    def validate_phone(self, value):
        return phone_checked(value) if value else None

    def validate_guide_code(self, value):
        return guide_code_cleaned(value)

    def validate_lines(self, lines):
        return list(line_inputs(lines))


class PosOrderOutSerializer(serializers.ModelSerializer):
    store_code = serializers.CharField(source="store.code")
    credited_store_code = serializers.CharField(source="credited_store.code")
    credited_guide_code = serializers.CharField(source="credited_guide.guide_code", allow_null=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "order_no",
            "store_code",
            "amount",
            "refunded_amount",
            "channel",
            "paid_at",
            "credited_store_code",
            "credited_guide_code",
        ]
        read_only_fields = fields


class PosRefundInSerializer(serializers.Serializer):
    refund_no = serializers.CharField(max_length=64)
    amount = money(min_value=CENT)
    refunded_at = serializers.DateTimeField(help_text=_("ISO 8601；不带时区时按北京时间。"))


class PosReversedCouponSerializer(serializers.Serializer):
    code = serializers.CharField(source="redemption.coupon.code")
    coupon_status = serializers.CharField(source="redemption.coupon.status")
    usable_again = serializers.BooleanField(source="coupon_usable_again")


class PosRefundOutSerializer(serializers.Serializer):
    """A recorded refund (`pos.services.PosRefund`) and the coupons it gave back or voided."""

    id = serializers.IntegerField(source="refund.id")
    refund_no = serializers.CharField(source="refund.refund_no")
    order_no = serializers.CharField(source="refund.order.order_no")
    amount = money(source="refund.amount")
    refunded_at = serializers.DateTimeField(source="refund.refunded_at")
    order_refunded_amount = money(source="refund.order.refunded_amount")
    coupons_reversed = PosReversedCouponSerializer(
        source="reversals", many=True, help_text=_("订单全额退款时冲正的用券；部分退款不冲正。")
    )


ERRORS = {
    400: OpenApiResponse(PosErrorSerializer, description=_("数据有误或业务规则不允许。")),
    401: OpenApiResponse(PosErrorSerializer, description=_("缺少、未知或已停用的 POS 接口密钥。")),
    409: OpenApiResponse(
        PosErrorSerializer, description=_("同一幂等键的请求仍在处理，或单号已存在。")
    ),
    422: OpenApiResponse(PosErrorSerializer, description=_("幂等键已用于另一份请求内容。")),
}


def validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class OrderCreateView(PosAPIView):
    """门店收银台上传一笔销售。门店取自接口密钥；线上渠道的业绩归会员的专属导购及其门店。"""

    @extend_schema(
        summary=_("POS 上传订单"),
        request=PosOrderInSerializer,
        responses={201: PosOrderOutSerializer, **ERRORS},
        tags=["pos"],
    )
    @idempotent
    def post(self, request):
        data = validated(PosOrderInSerializer, request.data)
        order = pos_order_create(store=self.store, **data)
        return Response(PosOrderOutSerializer(order).data, status=status.HTTP_201_CREATED)


class RefundCreateView(PosAPIView):
    """为本店的订单登记一笔退款；累计退款不能超过订单金额。"""

    @extend_schema(
        summary=_("POS 登记退款"),
        request=PosRefundInSerializer,
        responses={
            201: PosRefundOutSerializer,
            404: OpenApiResponse(PosErrorSerializer, description=_("本店没有该订单。")),
            **ERRORS,
        },
        tags=["pos"],
    )
    @idempotent
    def post(self, request, order_no):
        data = validated(PosRefundInSerializer, request.data)
        outcome = pos_order_refund(store=self.store, order_no=order_no, **data)
        return Response(PosRefundOutSerializer(outcome).data, status=status.HTTP_201_CREATED)
