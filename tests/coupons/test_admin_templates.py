"""HQ admin for what HQ designs: templates (Chinese validation, kind on save, 启用/停用 audited),
the coupon settings (a new cut-off re-derives kinds), allowances and the welcome pack."""

from decimal import Decimal

import pytest
from django.urls import reverse

from coupons.forms import MAX_WELCOME_PACK
from coupons.models import (
    CouponKind,
    CouponSettings,
    CouponTemplate,
    StoreCouponAllowance,
    TemplateStatus,
    UsableIn,
    WelcomePackItem,
)
from members.audit import LogEntry
from tests.coupons.factories import CouponTemplateFactory
from tests.members.factories import RegionFactory

pytestmark = pytest.mark.django_db

ADD = reverse("admin:coupons_coupontemplate_add")
CHANGELIST = reverse("admin:coupons_coupontemplate_changelist")


@pytest.fixture
def hq_client(client, hq_admin):
    client.force_login(hq_admin)
    return client


def template_data(**overrides):
    data = {
        "name": "满200减30",
        "face_value": "30",
        "min_spend": "200",
        "ease_rank": "2",
        "validity": "relative",
        "valid_from": "",
        "valid_until": "",
        "valid_days": "30",
        "usable_in": "all",
        "series": "",
        "categories": "",
        "per_member_limit": "1",
        "limit_period": "ever",
        "total_quota": "",
        "budget": "",
        "reusable_after_refund": "on",
    }
    return {**data, **overrides}


# --- Creating and listing -----------------------------------------------------------------------


def test_hq_creates_a_template_and_its_kind_is_derived(hq_client, hq_admin):
    response = hq_client.post(ADD, template_data(name="无门槛60", face_value="60", min_spend="0"))

    assert response.status_code == 302, response.content.decode()[:2000]
    template = CouponTemplate.objects.get(name="无门槛60")
    assert template.kind == CouponKind.NO_THRESHOLD_LARGE
    assert template.status == TemplateStatus.DRAFT
    assert template.created_by == hq_admin


def test_fixed_dates_and_lines_are_saved(hq_client):
    data = template_data(
        validity="fixed",
        valid_from="2025-10-01",
        valid_until="2025-10-31",
        valid_days="7",
        series="雪润系列\n紧致系列，雪润系列",
    )

    response = hq_client.post(ADD, data)

    assert response.status_code == 302
    template = CouponTemplate.objects.get()
    assert str(template.valid_until) == "2025-10-31" and template.valid_days is None
    assert template.series == ["雪润系列", "紧致系列"]


def test_selections_of_another_usable_in_are_cleared(hq_client):
    region = RegionFactory(name="北区")

    response = hq_client.post(ADD, template_data(usable_in="all", regions=[region.pk]))

    assert response.status_code == 302
    assert CouponTemplate.objects.get().regions.count() == 0


def test_usable_in_regions_keeps_its_regions(hq_client):
    region = RegionFactory(name="北区")

    hq_client.post(ADD, template_data(usable_in="regions", regions=[region.pk]))

    template = CouponTemplate.objects.get()
    assert template.usable_in == UsableIn.REGIONS
    assert list(template.regions.all()) == [region]


def test_usable_in_operating_models_keeps_the_chosen_models(hq_client):
    response = hq_client.post(
        ADD, template_data(usable_in="operating_models", operating_models=["direct", "managed"])
    )

    assert response.status_code == 302
    assert CouponTemplate.objects.get().operating_models == ["direct", "managed"]
    listed = hq_client.get(CHANGELIST).content.decode()
    assert "指定经营模式：直营、托管" in listed


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"validity": "fixed"}, "固定日期的券须填写生效日期和失效日期。"),
        (
            {"validity": "fixed", "valid_from": "2025-10-31", "valid_until": "2025-10-01"},
            "失效日期不能早于生效日期。",
        ),
        ({"valid_days": "0"}, "领券后有效天数须至少为 1 天。"),
        ({"valid_days": ""}, "领券后有效天数须至少为 1 天。"),
        ({"min_spend": "30"}, "最低消费须为 0（无门槛），或高于面额"),
        ({"min_spend": "20"}, "最低消费须为 0（无门槛），或高于面额"),
        ({"face_value": "0"}, "面额须大于 0 元。"),
        ({"usable_in": "regions"}, "选择“指定片区”时请至少选择一个片区。"),
        ({"usable_in": "store_groups"}, "选择“指定店群”时请至少选择一个店群。"),
        ({"usable_in": "stores"}, "选择“指定门店”时请至少选择一家门店。"),
        ({"usable_in": "operating_models"}, "选择“指定经营模式”时请至少选择一种经营模式。"),
        ({"per_member_limit": "0"}, "每人限领须至少 1 张。"),
        ({"limit_period": "weekly"}, "选择一个有效的选项"),
        ({"ease_rank": "10"}, "复购难易度须在 1 到 9 之间。"),
        ({"total_quota": "0"}, "发放总量须至少为 1"),
        ({"budget": "-5"}, "预算须大于 0 元"),
    ],
)
def test_template_form_refuses_bad_input_in_chinese(hq_client, overrides, message):
    response = hq_client.post(ADD, template_data(**overrides))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CouponTemplate.objects.exists()


@pytest.mark.parametrize("value", ["abc", "1e99", "99999999999999999999", "-"])
def test_template_form_garbage_is_not_a_500(hq_client, value):
    response = hq_client.post(ADD, template_data(face_value=value, valid_days=value))

    assert response.status_code == 200
    assert not CouponTemplate.objects.exists()


def test_quota_cannot_drop_below_what_was_issued(hq_client):
    template = CouponTemplateFactory(issued_count=40)
    change = reverse("admin:coupons_coupontemplate_change", args=[template.pk])

    response = hq_client.post(change, template_data(total_quota="30"))

    assert response.status_code == 200
    assert "不少于已发放的 40 张" in response.content.decode()


def test_editing_the_face_value_rederives_the_kind(hq_client):
    template = CouponTemplateFactory(face_value=Decimal("30"), min_spend=Decimal("200"))
    change = reverse("admin:coupons_coupontemplate_change", args=[template.pk])

    response = hq_client.post(change, template_data(face_value="80", min_spend="300"))

    assert response.status_code == 302
    template.refresh_from_db()
    assert template.kind == CouponKind.THRESHOLD_LARGE


def test_template_list_shows_kind_money_validity_quota_and_bounded_queries(
    hq_client, django_assert_max_num_queries
):
    for n in range(12):
        template = CouponTemplateFactory(
            name=f"券{n}", usable_in=UsableIn.REGIONS, total_quota=500, issued_count=120
        )
        template.regions.add(RegionFactory(name=f"片区{n}"))
    CouponTemplateFactory(name="大券", face_value=Decimal("1200"), min_spend=Decimal("0"))

    with django_assert_max_num_queries(14):
        response = hq_client.get(CHANGELIST)

    text = response.content.decode()
    assert "有门槛小面额" in text and "无门槛大面额" in text
    assert "¥1,200.00" in text and "¥200.00" in text and "无门槛" in text
    assert "领券后 30 天" in text and "120 / 500" in text
    assert "指定片区：片区3" in text
    assert reverse("admin:coupons_redemption_roi") in text


def test_template_list_filters_by_kind(hq_client):
    CouponTemplateFactory(name="小券甲")
    CouponTemplateFactory(name="大券乙", face_value=Decimal("80"), min_spend=Decimal("0"))

    response = hq_client.get(CHANGELIST, {"kind__exact": CouponKind.NO_THRESHOLD_LARGE})

    text = response.content.decode()
    assert "大券乙" in text and "小券甲" not in text


# --- 启用 / 停用 -------------------------------------------------------------------------------


def _act(client, action, *templates):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [t.pk for t in templates]},
        follow=True,
    )


def _events(template) -> list[str]:
    rows = LogEntry.objects.filter(object_pk=str(template.pk)).order_by("pk")
    return list(rows.values_list("additional_data__event", flat=True))


def test_activate_moves_a_draft_to_active_with_an_audit_row(hq_client, hq_admin):
    draft = CouponTemplateFactory(status=TemplateStatus.DRAFT)

    response = _act(hq_client, "activate", draft)

    draft.refresh_from_db()
    assert draft.status == TemplateStatus.ACTIVE
    assert "1 个模板已改为“启用”。" in response.content.decode()
    assert _events(draft) == ["coupon_template_active"]
    assert LogEntry.objects.get(object_pk=str(draft.pk)).actor == hq_admin


def test_close_moves_an_active_template_to_closed(hq_client):
    active = CouponTemplateFactory(status=TemplateStatus.ACTIVE)

    _act(hq_client, "close", active)

    active.refresh_from_db()
    assert active.status == TemplateStatus.CLOSED
    assert _events(active) == ["coupon_template_closed"]


def test_closed_is_final(hq_client):
    closed = CouponTemplateFactory(status=TemplateStatus.CLOSED, name="旧券")

    response = _act(hq_client, "activate", closed)

    closed.refresh_from_db()
    assert closed.status == TemplateStatus.CLOSED
    assert "模板“旧券”不能从“已停用”变为“启用”。" in response.content.decode()
    assert _events(closed) == []


def test_a_draft_cannot_be_closed_and_the_status_held_is_a_noop(hq_client):
    draft = CouponTemplateFactory(status=TemplateStatus.DRAFT)
    active = CouponTemplateFactory(status=TemplateStatus.ACTIVE)

    _act(hq_client, "close", draft)
    _act(hq_client, "activate", active)

    draft.refresh_from_db()
    assert draft.status == TemplateStatus.DRAFT
    assert _events(draft) == [] and _events(active) == []


# --- Settings -----------------------------------------------------------------------------------


def settings_url():
    return reverse("admin:coupons_couponsettings_change", args=[CouponSettings.current().pk])


def settings_data(**overrides):
    data = {
        "large_face_value_from": "50",
        "reminder_days_before": "3",
        "guide_monthly_allowance": "30",
        "birthday_template": "",
    }
    return {**data, **overrides}


def test_settings_list_opens_the_one_row_and_cannot_add_or_delete(hq_client):
    response = hq_client.get(reverse("admin:coupons_couponsettings_changelist"))

    assert response.status_code == 302 and response.url == settings_url()
    assert hq_client.get(reverse("admin:coupons_couponsettings_add")).status_code == 403
    delete = reverse("admin:coupons_couponsettings_delete", args=[CouponSettings.current().pk])
    assert hq_client.get(delete).status_code == 403


def test_a_new_cutoff_rederives_kinds_and_says_how_many_changed(hq_client):
    thirty = CouponTemplateFactory(face_value=Decimal("30"), min_spend=Decimal("0"))
    forty = CouponTemplateFactory(face_value=Decimal("40"), min_spend=Decimal("200"))
    hundred = CouponTemplateFactory(face_value=Decimal("100"), min_spend=Decimal("0"))

    response = hq_client.post(
        settings_url(), settings_data(large_face_value_from="30"), follow=True
    )

    assert "大面额起点已改为 ¥30.00，2 个模板的券类型随之改变。" in response.content.decode()
    kinds = {t.pk: t.kind for t in CouponTemplate.objects.all()}
    assert kinds[thirty.pk] == CouponKind.NO_THRESHOLD_LARGE
    assert kinds[forty.pk] == CouponKind.THRESHOLD_LARGE
    assert kinds[hundred.pk] == CouponKind.NO_THRESHOLD_LARGE


def test_saving_settings_without_a_new_cutoff_leaves_kinds_alone(hq_client):
    CouponTemplateFactory(face_value=Decimal("30"), min_spend=Decimal("0"))

    response = hq_client.post(settings_url(), settings_data(reminder_days_before="5"), follow=True)

    assert "券类型随之改变" not in response.content.decode()
    assert CouponSettings.current().reminder_days_before == 5


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"large_face_value_from": "0"}, "大面额起点须大于 0 元。"),
        ({"reminder_days_before": "0"}, "到期提醒须在到期前 1 到 60 天之间。"),
        ({"reminder_days_before": "61"}, "到期提醒须在到期前 1 到 60 天之间。"),
    ],
)
def test_settings_refuse_bad_input_in_chinese(hq_client, overrides, message):
    response = hq_client.post(settings_url(), settings_data(**overrides))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert CouponSettings.current().large_face_value_from == Decimal("50.00")


def test_a_closed_template_is_no_birthday_choice(hq_client):
    closed = CouponTemplateFactory(status=TemplateStatus.CLOSED)

    response = hq_client.post(settings_url(), settings_data(birthday_template=closed.pk))

    assert response.status_code == 200
    assert CouponSettings.current().birthday_template is None


# --- Allowances and the welcome pack ------------------------------------------------------------


def test_store_allowance_is_set_per_store(hq_client, store_a):
    response = hq_client.post(
        reverse("admin:coupons_storecouponallowance_add"),
        {"store": store_a.pk, "monthly_count": "45"},
    )

    assert response.status_code == 302
    assert StoreCouponAllowance.objects.get(store=store_a).monthly_count == 45
    listed = hq_client.get(reverse("admin:coupons_storecouponallowance_changelist"))
    assert store_a.name in listed.content.decode()


def test_welcome_pack_lists_in_order(hq_client):
    for position, name in [(2, "第二张"), (1, "第一张"), (3, "第三张")]:
        WelcomePackItem.objects.create(template=CouponTemplateFactory(name=name), position=position)

    text = hq_client.get(reverse("admin:coupons_welcomepackitem_changelist")).content.decode()

    assert text.index("第一张") < text.index("第二张") < text.index("第三张")


def test_welcome_pack_has_a_sensible_maximum(hq_client):
    for position in range(1, MAX_WELCOME_PACK + 1):
        WelcomePackItem.objects.create(template=CouponTemplateFactory(), position=position)
    extra = CouponTemplateFactory()

    response = hq_client.post(
        reverse("admin:coupons_welcomepackitem_add"), {"template": extra.pk, "position": "1"}
    )

    assert response.status_code == 200
    assert f"开卡礼最多 {MAX_WELCOME_PACK} 张券" in response.content.decode()
    assert WelcomePackItem.objects.count() == MAX_WELCOME_PACK


def test_welcome_pack_position_is_in_range(hq_client):
    response = hq_client.post(
        reverse("admin:coupons_welcomepackitem_add"),
        {"template": CouponTemplateFactory().pk, "position": "0"},
    )

    assert response.status_code == 200
    assert f"顺序须在 1 到 {MAX_WELCOME_PACK} 之间。" in response.content.decode()


def test_hq_can_let_guides_issue_a_template_from_the_admin(client, hq_admin):
    client.force_login(hq_admin)
    page = client.get(reverse("admin:coupons_coupontemplate_add")).content.decode()
    assert 'name="guide_may_issue"' in page
