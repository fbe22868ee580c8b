import factory
from django.utils import timezone

from messaging.models import Channel, MessageKind, OutboxMessage, OutboxStatus
from tests.members.factories import GuideFactory, MemberFactory


class OutboxMessageFactory(factory.django.DjangoModelFactory):
    """A pending marketing SMS to a member, due today."""

    class Meta:
        model = OutboxMessage

    member = factory.SubFactory(MemberFactory)
    staff = None
    kind = MessageKind.COUPON_EXPIRY
    due_date = factory.LazyFunction(timezone.localdate)
    channel = Channel.SMS
    marketing = True
    body = factory.Sequence(lambda n: f"【私域优选】提醒{n}。回复TD退订")
    payload = factory.LazyFunction(dict)
    status = OutboxStatus.PENDING


class StaffMessageFactory(OutboxMessageFactory):
    """An internal, non-marketing message to a member of staff (e.g. an overdue callback)."""

    member = None
    staff = factory.SubFactory(GuideFactory)
    channel = Channel.INTERNAL
    marketing = False
    body = factory.Sequence(lambda n: f"您有{n}条回访任务已逾期。")
