"""The service-item catalog (事项目录) and its "三级十同" fields.

For every item, province, city and county agree on ten fields: 主项名称, 子项名称, 事项类型,
事项编码, 适用依据, 申请材料, 办事流程, 事项收费, 办理时限, 表单内容. Each county office adds
its 实施编码 (implementation code, opaque, up to 36 characters), which is what a case cites.
"""

from __future__ import annotations

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


def _text(raw: Mapping[str, Any], key: str, where: str, limit: int = 200, empty: bool = False) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str) or (not value.strip() and not empty):
        raise CatalogError(f"{where}缺少「{key}」")
    if len(value) > limit:
        raise CatalogError(f"{where}「{key}」超过 {limit} 个字符")
    return value.strip()


def parse_item(raw: Mapping[str, Any]) -> CatalogItem:
    """Check one item from a catalog file or the platform; Chinese message on error."""
    where = f"事项 {raw.get('impl_code', '?')} "
    impl_code = _text(raw, "impl_code", where, 36)
    item_type = _text(raw, "item_type", where, 2)
    if item_type not in ITEM_TYPES:
        raise CatalogError(f"{where}事项类型 {item_type} 不在 01-10、20 之内")
    materials = []
    for i, m in enumerate(raw.get("materials", [])):
        mw = f"{where}第 {i + 1} 项材料"
        try:
            materials.append(MaterialSpec(
                code=_text(m, "code", mw, 20), name=_text(m, "name", mw),
                requirement=Requirement(m.get("requirement", "required")),
                form=MaterialForm(m.get("form", "original")), count=int(m.get("count", 1)),
                standard=_text(m, "standard", mw, 500, empty=True),
                condition=_text(m, "condition", mw, 200, empty=True),
            ))
        except ValueError as exc:
            raise CatalogError(f"{mw}无效：{exc}") from exc
    try:
        case_type = CaseType(int(raw.get("case_type", 1)))
        legal_days, promised = int(raw.get("legal_days", 0)), int(raw.get("promised_days", 0))
    except ValueError as exc:
        raise CatalogError(f"{where}办件类型或时限无效：{exc}") from exc
    if promised > legal_days > 0:
        raise CatalogError(f"{where}承诺时限 {promised} 天超过法定时限 {legal_days} 天")
    return CatalogItem(
        impl_code=impl_code, item_code=_text(raw, "item_code", where, 36),
        main_name=_text(raw, "main_name", where), sub_name=_text(raw, "sub_name", where, empty=True),
        item_type=item_type, department=_text(raw, "department", where),
        legal_basis=_text(raw, "legal_basis", where, 1000), process=tuple(raw.get("process", ())),
        fees=_text(raw, "fees", where, 200, empty=True), legal_days=legal_days,
        promised_days=promised, case_type=case_type,
        applicant_kind=raw.get("applicant_kind", "person"),
        form_fields=tuple(raw.get("form_fields", ())), materials=tuple(materials),
    )


def search_keys(text: str) -> tuple[str, str]:
    """(pinyin initials, full pinyin) for searching: 不动产登记 -> ("bdcdj", "budongchandengji")."""
    from pypinyin import Style, lazy_pinyin

    initials = "".join(p[0] for p in lazy_pinyin(text, style=Style.FIRST_LETTER) if p)
    full = "".join(lazy_pinyin(text, style=Style.NORMAL))
    return initials.lower(), full.lower()
