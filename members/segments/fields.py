"""Parameter forms the conditions share: inclusive ranges, and choices scoped to the user."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MAX_DAYS = 36_500
MAX_AMOUNT = 100_000_000


def _number_field(decimal: bool, label, *, max_value):
    messages = {
        "invalid": _("请输入数字。"),
        "min_value": _("不能小于 %(limit_value)s。"),
        "max_value": _("不能大于 %(limit_value)s。"),
        "max_decimal_places": _("最多保留 %(max)s 位小数。"),
        "max_digits": _("数字太大。"),
    }
    if decimal:
        return forms.DecimalField(
            label=label,
            required=False,
            min_value=0,
            max_value=max_value,
            max_digits=14,
            decimal_places=2,
            error_messages=messages,
        )
    return forms.IntegerField(
        label=label, required=False, min_value=0, max_value=max_value, error_messages=messages
    )


def range_form(min_label, max_label, *, decimal: bool = False, max_value: int = MAX_DAYS):
    """A form with optional `min` and `max` (inclusive); at least one, and min <= max."""

    class RangeForm(forms.Form):
        min = _number_field(decimal, min_label, max_value=max_value)
        max = _number_field(decimal, max_label, max_value=max_value)

        def clean(self):
            cleaned = super().clean()
            low, high = cleaned.get("min"), cleaned.get("max")
            if "min" in self.errors or "max" in self.errors:
                return cleaned
            if low is None and high is None:
                raise forms.ValidationError(_("请至少填写最小值或最大值。"), code="empty_range")
            if low is not None and high is not None and low > high:
                self.add_error("max", _("最大值不能小于最小值。"))
            return cleaned

    return RangeForm


def range_q(field: str, params: dict) -> Q:
    q = Q()
    if params.get("min") is not None:
        q &= Q(**{f"{field}__gte": params["min"]})
    if params.get("max") is not None:
        q &= Q(**{f"{field}__lte": params["max"]})
    return q


def days_field(label, *, min_value=1):
    return forms.IntegerField(
        label=label,
        min_value=min_value,
        max_value=MAX_DAYS,
        error_messages={
            "required": _("请填写天数。"),
            "invalid": _("天数必须是整数。"),
            "min_value": _("天数不能小于 %(limit_value)s。"),
            "max_value": _("天数不能大于 %(limit_value)s。"),
        },
    )


def choices_field(label, choices, *, required_message):
    return forms.MultipleChoiceField(
        label=label,
        choices=choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": required_message,
            "invalid_choice": _("“%(value)s”不是可选的选项。"),
            "invalid_list": _("请选择一个或多个选项。"),
        },
    )


class ScopedIdsField(forms.ModelMultipleChoiceField):
    """Choices by id, narrowed to the user's scope so another store's objects are not choices."""

    def __init__(self, queryset, *, label, required_message):
        super().__init__(
            queryset=queryset,
            label=label,
            widget=forms.CheckboxSelectMultiple,
            error_messages={
                "required": required_message,
                "invalid_choice": _("所选项（%(value)s）不存在或不可用。"),
                "invalid_pk_value": _("“%(pk)s”不是有效的编号。"),
                "invalid_list": _("请选择一个或多个选项。"),
            },
        )
