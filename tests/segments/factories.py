"""Factories for segments."""

import factory

from members.models import Segment, empty_rule


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment

    name = factory.Sequence(lambda n: f"分组{n}")
    rule = factory.LazyFunction(empty_rule)
