"""Conditions on what a member bought: order lines of counted orders within a window."""

from django import forms
from django.db.models import Q, TextChoices
from django.utils.translation import gettext_lazy as _

from ..purchases.lookup import bought_q
from .fields import days_field
from .registry import Condition, register


class ProductScope(TextChoices):
    SKU = "sku", _("商品 SKU")
    SERIES = "series", _("系列")
    CATEGORY = "category", _("品类/功效")


class BoughtForm(forms.Form):
    scope = forms.ChoiceField(
        label=_("按"),
        choices=ProductScope.choices,
        error_messages={
            "required": _("请选择按 SKU、系列还是品类。"),
            "invalid_choice": _("“%(value)s”不是可选的范围。"),
        },
    )
    value = forms.CharField(
        label=_("SKU/系列/品类名称"),
        max_length=64,
        error_messages={
            "required": _("请填写 SKU、系列或品类名称。"),
            "max_length": _("名称最多 %(limit_value)d 个字。"),
        },
    )
    days = days_field(_("最近天数"))

    def clean_value(self):
        value = self.cleaned_data["value"].strip()
        if not value:
            raise forms.ValidationError(_("请填写 SKU、系列或品类名称。"), code="required")
        return value


@register
class BoughtCondition(Condition):
    key = "bought"
    label = _("最近 N 天购买过（SKU/系列/品类）")
    family = _("购买")
    family_rank = 20
    form_class = BoughtForm

    def q(self, params, *, today):
        products = Q(**{params["scope"]: params["value"]})
        return bought_q(products=products, days=params["days"], today=today)
