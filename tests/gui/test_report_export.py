"""A day at a real counter, then `admin report` to XLSX, CSV and PDF: the exported figures
are the computed ones, and each file opens (openpyxl, a UTF-8 BOM, QtPdf)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from PySide6.QtPdf import QPdfDocument

from hallclient.app import main
from hallclient.config import CONFIG_FILE, Config
from hallclient.core.evaluation import Level
from hallclient.core.tickets import PriorityClass
from hallclient.reports import figures
from hallclient.services.context import open_context
from hallclient.services.evaluation_service import save_evaluation
from hallclient.store import report_repo
from hallclient.store.db import DB_FILE, open_database

from ..conftest import CST, FakeClock
from ..recipes import accepted_case

DAY = date(2026, 11, 20)


@pytest.fixture
def day_at_the_counter(tmp_path, demo_hall, demo_catalog):
    data = tmp_path / "data"
    data.mkdir()
    config = Config(data / CONFIG_FILE, {"hall.name": "示范县政务服务中心"})
    config.save()
    clock = FakeClock(datetime(2026, 11, 20, 8, 50, tzinfo=CST))
    ctx = open_context(data, config, clock)
    try:
        ctx.import_hall(demo_hall)
        ctx.import_catalog(demo_catalog)
        q = ctx.queue
        q.sign_in(1, "li")
        clock.advance(minutes=10)
        tickets = [q.issue("ZH", PriorityClass.NORMAL).ticket for _ in range(3)]
        for minutes_waited, minutes_served in ((12, 20), (25, 8)):
            clock.advance(minutes=minutes_waited)
            t = q.call_next(1, "li")
            q.start(1, "li", t.id)
            clock.advance(minutes=minutes_served)
            q.finish(1, "li", t.id)
        t = q.call_next(1, "li")
        q.no_show(1, "li", t.id)
        case = accepted_case(ctx.desk, "个体工商户登记（设立登记）", window=1, clerk="li")
        for level, reasons in ((Level.VERY_SATISFIED, []), (Level.UNSATISFIED, ["等候时间过长"])):
            save_evaluation(ctx, level=level, reasons=reasons, text="", case_no=case.case_no,
                            ticket=tickets[0].number, window=1, clerk="li", rectify_days=5)
        clock.advance(minutes=5)
        q.sign_out(1, "li")
    finally:
        ctx.close()
    return data


def computed(data):
    db = open_database(data / DB_FILE)
    try:
        loaded = report_repo.load(db.conn, DAY, DAY)
    finally:
        db.close()
    return figures.build(end=datetime(2026, 11, 21, tzinfo=CST), **loaded)


def test_xlsx_has_the_figures_on_one_sheet_per_view(qapp, day_at_the_counter, tmp_path):
    out = tmp_path / "day.xlsx"
    assert main(["--data-dir", str(day_at_the_counter), "admin", "report", "--date",
                 DAY.isoformat(), "--format", "xlsx", "--out", str(out)]) == 0
    r = computed(day_at_the_counter)
    assert (r.tickets.issued, r.tickets.served, r.tickets.no_show) == (3, 2, 1)
    book = load_workbook(out)
    assert book.sheetnames == ["总览", "窗口", "人员", "办件", "评价", "差评", "二次补正", "时段"]
    summary = {row[0]: row[1] for row in book["总览"].iter_rows(min_row=3, values_only=True)}
    assert summary["取号"] == 3 and summary["办结"] == 2 and summary["过号"] == 1
    assert summary["平均等候(分)"] == round(r.tickets.waiting.mean_s / 60, 1)
    assert summary["满意率（非常满意+满意）/全部评价"] == r.satisfaction == 0.5
    assert summary["网上办件率"] == r.online_rate == 0.0
    assert summary["最多跑一次"] == r.at_most_one_visit == 1.0
    assert summary["操作日志"].startswith("完整")
    sheet = book["总览"]
    cell = next(c for c in sheet["B"] if c.value == 0.5)
    assert cell.number_format == "0.0%"
    window = list(book["窗口"].iter_rows(min_row=3, values_only=True))
    assert window[0][:4] == (1, 3, 2, 1)                    # 窗口, 呼叫, 办结, 过号
    assert window[0][-1] == round(r.idle_s[1] / 60, 1)
    bad = list(book["差评"].iter_rows(min_row=3, values_only=True))
    assert len(bad) == 1 and bad[0][5] == "等候时间过长" and bad[0][7] == "2026-11-27"


def test_csv_is_utf8_with_bom_and_pdf_renders(qapp, day_at_the_counter, tmp_path):
    csv_out, pdf_out = tmp_path / "day.csv", tmp_path / "day.pdf"
    for fmt, out in (("csv", csv_out), ("pdf", pdf_out)):
        assert main(["--data-dir", str(day_at_the_counter), "admin", "report", "--date",
                     DAY.isoformat(), "--format", fmt, "--out", str(out)]) == 0
    raw = csv_out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "示范县政务服务中心 值班长日报 2026-11-20" in text and "【窗口】" in text
    assert "满意率（非常满意+满意）/全部评价,50.0%" in text
    doc = QPdfDocument()
    assert doc.load(str(pdf_out)) == QPdfDocument.Error.None_
    page_text = "\n".join(doc.getAllText(i).text() for i in range(doc.pageCount()))
    doc.close()
    # (the PDF's text layer maps some glyphs to CJK radicals, e.g. 长 -> ⻓: not checked)
    assert "2026-11-20" in page_text and "满意率" in page_text and "50.0%" in page_text
    assert "取号 3" in page_text and "办结 2" in page_text


def test_a_tampered_log_is_reported(qapp, day_at_the_counter, tmp_path, capsys):
    db = open_database(day_at_the_counter / DB_FILE)
    db.conn.execute("UPDATE event_log SET action = 'finish' WHERE action = 'no_show'")
    db.close()
    out = tmp_path / "day.csv"
    assert main(["--data-dir", str(day_at_the_counter), "admin", "report", "--date",
                 DAY.isoformat(), "--format", "csv", "--out", str(out)]) == 1
    assert "操作日志,被改动" in out.read_text(encoding="utf-8-sig")


def test_the_county_counts_a_township_day_from_its_signed_bundle(qapp, day_at_the_counter,
                                                                  tmp_path):
    county = tmp_path / "county"
    bundle = tmp_path / "day.json"
    assert main(["--data-dir", str(day_at_the_counter), "admin", "export-bundle", "--date",
                 DAY.isoformat(), "--out", str(bundle)]) == 0
    open_database(county / DB_FILE).close()                  # the county's own PC, in use
    assert main(["--data-dir", str(county), "admin", "import-bundle", str(bundle),
                 "--trust"]) == 0
    out = tmp_path / "county.xlsx"
    assert main(["--data-dir", str(county), "admin", "report", "--date", DAY.isoformat(),
                 "--from-bundles", "--format", "xlsx", "--out", str(out)]) == 0
    own = computed(day_at_the_counter)
    summary = {row[0]: row[1] for row in load_workbook(out)["总览"].iter_rows(
        min_row=3, values_only=True)}
    assert (summary["取号"], summary["呼叫"], summary["办结"], summary["过号"]) == (
        own.tickets.issued, own.tickets.called, own.tickets.served, own.tickets.no_show)
    assert summary["平均等候(分)"] == round(own.tickets.waiting.mean_s / 60, 1)
    assert summary["平均办理(分)"] == round(own.tickets.service.mean_s / 60, 1)
    assert summary["满意率（非常满意+满意）/全部评价"] == own.satisfaction
    assert summary["差评"] == len(own.bad_reviews)
    assert summary["最多跑一次"] == own.at_most_one_visit
    assert summary["办件（受理/补正/不予受理）"] == "1/0/0"
    assert "来自 1 台窗口机的签名日志包" in summary["操作日志"]
    (device_row,) = list(load_workbook(out)["各窗口机日志"].iter_rows(min_row=3, values_only=True))
    assert device_row[1] > 0 and device_row[4].startswith("完整")


def test_a_training_report_from_the_command_line_cannot_pass_as_real(qapp, day_at_the_counter, tmp_path):
    import subprocess

    root = tmp_path / "pc"
    root.mkdir()
    day_at_the_counter.rename(root / "training")          # what --training works in
    for fmt in ("pdf", "csv"):
        assert main(["--data-dir", str(root), "--training", "admin", "report", "--date",
                     DAY.isoformat(), "--format", fmt]) == 0
    made = sorted(p.name for p in (root / "training" / "reports").iterdir())
    assert made and all(name.startswith("培训-") for name in made), made
    pdf = next(p for p in (root / "training" / "reports").iterdir() if p.suffix == ".pdf")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "【培训】" in text and "培训样张" in "".join(text.split())     # (the mark is diagonal)
    csv = next(p for p in (root / "training" / "reports").iterdir() if p.suffix == ".csv")
    assert "【培训】" in csv.read_text(encoding="utf-8-sig")


def test_a_report_over_more_than_a_year_is_refused_with_a_message(day_at_the_counter, capsys):
    assert main(["--data-dir", str(day_at_the_counter), "admin", "report", "--date", "2000-01-01",
                 "--to", "2999-12-31", "--format", "csv"]) == 2
    assert "区间太长" in capsys.readouterr().err


def test_a_report_of_a_date_beyond_the_calendar_it_keeps_is_refused(day_at_the_counter, capsys):
    assert main(["--data-dir", str(day_at_the_counter), "admin", "report", "--date", "9999-12-31",
                 "--format", "csv"]) == 2
    assert "2000—2999" in capsys.readouterr().err
