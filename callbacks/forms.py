"""Forms of the callback pages: input checks only. The rules (who may do what, which segment or
phones a plan may target) live in callbacks.services."""

import datetime

from django import forms
from django.core.validators import MaxValueValidator
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coupons.models import CouponTemplate
from coupons.services.issuing_single import templates_issuable_at
from members.models import Product, Segment

from .models import (
    HAND_MADE_TARGETS,
    CallbackChannel,
    CallbackPlan,
    PlanStatus,
    PriorityOrder,
    TaskStatus,
)
from .selectors_portal import products_by_id, store_guides
from .services.plans import MAX_PROMOTED_PRODUCTS, PLAN_FIELDS
from .services.reassign import reassign_targets

MAX_NOTE = 1000
MAX_BULK_TASKS = 500
MAX_ID = 2**31 - 1
MAX_PRODUCT_QUERY = 50
# A pasted list of 50,000 phones with separators (as a coupon batch's).
MAX_PHONES_TEXT = 50_000 * 20
OUTCOMES = [(value, label) for value, label in TaskStatus.choices if value != TaskStatus.PENDING]
MAX_COOLDOWN = 365
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("回访结果"),
        choices=OUTCOMES,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("请选择回访结果。"),
            "invalid_choice": _("请选择回访结果。"),
        },
    )
    note = forms.CharField(
        label=_("备注"),
        required=False,
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("会员说了什么，下次要注意什么")}),
        error_messages={"max_length": _("备注最多 %(limit_value)d 个字。")},
    )
    follow_up_on = forms.DateField(
        label=_("下次回访日期"),
        required=False,
        widget=DATE_INPUT,
        error_messages={"invalid": _("请输入正确的日期，例如 2026-01-05。")},
    )
    opt_out = forms.BooleanField(label=_("会员要求不再接收营销信息"), required=False)


class ReassignForm(forms.Form):
    to_user = forms.ModelChoiceField(
        label=_("改派给"),
        queryset=None,
        error_messages={
            "required": _("请选择要改派给的导购。"),
            "invalid_choice": _("只能改派给本店在职的导购或店长。"),
        },
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["to_user"]
        field.queryset = reassign_targets(user)
        field.label_from_instance = lambda staff: staff.get_full_name() or staff.username


class IdListField(forms.Field):
    """Ticked ids (a list of positive integers, at most `limit`); which of them the user may
    use is the service's business."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "invalid": _("所选任务无效，请刷新页面后重试。"),
        "too_many": _("一次最多改派 %(limit)d 条任务。"),
    }

    def __init__(self, *, limit: int, **kwargs):
        self.limit = limit
        super().__init__(**kwargs)

    def to_python(self, value) -> list[int]:
        values = value or []
        if not isinstance(values, list | tuple):
            values = [values]
        ids = []
        for text in values:
            text = str(text).strip()
            if not text.isdigit() or not 1 <= int(text) <= MAX_ID:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            ids.append(int(text))
        if len(ids) > self.limit:
            raise forms.ValidationError(
                self.error_messages["too_many"], code="too_many", params={"limit": self.limit}
            )
        return list(dict.fromkeys(ids))


class BulkReassignForm(ReassignForm):
    """A store manager hands several tasks at once: the ticked ones, or all of one guide's."""

    tasks = IdListField(label=_("所选任务"), required=False, limit=MAX_BULK_TASKS)
    from_user = forms.ModelChoiceField(
        label=_("把谁的全部未完成任务"),
        queryset=None,
        required=False,
        empty_label=_("（只改派勾选的任务）"),
        error_messages={"invalid_choice": _("所选导购不是本店员工。")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        from_user = self.fields["from_user"]
        from_user.queryset = store_guides(user)
        from_user.label_from_instance = lambda staff: staff.get_full_name() or staff.username

    def clean(self):
        cleaned = super().clean()
        tasks, from_user = cleaned.get("tasks"), cleaned.get("from_user")
        if self.errors:
            return cleaned
        if tasks and from_user is not None:
            raise forms.ValidationError(_("请只选一种方式：勾选任务，或选择一位导购的全部任务。"))
        if not tasks and from_user is None:
            raise forms.ValidationError(_("请勾选要改派的任务，或选择一位导购的全部任务。"))
        if from_user is not None and from_user == cleaned.get("to_user"):
            raise forms.ValidationError(_("改派给的人和原负责人相同。"))
        return cleaned


class WorklistFilterForm(forms.Form):
    guide = forms.ModelChoiceField(
        label=_("导购"),
        queryset=None,
        required=False,
        empty_label=_("全部导购"),
        error_messages={"invalid_choice": _("所选导购不是本店员工。")},
    )

    def __init__(self, *args, guides, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["guide"].queryset = guides
        self.fields["guide"].label_from_instance = lambda staff: (
            staff.get_full_name() or staff.username
        )


class ProductPicker(forms.SelectMultiple):
    """The promoted products of a plan without listing the catalogue (thousands of SKUs): only
    the chosen products are rendered, ticked, and more are found by a search-as-you-type
    (htmx, callbacks/products/) that answers with the ticked ones and the matches."""

    def render(self, name, value, attrs=None, renderer=None):
        ids = chosen_ids(self.format_value(value))
        context = {
            "name": name,
            "products": products_by_id(ids),
            "checked": set(ids),
            "search_id": (attrs or {}).get("id", "id_product_q"),  # the field's label points here
        }
        return render_to_string("callbacks/_product_picker.html", context)


def chosen_ids(values) -> list[int]:
    """The valid ids among what the browser sent (anything else is left to the field's check)."""
    texts = (str(value).strip() for value in values or [])
    return [int(text) for text in texts if text.isdigit() and 1 <= int(text) <= MAX_ID]


class ProductChoiceField(forms.ModelMultipleChoiceField):
    """Products by id; an id no database column can hold is refused before the query (SQLite
    raises OverflowError on it, which would be a 500)."""

    def _check_values(self, value):
        for pk in value:
            text = str(pk).strip()
            if not text.isdigit() or not 1 <= int(text) <= MAX_ID:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class ProductSearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=MAX_PRODUCT_QUERY,
        error_messages={"max_length": _("搜索词最多 %(limit_value)d 个字。")},
    )
    promoted_products = IdListField(
        required=False,
        limit=MAX_PROMOTED_PRODUCTS,
        error_messages={
            "invalid": _("所选商品无效，请刷新页面后重试。"),
            "too_many": _("在促商品最多选 %(limit)d 个。"),
        },
    )


class PlanListFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部状态")), *PlanStatus.choices],
        error_messages={"invalid_choice": _("请选择正确的计划状态。")},
    )


class PlanForm(forms.ModelForm):
    """A store manager's own plan in the portal (HQ's plans are made in the admin)."""

    phones = forms.CharField(
        label=_("手机号名单"),
        required=False,
        max_length=MAX_PHONES_TEXT,
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": _("每行一个手机号，或用逗号分隔。")}
        ),
        error_messages={"max_length": _("名单太长（最多 50,000 个手机号）。")},
    )

    promoted_products = ProductChoiceField(
        label=_("在促商品"),
        queryset=Product.objects.all(),
        required=False,
        widget=ProductPicker,
        help_text=_("买过这些商品的会员最容易复购，先易后难时排在最前。"),
        error_messages={
            "invalid_choice": _("所选商品不存在。"),
            "invalid_pk_value": _("所选商品不存在。"),
            "invalid_list": _("所选商品无效，请刷新页面后重试。"),
        },
    )

    class Meta:
        model = CallbackPlan
        fields = [name for name in PLAN_FIELDS]
        widgets = {
            "starts_on": DATE_INPUT,
            "due_on": DATE_INPUT,
            "target_kind": forms.RadioSelect,
            "script": forms.Textarea(attrs={"rows": 4}),
        }
        error_messages = {
            "name": {"required": _("请填写计划名称。")},
            "purpose": {"required": _("请填写回访目的。")},
            "script": {"required": _("请填写话术。")},
            "starts_on": {
                "required": _("请填写开始日期。"),
                "invalid": _("请输入正确的日期，例如 2026-01-05。"),
            },
            "due_on": {
                "required": _("请填写截止日期。"),
                "invalid": _("请输入正确的日期，例如 2026-01-05。"),
            },
            "segment": {"invalid_choice": _("所选分组不存在或您无权使用。")},
            "coupon_template": {"invalid_choice": _("所选优惠券模板不存在或未启用。")},
            "cooldown_days": {
                "invalid": _("冷却天数须是 0 到 365 之间的整数。"),
                "max_value": _("冷却天数须是 0 到 365 之间的整数。"),
                "min_value": _("冷却天数须是 0 到 365 之间的整数。"),
            },
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        segments = Segment.objects.visible_to(user).filter(active=True).order_by("name")
        self.fields["segment"].queryset = segments
        self.fields["segment"].required = False
        templates = CouponTemplate.objects.active().easy_first()
        if not user.is_hq:
            templates = templates_issuable_at(store=user.store)
        self.fields["coupon_template"].queryset = templates
        self.fields["cooldown_days"].validators.append(MaxValueValidator(MAX_COOLDOWN))
        self.fields["channel"].choices = CallbackChannel.choices
        self.fields["priority_order"].choices = PriorityOrder.choices
        self.fields["target_kind"].choices = HAND_MADE_TARGETS
        if self.instance.pk is not None:
            self.initial.setdefault(
                "promoted_products",
                [product.pk for product in self.instance.promoted_products.all()],
            )
        if not self.is_bound and self.instance.pk is None:
            today = timezone.localdate()
            self.initial.setdefault("starts_on", today)
            self.initial.setdefault("due_on", today + datetime.timedelta(days=7))

    def clean(self):
        cleaned = super().clean()
        # The plan's rules (dates, target) are checked by callbacks.services.plans, in Chinese;
        # the model's constraints back them in the database.
        self._validate_constraints = False
        return cleaned

    def plan_fields(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in PLAN_FIELDS}

    def chosen_products(self) -> list[Product]:
        return list(self.cleaned_data.get("promoted_products") or [])
