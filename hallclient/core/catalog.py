"""The service-item catalog (事项目录) and its "三级十同" fields.

For every item, province, city and county agree on ten fields: 主项名称, 子项名称, 事项类型,
事项编码, 适用依据, 申请材料, 办事流程, 事项收费, 办理时限, 表单内容. Each county office adds
its 实施编码 (implementation code, opaque, up to 36 characters), which is what a case cites.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Any

ITEM_TYPES = {
    "01": "行政许可", "02": "行政处罚", "03": "行政强制", "04": "行政征收", "05": "行政给付",
    "06": "行政检查", "07": "行政确认", "08": "行政奖励", "09": "行政裁决", "10": "其他行政权力",
    "20": "公共服务",
}


class CaseType(IntEnum):
    """办件类型 (GB/T 39046): 1 即办件, 2 承诺件, 9 其他."""

    INSTANT = 1
    PROMISED = 2
    OTHER = 9

    @property
    def label(self) -> str:
        return {1: "即办件", 2: "承诺件", 9: "其他"}[int(self)]


class Requirement(str, Enum):
    REQUIRED = "required"        # 必要
    CONDITIONAL = "conditional"  # 容缺/情形（only in the stated situation）


class MaterialForm(str, Enum):
    ORIGINAL = "original"                    # 原件
    COPY = "copy"                            # 复印件
    ORIGINAL_AND_COPY = "original_and_copy"  # 原件和复印件
    ELECTRONIC = "electronic"                # 电子材料

    @property
    def label(self) -> str:
        return {"original": "原件", "copy": "复印件", "original_and_copy": "原件及复印件",
                "electronic": "电子材料"}[self.value]


class CatalogError(ValueError):
    pass


@dataclass(frozen=True)
class MaterialSpec:
    code: str
    name: str
    requirement: Requirement
    form: MaterialForm
    count: int
    standard: str
    condition: str = ""


@dataclass(frozen=True)
class CatalogItem:
    impl_code: str            # 实施编码
    item_code: str            # 事项编码
    main_name: str            # 主项名称
    sub_name: str             # 子项名称
    item_type: str            # 事项类型 code (01 ... 20)
    department: str           # 实施主体
    legal_basis: str          # 适用依据
    process: tuple[str, ...]  # 办事流程
    fees: str                 # 事项收费
    legal_days: int           # 法定办结时限（工作日）
    promised_days: int        # 承诺办结时限（工作日，0 = 即办）
    case_type: CaseType
    applicant_kind: str       # "person" or "company"
    form_fields: tuple[str, ...]  # 表单内容
    materials: tuple[MaterialSpec, ...]

    @property
    def name(self) -> str:
        return f"{self.main_name}（{self.sub_name}）" if self.sub_name else self.main_name

    @property
    def type_label(self) -> str:
        return ITEM_TYPES.get(self.item_type, self.item_type)

    def required_materials(self) -> tuple[MaterialSpec, ...]:
        return tuple(m for m in self.materials if m.requirement is Requirement.REQUIRED)


MAX_ITEMS = 5000               # a county catalog holds a few hundred; more is not a catalog
MAX_MATERIALS = 100
MAX_LIST = 100                 # steps of 办事流程, fields of 表单内容
MAX_DAYS = 3650
SHOWN_PROBLEMS = 3             # the first problems named in a refusal
_DIGITS = re.compile(r"[0-9]{1,6}")
APPLICANT_KINDS = ("person", "company")


class CatalogRefusedError(CatalogError):
    """A whole catalog not applied (未采用). ``held`` is False for a malformed catalog, True
    for a sound one held back until an admin accepts it (empty, or would retire most items)."""

    def __init__(self, reason: str, *, held: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.held = held


@dataclass(frozen=True)
class CheckedCatalog:
    """A catalog whose every item passed ``parse_item``, with no 实施编码 twice."""

    version: str
    items: tuple[CatalogItem, ...]


def _text(raw: Mapping[str, Any], key: str, where: str, limit: int = 200, empty: bool = False) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str) or (not value.strip() and not empty):
        missing = value is None or (isinstance(value, str) and not value.strip())
        raise CatalogError(f"{where}缺少「{key}」" if missing else f"{where}「{key}」不是文字")
    if len(value) > limit:
        raise CatalogError(f"{where}「{key}」超过 {limit} 个字符")
    return value.strip()


def _int(raw: Mapping[str, Any], key: str, where: str, default: int, low: int, high: int) -> int:
    """A whole number (or its digits as text) in [low, high]; not true/false, not 1.5."""
    value = raw.get(key, default)
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise CatalogError(f"{where}「{key}」应是 {low} 到 {high} 之间的整数")
    return value


def _texts(raw: Mapping[str, Any], key: str, where: str, limit: int = 200) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or len(value) > MAX_LIST:
        raise CatalogError(f"{where}「{key}」应是不超过 {MAX_LIST} 项的列表")
    if not all(isinstance(v, str) and len(v) <= limit for v in value):
        raise CatalogError(f"{where}「{key}」的每一项应是不超过 {limit} 个字符的文字")
    return tuple(value)


def _choice(raw: Mapping[str, Any], key: str, where: str, default: str, allowed: Any) -> str:
    value = raw.get(key, default)
    values = [getattr(a, "value", a) for a in allowed]
    if not isinstance(value, str) or value not in values:
        raise CatalogError(f"{where}「{key}」应是 {'、'.join(values)} 之一")
    return value


def _material(raw: Any, where: str) -> MaterialSpec:
    if not isinstance(raw, Mapping):
        raise CatalogError(f"{where}不是一个对象")
    return MaterialSpec(
        code=_text(raw, "code", where, 20), name=_text(raw, "name", where),
        requirement=Requirement(_choice(raw, "requirement", where, "required", Requirement)),
        form=MaterialForm(_choice(raw, "form", where, "original", MaterialForm)),
        count=_int(raw, "count", where, 1, 1, 99),
        standard=_text(raw, "standard", where, 500, empty=True),
        condition=_text(raw, "condition", where, 200, empty=True),
    )


def _materials(raw: Mapping[str, Any], where: str) -> tuple[MaterialSpec, ...]:
    listed = raw.get("materials", [])
    if not isinstance(listed, list) or len(listed) > MAX_MATERIALS:
        raise CatalogError(f"{where}「materials」应是不超过 {MAX_MATERIALS} 项的列表")
    materials = []
    for i, m in enumerate(listed):
        try:
            materials.append(_material(m, ""))
        except CatalogError as exc:
            raise CatalogError(f"{where}第 {i + 1} 项材料无效：{exc}") from exc
    codes = [m.code for m in materials]
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        raise CatalogError(f"{where}材料编码 {'、'.join(twice)} 重复")
    return tuple(materials)


def _where(raw: Mapping[str, Any]) -> str:
    code = raw.get("impl_code")
    return f"事项 {code[:36] if isinstance(code, str) and code.strip() else '?'} "


def parse_item(raw: Any, where: str | None = None) -> CatalogItem:
    """Check one item from a catalog file or the platform; Chinese message on error. Any JSON
    value may come in: anything but a sound item raises CatalogError, never another error."""
    if not isinstance(raw, Mapping):
        raise CatalogError(f"{where or '事项 '}不是一个对象")
    where = where or _where(raw)
    impl_code = _text(raw, "impl_code", where, 36)
    item_type = _text(raw, "item_type", where, 2)
    if item_type not in ITEM_TYPES:
        raise CatalogError(f"{where}事项类型 {item_type} 不在 01-10、20 之内")
    try:
        case_type = _int(raw, "case_type", "", 1, 1, 9)
        if case_type not in {int(c) for c in CaseType}:
            raise CatalogError(f"办件类型 {case_type} 应是 1、2 或 9")
        legal_days = _int(raw, "legal_days", "", 0, 0, MAX_DAYS)
        promised = _int(raw, "promised_days", "", 0, 0, MAX_DAYS)
    except CatalogError as exc:
        raise CatalogError(f"{where}办件类型或时限无效：{exc}") from exc
    if promised > legal_days > 0:
        raise CatalogError(f"{where}承诺时限 {promised} 天超过法定时限 {legal_days} 天")
    return CatalogItem(
        impl_code=impl_code, item_code=_text(raw, "item_code", where, 36),
        main_name=_text(raw, "main_name", where), sub_name=_text(raw, "sub_name", where, empty=True),
        item_type=item_type, department=_text(raw, "department", where),
        legal_basis=_text(raw, "legal_basis", where, 1000), process=_texts(raw, "process", where),
        fees=_text(raw, "fees", where, 200, empty=True), legal_days=legal_days,
        promised_days=promised, case_type=CaseType(case_type),
        applicant_kind=_choice(raw, "applicant_kind", where, "person", APPLICANT_KINDS),
        form_fields=_texts(raw, "form_fields", where, 100), materials=_materials(raw, where),
    )


def check_catalog(body: Any) -> CheckedCatalog:
    """The whole catalog checked before any of it is used: its shape, every item, no
    实施编码 twice. All or nothing: one bad item refuses the catalog (a partly applied
    catalog would be a version nobody published, and the platform's export is what needs
    fixing). CatalogRefusedError names the first problems (item number, code, field)."""
    if not isinstance(body, Mapping):
        raise _refused(["整份目录不是一个 JSON 对象"])
    version = body.get("version", "")
    items = body.get("items")
    problems = []
    if not isinstance(version, str) or len(version) > 64:
        problems.append("「version」应是不超过 64 个字符的文字")
    if not isinstance(items, list):
        problems.append("「items」应是事项的列表" if "items" in body else "缺少「items」（事项列表）")
        raise _refused(problems)
    if len(items) > MAX_ITEMS:
        raise _refused([*problems, f"事项多达 {len(items)} 个，超过 {MAX_ITEMS} 个的上限"])
    parsed: list[CatalogItem] = []
    first_at: dict[str, int] = {}
    for i, raw in enumerate(items):
        code = raw.get("impl_code") if isinstance(raw, Mapping) else None
        where = f"第 {i + 1} 个事项" + (f"（实施编码 {code[:36]}）" if isinstance(code, str) else "")
        try:
            item = parse_item(raw, where)
        except CatalogError as exc:
            problems.append(str(exc))
            continue
        if item.impl_code in first_at:
            problems.append(f"{where}的实施编码与第 {first_at[item.impl_code] + 1} 个事项重复")
            continue
        first_at[item.impl_code] = i
        parsed.append(item)
    if problems:
        raise _refused(problems)
    assert isinstance(version, str)
    return CheckedCatalog(version, tuple(parsed))


def _refused(problems: list[str]) -> CatalogRefusedError:
    shown = "；".join(problems[:SHOWN_PROBLEMS])
    more = f"（另有 {len(problems) - SHOWN_PROBLEMS} 处）" if len(problems) > SHOWN_PROBLEMS else ""
    return CatalogRefusedError(f"共 {len(problems)} 处问题：{shown}{more}")


def hold_reason(new_codes: set[str], active_codes: set[str]) -> str | None:
    """Why a sound catalog should wait for an admin, or None. Empty: intake would have
    nothing to accept. Retiring more than half of the active items at once: a county's
    catalog changes by a few items per revision, so that is a wrong or truncated export far
    more often than a real reform (and at most half still lets a small catalog move on)."""
    if not new_codes:
        return "这份事项目录是空的（0 个事项），采用后受理列表将一个事项也没有"
    gone = active_codes - new_codes
    if active_codes and len(gone) * 2 > len(active_codes):
        return (f"这份事项目录会一次停用本机 {len(active_codes)} 个事项中的 {len(gone)} 个"
                f"（超过一半），只保留 {len(active_codes) - len(gone)} 个")
    return None


def search_keys(text: str) -> tuple[str, str]:
    """(pinyin initials, full pinyin) for searching: 不动产登记 -> ("bdcdj", "budongchandengji")."""
    from pypinyin import Style, lazy_pinyin

    initials = "".join(p[0] for p in lazy_pinyin(text, style=Style.FIRST_LETTER) if p)
    full = "".join(lazy_pinyin(text, style=Style.NORMAL))
    return initials.lower(), full.lower()
