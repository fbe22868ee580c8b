"""The SMS template rule (signature, opt-out text, known placeholders) and safe rendering."""

import pytest
from django.core.exceptions import ValidationError
from django.forms import modelform_factory

from coupons.models import REMINDER_PLACEHOLDERS, CouponSettings
from messaging.sms import sms_render, sms_template_check

GOOD = "【私域优选】{name}您好，您有{count}张券将于{valid_until}到期。回复TD退订"


def messages_of(error: ValidationError) -> str:
    return "；".join(error.messages)


def test_a_template_with_signature_and_opt_out_passes():
    # when
    parts = sms_template_check(GOOD, placeholders=REMINDER_PLACEHOLDERS)
    # then
    assert [field for _, field in parts if field] == ["name", "count", "valid_until"]


def test_the_signature_may_stand_at_the_end():
    sms_template_check("{name}您好，券快到期了。回复TD退订【私域优选】")


def test_a_template_without_the_signature_is_rejected_naming_it():
    with pytest.raises(ValidationError) as rejected:
        sms_template_check("{name}您好，券快到期了。回复TD退订")
    assert "缺少品牌签名“【私域优选】”" in messages_of(rejected.value)
    assert "回复TD退订" not in messages_of(rejected.value)


def test_a_signature_in_the_middle_does_not_count():
    with pytest.raises(ValidationError, match="缺少品牌签名"):
        sms_template_check("您好【私域优选】券快到期了。回复TD退订")


def test_a_marketing_template_without_the_opt_out_text_is_rejected_naming_it():
    with pytest.raises(ValidationError) as rejected:
        sms_template_check("【私域优选】{name}您好，券快到期了。")
    assert messages_of(rejected.value) == "营销短信模板缺少退订提示“回复TD退订”。"


def test_both_missing_are_both_named():
    with pytest.raises(ValidationError) as rejected:
        sms_template_check("您好")
    assert len(rejected.value.messages) == 2


def test_a_non_marketing_sms_needs_the_signature_but_no_opt_out_text():
    sms_template_check("【私域优选】您的验证码已发送。", marketing=False)
    with pytest.raises(ValidationError, match="缺少品牌签名"):
        sms_template_check("您的验证码已发送。", marketing=False)


def test_the_signature_comes_from_settings(settings):
    settings.BRAND_SMS_SIGNATURE = "【优选会员】"
    with pytest.raises(ValidationError, match="【优选会员】"):
        sms_template_check(GOOD)


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("【私域优选】{nmae}您好。回复TD退订", "未知的占位符：{nmae}"),
        ("【私域优选】{name.__class__}。回复TD退订", "写法不对"),
        ("【私域优选】{0}您好。回复TD退订", "写法不对"),
        ("【私域优选】{}您好。回复TD退订", "写法不对"),
        ("【私域优选】{name!r}您好。回复TD退订", "{name!r}"),
        ("【私域优选】{count:>5}张。回复TD退订", "{count:>5}"),
        ("【私域优选】{name您好。回复TD退订", "花括号不成对"),
    ],
)
def test_bad_placeholders_are_rejected(template, message):
    with pytest.raises(ValidationError) as rejected:
        sms_template_check(template, placeholders=REMINDER_PLACEHOLDERS)
    assert message in messages_of(rejected.value)


def test_rendering_fills_placeholders_and_keeps_doubled_braces():
    text = sms_render(
        "【私域优选】{{会员}}{name}：{count}张。回复TD退订", {"name": "王芳", "count": 3}
    )
    assert text == "【私域优选】{会员}王芳：3张。回复TD退订"


def test_rendering_never_evaluates_what_the_values_say():
    text = sms_render("【私域优选】{name}。回复TD退订", {"name": "{count.__class__}%s"})
    assert text == "【私域优选】{count.__class__}%s。回复TD退订"


# --- On the coupon settings' field: every ModelForm (the admin's) and full_clean enforce it ----


@pytest.mark.django_db
def test_the_default_reminder_template_is_valid_and_carries_the_signature():
    row = CouponSettings.current()
    row.full_clean()
    assert row.reminder_sms_template.startswith("【私域优选】{name}您好")
    assert row.reminder_sms_template.endswith("回复TD退订")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{name}您好，您的券快到期了。回复TD退订", "缺少品牌签名"),
        ("【私域优选】{name}您好，您的券快到期了。", "缺少退订提示"),
        ("【私域优选】{name}您好，您有{amount}元。回复TD退订", "未知的占位符：{amount}"),
    ],
)
def test_full_clean_rejects_a_bad_reminder_template(template, message):
    row = CouponSettings.current()
    row.reminder_sms_template = template
    with pytest.raises(ValidationError) as rejected:
        row.full_clean()
    assert message in messages_of(rejected.value)
    assert set(rejected.value.message_dict) == {"reminder_sms_template"}


@pytest.mark.django_db
def test_a_model_form_rejects_a_template_without_signature_and_saves_a_good_one():
    form_class = modelform_factory(CouponSettings, fields=["reminder_sms_template"])
    row = CouponSettings.current()
    # when: a template without the signature
    bad = form_class({"reminder_sms_template": "{name}您好。回复TD退订"}, instance=row)
    # then
    assert not bad.is_valid()
    assert "缺少品牌签名" in bad.errors["reminder_sms_template"][0]
    # and a good one is saved
    good = form_class({"reminder_sms_template": GOOD}, instance=row)
    assert good.is_valid(), good.errors
    good.save()
    assert CouponSettings.current().reminder_sms_template == GOOD
