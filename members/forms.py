"""Store portal forms. They validate input and offer scoped choices; the rules live in services."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .models import User


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
