"""The intake rules a clerk meets at the decision page, one by one, and the case values
the provinces exchange (status codes, ID types), written out so a changed value fails."""

from __future__ import annotations

import pytest

from hallclient.core.cases import (
    ID_TYPE_RESIDENT,
    ID_TYPE_USCC,
    Applicant,
    CaseDraft,
    CaseStatus,
    Decision,
    MaterialStatus,
    StagedFile,
    applicant_problems,
    case_number,
    decision_problems,
    new_query_password,
)
from hallclient.core.catalog import (
    CaseType,
    CatalogItem,
    MaterialForm,
    MaterialSpec,
    Requirement,
)

from ..recipes import COMPANY, PERSON

FILE = StagedFile("ab" * 32, "scan.jpg", 1234, "image/jpeg")

ITEM = CatalogItem(
    impl_code="11330109MB0000001X4000111001000", item_code="000111001000", main_name="食品经营许可",
    sub_name="新办", item_type="01", department="示范县市场监督管理局", legal_basis="《食品安全法》",
    process=("受理", "审查", "决定"), fees="不收费", legal_days=20, promised_days=10,
    case_type=CaseType.PROMISED, applicant_kind="company", form_fields=(),
    materials=(
        MaterialSpec("M1", "申请书", Requirement.REQUIRED, MaterialForm.ORIGINAL, 1, "签字"),
        MaterialSpec("M2", "营业执照", Requirement.REQUIRED, MaterialForm.COPY, 1, "加盖公章"),
        MaterialSpec("M3", "委托书", Requirement.CONDITIONAL, MaterialForm.ORIGINAL, 1, "",
                     "委托他人办理的"),
    ))


def draft(decision: Decision | None = Decision.ACCEPT, applicant: Applicant = COMPANY,
          missing: tuple[str, ...] = ()) -> CaseDraft:
    """A draft whose required materials are all kept with a file, except ``missing``."""
    d = CaseDraft.for_item(ITEM)
    d.applicant = applicant
    d.decision = decision
    for m in d.materials:
        if not m.required:
            m.status = MaterialStatus.NOT_APPLICABLE
        elif m.code not in missing:
            m.status, m.files = MaterialStatus.KEPT, [FILE]
    return d


# -- values exchanged with the provinces -------------------------------------------------

def test_case_status_codes_are_the_exchanged_ones():
    assert {s.name: int(s) for s in CaseStatus} == {
        "RECEIVED": 1, "ACCEPTED": 3, "REFUSED": 5, "CORRECTION_STARTED": 6,
        "CORRECTION_ENDED": 7, "DONE_APPROVED": 11, "DONE_REJECTED": 13, "WITHDRAWN": 14,
        "REVOKED": 15}
    assert [s.label for s in CaseStatus] == [
        "已接件", "窗口受理", "不予受理", "补正中", "补正结束", "办结（通过）", "办结（不通过）",
        "撤回", "撤销"]


def test_each_decision_leads_to_its_status_and_keeps_its_stored_value():
    assert {d.value: d.status for d in Decision} == {
        "accept": CaseStatus.ACCEPTED, "correct": CaseStatus.CORRECTION_STARTED,
        "refuse": CaseStatus.REFUSED}


def test_material_statuses_that_count_as_present():
    assert {s.value: s.present for s in MaterialStatus} == {
        "kept": True, "original_verified": True, "original_returned": True, "paper_copy": True,
        "missing": False,
        "not_applicable": False}


def test_id_type_follows_the_applicant_kind():
    assert (ID_TYPE_RESIDENT, ID_TYPE_USCC) == ("111", "USCC")
    assert PERSON.id_type == "111" and COMPANY.id_type == "USCC"
    assert Applicant().kind == "person" and Applicant().id_type == "111"


# -- the draft ---------------------------------------------------------------------------

def test_a_new_draft_lists_the_items_materials_all_missing():
    d = CaseDraft.for_item(ITEM)
    assert [(m.code, m.name, m.required, m.status, m.condition, m.files) for m in d.materials] == [
        ("M1", "申请书", True, MaterialStatus.MISSING, "", []),
        ("M2", "营业执照", True, MaterialStatus.MISSING, "", []),
        ("M3", "委托书", False, MaterialStatus.MISSING, "委托他人办理的", [])]
    assert [m.code for m in d.missing()] == ["M1", "M2"]    # conditional ones are not owed
    assert (d.decision, d.refusal_reason, d.refusal_agency, d.delivery, d.post_address,
            d.post_recipient, d.post_phone, d.ticket, d.preapplication_code) == (
        None, "", "", "window", "", "", "", "", "")
    assert d.applicant == Applicant() and Applicant().name == Applicant().agent_id_number == ""


def test_a_staged_file_cannot_be_changed():
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        FILE.sha256 = "00" * 32  # type: ignore[misc]


def test_a_material_seen_in_the_original_or_on_paper_is_not_missing():
    d = draft(missing=("M1", "M2"))
    d.materials[0].status = MaterialStatus.ORIGINAL_VERIFIED
    d.materials[1].status = MaterialStatus.PAPER_COPY
    assert d.missing() == [] and decision_problems(d) == []


# -- the applicant -----------------------------------------------------------------------

def test_a_complete_applicant_has_no_problems():
    assert applicant_problems(PERSON) == [] and applicant_problems(COMPANY) == []


def test_each_missing_applicant_field_is_named():
    assert applicant_problems(Applicant(kind="company", name=" ", id_number="91350100M000100Y43",
                                        legal_rep=" ", mobile="13900001111")) == [
        "请填写申请人名称", "请填写法定代表人"]
    assert applicant_problems(Applicant(kind="person", name="王", id_number="",
                                        mobile="13800138000")) == ["请输入身份证号码"]
    assert applicant_problems(Applicant(kind="person", name="王", id_number="11010519491231002X",
                                        mobile="1234")) == ["手机号码应为 11 位，以 13-19 开头"]


def test_a_person_needs_an_id_number_and_a_company_a_credit_code():
    person_with_code = Applicant(kind="person", name="王", id_number=COMPANY.id_number,
                                 mobile="13800138000")
    company_with_id = Applicant(kind="company", name="某公司", id_number=PERSON.id_number,
                                legal_rep="李", mobile="13900001111")
    assert len(applicant_problems(person_with_code)) == 1
    assert len(applicant_problems(company_with_id)) == 1


def test_an_agent_needs_a_name_and_a_valid_id_number():
    ok = Applicant(**{**PERSON.__dict__, "agent_name": "张三", "agent_id_number": PERSON.id_number})
    assert applicant_problems(ok) == []
    bad_id = Applicant(**{**ok.__dict__, "agent_id_number": "110105194912310021"})
    assert applicant_problems(bad_id) == ["代理人身份证号码校验位不符，请核对是否输错"]
    no_name = Applicant(**{**ok.__dict__, "agent_name": " "})
    assert applicant_problems(no_name) == ["请填写代理人姓名"]
    only_id = Applicant(**{**PERSON.__dict__, "agent_id_number": "123"})
    assert applicant_problems(only_id)[0] == "请填写代理人姓名"
    assert applicant_problems(only_id)[1].startswith("代理人")


# -- the decision ------------------------------------------------------------------------

def test_no_decision_yet_is_the_one_problem_named():
    assert decision_problems(draft(decision=None)) == ["请选择受理、补正或不予受理"]
    bad = Applicant(**{**COMPANY.__dict__, "name": ""})
    assert decision_problems(draft(decision=None, applicant=bad)) == [
        "请填写申请人名称", "请选择受理、补正或不予受理"]


def test_accept_with_everything_present_may_proceed():
    assert decision_problems(draft()) == []


def test_accept_with_missing_materials_names_them_all():
    assert decision_problems(draft(missing=("M1", "M2"))) == [
        "还缺必要材料：申请书、营业执照。请选择补正，一次性告知"]


def test_kept_without_an_electronic_file_is_refused():
    d = draft()
    d.materials[1].files = []
    assert decision_problems(d) == ["材料「营业执照」标为已收取，但没有电子件"]
    d.decision = Decision.CORRECT            # whatever the decision
    assert "材料「营业执照」标为已收取，但没有电子件" in decision_problems(d)


def test_correction_needs_something_missing():
    assert decision_problems(draft(decision=Decision.CORRECT)) == [
        "必要材料已齐全，无需补正，请直接受理"]
    assert decision_problems(draft(decision=Decision.CORRECT, missing=("M2",))) == []


def test_refusal_needs_a_reason_and_the_right_agency():
    d = draft(decision=Decision.REFUSE, missing=("M1",))
    assert decision_problems(d) == ["不予受理须写明理由", "不予受理须告知申请人向哪个机关申请"]
    d.refusal_reason = "不属于本机关职权范围"
    assert decision_problems(d) == ["不予受理须告知申请人向哪个机关申请"]
    d.refusal_agency = "市市场监督管理局"
    assert decision_problems(d) == []
    d.refusal_reason = "  "
    assert decision_problems(d) == ["不予受理须写明理由"]


def test_postal_delivery_needs_recipient_address_and_phone():
    d = draft()
    d.delivery = "post"
    assert decision_problems(d) == ["邮寄送达须填写收件人和地址", "邮寄送达须填写收件人手机号码"]
    d.post_recipient, d.post_phone = "王𠮷", "13800138000"
    assert decision_problems(d) == ["邮寄送达须填写收件人和地址"]     # address still empty
    d.post_address, d.post_recipient = "示范县人民路 1 号", " "
    assert decision_problems(d) == ["邮寄送达须填写收件人和地址"]     # recipient blank
    d.post_recipient = "王𠮷"
    assert decision_problems(d) == []
    d.post_phone = "12345"
    assert decision_problems(d) == ["邮寄送达须填写收件人手机号码"]


def test_a_filled_postal_recipient_never_blocks_a_case_collected_at_the_window():
    d = draft()
    d.post_recipient, d.post_address, d.post_phone = "王𠮷", "", "bad"
    assert d.delivery == "window" and decision_problems(d) == []
    c = draft(decision=Decision.CORRECT, missing=("M1",))
    c.delivery = "post"                     # a 补正 is not delivered: nothing to post yet
    assert decision_problems(c) == []


# -- numbers -----------------------------------------------------------------------------

@pytest.mark.parametrize("serial, expected", [
    (1, "33010920261127W01AAA0001"), (42, "33010920261127W01AAA0042"),
    (12345, "33010920261127W01AAA12345")])
def test_case_numbers(serial, expected):
    assert case_number("330109", "2026-11-27", "W01AAA", serial) == expected


def test_query_passwords_are_six_digits_and_vary():
    seen = {new_query_password() for _ in range(200)}
    assert all(len(p) == 6 and p.isdigit() for p in seen)
    assert len(seen) > 150


@pytest.mark.parametrize("name, says", [
    ("王" * 201, "最多 200 个字"),                                 # beyond the platform's field
    ("王\u202e明小\u202c", "改变文字方向"),                         # would print as 王小明
    ("王\x1b明", "控制字符"),
    ("王\u2028明", "控制字符"),
    ("王\ue000明", "专用区字符"),                                  # a chip's rare character
    ("王\u200b小明", "看不见的字符"),                              # a zero-width space
    ("王\ufeff明", "看不见的字符"),
    ("王\U000e0041明", "看不见的字符"),                            # a tag character
])
def test_a_name_that_would_not_print_or_upload_as_typed_is_refused(name, says):
    from dataclasses import replace

    from hallclient.core.cases import applicant_problems

    problems = applicant_problems(replace(PERSON, name=name))
    assert any(says in p for p in problems), problems


def test_names_with_rare_and_foreign_characters_pass():
    from dataclasses import replace

    from hallclient.core.cases import applicant_problems

    for name in ("王𠮷", "李䶮", "Anna Müller", "阿卜杜热合曼·买买提", "👨‍👩‍👧 张"):
        assert applicant_problems(replace(PERSON, name=name)) == [], name

