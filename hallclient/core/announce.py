"""Call announcements (叫号播报): display text and the text given to speech."""

from __future__ import annotations

import string

DEFAULT_TEMPLATE = "请{number}号到{window}号窗口办理"
_DIGITS = "零一二三四五六七八九"


def spoken_number(number: str) -> str:
    """A023 -> "A 零 二 三": ticket numbers are read digit by digit, as halls do."""
    return " ".join(_DIGITS[int(c)] if c.isdigit() else c for c in number)


def spoken_window(window: int) -> str:
    """Window numbers are read as ordinary numbers (3 -> 三, 12 -> 十二)."""
    if 0 <= window < 10:
        return _DIGITS[window]
    if window < 100:
        tens, ones = divmod(window, 10)
        return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")
    return str(window)


class TemplateError(ValueError):
    pass


def check_template(template: str) -> None:
    """Accept only the named placeholders {number} and {window}."""
    try:
        names = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as exc:
        raise TemplateError(f"播报模板格式错误：{exc}") from exc
    unknown = names - {"number", "window"}
    if unknown:
        names_text = ", ".join(sorted(unknown))
        raise TemplateError(f"播报模板只能使用 {{number}} 和 {{window}}，不认识：{names_text}")


def display_text(template: str, number: str, window: int) -> str:
    check_template(template)
    return template.format(number=number, window=window)


def speech_text(template: str, number: str, window: int) -> str:
    check_template(template)
    return template.format(number=spoken_number(number), window=spoken_window(window))
