"""Intake decisions committed to the real database: accept, 补正 then resume, refuse."""

from __future__ import annotations

import json
from datetime import date

import pytest

from hallclient.core.cases import (
    Applicant,
    CaseDraft,
    CaseStatus,
    Decision,
    MaterialStatus,
    decision_problems,
)
from hallclient.core.workdays import add_working_days
from hallclient.services.case_desk import CaseDesk, CaseError
from hallclient.store import catalog_repo, log_repo
from hallclient.store.attachments import AttachmentStore

from ..recipes import COMPANY, PERSON, case_draft, catalog_item, fill_materials, tiny_pdf


@pytest.fixture
def desk(db, demo_catalog, clock, tmp_path):
    with db.write() as conn:
        catalog_repo.import_items(conn, demo_catalog["items"], demo_catalog["version"])
    return CaseDesk(db, AttachmentStore(tmp_path / "attachments"), region="330109",
                    device_code="W01AAA", clock=clock)


def test_accept_a_natural_person_case(desk, db, clock):
    draft = fill_materials(desk, CaseDraft.for_item(catalog_item(desk.db.conn, "个体工商户登记（设立登记）")))
    draft.applicant = PERSON
    draft.decision = Decision.ACCEPT
    done = desk.commit(draft, window=1, clerk="li")
    assert done.case_no == "33010920261127W01AAA0001" and len(done.query_password) == 6
    assert done.status is CaseStatus.ACCEPTED and done.promised_date == "2026-11-27"  # 即办件
    case = desk.load(done.case_no)
    assert case["applicant_name"] == "王𠮷"                      # outside the BMP, unchanged
    assert case["status"] == 3 and case["version"] == 1 and case["id_type"] == "111"
    assert [m["status"] for m in case["materials"]].count("kept") == len(draft.item.required_materials())
    assert len(case["attachments"]) == len(draft.item.required_materials())
    assert all(desk.attachments.verify(a["sha256"]) for a in case["attachments"])
    assert case["outbox"] == [{"kind": "case_upsert", "version": 1,
                               "idempotency_key": f"{done.uid}:1", "state": "pending"}]
    last = log_repo.entries(db.conn)[-1]
    assert last["action"] == "intake_accept" and done.case_no in last["detail"]
    assert "王" not in last["detail"] and "1101051949" not in last["detail"]   # no personal data


def test_accept_a_company_case_with_promised_date(desk):
    draft = fill_materials(desk, CaseDraft.for_item(catalog_item(desk.db.conn, "食品经营许可（新办）")))
    draft.applicant = COMPANY
    draft.decision = Decision.ACCEPT
    done = desk.commit(draft, window=2, clerk="zhao")
    # 5 working days from Friday 2026-11-27
    assert done.promised_date == add_working_days(date(2026, 11, 27), 5).isoformat() == "2026-12-04"
    case = desk.load(done.case_no)
    assert case["id_type"] == "USCC" and case["legal_rep"] == "李䶮"


def test_correction_lists_every_missing_material_then_resumes(desk, clock):
    it = catalog_item(desk.db.conn, "国有建设用地使用权及房屋所有权登记（转移登记（买卖））")
    draft = CaseDraft.for_item(it)
    draft.applicant = PERSON
    missing_codes = [m.code for m in draft.materials if m.required][-2:]
    fill_materials(desk, draft, skip=missing_codes)
    draft.decision = Decision.ACCEPT
    with pytest.raises(CaseError, match="还缺必要材料"):
        desk.commit(draft, 1, "li")
    draft.decision = Decision.CORRECT
    assert [m.code for m in draft.missing()] == missing_codes
    first = desk.commit(draft, 1, "li")
    assert first.status is CaseStatus.CORRECTION_STARTED and first.promised_date is None

    clock.advance(minutes=60 * 24 * 3)   # the applicant returns three days later
    for m in draft.materials:
        if m.code in missing_codes:
            m.files.append(desk.stage_bytes(tiny_pdf(m.code), f"{m.code}.pdf"))
            m.status = MaterialStatus.KEPT
    draft.decision = Decision.ACCEPT
    again = desk.resume_correction(first.case_no, draft, 3, "sun")
    assert again.case_no == first.case_no and again.version == 2
    assert again.query_password == first.query_password
    case = desk.load(first.case_no)
    assert case["status"] == 3 and case["window"] == 3
    assert [o["version"] for o in case["outbox"]] == [1, 2]
    assert len(case["attachments"]) == len(it.required_materials())   # nothing doubled
    with pytest.raises(CaseError, match="不在补正中"):
        desk.resume_correction(first.case_no, draft, 3, "sun")


def test_refusal_needs_reason_and_agency(desk):
    draft = CaseDraft.for_item(catalog_item(desk.db.conn, "社会团体成立登记"))
    draft.applicant = COMPANY
    draft.decision = Decision.REFUSE
    with pytest.raises(CaseError) as err:
        desk.commit(draft, 1, "li")
    assert "不予受理须写明理由" in err.value.problems
    draft.refusal_reason = "申请事项依法不属于本机关职权范围"
    draft.refusal_agency = "市民政局"
    done = desk.commit(draft, 1, "li")
    assert done.status is CaseStatus.REFUSED
    assert desk.load(done.case_no)["refusal_agency"] == "市民政局"


def test_problems_are_listed_all_at_once(desk):
    draft = CaseDraft.for_item(catalog_item(desk.db.conn, "社会团体成立登记"))
    draft.applicant = Applicant(kind="person", name="", id_number="110105194912310021",
                                mobile="123")
    draft.decision = Decision.CORRECT
    problems = decision_problems(draft)
    assert "请填写申请人名称" in problems
    assert any("校验位" in p for p in problems) and any("手机" in p for p in problems)


def test_case_numbers_are_unique_across_windows_days_and_devices(desk, db, tmp_path, clock):
    numbers = set()
    it = catalog_item(desk.db.conn, "不动产登记资料查询")
    other = CaseDesk(db, desk.attachments, region="330109", clock=clock)   # derived device code
    for _day in range(3):
        for window, d in ((1, desk), (2, desk), (3, other)):
            draft = fill_materials(desk, CaseDraft.for_item(it))
            draft.applicant, draft.decision = PERSON, Decision.ACCEPT
            numbers.add(d.commit(draft, window, "x").case_no)
        clock.advance(minutes=24 * 60)
    assert len(numbers) == 9
    assert len(other.device_code) == 6 and other.device_code != desk.device_code


def test_search_cases(desk):
    it = catalog_item(desk.db.conn, "不动产登记资料查询")
    for applicant in (PERSON, Applicant("person", "张三", "440524188001010014", mobile="13900001111")):
        draft = fill_materials(desk, CaseDraft.for_item(it))
        draft.applicant, draft.decision = applicant, Decision.ACCEPT
        desk.commit(draft, 1, "li")
    assert [c["applicant_name"] for c in desk.search("王")] == ["王𠮷"]
    assert [c["applicant_name"] for c in desk.search("440524188001010014")] == ["张三"]
    assert len(desk.search("330109202611")) == 2
    assert len(desk.search(status=3, day_from="2026-11-27", day_to="2026-11-27")) == 2
    assert desk.search(day_from="2026-11-28") == []


def test_search_finds_latin_names_any_case_and_names_beyond_the_bmp(desk):
    it = catalog_item(desk.db.conn, "不动产登记资料查询")
    for applicant in (PERSON,
                      Applicant("person", "John SMITH", "440524188001010014", mobile="13900001111"),
                      Applicant("person", "Anna Müller", "810000199001011230", mobile="13900001112"),
                      Applicant("person", "𠀀𠮷𡈽", "830000199001011234", mobile="13900001113")):
        draft = fill_materials(desk, CaseDraft.for_item(it))
        draft.applicant, draft.decision = applicant, Decision.ACCEPT
        desk.commit(draft, 1, "li")

    def names(text: str) -> list[str]:
        return sorted(c["applicant_name"] for c in desk.search(text))

    assert names("smith") == names("SMITH") == names("Smith") == names("john s") == ["John SMITH"]
    assert names("MÜLLER") == names("müller") == ["Anna Müller"]
    assert names("ｓｍｉｔｈ") == ["John SMITH"]                     # typed full-width
    assert names("王𠮷") == ["王𠮷"]
    assert names("𠮷") == ["王𠮷", "𠀀𠮷𡈽"]                         # outside the BMP, anywhere
    assert names("𡈽") == ["𠀀𠮷𡈽"]
    assert len(desk.search("330109202611")) == 4                    # case numbers still
    assert names("８３００００１９９００１０１１２３４") == ["𠀀𠮷𡈽"]   # an ID typed full-width


def test_an_id_typed_full_width_is_stored_in_its_plain_form(desk):
    draft = fill_materials(desk, CaseDraft.for_item(catalog_item(desk.db.conn, "不动产登记资料查询")))
    draft.applicant = Applicant("person", "李四", "１１０１０５ １９４９１２３１ ００２ｘ",
                                mobile="１３９００００１１１１")
    draft.decision = Decision.ACCEPT
    case = desk.load(desk.commit(draft, 1, "li").case_no)
    assert case["id_number"] == "11010519491231002X" and case["mobile"] == "13900001111"
    draft = fill_materials(desk, CaseDraft.for_item(catalog_item(desk.db.conn, "不动产登记资料查询")))
    draft.applicant = Applicant("person", "李四", "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", mobile="13900001111")
    draft.decision = Decision.ACCEPT
    with pytest.raises(CaseError, match="其他文字的数字"):
        desk.commit(draft, 1, "li")


def test_a_lost_staged_file_stops_the_commit(desk):
    draft = fill_materials(desk, CaseDraft.for_item(catalog_item(desk.db.conn, "不动产登记资料查询")))
    draft.applicant, draft.decision = PERSON, Decision.ACCEPT
    lost = draft.materials[0].files[0]
    desk.attachments.path(lost.sha256).unlink()
    with pytest.raises(Exception, match="材料文件丢失"):
        desk.commit(draft, 1, "li")
    assert desk.search() == []


def test_working_days_skip_weekends_and_holidays():
    friday = date(2026, 9, 25)
    assert add_working_days(friday, 1) == date(2026, 9, 28)
    national_day = {date(2026, 10, d) for d in range(1, 8)}
    assert add_working_days(date(2026, 9, 30), 1, holidays=national_day) == date(2026, 10, 8)
    assert add_working_days(friday, 1, workdays={date(2026, 9, 26)}) == date(2026, 9, 26)


def test_a_scanned_preapplication_is_kept_and_queued_for_lookup(desk):
    draft = fill_materials(desk, CaseDraft.for_item(catalog_item(desk.db.conn, "不动产登记资料查询")))
    draft.applicant, draft.decision = PERSON, Decision.ACCEPT
    draft.preapplication_code = "YS202611270000123456"
    done = desk.commit(draft, 1, "li")
    case = desk.load(done.case_no)
    assert case["preapplication_code"] == "YS202611270000123456"
    assert [o["kind"] for o in case["outbox"]] == ["case_upsert", "preapplication_lookup"]


def test_correction_reasons_are_kept_per_material_and_a_second_round_needs_its_own(desk, db):
    """补正: what exactly is wrong with each material is kept with it (the 补正告知书 prints
    materials[i]["correction_reason"]); a second 补正 on the same case is refused without a
    reason and, with one, logged as correction_repeat for the supervisor."""
    draft = fill_materials(desk, CaseDraft.for_item(catalog_item(desk.db.conn, "个体工商户登记（设立登记）")),
                           missing=2)
    draft.applicant = PERSON
    draft.decision = Decision.CORRECT
    first, second = draft.missing()
    first.correction_reason = "  户口簿须为本人页  "
    done = desk.commit(draft, 1, "li")
    reasons = {m["code"]: m["correction_reason"] for m in desk.load(done.case_no)["materials"]}
    assert reasons[first.code] == "户口簿须为本人页" and reasons[second.code] == ""

    draft.reopened_correction = True                # the applicant is back, one still missing
    first.files.append(desk.stage_bytes(tiny_pdf("a"), "a.pdf"))
    first.status = MaterialStatus.KEPT
    assert decision_problems(draft) == ["再次补正须写明理由（已一次性告知过，第二次补正将报值班长）"]
    draft.reopened_correction = False               # whoever built the draft: the desk asks too
    with pytest.raises(CaseError, match="再次补正须写明理由"):
        desk.resume_correction(done.case_no, draft, 2, "sun")
    assert "correction_repeat" not in [e["action"] for e in log_repo.entries(db.conn)]
    draft.repeat_reason = "营业执照已过期，须换新照"
    again = desk.resume_correction(done.case_no, draft, 2, "sun")
    assert again.status is CaseStatus.CORRECTION_STARTED and again.version == 2
    repeat = [e for e in log_repo.entries(db.conn) if e["action"] == "correction_repeat"]
    assert [(e["window"], e["clerk"], json.loads(e["detail"])) for e in repeat] == [
        (2, "sun", {"case_no": done.case_no, "reason": "营业执照已过期，须换新照"})]
    assert log_repo.verify(db.conn).intact


def test_an_original_checked_and_handed_back_counts_as_received(desk):
    draft = fill_materials(desk, CaseDraft.for_item(catalog_item(desk.db.conn, "个体工商户登记（设立登记）")),
                           missing=1)
    draft.applicant = PERSON
    (signed,) = draft.missing()
    signed.status = MaterialStatus.ORIGINAL_RETURNED       # seen, checked, given back: no file
    assert not draft.missing()
    draft.decision = Decision.ACCEPT
    done = desk.commit(draft, 1, "li")
    row = next(m for m in desk.load(done.case_no)["materials"] if m["code"] == signed.code)
    assert row["status"] == "original_returned" and row["received_at"]


def test_reasons_are_limited_so_that_the_log_and_the_paper_can_carry_them(desk):
    """A 9,000-character 再次补正理由 would be a log entry the hall server refuses (and every
    entry after it stuck behind it) and a hundred-page notice: refused at the desk."""
    from hallclient.core.cases import Decision, decision_problems
    from hallclient.core.validators import TEXT_LIMITS

    draft = case_draft(desk, "国有建设用地使用权及房屋所有权登记（转移登记（买卖））",
                       decision=Decision.CORRECT, fill=False)
    draft.reopened_correction = True
    draft.repeat_reason = "仍缺" * 4500
    draft.materials[0].correction_reason = "x" * (TEXT_LIMITS["reason"] + 1)
    problems = decision_problems(draft)
    assert any(p.startswith("再次补正理由最多") for p in problems), problems
    assert any("的补正说明最多" in p for p in problems), problems
    with pytest.raises(CaseError):
        desk.commit(draft, 1, "li")
    draft.repeat_reason = "申请人第二次带来的合同仍缺双方签字"
    draft.materials[0].correction_reason = "复印件不清晰"
    assert not any("最多" in p for p in decision_problems(draft))
