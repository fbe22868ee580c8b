"""Member list filters, shared by the API and the store portal."""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .errors import RuleViolation
from .models import Member, RfmGroup, Segment, Source, Tag, User
from .segments.selectors import segment_q


class MemberFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("姓名或手机尾号"))
    guide = django_filters.ModelChoiceFilter(queryset=User.objects.none(), label=_("导购"))
    tag = django_filters.ModelChoiceFilter(
        queryset=Tag.objects.none(), field_name="tags", label=_("标签")
    )
    birthday_month = django_filters.NumberFilter(
        field_name="birthday", lookup_expr="month", min_value=1, max_value=12, label=_("生日月份")
    )
    source = django_filters.ChoiceFilter(choices=Source.choices, label=_("招募来源"))
    rfm_group = django_filters.ChoiceFilter(
        field_name="rfm__group", choices=RfmGroup.choices, label=_("客户群")
    )
    # Any segment the user may see, its rule evaluated live on the (already scoped) member list.
    segment = django_filters.ModelChoiceFilter(
        queryset=Segment.objects.none(),
        method="filter_segment",
        label=_("分组"),
        empty_label=_("全部分组"),
    )

    class Meta:
        model = Member
        fields = ["q", "guide", "tag", "birthday_month", "source", "rfm_group", "segment"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        # Choices come from the user's own scope, so another store's guide or tag is "not a choice".
        self.filters["guide"].queryset = User.objects.visible_to(user).guides()
        self.filters["tag"].queryset = Tag.objects.visible_to(user)
        self.filters["segment"].queryset = Segment.objects.visible_to(user).filter(active=True)

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_segment(self, queryset, name, value: Segment):
        try:
            return queryset.filter(segment_q(value, today=timezone.localdate()))
        except RuleViolation:
            # A stored rule that no longer validates (e.g. its tag was deleted) matches nobody.
            return queryset.none()
