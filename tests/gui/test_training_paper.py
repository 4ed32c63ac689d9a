"""培训模式 paper cannot pass as real: every notice, receipt, ticket and report made in
training carries a diagonal 「培训样张 无效」 on every page, 培训 in its title (PDF metadata and
the printed heading) and in its file name, and goes to PDF unless an admin named a training
printer."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from hallclient.app import main
from hallclient.config import CONFIG_FILE, Config
from hallclient.core.cases import Decision
from hallclient.devices.printer import TicketPrinter, printer_for
from hallclient.documents import report_tables
from hallclient.documents.notices import NoticeContext, write_pdf
from hallclient.documents.report_tables import INT, TEXT, View
from hallclient.documents.ticket import TicketPrint

from ..recipes import case_draft
from .test_kiosk_and_documents import decode_pdf
from .test_pdf_text import desk, pdftotext, squeezed  # noqa: F401  (desk: a fixture)

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils")

MARK = "培训样张无效"


def title(path: Path) -> str:
    info = subprocess.run(["pdfinfo", "-enc", "UTF-8", str(path)], check=True,
                          capture_output=True, text=True).stdout
    return next(line.split(":", 1)[1].strip() for line in info.splitlines()
                if line.startswith("Title:"))


def pages(path: Path) -> list[str]:
    """Each page's text."""
    return [t for t in pdftotext(path).split("\f") if t.strip()]


def watermark_pixels(path: Path, page: int = 1) -> int:
    """How many pixels of the page's centre band are the watermark's pale red (the page is
    otherwise black on white)."""
    out = path.with_suffix(f".p{page}")
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-singlefile", "-f", str(page), "-l",
                    str(page), str(path), str(out)], check=True)
    image = QImage(str(out) + ".png")
    count = 0
    for y in range(image.height() // 3, image.height() * 2 // 3):
        for x in range(image.width()):
            c = image.pixelColor(x, y)
            count += c.red() - c.green() > 12 and c.red() > 180
    return count


def marked(path: Path, what: str) -> None:
    assert path.name.startswith("培训-")
    assert title(path).startswith("【培训】" + what)
    text = pdftotext(path)
    assert all(MARK in squeezed(page) for page in pages(path))
    assert "【培训】" + what in squeezed(text)              # the printed heading
    assert watermark_pixels(path) > 20


def unmarked(path: Path) -> None:
    assert "培训" not in path.name and "培训" not in title(path)
    assert "培训" not in pdftotext(path) and watermark_pixels(path) == 0


@pytest.mark.parametrize("kind, what, decision", [
    ("accept", "受理通知书", Decision.ACCEPT), ("correction", "补正告知书", Decision.CORRECT),
    ("refusal", "不予受理通知书", Decision.REFUSE), ("receipt", "办件回执", Decision.ACCEPT)])
def test_training_notices_are_marked(qapp, desk, tmp_path, kind, what, decision):  # noqa: F811
    draft = case_draft(desk, "个体工商户登记（设立登记）", decision=decision,
                       fill=decision != Decision.CORRECT)
    draft.refusal_reason, draft.refusal_agency = "不属于本机关职权范围", "市民政局"
    done = desk.commit(draft, 1, "li")
    ctx = NoticeContext("示范县政务服务中心", desk.load(done.case_no), draft.item)
    path = write_pdf(kind, ctx, tmp_path / f"{done.case_no}-{kind}.pdf", training=True)
    assert path.parent == tmp_path and not (tmp_path / f"{done.case_no}-{kind}.pdf").exists()
    marked(path, what)
    assert decode_pdf(path, dpi=300)[0] == [done.case_no]        # still scans
    unmarked(write_pdf(kind, ctx, tmp_path / "real" / f"{kind}.pdf"))


def test_a_training_ticket_is_marked(qapp, tmp_path):
    info = TicketPrint("示范县政务服务中心", "A023", "综合受理", "普通", 3, "2026-11-27 09:00")
    for training, folder in ((True, tmp_path / "t"), (False, tmp_path / "r")):
        printer = TicketPrinter("pdf", folder, training=training)
        try:
            path = Path(printer.print_ticket(info, "20261127").result(timeout=60))
        finally:
            printer.close()
        marked(path, "取号票") if training else unmarked(path)
        assert decode_pdf(path)[0] == ["A023"]


def test_a_training_report_is_marked_on_every_page(qapp, tmp_path):
    rows = [[f"窗口人员{i}", i, "工作日"] for i in range(120)]          # several pages
    tables = [View("人员", ["人员", "呼叫", "备注"], [TEXT, INT, TEXT], rows)]
    path = report_tables.write_pdf(tables, tmp_path / "日报.pdf", "示范县 值班长日报", training=True)
    assert path == tmp_path / "培训-日报.pdf"
    assert len(pages(path)) >= 3
    marked(path, "示范县")
    assert all(watermark_pixels(path, n) > 20 for n in range(2, len(pages(path)) + 1))
    unmarked(report_tables.write_pdf(tables, tmp_path / "日报.pdf", "示范县 值班长日报"))


def test_training_never_chooses_a_real_printer(qtbot, tmp_path):
    assert printer_for("HP LaserJet", "", training=True) == "pdf"
    assert printer_for("HP LaserJet", "培训室打印机", training=True) == "培训室打印机"
    assert printer_for("HP LaserJet", "培训室打印机", training=False) == "HP LaserJet"
    assert printer_for("", "", training=False) == ""          # the PC's default, for real work
    # the counter's own printers are named, and a training run prints on neither
    (tmp_path / "training").mkdir()
    config = Config(tmp_path / "training" / CONFIG_FILE)
    config.set("kiosk.printer", "窗口取号票打印机")
    config.set("notice.printer", "窗口A4打印机")
    config.save()
    app = main(["--data-dir", str(tmp_path), "--training"])
    try:
        qtbot.addWidget(app.window)
        qtbot.waitUntil(lambda: app.session.clerk is not None, timeout=10000)
        app.shell._notices_ready()
        assert (app.printer.printer_name, app.notice_printer.printer_name) == ("pdf", "pdf")
        assert app.printer.training and app.notice_printer.training
        assert app.reports is None or app.reports.training
    finally:
        app.close()
