"""The supervisor's report as a county signs it: staff by their names, 二次补正 per clerk,
and the PDF with its title, charts, page numbers, repeated headers, notes and signature line
(read back with poppler's pdftotext / pdfimages, as a person checking the file would)."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from datetime import datetime, timedelta

from openpyxl import load_workbook
from PySide6.QtGui import QPdfWriter

from hallclient.app import main
from hallclient.config import CONFIG_FILE, Config
from hallclient.core.accounts import Role
from hallclient.documents.report_tables import INT, TEXT, View
from hallclient.services.context import open_context
from hallclient.store import log_repo
from hallclient.store.db import DB_FILE, open_database

from ..conftest import CST, FakeClock
from .test_report_export import DAY, day_at_the_counter  # noqa: F401  (the fixture)

REASONS = ["营业执照复印件不清晰", "申请表签字与身份证姓名不一致", "租赁合同缺第 3 页"]


def second_corrections(data, many: int = 3) -> None:
    """Another part of the program writes these entries: the contract is the action
    'correction_repeat' with detail {"case_no", "reason"}; appended here the same way."""
    # after the day's work (the log's entries stay in time order)
    clock = FakeClock(datetime(2026, 11, 20, 17, 40, tzinfo=CST))
    ctx = open_context(data, Config(data / CONFIG_FILE), clock)
    ctx.add_clerk("li", "李四", Role.CLERK, "pw-12345678")
    ctx.add_clerk("wang", "王𠮷", Role.CLERK, "pw-12345678")
    ctx.close()
    db = open_database(data / DB_FILE)
    try:
        with db.write() as conn:
            for i in range(many):
                clerk = "wang" if i % 3 == 2 else "li"
                at = datetime(2026, 11, 20, 17, 50, tzinfo=CST) + timedelta(seconds=i)
                log_repo.append(conn, at=at.isoformat(), action="correction_repeat", window=1,
                                clerk=clerk, detail={"case_no": f"330109202611200001{i:04d}",
                                                     "reason": REASONS[i % 3]})
    finally:
        db.close()


def test_staff_by_name_and_second_corrections_per_clerk(qapp, day_at_the_counter, tmp_path):  # noqa: F811
    second_corrections(day_at_the_counter)
    out = tmp_path / "day.xlsx"
    assert main(["--data-dir", str(day_at_the_counter), "admin", "report", "--date",
                 DAY.isoformat(), "--format", "xlsx", "--out", str(out)]) == 0
    book = load_workbook(out)
    people = {row[0]: row for row in book["人员"].iter_rows(min_row=3, values_only=True)}
    assert "李四" in people and "li" not in people          # the name, not the user name
    headers = [c.value for c in book["人员"][2]]
    assert people["李四"][headers.index("二次补正")] == 2
    repeats = list(book["二次补正"].iter_rows(min_row=3, values_only=True))
    assert [(r[0], r[1], r[2]) for r in repeats] == [
        ("李四", "3301092026112000010000", REASONS[0]),
        ("李四", "3301092026112000010001", REASONS[1]),
        ("王𠮷", "3301092026112000010002", REASONS[2])]
    summary = {row[0]: row[1] for row in book["总览"].iter_rows(min_row=3, values_only=True)}
    assert summary["二次补正"] == 3
    # the day is over (read the day after): nobody is "still waiting"
    assert summary["等候中（未到下班时间）"] == 0
    bad = list(book["差评"].iter_rows(min_row=3, values_only=True))
    assert bad[0][2] == "李四"


def pages_text(pdf) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    # (until the text layer is exact, Kangxi radicals are read as the characters they show)
    text = "".join(unicodedata.normalize("NFKC", c) if 0x2F00 <= ord(c) <= 0x2FDF else c
                   for c in text)
    return text.split("\f")[:-1]


def test_the_pdf_report_is_a_paper_a_supervisor_can_sign(qapp, day_at_the_counter, tmp_path):  # noqa: F811
    second_corrections(day_at_the_counter, many=70)        # a table longer than a page
    pdf = tmp_path / "day.pdf"
    assert main(["--data-dir", str(day_at_the_counter), "admin", "report", "--date",
                 DAY.isoformat(), "--format", "pdf", "--out", str(pdf)]) == 0
    pages = pages_text(pdf)
    assert len(pages) >= 3
    # the hall and the day in the title, on the first page
    assert "2026-11-20" in pages[0].splitlines()[0] and "政务服务中" in pages[0].splitlines()[0]
    # 第 N 页 共 M 页 on every page (the page glyph may read back as a radical: not checked)
    for n, page in enumerate(pages, start=1):
        assert re.search(rf"第\s*{n}\s*\S\s*共\s*{len(pages)}\s*\S", page), n
    # the table that runs onto the next page starts there again with its header
    continued = [p for p in pages if "次补正】（续）" in p]
    assert continued and all("办件编号" in p for p in continued)
    # the definitions as notes, and the signature line at the end
    assert "弃号（下班时仍未叫到）：到大厅下班时间" in "".join(pages).replace("\n", "")
    assert "签字" in pages[-1] and "日期" in pages[-1]
    # the charts are on the paper as images
    images = subprocess.run(["pdfimages", "-list", str(pdf)], check=True, capture_output=True,
                            text=True).stdout.splitlines()[2:]
    assert len(images) >= 3


def test_no_table_header_is_left_alone_at_a_page_foot(qapp, tmp_path):
    from hallclient.documents.report_paper import Paper, plan

    writer = QPdfWriter(str(tmp_path / "plan.pdf"))
    writer.setResolution(150)
    paper = Paper(writer, 1000)
    tables = [View(f"表{k}", ["人员", "办件编号", "次数"], [TEXT, TEXT, INT],
                   [[f"人员{i}", f"N{i:06d}", i] for i in range(rows)])
              for k, rows in enumerate((3, 41, 0, 17, 58, 5, 1, 33))]
    pages = plan(paper, 1500, tables, "示范县政务服务中心 值班长日报 2026-11-20", [])
    assert len(pages.pages) > 3
    for page in pages.pages:
        kinds = [b.kind for _, b in page if b.kind]
        assert kinds[-1] not in ("title", "header"), kinds
        assert sum(b.height for _, b in page) <= 1500
        if kinds[0] == "row":
            raise AssertionError("a page begins with rows and no header")
        for i, kind in enumerate(kinds):
            if kind == "header":
                assert kinds[i - 1] == "title" and kinds[i + 1] == "row", kinds
    assert [b.kind for _, b in pages.pages[-1]][-1] == "sign"
    del writer
