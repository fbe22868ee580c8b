from datetime import date, datetime, time, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from members.models import (
    Channel,
    Member,
    MemberRfm,
    Order,
    OrderLine,
    Product,
    Region,
    RfmGroup,
    RfmGroupChange,
    RfmGroupCount,
    RfmRun,
    Role,
    Source,
    Store,
    StoreGroup,
    Tag,
    TagFamily,
    ThresholdMethod,
    User,
)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"片区{n}")


class StoreGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StoreGroup
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"店群{n}")


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    code = factory.Sequence(lambda n: f"S{n:04d}")
    name = factory.Sequence(lambda n: f"门店{n}")
    region = factory.SubFactory(RegionFactory)
    store_group = factory.SubFactory(StoreGroupFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"员工{n}")
    password = factory.django.Password("pass-1234")


class HqAdminFactory(UserFactory):
    role = Role.HQ_ADMIN
    is_staff = True


class HqOperatorFactory(UserFactory):
    role = Role.HQ_OPERATOR
    is_staff = True


class RegionManagerFactory(UserFactory):
    role = Role.REGION_MANAGER
    region = factory.SubFactory(RegionFactory)


class StoreManagerFactory(UserFactory):
    role = Role.STORE_MANAGER
    store = factory.SubFactory(StoreFactory)


class GuideFactory(UserFactory):
    role = Role.GUIDE
    store = factory.SubFactory(StoreFactory)
    guide_code = factory.Sequence(lambda n: f"G{n:05d}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"标签{n}")
    family = TagFamily.BEHAVIOUR


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    phone = factory.Sequence(lambda n: f"139{n:08d}")
    name = factory.Sequence(lambda n: f"会员{n}")
    gender = "F"
    birthday = date(1990, 10, 15)
    joined_at = date(2013, 12, 8)
    home_store = factory.SubFactory(StoreFactory)
    guide = None
    source = Source.IN_STORE


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ["sku"]

    sku = factory.Sequence(lambda n: f"SKU{n:05d}")
    name = factory.Sequence(lambda n: f"商品{n}")
    series = "水润系列"
    category = "保湿"
    list_price = Decimal("199.00")


class OrderFactory(factory.django.DjangoModelFactory):
    """A plain in-store order credited to the selling store; use order_create for attribution."""

    class Meta:
        model = Order

    store = factory.SubFactory(StoreFactory)
    order_no = factory.Sequence(lambda n: f"NO{n:08d}")
    member = factory.SubFactory(MemberFactory, home_store=factory.SelfAttribute("..store"))
    guide = None
    channel = Channel.STORE
    paid_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    amount = Decimal("302.00")
    credited_store = factory.SelfAttribute("store")
    credited_guide = factory.SelfAttribute("guide")


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 1
    amount = Decimal("151.00")


# --- RFM rows, written directly (the regroup job itself is tested in test_rfm_*) ---------------


def finished_on(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(3, 0)))


class RfmRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RfmRun
        django_get_or_create = ["business_date"]

    business_date = date(2026, 6, 30)
    window_days = 365
    r_method = ThresholdMethod.MEDIAN
    f_method = ThresholdMethod.MEDIAN
    m_method = ThresholdMethod.MEDIAN
    r_threshold = Decimal("45.0000")
    f_threshold = Decimal("2.0000")
    m_threshold = Decimal("600.0000")
    active_members = 10
    members = 12
    finished_at = factory.LazyAttribute(lambda run: finished_on(run.business_date))


class MemberRfmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MemberRfm

    member = factory.SubFactory(MemberFactory)
    as_of = date(2026, 6, 30)
    recency_days = 12
    frequency = 5
    monetary = Decimal("1888.00")
    lifetime_days = 700
    group = RfmGroup.IMPORTANT_VALUE
    first_purchase_on = date(2024, 7, 1)
    last_purchase_on = date(2026, 6, 18)
    order_count = 9
    total_spent = Decimal("3021.00")


class RfmGroupChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RfmGroupChange

    member = factory.SubFactory(MemberFactory)
    business_date = date(2026, 6, 30)
    from_group = ""
    to_group = RfmGroup.IMPORTANT_VALUE
    store = factory.SelfAttribute("member.home_store")


class RfmGroupCountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RfmGroupCount

    run = factory.SubFactory(RfmRunFactory)
    store = factory.SubFactory(StoreFactory)
    group = RfmGroup.IMPORTANT_VALUE
    members = 1
