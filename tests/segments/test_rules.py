"""Rule JSON: AND/OR nesting, empty groups, validation errors with paths, the registry."""

from datetime import date

import pytest
from django import forms
from django.db.models import Q

from members.errors import RuleViolation
from members.models import Member, RfmGroup, Source
from members.segments import MAX_CONDITIONS, Condition, condition_for, rule_q, rule_validate
from members.segments.registry import _REGISTRY, register
from tests.members.factories import MemberFactory, MemberRfmFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 5, 20)
VALUE = {"type": "rfm_group", "groups": ["important_value"]}
REFERRAL = {"type": "source", "sources": ["referral"]}
GROUND = {"type": "source", "sources": ["ground"]}


def matching(rule) -> set[int]:
    return set(Member.objects.filter(rule_q(rule, today=TODAY)).values_list("pk", flat=True))


@pytest.fixture
def people():
    def person(group, source):
        return MemberRfmFactory(group=group, member__source=source).member.pk

    return {
        "value_referral": person(RfmGroup.IMPORTANT_VALUE, Source.REFERRAL),
        "value_ground": person(RfmGroup.IMPORTANT_VALUE, Source.GROUND),
        "value_store": person(RfmGroup.IMPORTANT_VALUE, Source.IN_STORE),
        "winback_referral": person(RfmGroup.ORDINARY_WINBACK, Source.REFERRAL),
    }


def test_and_needs_every_item(people):
    assert matching({"op": "and", "items": [VALUE, REFERRAL]}) == {people["value_referral"]}


def test_or_needs_any_item(people):
    assert matching({"op": "or", "items": [VALUE, REFERRAL]}) == set(people.values())


def test_nested_or_inside_and(people):
    rule = {"op": "and", "items": [VALUE, {"op": "or", "items": [REFERRAL, GROUND]}]}
    assert matching(rule) == {people["value_referral"], people["value_ground"]}


def test_empty_group_is_every_member(people):
    assert matching({"op": "and", "items": []}) == set(people.values())
    assert matching({"op": "or", "items": []}) == set(people.values())
    # An empty group inside an OR makes the OR match everyone; inside an AND it changes nothing.
    assert matching({"op": "or", "items": [VALUE, {"op": "and", "items": []}]}) == set(
        people.values()
    )
    assert matching({"op": "and", "items": [REFERRAL, {"op": "or", "items": []}]}) == {
        people["value_referral"],
        people["winback_referral"],
    }


def _messages(rule):
    return [(error.path, error.field, error.message) for error in rule_validate(rule)]


def test_unknown_condition_is_reported_with_its_path():
    errors = _messages({"op": "and", "items": [VALUE, {"op": "or", "items": [{"type": "x"}]}]})
    assert errors == [((1, 0), "", "未知的条件类型“x”。")]


def test_bad_params_are_reported_per_field_in_chinese():
    rule = {
        "op": "and",
        "items": [
            {"type": "rfm_r", "min": "abc"},
            {"type": "rfm_r", "min": 10, "max": 5},
            {"type": "bought", "scope": "brand", "value": "", "days": 0},
            {"type": "rfm_group", "groups": ["vip"]},
            {"type": "rfm_r", "min": 1, "colour": "red"},
        ],
    }
    errors = _messages(rule)
    assert ((0,), "min", "请输入数字。") in errors
    assert ((1,), "max", "最大值不能小于最小值。") in errors
    assert ((2,), "scope", "“brand”不是可选的范围。") in errors
    assert ((2,), "value", "请填写 SKU、系列或品类名称。") in errors
    assert ((2,), "days", "天数不能小于 1。") in errors
    assert ((3,), "groups", "“vip”不是可选的选项。") in errors
    assert ((4,), "colour", "条件“R 最近消费距今（天）”没有参数“colour”。") in errors


def test_a_range_needs_a_bound():
    assert _messages({"op": "and", "items": [{"type": "rfm_r"}]}) == [
        ((0,), "", "请至少填写最小值或最大值。")
    ]


def test_too_deep_is_refused():
    rule = {"op": "and", "items": []}
    for _level in range(4):
        rule = {"op": "and", "items": [rule]}
    errors = rule_validate(rule)
    assert [error.message for error in errors] == ["分组最多嵌套 4 层。"]
    assert str(errors[0]) == "第 1.1.1.1 项：分组最多嵌套 4 层。"


def test_four_levels_are_fine():
    rule = {"op": "and", "items": [{"op": "or", "items": [{"op": "and", "items": [VALUE]}]}]}
    assert rule_validate({"op": "and", "items": [rule]}) == []


def test_too_many_conditions_are_refused():
    rule = {"op": "or", "items": [VALUE] * (MAX_CONDITIONS + 1)}
    assert [error.message for error in rule_validate(rule)] == ["一个分组最多 50 个条件。"]
    assert rule_validate({"op": "or", "items": [VALUE] * MAX_CONDITIONS}) == []


@pytest.mark.parametrize(
    "rule",
    [None, [], "and", {"op": "and"}, {"op": "nor", "items": []}, {"op": "and", "items": [3]}],
)
def test_malformed_rules_are_errors_not_crashes(rule):
    assert rule_validate(rule)
    with pytest.raises(RuleViolation):
        rule_q(rule, today=TODAY)


def test_another_app_registers_a_condition():
    class CallbackForm(forms.Form):
        reached = forms.BooleanField(required=False)

    @register
    class CalledBack(Condition):
        key = "test_called_back"
        label = "已回访"
        form_class = CallbackForm

        def q(self, params, *, today):
            return Q(name__startswith="回访")

    try:
        called = MemberFactory(name="回访一")
        MemberFactory(name="未回访")
        assert condition_for("test_called_back").label == "已回访"
        assert matching({"op": "and", "items": [{"type": "test_called_back"}]}) == {called.pk}
    finally:
        _REGISTRY.pop("test_called_back")
