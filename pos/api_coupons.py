"""POS coupon endpoints: validate a coupon against a basket, redeem it, reverse it after a refund.

Thin: shape checks here, rules in coupons.services. The answers name no member: at most the
masked phone the till typed itself.
"""

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from coupons.models import CouponStatus
from coupons.services.basket import Basket
from coupons.services.redemption import coupon_redeem, coupon_validate
from coupons.services.reversal import redemption_reverse
from members.phones import mask_phone

from .api import (
    ERRORS,
    MAX_LINES,
    PosErrorSerializer,
    PosOrderLineInSerializer,
    guide_code_cleaned,
    line_inputs,
    money,
    phone_checked,
    validated,
)
from .endpoint import PosAPIView
from .idempotency import idempotent


class PosCouponCodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64, help_text=_("券码；不区分大小写，空格会被忽略。"))


class PosBasketInSerializer(PosCouponCodeSerializer):
    """What the till sends before charging: who, which coupon, the amount and the lines."""

    phone = serializers.CharField(max_length=32, help_text=_("持券会员的手机号。"))
    amount = money(min_value=Decimal("0.01"), help_text=_("订单金额（用券前）。"))
    lines = PosOrderLineInSerializer(many=True, required=False, default=list, max_length=MAX_LINES)

    def validate_phone(self, value):
        return phone_checked(value)

    def validate_lines(self, lines):
        return line_inputs(lines)

    def validate(self, attrs):
        attrs["basket"] = Basket(amount=attrs.pop("amount"), lines=attrs.pop("lines"))
        return attrs


class PosRedeemInSerializer(PosBasketInSerializer):
    order_no = serializers.CharField(max_length=64)
    guide_code = serializers.CharField(
        max_length=32, required=False, allow_blank=True, allow_null=True, default=None
    )

    def validate_guide_code(self, value):
        return guide_code_cleaned(value)


class PosReverseInSerializer(serializers.Serializer):
    refund_no = serializers.CharField(max_length=64)
    order_no = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        allow_null=True,
        default=None,
        help_text=_("用券的订单号；提供时只冲正该订单上的核销。"),
    )

    def validate_order_no(self, value):
        return (value or "").strip() or None


class PosCouponOutSerializer(serializers.Serializer):
    code = serializers.CharField()
    face_value = money()
    min_spend = money()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    status = serializers.CharField()
    kind = serializers.CharField(source="template.kind")
    kind_label = serializers.CharField(source="template.get_kind_display")
    template_name = serializers.CharField(source="template.name")


class PosVerdictOutSerializer(serializers.Serializer):
    usable = serializers.BooleanField()
    reason_code = serializers.CharField(
        help_text=_(
            "ok、unknown_coupon、not_this_member、voided、already_used、expired、not_yet_valid、"
            "not_this_store、products_not_covered、min_spend_not_met 之一。"
        )
    )
    reason = serializers.CharField()
    discount = money()
    coupon = PosCouponOutSerializer(
        allow_null=True, help_text=_("券码不存在或不属于该手机号时为 null。")
    )


class PosRedemptionOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(source="coupon.code")
    order_no = serializers.CharField()
    store_code = serializers.CharField(source="store.code")
    guide_code = serializers.CharField(source="guide.guide_code", allow_null=True, default=None)
    member_phone = serializers.SerializerMethodField(help_text=_("持券会员手机号（掩码）。"))
    order_amount = money()
    discount = money()
    redeemed_at = serializers.DateTimeField()
    coupon = PosCouponOutSerializer()

    def get_member_phone(self, redemption) -> str:
        return mask_phone(redemption.coupon.member.phone)


class PosReversalOutSerializer(serializers.Serializer):
    code = serializers.CharField(source="redemption.coupon.code")
    order_no = serializers.CharField(source="redemption.order_no")
    refund_no = serializers.CharField(source="redemption.reversal_refund_no")
    reversed_at = serializers.DateTimeField(source="redemption.reversed_at")
    coupon_status = serializers.ChoiceField(
        choices=CouponStatus.choices, source="redemption.coupon.status"
    )
    usable_again = serializers.BooleanField(source="coupon_usable_again")


NOT_FOUND = {404: OpenApiResponse(PosErrorSerializer, description=_("券码不存在或不在本店核销。"))}


class CouponValidateView(PosAPIView):
    """核验一张券能否用于这笔订单（只读，不需要幂等键）：能用时给出抵扣金额，不能用时给出原因。"""

    @extend_schema(
        summary=_("POS 核验优惠券"),
        request=PosBasketInSerializer,
        responses={200: PosVerdictOutSerializer, 400: ERRORS[400], 401: ERRORS[401]},
        tags=["pos"],
    )
    def post(self, request):
        data = validated(PosBasketInSerializer, request.data)
        verdict = coupon_validate(store=self.store, on=timezone.localdate(), **data)
        return Response(PosVerdictOutSerializer(verdict).data)


class CouponRedeemView(PosAPIView):
    """核销一张券（每张券只能核销一次）。同一幂等键重试返回第一次的结果。"""

    @extend_schema(
        summary=_("POS 核销优惠券"),
        request=PosRedeemInSerializer,
        responses={201: PosRedemptionOutSerializer, **NOT_FOUND, **ERRORS},
        tags=["pos"],
    )
    @idempotent
    def post(self, request):
        data = validated(PosRedeemInSerializer, request.data)
        redemption = coupon_redeem(store=self.store, **data)
        return Response(PosRedemptionOutSerializer(redemption).data, status=status.HTTP_201_CREATED)


class CouponReverseView(PosAPIView):
    """退款时冲正本店的一次核销（只冲正一次）：模板允许时券退回会员，否则作废。"""

    @extend_schema(
        summary=_("POS 冲正优惠券核销"),
        request=PosReverseInSerializer,
        responses={200: PosReversalOutSerializer, **NOT_FOUND, **ERRORS},
        tags=["pos"],
    )
    @idempotent
    def post(self, request, code):
        code = validated(PosCouponCodeSerializer, {"code": code})["code"]
        data = validated(PosReverseInSerializer, request.data)
        result = redemption_reverse(store=self.store, code=code, **data)
        return Response(PosReversalOutSerializer(result).data)
