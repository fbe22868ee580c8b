"""The segment page's own fields (name, description, base); the rule comes from the builder."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Segment


class SegmentForm(forms.Form):
    name = forms.CharField(
        label=_("分组名称"),
        max_length=60,
        error_messages={
            "required": _("请填写分组名称。"),
            "max_length": _("分组名称最多 %(limit_value)d 个字。"),
        },
    )
    description = forms.CharField(
        label=_("说明"),
        max_length=200,
        required=False,
        error_messages={"max_length": _("说明最多 %(limit_value)d 个字。")},
    )
    base = forms.ModelChoiceField(
        queryset=Segment.objects.none(),
        label=_("基于总部分组（可选）"),
        required=False,
        empty_label=_("从全部本店会员开始"),
        error_messages={"invalid_choice": _("所选总部分组不存在或已停用。")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.is_store_manager:
            self.fields["base"].queryset = Segment.objects.hq().filter(active=True)
        else:
            del self.fields["base"]
