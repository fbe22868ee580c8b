"""Mainland mobile numbers: normalising what people type, and masking what store users see."""

import re

from django.utils.translation import gettext as _

MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SEPARATORS = re.compile(r"[\s\-()（）]")


class PhoneError(ValueError):
    pass


def normalize_phone(raw) -> str:
    """'+86 138-1234-5678' -> '13812345678'. Excel's scientific notation is refused."""
    text = _SEPARATORS.sub("", str(raw or "")).strip()
    if not text:
        raise PhoneError(_("手机号不能为空。"))
    if re.search(r"[eE][+\-]?\d", text) or "." in text:
        raise PhoneError(
            _("手机号“%(value)s”是科学计数法或小数（Excel 格式问题），请将该列设为文本后重新导出。")
            % {"value": raw}
        )
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    if not MOBILE.match(text):
        raise PhoneError(
            _("“%(value)s”不是有效的中国大陆手机号（1[3-9] 开头的 11 位数字）。") % {"value": raw}
        )
    return text


def mask_phone(phone: str) -> str:
    """'13812345678' -> '138****5678'."""
    phone = phone or ""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


def phone_for(user, phone: str) -> str:
    """What a user is shown by default: HQ the number, store staff the masked number."""
    return phone if user is not None and getattr(user, "is_hq", False) else mask_phone(phone)
