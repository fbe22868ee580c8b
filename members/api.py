"""The member API: thin views over visible_to(user) and the selectors."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .filters import MemberFilter
from .models import Member, MemberRfm, Tag
from .phones import phone_for
from .selectors import five_looks, member_figures
from .services import member_phone_reveal


class StoreRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class GuideRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="get_full_name")
    guide_code = serializers.CharField()


class MemberRfmSerializer(serializers.ModelSerializer):
    """The member's RFM(L) figures and group as of the latest finished run (`as_of`)."""

    group_label = serializers.CharField(source="get_group_display")

    class Meta:
        model = MemberRfm
        fields = [
            "recency_days",
            "frequency",
            "monetary",
            "lifetime_days",
            "group",
            "group_label",
            "as_of",
        ]
        read_only_fields = fields


class MemberSerializer(serializers.ModelSerializer):
    """Store staff get a masked phone and birthday month-day; HQ gets both in full.

    `rfm` is null until the member's first regroup run."""

    phone = serializers.SerializerMethodField()
    birthday = serializers.SerializerMethodField()
    home_store = StoreRefSerializer(read_only=True)
    guide = GuideRefSerializer(read_only=True, allow_null=True)
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    rfm = MemberRfmSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Member
        fields = [
            "id",
            "name",
            "phone",
            "gender",
            "birthday",
            "joined_at",
            "home_store",
            "guide",
            "source",
            "level",
            "points",
            "marketing_opt_out",
            "tags",
            "rfm",
        ]
        read_only_fields = fields

    def _user(self):
        return self.context["request"].user

    def get_phone(self, member) -> str:
        return phone_for(self._user(), member.phone)

    def get_birthday(self, member) -> str | None:
        if member.birthday is None:
            return None
        return (
            member.birthday.isoformat()
            if self._user().is_hq
            else member.birthday.strftime("--%m-%d")
        )


class ProductBoughtSerializer(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    series = serializers.CharField()
    category = serializers.CharField()
    quantity = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    last_bought_at = serializers.DateTimeField()


class FiguresSerializer(serializers.Serializer):
    first_purchase_at = serializers.DateTimeField(allow_null=True)
    last_purchase_at = serializers.DateTimeField(allow_null=True)
    order_count = serializers.IntegerField()
    total_spent = serializers.DecimalField(max_digits=14, decimal_places=2)
    average_ticket = serializers.DecimalField(max_digits=14, decimal_places=2)
    favourite_series = serializers.CharField()
    favourite_category = serializers.CharField()


class FiveLooksSerializer(serializers.Serializer):
    age_band = serializers.CharField()
    address_as = serializers.CharField()
    birthday_md = serializers.CharField()
    tenure = serializers.CharField()
    tenure_days = serializers.IntegerField()
    average_ticket = serializers.DecimalField(max_digits=14, decimal_places=2)
    order_count = serializers.IntegerField()
    products = ProductBoughtSerializer(many=True)
    favourite_series = serializers.CharField()
    favourite_category = serializers.CharField()


class MemberDetailSerializer(MemberSerializer):
    figures = serializers.SerializerMethodField()
    five_looks = serializers.SerializerMethodField()

    class Meta(MemberSerializer.Meta):
        fields = [*MemberSerializer.Meta.fields, "figures", "five_looks"]
        read_only_fields = fields

    def _figures(self, member):
        if not hasattr(self, "_figures_cache"):
            self._figures_cache = member_figures(member)
        return self._figures_cache

    @extend_schema(responses=FiguresSerializer)
    def get_figures(self, member) -> dict:
        return FiguresSerializer(self._figures(member)).data

    @extend_schema(responses=FiveLooksSerializer)
    def get_five_looks(self, member) -> dict:
        return FiveLooksSerializer(five_looks(member, self._figures(member))).data


class PhoneRevealSerializer(serializers.Serializer):
    phone = serializers.CharField(help_text=_("完整手机号；每次查看都会记录访问日志。"))


class MemberViewSet(viewsets.ReadOnlyModelViewSet):
    """Members the signed-in user may see: HQ all, a store its own, a guide those bound to them."""

    filterset_class = MemberFilter

    def get_queryset(self):
        return (
            Member.objects.visible_to(self.request.user)
            .select_related("home_store", "guide", "rfm")
            # Only the tags the user may see: a member moved from another store keeps that
            # store's tags, which are not this store's to read.
            .prefetch_related(Prefetch("tags", queryset=Tag.objects.visible_to(self.request.user)))
        )

    def get_serializer_class(self):
        return MemberDetailSerializer if self.action == "retrieve" else MemberSerializer

    @extend_schema(request=None, responses=PhoneRevealSerializer)
    @action(detail=True, methods=["post"], url_path="reveal-phone")
    def reveal_phone(self, request, pk=None, format=None):
        member = self.get_object()
        return Response({"phone": member_phone_reveal(member=member, actor=request.user)})
