"""Conditions on the member's home store and where it sits in the organisation.

They narrow, never widen: a segment's members are always intersected with what the user may
see (and a store sub-segment with its store), so "store = B" in store A's sub-segment is empty.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import OperatingModel, Region, Store, StoreGroup
from .fields import ScopedIdsField, choices_field
from .registry import AnyOfCondition, register

FAMILY = _("门店")


class StoreForm(forms.Form):
    stores = ScopedIdsField(
        Store.objects.all(), label=_("门店"), required_message=_("请至少选择一家门店。")
    )

    def limit_to(self, user):
        if user is not None:
            self.fields["stores"].queryset = Store.objects.visible_to(user)


@register
class StoreCondition(AnyOfCondition):
    key = "store"
    label = _("归属门店")
    family = FAMILY
    family_rank = 40
    form_class = StoreForm
    lookup = "home_store"
    param = "stores"


class RegionForm(forms.Form):
    regions = ScopedIdsField(
        Region.objects.all(), label=_("片区"), required_message=_("请至少选择一个片区。")
    )


@register
class RegionCondition(AnyOfCondition):
    key = "region"
    label = _("门店所在片区")
    family = FAMILY
    family_rank = 40
    form_class = RegionForm
    lookup = "home_store__region"
    param = "regions"


class StoreGroupForm(forms.Form):
    store_groups = ScopedIdsField(
        StoreGroup.objects.all(), label=_("店群"), required_message=_("请至少选择一个店群。")
    )


@register
class StoreGroupCondition(AnyOfCondition):
    key = "store_group"
    label = _("门店所在店群")
    family = FAMILY
    family_rank = 40
    form_class = StoreGroupForm
    lookup = "home_store__store_group"
    param = "store_groups"


class OperatingModelForm(forms.Form):
    operating_models = choices_field(
        _("经营模式"), OperatingModel.choices, required_message=_("请至少选择一种经营模式。")
    )


@register
class OperatingModelCondition(AnyOfCondition):
    key = "operating_model"
    label = _("门店经营模式")
    family = FAMILY
    family_rank = 40
    form_class = OperatingModelForm
    lookup = "home_store__operating_model"
    param = "operating_models"
