"""Cases (办件): the draft a clerk fills in at intake and the rules for the decision.

Decisions follow 行政许可法 第三十二条: 受理 when every required material is present;
补正 lists ALL missing materials at once (一次性告知); 不予受理 gives the reason and where to
apply instead. Status codes are those the provinces exchange (1 已接件, 3 窗口受理,
5 不予受理, 6 补正开始, 7 补正结束, 11 办结通过, 13 办结不通过, 14 撤回, 15 撤销).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from enum import Enum, IntEnum

from .catalog import CatalogItem, MaterialForm, Requirement
from .validators import TEXT_LIMITS, check_mobile, check_resident_id, check_text, check_uscc


class CaseStatus(IntEnum):
    RECEIVED = 1
    ACCEPTED = 3
    REFUSED = 5
    CORRECTION_STARTED = 6
    CORRECTION_ENDED = 7
    DONE_APPROVED = 11
    DONE_REJECTED = 13
    WITHDRAWN = 14
    REVOKED = 15

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    CaseStatus.RECEIVED: "已接件", CaseStatus.ACCEPTED: "窗口受理", CaseStatus.REFUSED: "不予受理",
    CaseStatus.CORRECTION_STARTED: "补正中", CaseStatus.CORRECTION_ENDED: "补正结束",
    CaseStatus.DONE_APPROVED: "办结（通过）", CaseStatus.DONE_REJECTED: "办结（不通过）",
    CaseStatus.WITHDRAWN: "撤回", CaseStatus.REVOKED: "撤销",
}


class Decision(str, Enum):
    ACCEPT = "accept"     # 受理
    CORRECT = "correct"   # 补正
    REFUSE = "refuse"     # 不予受理

    @property
    def status(self) -> CaseStatus:
        return {Decision.ACCEPT: CaseStatus.ACCEPTED, Decision.CORRECT: CaseStatus.CORRECTION_STARTED,
                Decision.REFUSE: CaseStatus.REFUSED}[self]


class MaterialStatus(str, Enum):
    KEPT = "kept"                            # 已收取（有电子件）
    ORIGINAL_VERIFIED = "original_verified"  # 原件已核验，不留存
    ORIGINAL_RETURNED = "original_returned"  # 已收原件（已核验并退还）: a signed original seen
    PAPER_COPY = "paper_copy"                # 已收纸质复印件
    MISSING = "missing"                      # 未提供
    NOT_APPLICABLE = "not_applicable"        # 不适用（情形材料）

    @property
    def present(self) -> bool:
        return self in PRESENT_STATUSES


# what counts as received (是否收取) on the platform and on the notices
PRESENT_STATUSES = frozenset({MaterialStatus.KEPT, MaterialStatus.ORIGINAL_VERIFIED,
                              MaterialStatus.ORIGINAL_RETURNED, MaterialStatus.PAPER_COPY})


# 证件类型代码: 111 居民身份证 (GA/T 2000.156). Organisations are identified by the unified
# social credit code; "USCC" is our own value, which a province adapter maps to its code.
ID_TYPE_RESIDENT = "111"
ID_TYPE_USCC = "USCC"


@dataclass(frozen=True)
class StagedFile:
    sha256: str
    original_name: str
    size: int
    mime: str


@dataclass
class MaterialDraft:
    code: str
    name: str
    requirement: Requirement
    form: MaterialForm
    expected_count: int
    standard: str
    condition: str = ""
    status: MaterialStatus = MaterialStatus.MISSING
    files: list[StagedFile] = field(default_factory=list)
    scanned_codes: list[str] = field(default_factory=list)   # barcodes read off the document
    correction_reason: str = ""   # 补正: what exactly is missing or wrong with it (告知书 prints it)

    @property
    def required(self) -> bool:
        return self.requirement is Requirement.REQUIRED


@dataclass
class Applicant:
    kind: str = "person"          # "person" 自然人 or "company" 法人
    name: str = ""
    id_number: str = ""
    legal_rep: str = ""           # 法定代表人 (companies)
    mobile: str = ""
    address: str = ""
    agent_name: str = ""          # 代理人
    agent_id_number: str = ""

    @property
    def id_type(self) -> str:
        return ID_TYPE_RESIDENT if self.kind == "person" else ID_TYPE_USCC


@dataclass
class CaseDraft:
    item: CatalogItem
    applicant: Applicant = field(default_factory=Applicant)
    materials: list[MaterialDraft] = field(default_factory=list)
    decision: Decision | None = None
    refusal_reason: str = ""
    refusal_agency: str = ""
    delivery: str = "window"      # "window" 窗口领取 or "post" 邮寄
    post_address: str = ""
    post_recipient: str = ""
    post_phone: str = ""
    ticket: str = ""
    preapplication_code: str = ""   # 网上预申请码: looked up on the platform once online
    reopened_correction: bool = False   # a 补正 case the applicant came back to
    repeat_reason: str = ""       # 再次补正: why a second round of 补正 (一次性告知 was not enough)
    # the ID card's name or address held a character its chip could not (生僻字): the clerk
    # has not yet typed the real one and confirmed it
    card_text_unconfirmed: bool = False

    @classmethod
    def for_item(cls, item: CatalogItem) -> CaseDraft:
        return cls(item=item, materials=[
            MaterialDraft(m.code, m.name, m.requirement, m.form, m.count, m.standard, m.condition)
            for m in item.materials
        ])

    def missing(self) -> list[MaterialDraft]:
        """Required materials not yet present: exactly what a 补正告知书 must list."""
        return [m for m in self.materials if m.required and not m.status.present]


def _text_problems(fields: list[tuple[str, str, int]]) -> list[str]:
    """Free text within the platform's lengths, with nothing that prints otherwise than it
    reads (``check_text``): a message per field that is not."""
    return [c.message for text, label, limit in fields if not (c := check_text(text, label, limit)).ok]


def applicant_problems(a: Applicant) -> list[str]:
    problems = _text_problems([
        (a.name, "申请人名称", TEXT_LIMITS["applicant_name"]),
        (a.legal_rep, "法定代表人", TEXT_LIMITS["legal_rep"]),
        (a.agent_name, "代理人姓名", TEXT_LIMITS["agent_name"]),
        (a.address or "", "通讯地址", TEXT_LIMITS["address"])])
    if not a.name.strip():
        problems.append("请填写申请人名称")
    checked = check_resident_id(a.id_number) if a.kind == "person" else check_uscc(a.id_number)
    if not checked.ok:
        problems.append(checked.message)
    if a.kind == "company" and not a.legal_rep.strip():
        problems.append("请填写法定代表人")
    mobile = check_mobile(a.mobile)
    if not mobile.ok:
        problems.append(mobile.message)
    if a.agent_name.strip() or a.agent_id_number.strip():
        agent = check_resident_id(a.agent_id_number)
        if not a.agent_name.strip():
            problems.append("请填写代理人姓名")
        if not agent.ok:
            problems.append("代理人" + agent.message)
    return problems


RARE_CHARS_UNCONFIRMED = ("身份证上的姓名或住址有读卡器读不出的生僻字：请对照证件输入正确的汉字，"
                          "再点「确认姓名」")
REPEAT_REASON_NEEDED = "再次补正须写明理由（已一次性告知过，第二次补正将报值班长）"


def decision_problems(draft: CaseDraft) -> list[str]:
    """Everything that stops the chosen decision, in Chinese; empty when it may proceed."""
    problems = applicant_problems(draft.applicant)
    if draft.card_text_unconfirmed:
        problems.append(RARE_CHARS_UNCONFIRMED)
    reason = TEXT_LIMITS["reason"]
    problems += _text_problems(
        [(draft.refusal_reason, "不予受理理由", reason),
         (draft.refusal_agency, "受理机关", TEXT_LIMITS["agency"]),
         (draft.repeat_reason, "再次补正理由", reason),
         (draft.post_recipient, "收件人", TEXT_LIMITS["post_recipient"]),
         (draft.post_address, "邮寄地址", TEXT_LIMITS["post_address"])]
        + [(m.correction_reason, f"「{m.name}」的补正说明", reason) for m in draft.materials])
    if draft.decision is None:
        problems.append("请选择受理、补正或不予受理")
        return problems
    for m in draft.materials:
        if m.status is MaterialStatus.KEPT and not m.files:
            problems.append(f"材料「{m.name}」标为已收取，但没有电子件")
    missing = draft.missing()
    if draft.decision is Decision.ACCEPT and missing:
        names = "、".join(m.name for m in missing)
        problems.append(f"还缺必要材料：{names}。请选择补正，一次性告知")
    if draft.decision is Decision.CORRECT and not missing:
        problems.append("必要材料已齐全，无需补正，请直接受理")
    if draft.decision is Decision.CORRECT and draft.reopened_correction and not draft.repeat_reason.strip():
        problems.append(REPEAT_REASON_NEEDED)
    if draft.decision is Decision.REFUSE:
        if not draft.refusal_reason.strip():
            problems.append("不予受理须写明理由")
        if not draft.refusal_agency.strip():
            problems.append("不予受理须告知申请人向哪个机关申请")
    if draft.delivery == "post" and draft.decision is Decision.ACCEPT:
        if not draft.post_address.strip() or not draft.post_recipient.strip():
            problems.append("邮寄送达须填写收件人和地址")
        if not check_mobile(draft.post_phone).ok:
            problems.append("邮寄送达须填写收件人手机号码")
    return problems


def case_number(region: str, day: str, device_code: str, serial: int) -> str:
    """办件编号 (an..50): 6-digit region + yyyymmdd + device code + 4-digit daily serial.

    Unique offline: the device code is unique within the region (assigned by the county, or
    derived from the database's random device id), and the serial comes from this device's
    own counter, so two windows, two days or a reinstall (new device id) never collide.
    """
    return f"{region}{day.replace('-', '')}{device_code}{serial:04d}"


def new_query_password() -> str:
    """6-digit query password (查询密码) printed on the notice."""
    return f"{secrets.randbelow(1_000_000):06d}"
