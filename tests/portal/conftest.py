import pytest

from tests.members.factories import GuideFactory, MemberFactory


@pytest.fixture
def other_guide_a(store_a):
    return GuideFactory(store=store_a, first_name="小周")


@pytest.fixture
def canary_b(store_b, guide_b):
    """A member of store B whose name and phone must never show up for store A."""
    return MemberFactory(home_store=store_b, guide=guide_b, name="乙店金丝雀", phone="13700007777")
