"""Forms of the coupon pages: HQ's template, settings and welcome-pack forms (admin), and the ROI
filter. Validation only: writes go through coupons.services."""

import re
from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from members.models import OperatingModel, Region, StoreGroup

from .models import (
    CouponKind,
    CouponSettings,
    CouponTemplate,
    TemplateStatus,
    UsableIn,
    ValidityKind,
    WelcomePackItem,
)

MAX_LIST_ITEMS = 50
MAX_ITEM_LENGTH = 64
MAX_EASE_RANK = 9
# Three coupons by default (DOMAIN.md); more than this is no welcome pack but a campaign.
MAX_WELCOME_PACK = 6


class LinesField(forms.CharField):
    """A list of short names, one a line (or separated by commas), stored as a JSON list."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value) or ""
        items = [item.strip() for item in re.split(r"[\n,，、]", text) if item.strip()]
        if len(items) > MAX_LIST_ITEMS:
            raise forms.ValidationError(_("最多填写 %(max)d 项。") % {"max": MAX_LIST_ITEMS})
        if any(len(item) > MAX_ITEM_LENGTH for item in items):
            raise forms.ValidationError(_("每项最多 %(max)d 个字。") % {"max": MAX_ITEM_LENGTH})
        return list(dict.fromkeys(items))


# The selection each "usable in" choice needs, and the message when it is empty.
USABLE_SELECTIONS = {
    UsableIn.REGIONS: ("regions", _("选择“指定片区”时请至少选择一个片区。")),
    UsableIn.STORE_GROUPS: ("store_groups", _("选择“指定店群”时请至少选择一个店群。")),
    UsableIn.OPERATING_MODELS: (
        "operating_models",
        _("选择“指定经营模式”时请至少选择一种经营模式。"),
    ),
    UsableIn.STORES: ("stores", _("选择“指定门店”时请至少选择一家门店。")),
}


class CouponTemplateForm(forms.ModelForm):
    operating_models = forms.MultipleChoiceField(
        label=_("经营模式"),
        choices=OperatingModel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    series = LinesField(
        label=_("适用系列"), required=False, help_text=_("每行一个；留空表示不限。")
    )
    categories = LinesField(
        label=_("适用品类"), required=False, help_text=_("每行一个；留空表示不限。")
    )

    class Meta:
        model = CouponTemplate
        fields = [
            "name",
            "face_value",
            "min_spend",
            "ease_rank",
            "validity",
            "valid_from",
            "valid_until",
            "valid_days",
            "usable_in",
            "regions",
            "store_groups",
            "operating_models",
            "stores",
            "products",
            "series",
            "categories",
            "per_member_limit",
            "limit_period",
            "total_quota",
            "budget",
            "reusable_after_refund",
            "guide_may_issue",
        ]

    def clean_face_value(self):
        face_value = self.cleaned_data["face_value"]
        if face_value <= 0:
            raise forms.ValidationError(_("面额须大于 0 元。"))
        return face_value

    def clean_ease_rank(self):
        rank = self.cleaned_data["ease_rank"]
        if not 1 <= rank <= MAX_EASE_RANK:
            raise forms.ValidationError(
                _("复购难易度须在 1 到 %(max)d 之间。") % {"max": MAX_EASE_RANK}
            )
        return rank

    def clean_per_member_limit(self):
        limit = self.cleaned_data["per_member_limit"]
        if limit < 1:
            raise forms.ValidationError(_("每人限领须至少 1 张。"))
        return limit

    def clean_total_quota(self):
        quota = self.cleaned_data["total_quota"]
        if quota is not None and quota < max(1, self.instance.issued_count):
            raise forms.ValidationError(
                _("发放总量须至少为 1 且不少于已发放的 %(issued)d 张；留空表示不限。")
                % {"issued": self.instance.issued_count}
            )
        return quota

    def clean_budget(self):
        budget = self.cleaned_data["budget"]
        if budget is not None and budget <= 0:
            raise forms.ValidationError(_("预算须大于 0 元；留空表示不限。"))
        return budget

    def clean(self):
        cleaned = super().clean()
        self._check_min_spend(cleaned)
        self._check_validity(cleaned)
        self._check_usable_in(cleaned)
        return cleaned

    def _check_min_spend(self, cleaned):
        face_value, min_spend = cleaned.get("face_value"), cleaned.get("min_spend")
        if face_value is None or min_spend is None:
            return
        if min_spend < 0 or 0 < min_spend <= face_value:
            self.add_error(
                "min_spend", _("最低消费须为 0（无门槛），或高于面额（例如满 200 减 30）。")
            )

    def _check_validity(self, cleaned):
        if cleaned.get("validity") == ValidityKind.FIXED:
            valid_from, valid_until = cleaned.get("valid_from"), cleaned.get("valid_until")
            for name, value in (("valid_from", valid_from), ("valid_until", valid_until)):
                if value is None and name not in self.errors:
                    self.add_error(name, _("固定日期的券须填写生效日期和失效日期。"))
            if valid_from and valid_until and valid_until < valid_from:
                self.add_error("valid_until", _("失效日期不能早于生效日期。"))
            cleaned["valid_days"] = None
        elif cleaned.get("validity") == ValidityKind.RELATIVE:
            days = cleaned.get("valid_days")
            if (days is None or days < 1) and "valid_days" not in self.errors:
                self.add_error("valid_days", _("领券后有效天数须至少为 1 天。"))
            cleaned["valid_from"] = cleaned["valid_until"] = None

    def _check_usable_in(self, cleaned):
        """The chosen "usable in" needs its selection; the other selections are cleared."""
        usable_in = cleaned.get("usable_in")
        for choice, (name, message) in USABLE_SELECTIONS.items():
            if choice == usable_in:
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, message)
            elif name in cleaned:
                field = self.fields[name]
                cleaned[name] = field.queryset.none() if hasattr(field, "queryset") else []


class CouponSettingsForm(forms.ModelForm):
    class Meta:
        model = CouponSettings
        fields = [
            "large_face_value_from",
            "reminder_days_before",
            "guide_monthly_allowance",
            "birthday_template",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        templates = CouponTemplate.objects.exclude(status=TemplateStatus.CLOSED)
        self.fields["birthday_template"].queryset = templates.order_by("name")

    def clean_large_face_value_from(self):
        cutoff = self.cleaned_data["large_face_value_from"]
        if cutoff <= 0:
            raise forms.ValidationError(_("大面额起点须大于 0 元。"))
        return cutoff

    def clean_reminder_days_before(self):
        days = self.cleaned_data["reminder_days_before"]
        if not 1 <= days <= 60:
            raise forms.ValidationError(_("到期提醒须在到期前 1 到 60 天之间。"))
        return days


class WelcomePackItemForm(forms.ModelForm):
    class Meta:
        model = WelcomePackItem
        fields = ["template", "position"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        templates = CouponTemplate.objects.exclude(status=TemplateStatus.CLOSED)
        self.fields["template"].queryset = templates.order_by("ease_rank", "name")

    def clean_position(self):
        position = self.cleaned_data["position"]
        if not 1 <= position <= MAX_WELCOME_PACK:
            raise forms.ValidationError(
                _("顺序须在 1 到 %(max)d 之间。") % {"max": MAX_WELCOME_PACK}
            )
        return position

    def clean(self):
        cleaned = super().clean()
        others = WelcomePackItem.objects.exclude(pk=self.instance.pk)
        if self.instance.pk is None and others.count() >= MAX_WELCOME_PACK:
            raise forms.ValidationError(
                _("开卡礼最多 %(max)d 张券，请先删除一张再添加。") % {"max": MAX_WELCOME_PACK}
            )
        return cleaned


# --- ROI filter ---------------------------------------------------------------------------------

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{1,2})$")


class MonthField(forms.CharField):
    """A month as "2025-10" (the browser's month picker), cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month"})
    default_error_messages = {"invalid": _("请按“年-月”填写月份，例如 2025-10。")}

    def to_python(self, value):
        text = (super().to_python(value) or "").strip()
        if not text:
            return None
        match = MONTH_PATTERN.match(text)
        if not match or not 2000 <= int(match[1]) <= 2100 or not 1 <= int(match[2]) <= 12:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return date(int(match[1]), int(match[2]), 1)

    def prepare_value(self, value):
        return value.strftime("%Y-%m") if isinstance(value, date) else value


SORTS = [
    ("store", _("按门店")),
    ("revenue_per_yuan", _("按每元券带动销售（高到低）")),
    ("redemption_rate", _("按核销率（高到低）")),
]


class RoiFilterForm(forms.Form):
    """HQ's ROI page: a month, and where and which coupons to look at."""

    month = MonthField(label=_("月份"))
    region = forms.ModelChoiceField(
        queryset=Region.objects.order_by("name"),
        required=False,
        label=_("片区"),
        empty_label=_("全部片区"),
    )
    store_group = forms.ModelChoiceField(
        queryset=StoreGroup.objects.order_by("name"),
        required=False,
        label=_("店群"),
        empty_label=_("全部店群"),
    )
    kind = forms.ChoiceField(
        choices=[("", _("全部券类型")), *CouponKind.choices], required=False, label=_("券类型")
    )
    template = forms.ModelChoiceField(
        queryset=CouponTemplate.objects.order_by("name"),
        required=False,
        label=_("模板"),
        empty_label=_("全部模板"),
    )
    sort = forms.ChoiceField(choices=SORTS, required=False, label=_("排序"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("region", "store_group", "template"):
            self.fields[name].error_messages["invalid_choice"] = _("所选项不存在，请从列表中选择。")
        self.fields["kind"].error_messages["invalid_choice"] = _("“%(value)s”不是可选的券类型。")
        self.fields["sort"].error_messages["invalid_choice"] = _("“%(value)s”不是可选的排序。")
