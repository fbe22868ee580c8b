"""The chain the demo members belong to: regions, store groups, stores, staff, products, HQ tags.

These are small tables (a few thousand rows at the largest scale) written with bulk_create; the
generator then works from the plain `Organisation` description, not from model instances.
"""

import itertools
import math
import random
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password

from members.models import (
    OperatingModel,
    Product,
    Region,
    Role,
    Store,
    StoreGroup,
    Tag,
    User,
)

from .catalogue import (
    GROUP_ORDINALS,
    LIST_PRICE_MAX,
    LIST_PRICE_MIN,
    MALLS,
    PRODUCT_TYPES,
    REGIONS,
    SERIES,
    TAGS,
)
from .people import person_name

DEMO_PASSWORD = "siyu2026"
MEMBERS_PER_STORE = 667  # 20,000 members -> 30 stores
GUIDES_PER_STORE = (2, 3, 3, 4, 4, 5)  # about 3.5 on average


@dataclass
class DemoStore:
    id: int
    code: str
    region: int
    busyness: float
    guide_ids: list[int] = field(default_factory=list)
    guide_weights: list[float] = field(default_factory=list)


@dataclass
class DemoProduct:
    id: int
    series: int
    type_index: int
    price_cents: int


@dataclass
class Organisation:
    stores: list[DemoStore]
    products: list[DemoProduct]
    tags: dict[str, int]

    def stores_of_region(self) -> dict[int, list[DemoStore]]:
        by_region: dict[int, list[DemoStore]] = {}
        for store in self.stores:
            by_region.setdefault(store.region, []).append(store)
        return by_region


def store_count(members: int) -> int:
    return max(3, round(members / MEMBERS_PER_STORE))


def organisation_create(rng: random.Random, *, members: int) -> Organisation:
    stores = store_count(members)
    regions = _regions_create(min(len(REGIONS), max(3, stores // 40)))
    groups = _groups_create(regions, total=max(len(regions), round(stores / 5)))
    store_rows = _stores_create(rng, regions, groups, stores)
    password = make_password(DEMO_PASSWORD)  # hashed once: hashing per user would take minutes
    _hq_admin_create(password)
    demo_stores = _staff_create(rng, store_rows, password)
    _region_manager_create(store_rows[0][0].region, password)
    return Organisation(stores=demo_stores, products=_products_create(), tags=_tags_create())


def _regions_create(count: int) -> list[Region]:
    return Region.objects.bulk_create(Region(name=name) for name, _ in REGIONS[:count])


def _group_name(region: Region, number: int) -> str:
    prefix = region.name.removesuffix("片区")
    if number <= len(GROUP_ORDINALS):
        return f"{prefix}{GROUP_ORDINALS[number - 1]}店群"
    return f"{prefix}第{number}店群"


def _groups_create(regions: list[Region], *, total: int) -> dict[int, list[StoreGroup]]:
    per_region = math.ceil(total / len(regions))
    groups = StoreGroup.objects.bulk_create(
        StoreGroup(name=_group_name(region, n))
        for region in regions
        for n in range(1, per_region + 1)
    )
    return {r.pk: groups[i * per_region : (i + 1) * per_region] for i, r in enumerate(regions)}


def _store_names(cities: dict[str, list[str]]):
    """上海徐汇店, 上海静安店, ..., then 上海徐汇万达店, ..., then 上海徐汇万达2号店, ..."""
    places = [city + district for city, districts in cities.items() for district in districts]
    yield from (f"{place}店" for place in places)
    yield from (f"{place}{mall}店" for mall in MALLS for place in places)
    for n in itertools.count(2):
        yield from (f"{place}{mall}{n}号店" for mall in MALLS for place in places)


def _operating_model(rng: random.Random, first_of_region: bool) -> str:
    if first_of_region:  # each region's flagship is run by HQ
        return OperatingModel.DIRECT
    return rng.choices(
        [OperatingModel.FRANCHISE, OperatingModel.DIRECT, OperatingModel.MANAGED], [80, 12, 8]
    )[0]


def _stores_create(rng, regions, groups, count: int) -> list[tuple[Store, int]]:
    """Stores spread over the regions, the first regions a little larger."""
    weights = [1.0 / (1 + 0.15 * i) for i in range(len(regions))]
    region_of_store = sorted(
        list(range(len(regions)))
        + rng.choices(range(len(regions)), weights, k=count - len(regions))
    )
    names = {i: _store_names(REGIONS[i][1]) for i in range(len(regions))}
    stores, in_region = [], [0] * len(regions)
    for number, region_index in enumerate(region_of_store, start=1):
        region, region_groups = regions[region_index], groups[regions[region_index].pk]
        stores.append(
            Store(
                code=f"S{number:05d}",
                name=next(names[region_index]),
                operating_model=_operating_model(rng, in_region[region_index] == 0),
                region=region,
                store_group=region_groups[in_region[region_index] % len(region_groups)],
            )
        )
        in_region[region_index] += 1
    created = Store.objects.bulk_create(stores)
    return [(store, region_of_store[i]) for i, store in enumerate(created)]


def _hq_admin_create(password: str) -> None:
    User.objects.create(
        username="admin",
        password=password,
        first_name="总部管理员",
        role=Role.HQ_ADMIN,
        is_staff=True,
        is_superuser=True,
    )


def _region_manager_create(region: Region, password: str) -> None:
    """The `region` login: manager of the first store's region. Drawn without the generator, so
    the rest of the demo data is the same as before it existed."""
    User.objects.create(
        username="region",
        password=password,
        first_name=region.name.removesuffix("片区") + "片区经理",
        role=Role.REGION_MANAGER,
        region=region,
    )


def _staff_create(rng, store_rows, password: str) -> list[DemoStore]:
    """A manager and two to five guides per store; store 1 has the `manager` and `guide` logins."""
    users, plan = [], []
    for number, (store, region_index) in enumerate(store_rows, start=1):
        manager = "manager" if number == 1 else f"manager_{store.code.lower()}"
        users.append(_staff(rng, manager, password, Role.STORE_MANAGER, store))
        guides = rng.choice(GUIDES_PER_STORE)
        for k in range(1, guides + 1):
            username = "guide" if number == 1 and k == 1 else f"guide_{store.code.lower()}_{k}"
            guide = _staff(rng, username, password, Role.GUIDE, store)
            guide.guide_code = f"G{store.code[1:]}{k:02d}"
            users.append(guide)
        plan.append((store, region_index, guides))
    created = iter(User.objects.bulk_create(users))
    demo_stores = []
    for store, region_index, guides in plan:
        next(created)  # the manager
        guide_ids = [next(created).pk for _ in range(guides)]
        demo_stores.append(_demo_store(rng, store, region_index, guide_ids))
    return demo_stores


def _staff(rng, username: str, password: str, role: str, store: Store) -> User:
    gender = "F" if rng.random() < 0.8 else "M"
    return User(
        username=username,
        password=password,
        first_name=person_name(rng, gender),
        role=role,
        store=store,
    )


def _demo_store(rng, store: Store, region_index: int, guide_ids: list[int]) -> DemoStore:
    # Busier stores get more members and more orders; a senior guide holds more members.
    weights = [rng.uniform(0.6, 1.4) * (1.5 if i == 0 else 1.0) for i in range(len(guide_ids))]
    return DemoStore(
        id=store.pk,
        code=store.code,
        region=region_index,
        busyness=rng.lognormvariate(0, 0.45),
        guide_ids=guide_ids,
        guide_weights=list(itertools.accumulate(weights)),
    )


def _list_price(base: int, multiplier: float) -> int:
    """A price ending in 9 within the chain's range, in yuan."""
    price = round(base * multiplier / 10) * 10 - 1
    return min(max(price, LIST_PRICE_MIN), LIST_PRICE_MAX)


def _products_create() -> list[DemoProduct]:
    wanted = [
        Product(
            sku=f"P{s + 1:02d}{code}",
            name=series_name.removesuffix("系列") + product_name,
            series=series_name,
            category=category,
            list_price=_list_price(base, multiplier),
        )
        for s, (series_name, category, multiplier) in enumerate(SERIES)
        for code, product_name, base, _ in PRODUCT_TYPES
    ]
    Product.objects.bulk_create(wanted, ignore_conflicts=True)  # a catalogue may already exist
    by_sku = Product.objects.in_bulk([p.sku for p in wanted], field_name="sku")
    codes = [code for code, *_ in PRODUCT_TYPES]
    return [
        DemoProduct(
            id=by_sku[p.sku].pk,
            series=int(p.sku[1:3]) - 1,
            type_index=codes.index(p.sku[3:]),
            price_cents=int(by_sku[p.sku].list_price * 100),
        )
        for p in wanted
    ]


def _tags_create() -> dict[str, int]:
    Tag.objects.bulk_create([Tag(name=n, family=f) for n, f in TAGS], ignore_conflicts=True)
    return dict(
        Tag.objects.filter(store__isnull=True, name__in=[n for n, _ in TAGS]).values_list(
            "name", "pk"
        )
    )
