"""Store portal forms. They validate input and offer scoped choices; the rules live in services."""

from datetime import date

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .models import Region, Store, StoreGroup, Tag, TagFamily, User


class LoginForm(AuthenticationForm):
    """Django's login form with the labels and messages a store user reads."""

    error_messages = {
        "invalid_login": _("用户名或密码不正确，请检查后重新输入（密码区分大小写）。"),
        "inactive": _("该账号已停用，请联系总部管理员。"),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("用户名")
        self.fields["password"].label = _("密码")


class GuideChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


class RebindForm(forms.Form):
    """Choose another guide of the user's own store; the choices come from the user's scope."""

    guide = GuideChoiceField(
        queryset=User.objects.none(),
        label=_("新导购"),
        empty_label=_("请选择导购"),
        error_messages={
            "required": _("请选择要绑定的导购。"),
            "invalid_choice": _("所选导购不是本店的在职导购，请重新选择。"),
        },
    )
    reason = forms.CharField(
        label=_("变更原因"),
        max_length=200,
        error_messages={"required": _("请填写变更原因。")},
        widget=forms.TextInput(attrs={"placeholder": _("例如：原导购离职")}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["guide"].queryset = User.objects.visible_to(user).guides().order_by("username")


# --- Group migration matrix ---------------------------------------------------------------------


class MigrationFilterForm(forms.Form):
    """Two finished run dates and, for users who see several stores, where to look.

    A store manager gets no place fields: their store comes from their account. Choices come from
    the user's scope, so another store is "not a choice" (400), never a matrix.
    """

    date_from = forms.TypedChoiceField(label=_("起始分群日"), coerce=date.fromisoformat)
    date_to = forms.TypedChoiceField(label=_("结束分群日"), coerce=date.fromisoformat)
    store = forms.ModelChoiceField(
        queryset=Store.objects.none(),
        required=False,
        label=_("门店"),
        empty_label=_("全部门店"),
        error_messages={"invalid_choice": _("所选门店不存在或不在您的范围内。")},
    )
    store_group = forms.ModelChoiceField(
        queryset=StoreGroup.objects.all(),
        required=False,
        label=_("店群"),
        empty_label=_("全部店群"),
    )
    region = forms.ModelChoiceField(
        queryset=Region.objects.all(), required=False, label=_("片区"), empty_label=_("全部片区")
    )

    def __init__(self, data, *, user, run_dates, **kwargs):
        super().__init__(data, **kwargs)
        self.user = user
        choices = [(day.isoformat(), day.isoformat()) for day in run_dates]
        self.fields["date_from"].choices = choices
        self.fields["date_to"].choices = choices
        for name in ("date_from", "date_to"):
            self.fields[name].error_messages["invalid_choice"] = _(
                "%(value)s 不是已完成的分群运行日期，请从列表中选择。"
            )
        self.fields["store"].queryset = Store.objects.visible_to(user).order_by("code")
        if not user.is_hq:
            del self.fields["store_group"], self.fields["region"]
        if user.is_store_manager:
            del self.fields["store"]

    def place(self) -> dict:
        if self.user.is_store_manager:
            return {"store": self.user.store}
        names = ("store", "store_group", "region")
        return {name: self.cleaned_data.get(name) for name in names if name in self.fields}


# --- Tags by hand -------------------------------------------------------------------------------


class MemberTagForm(forms.Form):
    """Pick a tag for a member. The choice list leaves out rule tags and tags already applied; a
    rule tag sent anyway reaches the service, which refuses it with the reason."""

    tag = forms.ModelChoiceField(
        queryset=Tag.objects.none(),
        label=_("添加标签"),
        error_messages={
            "required": _("请选择标签。"),
            "invalid_choice": _("所选标签不存在或不能用于该会员。"),
        },
    )

    def __init__(self, *args, user, member, **kwargs):
        super().__init__(*args, **kwargs)
        usable = Tag.objects.visible_to(user).usable_on(member)
        self.fields["tag"].queryset = usable
        offered = usable.by_hand().exclude(member_tags__member=member)
        self.fields["tag"].widget.choices = [
            ("", _("选择标签")),
            *((tag.pk, f"{tag.name}（{tag.get_family_display()}）") for tag in offered),
        ]


class NewStoreTagForm(forms.Form):
    name = forms.CharField(
        label=_("新标签名称"),
        max_length=Tag._meta.get_field("name").max_length,
        error_messages={
            "required": _("请填写标签名称。"),
            "max_length": _("标签名称最多 %(limit_value)d 个字。"),
        },
    )
    family = forms.ChoiceField(
        label=_("标签类别"),
        choices=TagFamily.choices,
        error_messages={"required": _("请选择标签类别。"), "invalid_choice": _("请选择标签类别。")},
    )
