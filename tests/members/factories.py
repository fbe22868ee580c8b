from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from members.models import (
    Channel,
    Member,
    Order,
    OrderLine,
    Product,
    Region,
    Role,
    Source,
    Store,
    StoreGroup,
    Tag,
    TagFamily,
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
