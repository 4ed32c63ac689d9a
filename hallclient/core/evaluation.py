"""好差评: the applicant's rating of the service.

Five levels. 不满意 and 非常不满意 are 差评 and must carry detail items or text. Numeric
codes run in opposite directions in different interfaces, so we store the level by name and
map explicitly at each boundary (NATIONAL_CODES below; a province adapter adds its own).
A 差评 must be rectified within a province-specific number of working days (5-15).
"""

from __future__ import annotations

from enum import Enum


class Level(str, Enum):
    VERY_SATISFIED = "very_satisfied"        # 非常满意
    SATISFIED = "satisfied"                  # 满意
    BASICALLY_SATISFIED = "basic"            # 基本满意
    UNSATISFIED = "unsatisfied"              # 不满意
    VERY_UNSATISFIED = "very_unsatisfied"    # 非常不满意

    @property
    def label(self) -> str:
        return LABELS[self]

    @property
    def is_bad(self) -> bool:
        return self in (Level.UNSATISFIED, Level.VERY_UNSATISFIED)

    @property
    def counts_as_satisfied(self) -> bool:
        """满意率 = (非常满意 + 满意) / all ratings."""
        return self in (Level.VERY_SATISFIED, Level.SATISFIED)


LABELS = {
    Level.VERY_SATISFIED: "非常满意", Level.SATISFIED: "满意", Level.BASICALLY_SATISFIED: "基本满意",
    Level.UNSATISFIED: "不满意", Level.VERY_UNSATISFIED: "非常不满意",
}
# the national 好差评 interface numbers 5 (非常满意) down to 1 (非常不满意)
NATIONAL_CODES = {
    Level.VERY_SATISFIED: "5", Level.SATISFIED: "4", Level.BASICALLY_SATISFIED: "3",
    Level.UNSATISFIED: "2", Level.VERY_UNSATISFIED: "1",
}
BAD_REASONS = (
    "等候时间过长", "办事效率低", "服务态度差", "材料要求不清楚、需多次跑腿",
    "未一次性告知", "乱收费", "其他",
)
CHANNEL_HALL_PAD = "政务大厅平板电脑"


def problems(level: Level | None, reasons: list[str], text: str) -> list[str]:
    if level is None:
        return ["请选择评价等级"]
    if level.is_bad and not reasons and not text.strip():
        return [f"「{level.label}」请选择原因或填写具体情况，以便整改"]
    unknown = [r for r in reasons if r not in BAD_REASONS]
    if unknown:
        return [f"未知的评价原因：{'、'.join(unknown)}"]
    if len(text) > 500:
        return ["具体情况请控制在 500 字以内"]
    return []
