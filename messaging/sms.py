"""SMS templates: the rule every marketing SMS must follow, and safe rendering.

Operators require a brand signature (settings.BRAND_SMS_SIGNATURE, e.g. "【私域优选】") at the start
or the end of every SMS, and a marketing SMS must tell the member how to stop them ("回复TD退订").
Templates name their values as {placeholders}; only the placeholders a template's use offers are
allowed, so a typo is refused when HQ saves the template, not discovered when the night's
messages go out. Rendering never calls `str.format` (no attribute or index access).
"""

from collections.abc import Iterable, Mapping
from string import Formatter

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

OPT_OUT_TEXT = "回复TD退订"

# (literal text, placeholder name or None)
Part = tuple[str, str | None]


def template_parts(text: str) -> list[Part]:
    """The template split into literal text and placeholder names; a malformed one raises."""
    try:
        parsed = list(Formatter().parse(text))
    except ValueError:
        raise ValidationError(
            _("短信模板的花括号不成对：占位符写作 {name}，文字中的花括号请写作 {{ 或 }}。"),
            code="sms_braces",
        ) from None
    parts = []
    for literal, field, spec, conversion in parsed:
        if field is not None and (not field.isidentifier() or spec or conversion):
            shown = field + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            raise ValidationError(
                _("短信模板中的占位符“{%(field)s}”写法不对，请只写名称，例如 {name}。")
                % {"field": shown},
                code="sms_placeholder_syntax",
            )
        parts.append((literal, field))
    return parts


def sms_template_check(
    text: str, *, marketing: bool = True, placeholders: Iterable[str] | None = None
) -> list[Part]:
    """Raise a ValidationError naming everything missing or wrong; return the template's parts.

    Every SMS carries the brand signature at its start or end; a marketing SMS also carries the
    opt-out text. `placeholders`, when given, are the only names the template may use.
    """
    errors = []
    signature = settings.BRAND_SMS_SIGNATURE
    stripped = (text or "").strip()
    if not (stripped.startswith(signature) or stripped.endswith(signature)):
        errors.append(
            ValidationError(
                _("短信模板缺少品牌签名“%(signature)s”，签名须放在开头或结尾。")
                % {"signature": signature},
                code="sms_signature",
            )
        )
    if marketing and OPT_OUT_TEXT not in stripped:
        errors.append(
            ValidationError(
                _("营销短信模板缺少退订提示“%(text)s”。") % {"text": OPT_OUT_TEXT},
                code="sms_opt_out",
            )
        )
    parts = _parts_or_error(stripped, placeholders, errors)
    if errors:
        raise ValidationError(errors)
    return parts


def _parts_or_error(text: str, placeholders, errors: list) -> list[Part]:
    try:
        parts = template_parts(text)
    except ValidationError as error:
        errors.append(error)
        return []
    if placeholders is not None:
        allowed = list(placeholders)
        unknown = sorted({field for _, field in parts if field and field not in allowed})
        if unknown:
            errors.append(
                ValidationError(
                    _("短信模板含有未知的占位符：%(unknown)s。可用的占位符：%(allowed)s。")
                    % {
                        "unknown": "、".join(f"{{{name}}}" for name in unknown),
                        "allowed": "、".join(f"{{{name}}}" for name in allowed),
                    },
                    code="sms_placeholder_unknown",
                )
            )
    return parts


def sms_render(text: str, values: Mapping[str, object]) -> str:
    """Fill the template's placeholders with `values` (each turned into text as it is)."""
    rendered = []
    for literal, field in template_parts(text.strip()):
        rendered.append(literal)
        if field is not None:
            if field not in values:
                raise ValidationError(
                    _("短信模板含有未知的占位符：{%(field)s}。") % {"field": field},
                    code="sms_placeholder_unknown",
                )
            rendered.append(str(values[field]))
    return "".join(rendered)


@deconstructible
class SmsTemplateValidator:
    """A model-field validator: any ModelForm (the admin's too) and `full_clean` enforce it."""

    def __init__(self, *, placeholders: tuple[str, ...], marketing: bool = True):
        self.placeholders = tuple(placeholders)
        self.marketing = marketing

    def __call__(self, value: str) -> None:
        sms_template_check(value, marketing=self.marketing, placeholders=self.placeholders)

    def __eq__(self, other):
        return (
            isinstance(other, SmsTemplateValidator)
            and self.placeholders == other.placeholders
            and self.marketing == other.marketing
        )

    def __hash__(self):
        return hash((self.placeholders, self.marketing))
