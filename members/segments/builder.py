"""The rule builder's form protocol: a rule tree <-> flat POST fields, and the tree to render.

Every node has a path: "r" is the root group, "r.0" its first item, "r.0.2" the third item of
that group. The page posts one `node` field per node (in order), `<path>-op` for a group,
`<path>-type` plus the condition's own form fields (prefixed with the path) for a condition, and
`action`: "add:<path>" (add the condition chosen in `<path>-new`), "group:<path>",
"remove:<path>", "preview" or "save". Paths are renumbered on every render.
"""

from dataclasses import dataclass, field

from django import forms

from .registry import Condition, condition_for, conditions
from .rules import MAX_CONDITIONS, MAX_DEPTH, RuleError

ROOT = "r"
MAX_POSTED_NODES = MAX_CONDITIONS * 2


def _parent(path: str) -> str:
    return path.rsplit(".", 1)[0]


def _raw_params(condition: Condition, data, path: str, user) -> dict:
    form = condition.form(data=data, prefix=path, user=user)
    params = {}
    for name in form.fields:
        value = form[name].data
        if value not in (None, "", []):
            params[name] = value
    return params


def _posted_node(data, path: str, user) -> dict:
    key = data.get(f"{path}-type")
    if key is None:
        return {"op": data.get(f"{path}-op", "and"), "items": []}
    condition = condition_for(key)
    params = _raw_params(condition, data, path, user) if condition else {}
    return {"type": key, **params}


def rule_from_post(data, *, user) -> tuple[dict, dict[str, dict]]:
    """The posted tree as rule JSON (raw, unvalidated params) and its nodes by posted path."""
    root = {"op": data.get(f"{ROOT}-op", "and"), "items": []}
    nodes = {ROOT: root}
    for path in data.getlist("node")[:MAX_POSTED_NODES]:
        parent = nodes.get(_parent(path))
        if path == ROOT or path in nodes or parent is None or "items" not in parent:
            continue
        nodes[path] = _posted_node(data, path, user)
        parent["items"].append(nodes[path])
    return root, nodes


def rule_apply(nodes: dict[str, dict], action: str, data) -> None:
    """Add a condition or a group to a group, or remove a node; anything else changes nothing."""
    verb, _, path = (action or "").partition(":")
    node = nodes.get(path)
    if node is None:
        return
    if verb == "add" and "items" in node and condition_for(data.get(f"{path}-new")):
        node["items"].append({"type": data.get(f"{path}-new")})
    elif verb == "group" and "items" in node:
        node["items"].append({"op": "and", "items": []})
    elif verb == "remove" and path != ROOT:
        parent = nodes[_parent(path)]
        parent["items"] = [item for item in parent["items"] if item is not node]


@dataclass
class Node:
    path: str
    depth: int
    op: str = ""
    children: list["Node"] = field(default_factory=list)
    condition: Condition | None = None
    key: str = ""
    form: forms.Form | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        return self.condition is None and not self.key

    @property
    def may_nest(self) -> bool:
        return self.depth < MAX_DEPTH


def _path_of(position: tuple[int, ...]) -> str:
    return ".".join([ROOT, *(str(i) for i in position)])


def _prefixed(params: dict, path: str) -> dict:
    return {f"{path}-{name}": value for name, value in params.items() if name != "type"}


def _node(item, position, depth, errors_at, user) -> Node:
    path = _path_of(position)
    errors = errors_at.get(position, [])
    if isinstance(item, dict) and "type" not in item:
        items = item.get("items") if isinstance(item.get("items"), list) else []
        children = [
            _node(child, (*position, i), depth + 1, errors_at, user)
            for i, child in enumerate(items)
        ]
        op = item.get("op") if item.get("op") in ("and", "or") else "and"
        return Node(path, depth, op=op, children=children, errors=errors)
    key = str(item.get("type", "")) if isinstance(item, dict) else ""
    condition = condition_for(key)
    params = _prefixed(item, path) if isinstance(item, dict) else {}
    form = condition.form(data=params or None, prefix=path, user=user) if condition else None
    return Node(path, depth, condition=condition, key=key or "?", form=form, errors=errors)


def rule_tree(rule, errors: list[RuleError], *, user) -> Node:
    """The tree the builder renders; errors without a field are shown on their node."""
    errors_at: dict[tuple, list[str]] = {}
    for error in errors:
        if not error.field or error.field in ("op", "items"):
            errors_at.setdefault(error.path, []).append(error.message)
    return _node(rule if isinstance(rule, dict) else {}, (), 1, errors_at, user)


def condition_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The "add a condition" menu, grouped by family, RFM first (the families operators use
    most); conditions other apps register come after the built-in families."""
    families: dict[str, list[tuple[str, str]]] = {}
    for condition in sorted(conditions(), key=lambda c: c.family_rank):
        families.setdefault(str(condition.family), []).append((condition.key, condition.label))
    return list(families.items())


def _shown(form_field: forms.Field, value) -> str:
    choices = dict(getattr(form_field, "choices", []) or [])
    values = value if isinstance(value, (list, tuple)) or hasattr(value, "model") else [value]
    return "、".join(str(choices.get(item, choices.get(str(item), item))) for item in values)


def describe(rule, *, user=None) -> list:
    """A rule as nested ("且"/"或", [lines]) for the detail page."""
    if not isinstance(rule, dict):
        return []
    lines = []
    for item in rule.get("items", []):
        if isinstance(item, dict) and "type" not in item:
            lines.append({"op": item.get("op"), "children": describe(item, user=user)})
            continue
        condition = condition_for(item.get("type")) if isinstance(item, dict) else None
        if condition is None:
            lines.append({"text": "?"})
            continue
        params = {key: value for key, value in item.items() if key != "type"}
        form = condition.form(data=params, user=user)
        form.is_valid()
        parts = [
            f"{form.fields[name].label} {_shown(form.fields[name], value)}"
            for name, value in getattr(form, "cleaned_data", {}).items()
            if value not in (None, "", [])
        ]
        lines.append({"text": f"{condition.label}：{'，'.join(parts)}"})
    return lines
