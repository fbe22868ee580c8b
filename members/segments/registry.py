"""The condition registry: every kind of segment condition is one registered class.

A condition has a stable `key` (stored in rule JSON), a Chinese `label`, a parameter form (a
Django form: validation, per-field Chinese errors, and the builder's fields in one place) and
`q(params, *, today)`, which returns a `Q` on Member. Other apps add conditions from their own
app by decorating a class with `@register` (import the module in their AppConfig.ready()).
"""

import datetime
from decimal import Decimal

from django import forms
from django.db.models import Model, Q


class Condition:
    key: str = ""
    label: str = ""
    # The builder lists conditions by family (RFM, purchases, profile, store, marketing).
    family: str = ""
    # Where the family sits in the builder's menu (lower first).
    family_rank: int = 100
    form_class: type[forms.Form] = forms.Form

    def form(self, data=None, *, user=None, prefix=None) -> forms.Form:
        """The parameter form; `user` narrows choices (stores, tags) to what they may see."""
        form = self.form_class(data=data, prefix=prefix)
        if hasattr(form, "limit_to"):
            form.limit_to(user)
        return form

    def q(self, params: dict, *, today: datetime.date) -> Q:
        raise NotImplementedError

    def describe(self, params: dict) -> str:
        """A one-line summary for lists; the label is enough by default."""
        return str(self.label)


class AnyOfCondition(Condition):
    """Members whose `lookup` is any of the values chosen in the form's `param` field."""

    lookup: str = ""
    param: str = ""

    def q(self, params: dict, *, today: datetime.date) -> Q:
        return Q(**{f"{self.lookup}__in": params[self.param]})


_REGISTRY: dict[str, Condition] = {}


def register(cls: type[Condition]) -> type[Condition]:
    if not cls.key:
        raise ValueError(f"{cls.__name__} has no key")
    if cls.key in _REGISTRY and type(_REGISTRY[cls.key]) is not cls:
        raise ValueError(f"segment condition key {cls.key!r} is already registered")
    _REGISTRY[cls.key] = cls()
    return cls


def condition_for(key) -> Condition | None:
    return _REGISTRY.get(key) if isinstance(key, str) else None


def conditions() -> list[Condition]:
    return list(_REGISTRY.values())


def params_to_json(cleaned: dict) -> dict:
    """A form's cleaned data as rule JSON: decimals and dates as strings, objects as ids."""
    return {name: _json_value(value) for name, value in cleaned.items() if value not in (None, "")}


def _json_value(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, (list, tuple)) or hasattr(value, "model"):
        return [_json_value(item) for item in value]
    return value
