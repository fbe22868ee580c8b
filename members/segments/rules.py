"""Rule JSON: validating it (errors with paths, in Chinese) and turning it into a `Q` on Member.

    {"op": "and" | "or", "items": [{"type": "<condition key>", ...params},
                                   {"op": "or", "items": [...]}, ...]}

Groups nest at most MAX_DEPTH deep (the root is level 1) and a rule holds at most MAX_CONDITIONS
conditions. An empty group matches every member (in AND and in OR alike).
"""

import datetime
import operator
from dataclasses import dataclass, field
from functools import reduce

from django.db.models import Q
from django.utils.translation import gettext as _

from ..errors import RuleViolation
from .registry import Condition, condition_for, params_to_json

MAX_DEPTH = 4
MAX_CONDITIONS = 50
OPS = ("and", "or")


@dataclass(frozen=True)
class RuleError:
    path: tuple[int, ...]  # positions from the root, 0-based; () is the root group
    message: str
    field: str = ""

    @property
    def where(self) -> str:
        """'第 2.1 项' as a user reads it (1-based), or '规则' for the root."""
        if not self.path:
            return _("规则")
        return _("第 %(path)s 项") % {"path": ".".join(str(i + 1) for i in self.path)}

    def as_dict(self) -> dict:
        return {"path": list(self.path), "field": self.field, "message": self.message}

    def __str__(self):
        return f"{self.where}：{self.message}"


@dataclass
class Group:
    op: str
    items: list = field(default_factory=list)


@dataclass
class Leaf:
    condition: Condition
    params: dict  # cleaned


@dataclass
class Checked:
    errors: list[RuleError]
    tree: Group | None  # None when there are errors
    rule: dict | None  # the normalised JSON (cleaned params), None when there are errors


class _Checker:
    def __init__(self, user):
        self.user = user
        self.errors: list[RuleError] = []
        self.conditions = 0

    def error(self, path, message, field=""):
        self.errors.append(RuleError(tuple(path), str(message), field))

    def group(self, node, path, depth):
        if not isinstance(node, dict):
            self.error(path, _("分组必须是对象（含 op 和 items）。"))
            return None, None
        if depth > MAX_DEPTH:
            self.error(path, _("分组最多嵌套 %(max)d 层。") % {"max": MAX_DEPTH})
            return None, None
        op, items = node.get("op"), node.get("items")
        if op not in OPS:
            self.error(path, _("分组的关系必须是“且”（and）或“或”（or）。"), "op")
        if not isinstance(items, list):
            self.error(path, _("分组的 items 必须是列表。"), "items")
            return None, None
        children = [self.item(child, [*path, i], depth) for i, child in enumerate(items)]
        tree = Group(op, [tree for tree, _json in children])
        return tree, {"op": op, "items": [json for _tree, json in children]}

    def item(self, node, path, depth):
        if isinstance(node, dict) and ("op" in node or "items" in node):
            return self.group(node, path, depth + 1)
        if not isinstance(node, dict) or "type" not in node:
            self.error(path, _("每一项必须是条件（含 type）或分组（含 op 和 items）。"))
            return None, None
        return self.condition(node, path)

    def condition(self, node, path):
        self.conditions += 1
        if self.conditions == MAX_CONDITIONS + 1:
            self.error(path, _("一个分组最多 %(max)d 个条件。") % {"max": MAX_CONDITIONS})
        condition = condition_for(node["type"])
        if condition is None:
            self.error(path, _("未知的条件类型“%(type)s”。") % {"type": str(node["type"])[:40]})
            return None, None
        params = {key: value for key, value in node.items() if key != "type"}
        form = condition.form(data=params, user=self.user)
        unknown = sorted(set(params) - set(form.fields))
        for name in unknown:
            self.error(
                path,
                _("条件“%(label)s”没有参数“%(name)s”。")
                % {"label": condition.label, "name": str(name)[:40]},
                str(name)[:40],
            )
        if not form.is_valid():
            for name, messages in form.errors.items():
                for message in messages:
                    self.error(path, message, "" if name == "__all__" else name)
            return None, None
        json = {"type": condition.key, **params_to_json(form.cleaned_data)}
        return Leaf(condition, form.cleaned_data), json


def rule_check(rule, *, user=None) -> Checked:
    """Validate a rule; `user` narrows scoped choices (stores, tags) to what the user may see."""
    checker = _Checker(user)
    tree, json = checker.group(rule, [], 1)
    if checker.errors:
        return Checked(checker.errors, None, None)
    return Checked([], tree, json)


def rule_validate(rule, *, user=None) -> list[RuleError]:
    return rule_check(rule, user=user).errors


def _q(node, today) -> Q | None:
    """None means "every member" (an empty group, or an OR with an empty group in it)."""
    if isinstance(node, Leaf):
        return node.condition.q(node.params, today=today)
    children = [_q(child, today) for child in node.items]
    if node.op == "and":
        present = [child for child in children if child is not None]
        return reduce(operator.and_, present) if present else None
    if not children or any(child is None for child in children):
        return None
    return reduce(operator.or_, children)


def tree_q(tree: Group, *, today: datetime.date) -> Q:
    return _q(tree, today) or Q()


def rule_q(rule, *, today: datetime.date, user=None) -> Q:
    """The rule as a filter on Member; an invalid rule raises RuleViolation (400)."""
    checked = rule_check(rule, user=user)
    if checked.errors:
        raise RuleViolation("invalid_rule", "；".join(str(error) for error in checked.errors))
    return tree_q(checked.tree, today=today)
