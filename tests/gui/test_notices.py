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
