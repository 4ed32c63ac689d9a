"""Notices rendered to PDF, rasterised, and their barcode read back to the case number."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFont, QTextLayout

from hallclient.core.cases import Decision
from hallclient.documents.notices import NoticeContext, notice_html, write_pdf
from hallclient.services.case_desk import CaseDesk
from hallclient.store import catalog_repo
from hallclient.store.attachments import AttachmentStore

from ..recipes import COMPANY, PERSON, case_draft
from .test_kiosk_and_documents import decode_pdf


@pytest.fixture
def desk(db, demo_catalog, clock, tmp_path):
    with db.write() as conn:
        catalog_repo.import_items(conn, demo_catalog["items"], demo_catalog["version"])
    return CaseDesk(db, AttachmentStore(tmp_path / "att"), region="330109", clock=clock)


def committed(desk, name, decision, skip_last=0, kind="person"):
    draft = case_draft(desk, name, applicant=PERSON if kind == "person" else COMPANY,
                       decision=decision, missing=skip_last)
    draft.refusal_reason = "申请事项不属于本机关职权范围"
    draft.refusal_agency = "市民政局"
    done = desk.commit(draft, 1, "li")
    return NoticeContext("示范县政务服务中心", desk.load(done.case_no), draft.item)


@pytest.mark.parametrize("kind, decision, item_name, skip", [
    ("accept", Decision.ACCEPT, "个体工商户登记（设立登记）", 0),
    ("correction", Decision.CORRECT, "国有建设用地使用权及房屋所有权登记（转移登记（买卖））", 2),
    ("refusal", Decision.REFUSE, "社会团体成立登记", 0),
    ("receipt", Decision.ACCEPT, "不动产登记资料查询", 0),
])
def test_notice_barcode_reads_back_to_the_case_number(qapp, desk, tmp_path, kind, decision,
                                                       item_name, skip):
    ctx = committed(desk, item_name, decision, skip)
    path = write_pdf(kind, ctx, tmp_path / f"{kind}.pdf")
    texts, (width_mm, height_mm) = decode_pdf(path, dpi=300)
    assert texts == [ctx.case["case_no"]]
    if kind == "receipt":
        assert abs(width_mm - 80) < 0.5
    else:
        assert (round(width_mm), round(height_mm)) == (210, 297)     # A4
    page = notice_html(kind, ctx, (100, 30))
    assert ctx.case["case_no"] in page and ctx.case["query_password"] in page


def test_rare_characters_survive_into_the_pdf(qapp, desk, tmp_path):
    """Qt's PDF text layer (ToUnicode) mis-maps some CJK glyphs, so extracted text is no
    oracle; instead: the name reaches the document unchanged and is drawn with a real glyph
    from an embedded font, never the missing-glyph box."""
    ctx = committed(desk, "个体工商户登记（设立登记）", Decision.ACCEPT)
    assert ctx.case["applicant_name"] == "王𠮷"
    page = notice_html("accept", ctx, (100, 30))
    assert "王𠮷" in page
    assert "110105********002X" in page and "11010519491231002X" not in page   # masked
    path = write_pdf("accept", ctx, tmp_path / "a.pdf")
    font = QFont("Noto Serif CJK SC")
    layout = QTextLayout("𠮷", font)
    layout.beginLayout()
    layout.createLine()
    layout.endLayout()
    (run,) = layout.glyphRuns()
    assert run.glyphIndexes() and 0 not in run.glyphIndexes()          # 0 is .notdef
    family = run.rawFont().familyName().replace(" ", "")
    assert family.lower().encode() in path.read_bytes().lower()        # that font is embedded


def test_correction_notice_lists_every_missing_material_with_its_standard(qapp, desk, tmp_path):
    ctx = committed(desk, "国有建设用地使用权及房屋所有权登记（转移登记（买卖））",
                    Decision.CORRECT, skip_last=2)
    missing = [m for m in ctx.case["materials"] if m["status"] == "missing"]
    assert len(missing) == 2
    text = notice_html("correction", ctx, (100, 30))
    assert "一次性告知" in text and "第三十二条" in text
    for m in missing:
        assert m["name"] in text and m["standard"][:10] in text


def test_refusal_notice_says_why_and_where(qapp, desk, tmp_path):
    ctx = committed(desk, "社会团体成立登记", Decision.REFUSE, kind="company")
    text = notice_html("refusal", ctx, (100, 30))
    assert "不予受理" in text and "市民政局" in text and "不属于本机关职权范围" in text
    assert "行政复议" in text and "李䶮" in text


def _pdf_text(path) -> str:
    import subprocess
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def _clerk_li(desk):
    from hallclient.core.accounts import Role
    from hallclient.store import accounts_repo

    with desk.db.write() as conn:
        accounts_repo.add_clerk(conn, "li", "李𠮷", Role.CLERK, "x" * 20, "2026-12-01T08:00:00")


def test_the_notices_name_the_clerk_and_leave_a_line_to_sign(qapp, desk):
    _clerk_li(desk)
    ctx = committed(desk, "个体工商户登记（设立登记）", Decision.ACCEPT)
    page = notice_html("accept", ctx, (100, 30))
    assert "经办人：李𠮷" in page and "窗口：1 号窗口" in page
    assert "签收" in page and "受理人：li" not in page
    assert page.index("经办人") < page.index("办理进度可凭")          # on a line of its own


def test_the_correction_notice_gives_a_deadline_in_working_days_and_the_reasons(qapp, desk):
    desk.correction_days = 5
    ctx = committed(desk, "国有建设用地使用权及房屋所有权登记（转移登记（买卖））", Decision.CORRECT, 2)
    due = ctx.case["correction_due"]
    assert due is not None
    from datetime import datetime as dt

    from hallclient.core.workdays import add_working_days

    decided = dt.fromisoformat(ctx.case["decided_at"]).date()
    assert due == add_working_days(decided, 5).isoformat()
    page = notice_html("correction", ctx, (100, 30))
    d = dt.fromisoformat(due).date()
    assert f"{d.year} 年 {d.month} 月 {d.day} 日" in page and "5 个工作日内" in page
    # the reason the clerk gave for a missing material is printed with it; one left on a
    # material brought since is not
    missing = next(m for m in ctx.case["materials"] if m["status"] == "missing")
    missing["correction_reason"] = "复印件不清晰，需加盖公章"
    brought = next(m for m in ctx.case["materials"] if m["status"] != "missing")
    brought["correction_reason"] = "合同缺少双方签字"
    page = notice_html("correction", ctx, (100, 30))
    assert "需补正的具体内容" in page and "复印件不清晰，需加盖公章" in page
    assert "合同缺少双方签字" not in page
    # the deadline is the one the applicant was told: the calendar changing later changes
    # nothing on a reprint
    desk.correction_days = 60
    desk.holidays = frozenset({d})
    assert desk.load(ctx.case["case_no"])["correction_due"] == due
    # and with no deadline set, none is printed (nor worked out later)
    desk.correction_days = 0
    later = committed(desk, "国有建设用地使用权及房屋所有权登记（转移登记（买卖））", Decision.CORRECT, 2)
    assert later.case["correction_due"] is None
    desk.correction_days = 10
    again = desk.load(later.case["case_no"])
    assert again["correction_due"] is None
    assert "个工作日内" not in notice_html("correction", NoticeContext(ctx.hall, again, ctx.item), (100, 30))
    # a notice printed before deadlines were printed gets none on a reprint either
    with desk.db.write() as conn:
        conn.execute("UPDATE cases SET correction_due = NULL, correction_days = NULL"
                     " WHERE case_no = ?", (ctx.case["case_no"],))
    assert desk.load(ctx.case["case_no"])["correction_due"] is None


@pytest.mark.parametrize("decision, says, never", [
    (Decision.ACCEPT, ("受理时间", "承诺办结", "已收材料"), ("需补正", "收件时间")),
    (Decision.CORRECT, ("收件时间", "需补正", "工作日内"), ("受理时间", "承诺办结")),
    (Decision.REFUSE, ("收件时间", "不予受理", "市民政局"), ("受理时间", "承诺办结")),
])
def test_the_receipt_is_laid_out_for_what_the_case_is_and_as_long_as_its_text(
        qapp, desk, tmp_path, decision, says, never):
    ctx = committed(desk, "国有建设用地使用权及房屋所有权登记（转移登记（买卖））", decision,
                    2 if decision is Decision.CORRECT else 0)
    path = write_pdf("receipt", ctx, tmp_path / "receipt.pdf")
    text = _pdf_text(path)
    for word in says:
        assert word in text, word
    for word in never:
        assert word not in text, word
    texts, (width_mm, height_mm) = decode_pdf(path, dpi=300)
    assert texts == [ctx.case["case_no"]] and abs(width_mm - 80) < 0.5
    from hallclient.documents.notices import RECEIPT_MAX_MM, RECEIPT_MIN_MM
    assert RECEIPT_MIN_MM <= height_mm < RECEIPT_MAX_MM


def test_an_instant_item_is_promised_in_words(qapp, desk):
    ctx = committed(desk, "不动产登记资料查询", Decision.ACCEPT)
    assert ctx.item.promised_days == 0 and ctx.item.legal_days == 0    # 即办 in the catalog
    assert "即办（当场办结）" in notice_html("receipt", ctx, (100, 30))
    assert "即办" in notice_html("accept", ctx, (100, 30))


def test_an_original_checked_and_handed_back_says_so_on_the_notice(qapp, desk):
    ctx = committed(desk, "个体工商户登记（设立登记）", Decision.ACCEPT)
    ctx.case["materials"][0]["status"] = "original_returned"
    assert "已收原件（已核验并退还）" in notice_html("accept", ctx, (100, 30))


def test_a_second_correction_notice_is_kept_beside_the_first_and_says_it_is_the_second(qapp, desk, tmp_path):
    """The applicant holds the first 补正告知书: a second 补正 does not replace it on disk,
    and the second says it follows one already given (一次性告知 was given before)."""
    from hallclient.documents.notices import notice_path, visit_of

    item_name = "国有建设用地使用权及房屋所有权登记（转移登记（买卖））"
    ctx = committed(desk, item_name, Decision.CORRECT, 2)
    first = write_pdf("correction", ctx, notice_path(tmp_path, ctx.case["case_no"], "correction",
                                                     visit=visit_of(ctx.case)))
    draft = case_draft(desk, item_name, applicant=PERSON, decision=Decision.CORRECT, missing=1)
    draft.reopened_correction = True
    draft.repeat_reason = "买卖合同仍缺双方签字"
    desk.resume_correction(ctx.case["case_no"], draft, 1, "li")
    again = NoticeContext(ctx.hall, desk.load(ctx.case["case_no"]), ctx.item)
    assert visit_of(again.case) == 2
    second = write_pdf("correction", again, notice_path(tmp_path, ctx.case["case_no"], "correction",
                                                        visit=visit_of(again.case)))
    assert first != second and first.is_file() and second.name.endswith("-correction-2.pdf")
    page = notice_html("correction", again, (100, 30))
    assert "补正告知书（第 2 次）" in page and "第 2 次补正告知" in page
    assert "补正告知书（第" not in notice_html("correction", ctx, (100, 30))
