"""Every PDF the program writes reads back with pdftotext to the text laid out: names
outside the BMP (王𠮷), CJK Ext. A (李䶮), Latin (Müller), and common characters that Qt's
own text layer turns into Kangxi radicals (月 → ⽉ U+2F49, 工 → ⼯, 人 → ⼈)."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PySide6.QtGui import QTextDocument

from hallclient.core.cases import Decision
from hallclient.documents import report_tables
from hallclient.documents.notices import NoticeContext, notice_html, write_pdf
from hallclient.documents.report_tables import INT, TEXT, View
from hallclient.documents.ticket import TicketPrint, ticket_html
from hallclient.services.case_desk import CaseDesk
from hallclient.store import catalog_repo
from hallclient.store.attachments import AttachmentStore

from ..recipes import PERSON, case_draft
from .test_kiosk_and_documents import decode_pdf

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")

COMMON = "月工人日年"
NAMES = ("王𠮷", "李䶮", "Anna Müller")
RADICALS = re.compile("[\u2e80-\u2fdf\uf900-\ufaff\ufffd]")


def pdftotext(path: Path) -> str:
    """The text layer in drawing order, as a search index or screen reader gets it."""
    return subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def squeezed(text: str) -> str:
    return re.sub(r"[\s\ufffc]", "", text)        # U+FFFC: where an image (the barcode) is


def laid_out(page_html: str) -> str:
    doc = QTextDocument()
    doc.setHtml(page_html)
    return doc.toPlainText()


@pytest.fixture
def desk(db, demo_catalog, clock, tmp_path):
    with db.write() as conn:
        catalog_repo.import_items(conn, demo_catalog["items"], demo_catalog["version"])
    return CaseDesk(db, AttachmentStore(tmp_path / "att"), region="330109", clock=clock)


APPLICANTS = {"王𠮷": PERSON, "李䶮": dataclasses.replace(PERSON, name="李䶮"),
              "Anna Müller": dataclasses.replace(PERSON, name="Anna Müller")}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind, decision", [("accept", Decision.ACCEPT),
                                            ("correction", Decision.CORRECT),
                                            ("refusal", Decision.REFUSE),
                                            ("receipt", Decision.ACCEPT)])
def test_notices_read_back_exactly(qapp, desk, tmp_path, kind, decision, name):
    draft = case_draft(desk, "个体工商户登记（设立登记）", applicant=APPLICANTS[name],
                       decision=decision, fill=decision != Decision.CORRECT)
    draft.refusal_reason = "申请人提交的材料不属于本机关职权范围"
    draft.refusal_agency = "市市场监督管理局"
    done = desk.commit(draft, 1, "li")
    ctx = NoticeContext("示范县政务服务中心", desk.load(done.case_no), draft.item)
    path = write_pdf(kind, ctx, tmp_path / f"{kind}.pdf")
    expected = laid_out(notice_html(kind, ctx, (100, 30)))
    assert name in expected and all(c in expected for c in "月日年人")
    text = pdftotext(path)
    assert squeezed(text) == squeezed(expected)
    assert squeezed(name) in squeezed(text) and not RADICALS.search(text)
    assert decode_pdf(path, dpi=300)[0] == [ctx.case["case_no"]]       # the barcode still reads
    assert b"/FontFile2" in path.read_bytes()                         # fonts stay embedded


@pytest.mark.parametrize("hall", ["王𠮷人工月日年服务中心", "Müller 李䶮 便民服务中心"])
def test_a_ticket_reads_back_exactly(qapp, tmp_path, hall):
    from hallclient.devices.printer import TicketPrinter

    printer = TicketPrinter("pdf", tmp_path)
    info = TicketPrint(hall, "A023", "综合受理（工商、人社）", "普通", 3, "2026年11月27日 09:00")
    try:
        path = Path(printer.print_ticket(info, "20261127").result(timeout=60))
    finally:
        printer.close()
    text = pdftotext(path)
    assert squeezed(text) == squeezed(laid_out(ticket_html(info, 1, 1)))
    assert hall.replace(" ", "") in squeezed(text) and not RADICALS.search(text)
    assert decode_pdf(path)[0] == ["A023"]


def test_the_report_reads_back_exactly(qapp, tmp_path):
    tables = [
        View("人员", ["人员", "呼叫", "备注"], [TEXT, INT, TEXT],
             [[name, 12, f"{COMMON} 工作日"] for name in NAMES]),
        View("差评", ["时间", "人员", "原因"], [TEXT, TEXT, TEXT],
             [["2026年11月27日", "王𠮷", "办理人员态度"]]),
    ]
    heading = "示范县政务服务中心 值班长日报 2026年11月27日"
    path = report_tables.write_pdf(tables, tmp_path / "r.pdf", heading)
    text = pdftotext(path)
    assert not RADICALS.search(text)
    got = squeezed(text)
    cells = [heading, *(h for v in tables for h in [v.title, *v.headers]),
             *(str(c) for v in tables for row in v.rows for c in row)]
    assert [c for c in cells if squeezed(c) not in got] == []
    # nothing turned into another: no radical, compatibility ideograph or replacement (above),
    # and none of the private-use code points a font's unmapped glyph would come back as
    assert not re.search("[\ue000-\uf8ff]", text)
    from hallclient.reports.definitions import definition

    assert squeezed(definition("呼叫")) in got          # the notes read back as written too


def test_watermark_is_in_the_text_layer_and_reads_as_laid_out(qapp, tmp_path):
    """Training paper's diagonal mark is text too (a search for 培训样张 finds it)."""
    from hallclient.devices.printer import TicketPrinter
    from hallclient.documents.paper import WATERMARK

    printer = TicketPrinter("pdf", tmp_path, training=True)
    info = TicketPrint("王𠮷月工人服务中心", "A023", "综合受理", "普通", 0, "09:00")
    try:
        path = Path(printer.print_ticket(info, "20261127").result(timeout=60))
    finally:
        printer.close()
    text = pdftotext(path)
    assert squeezed(WATERMARK) in squeezed(text) and "王𠮷月工人服务中心" in squeezed(text)
    assert not RADICALS.search(text)


def test_a_stream_ending_in_a_line_break_byte_is_read_whole():
    """A compressed font ends in \\r or \\n about once in a hundred subsets: the reader takes
    /Length bytes (looked up where the length is an object of its own), not up to a stripped
    "endstream", and the objects are found from the cross-reference table, not by searching
    bytes that may hold "endobj" by chance."""
    import zlib

    from hallclient.documents.pdftext import _objects, _stream

    n = 0
    while True:                         # data whose compressed form ends in \r
        payload = f"font bytes {n} endobj 7 0 obj".encode()
        packed = zlib.compress(payload)
        if packed.endswith(b"\r"):
            break
        n += 1
    parts = [b"%PDF-1.4\n"]
    offsets = []
    for number, body in ((1, b"<<\n/Length 2 0 R\n/Filter /FlateDecode\n>>\nstream\n" + packed
                          + b"\nendstream\n"), (2, b"%d\n" % len(packed))):
        offsets.append(sum(map(len, parts)))
        parts.append(b"%d 0 obj\n" % number + body + b"endobj\n")
    xref_at = sum(map(len, parts))
    parts.append(b"xref\n0 3\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
                 + b"trailer\n<< /Size 3 >>\nstartxref\n%d\n%%%%EOF\n" % xref_at)
    data = b"".join(parts)
    objects = _objects(data)
    s, e = objects[1]
    assert _stream(data[s:e], data, objects) == payload
