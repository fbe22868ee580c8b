"""Forms for issuing: a batch to a segment or a pasted phone list (HQ in the admin, store managers
in the portal), and a guide's single coupon on the member card. Validation only: the rules of who
may issue what live in coupons.services.issuing*."""

import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Segment

from .models import BatchSource, CouponTemplate
from .selectors_portal import member_coupons
from .services.issuing_single import (
    allowance_left,
    may_issue_single,
    templates_guide_may_issue,
    templates_issuable_at,
)

# A pasted list of 50,000 phones with separators; the service counts the lines.
MAX_PHONES_TEXT = 50_000 * 20

BATCH_SOURCES = [
    (BatchSource.SEGMENT, _("按分组")),
    (BatchSource.PHONES, _("按手机号名单")),
]


class BatchForm(forms.Form):
    template = forms.ModelChoiceField(
        label=_("券模板"),
        queryset=CouponTemplate.objects.none(),
        error_messages={
            "required": _("请选择要发放的券模板。"),
            "invalid_choice": _("所选券模板不存在或未启用。"),
        },
    )
    source = forms.ChoiceField(
        label=_("发给"),
        choices=BATCH_SOURCES,
        initial=BatchSource.SEGMENT,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择按分组还是按手机号名单发放。")},
    )
    segment = forms.ModelChoiceField(
        label=_("分组"),
        queryset=Segment.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("所选分组不存在或您无权使用。")},
    )
    phones = forms.CharField(
        label=_("手机号名单"),
        required=False,
        max_length=MAX_PHONES_TEXT,
        widget=forms.Textarea(
            attrs={"rows": 6, "placeholder": _("每行一个手机号，或用逗号分隔。")}
        ),
        error_messages={"max_length": _("名单太长，请分批发放（每批最多 50,000 个手机号）。")},
    )
    # A fresh key per form shown: sending the same form twice finds the batch it made.
    key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        templates = CouponTemplate.objects.active().easy_first()
        segments = Segment.objects.visible_to(user).filter(active=True)
        if not user.is_hq:
            templates = templates_issuable_at(store=user.store)
            segments = segments.filter(store_id=user.store_id)
        self.fields["template"].queryset = templates
        self.fields["segment"].queryset = segments.order_by("name")
        if not self.is_bound:
            self.initial["key"] = f"form:{uuid.uuid4().hex}"

    def clean(self):
        cleaned = super().clean()
        source = cleaned.get("source")
        if source == BatchSource.SEGMENT and not cleaned.get("segment"):
            self.add_error("segment", _("请选择要发券的分组。"))
        if source == BatchSource.PHONES and not (cleaned.get("phones") or "").strip():
            self.add_error("phones", _("请粘贴至少一个手机号。"))
        return cleaned

    def batch_arguments(self) -> dict:
        """What coupons.services.issuing.batch_create takes (with the actor)."""
        cleaned = self.cleaned_data
        return {
            "template": cleaned["template"],
            "source": cleaned["source"],
            "segment": cleaned.get("segment"),
            "phones_text": cleaned.get("phones") or "",
            "key": cleaned.get("key") or None,
        }


class SingleIssueForm(forms.Form):
    template = forms.ModelChoiceField(
        label=_("券"),
        queryset=CouponTemplate.objects.none(),
        error_messages={
            "required": _("请选择要发放的券。"),
            "invalid_choice": _("这张券不能由导购单独发放，请重新选择。"),
        },
    )

    def __init__(self, *args, store, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates_guide_may_issue(store=store)


def member_coupon_section(user, member, form: SingleIssueForm | None = None) -> dict:
    """The member card's coupon section: the coupons, and for a store's staff the form to hand
    out one allowed coupon with what is left of the store's monthly allowance."""
    section = {"member_coupons": member_coupons(user, member)}
    if may_issue_single(user):
        section["issue_form"] = form or SingleIssueForm(store=user.store)
        section["allowance_left"] = allowance_left(store=user.store, on=timezone.localdate())
    return section
