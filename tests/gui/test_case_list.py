"""Finding cases: by number, name, ID, status and date; personal data masked; details."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QDate, Qt

from hallclient.core.cases import Applicant, Decision
from hallclient.services.context import open_context

from ..recipes import accepted_case, case_draft
from .conftest import sign_in


@pytest.fixture
def with_cases(start_app, qtbot, demo_catalog):
    app = start_app()
    ctx = open_context(app.data_dir, app.config)
    ctx.import_catalog(demo_catalog)
    zhang = Applicant("person", "张三", "440524188001010014", mobile="13800138000")
    served = case_draft(ctx.desk, applicant=zhang, decision=Decision.CORRECT, fill=False)
    served.ticket = "C007"                              # taken under a ticket from the queue
    numbers = [accepted_case(ctx.desk, window=2, clerk="zhao").case_no,
               ctx.desk.commit(served, 2, "zhao").case_no]
    ctx.close()
    sign_in(qtbot, app)
    return app, numbers


def test_case_list_search_and_details(qtbot, with_cases, qtmodeltester):
    app, (accepted, corrected) = with_cases
    with qtbot.waitSignal(app.window.cases_requested):
        qtbot.keyClick(app.window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    win = app.case_list
    qtbot.waitUntil(lambda: win.model.rowCount() == 2)
    qtmodeltester.check(win.model)
    shown = [[win.model.index(r, c).data() for c in range(8)] for r in range(2)]
    flat = " ".join(" ".join(row) for row in shown)
    assert "110105********002X" in flat and "138****8000" in flat
    assert "11010519491231002X" not in flat and "13800138000" not in flat

    for text, expected in (("王", [accepted]), ("440524188001010014", [corrected]),
                           (accepted[:20], [accepted, corrected]), (accepted, [accepted])):
        win.search_edit.setText(text)
        with qtbot.waitSignal(app.case_list.service.cases_found):
            win.search()
        assert sorted(win.model.cases[i]["case_no"] for i in range(win.model.rowCount())) == sorted(expected)

    win.search_edit.clear()
    win.status_box.setCurrentIndex(win.status_box.findData(6))       # 补正中
    with qtbot.waitSignal(app.case_list.service.cases_found):
        win.search()
    assert [c["case_no"] for c in win.model.cases] == [corrected]

    win.status_box.setCurrentIndex(0)
    win.from_edit.setDate(QDate.currentDate().addDays(1))
    win.to_edit.setDate(QDate.currentDate().addDays(2))
    with qtbot.waitSignal(app.case_list.service.cases_found):
        win.search()
    assert win.model.rowCount() == 0

    win.from_edit.setDate(QDate.currentDate().addDays(-1))
    win.to_edit.setDate(QDate.currentDate())
    win.search_edit.setText(accepted)
    with qtbot.waitSignal(app.case_list.service.cases_found):
        win.search()
    with qtbot.waitSignal(app.case_list.service.case_opened):
        win._open(win.model.index(0, 0))
    detail = win.detail.toPlainText()
    assert accepted in detail and "窗口受理" in detail and "已收取（电子件）" in detail
    assert "110105********002X" in detail and "第 1 版 待上传" in detail


def test_case_list_opens_from_the_demo(qtbot, with_cases):
    app, _ = with_cases
    win = app.shell.open_case_list()
    qtbot.waitUntil(lambda: win.model.rowCount() == 2)
    assert win.count_label.text() == "共 2 件"


def test_case_list_shows_the_ticket_and_whole_case_numbers(qtbot, with_cases):
    """The clerk finds a case by the number the applicant holds (C007), and reads the
    24-character 办件编号 whole at 1366×768."""
    app, (accepted, corrected) = with_cases
    win = app.shell.open_case_list()
    win.resize(1300, 600)
    qtbot.waitUntil(lambda: win.model.rowCount() == 2)
    tickets = {win.model.index(r, 0).data(): win.model.index(r, 1).data() for r in range(2)}
    assert tickets == {corrected: "C007", accepted: "—"}
    assert win.model.headerData(1, Qt.Orientation.Horizontal) == "取号"
    column = win.table.columnWidth(0)
    assert column >= win.table.fontMetrics().horizontalAdvance(corrected)
    for text in ("C007", "c007"):
        win.search_edit.setText(text)
        with qtbot.waitSignal(win.service.cases_found):
            win.search()
        assert [win.model.cases[i]["case_no"] for i in range(win.model.rowCount())] == [corrected]


def test_down_from_the_search_box_reaches_the_cases(qtbot, with_cases):
    """The clerk gets from the search box to the rows by Down, the first one chosen."""
    app, _numbers = with_cases
    win = app.shell.open_case_list()
    with qtbot.waitActive(win):
        win.activateWindow()
    qtbot.waitUntil(lambda: win.model.rowCount() == 2)
    win.search_edit.setFocus()
    qtbot.waitUntil(win.search_edit.hasFocus)
    qtbot.keyClick(win.search_edit, Qt.Key.Key_Down)
    assert win.table.hasFocus() and win.table.currentIndex().row() == 0
    assert win.reprint_button.isEnabled()


def test_choosing_a_case_shows_its_details_at_once(qtbot, with_cases):
    app, (accepted, corrected) = with_cases
    win = app.shell.open_case_list()
    qtbot.waitUntil(lambda: win.model.rowCount() == 2)
    row = next(r for r in range(2) if win.model.cases[r]["case_no"] == corrected)
    with qtbot.waitSignal(win.service.case_opened):
        win.table.setCurrentIndex(win.model.index(row, 0))      # chosen, no Enter needed
    shown = win.detail.toPlainText()
    assert corrected in shown and "收件：" in shown and "受理：" not in shown


def test_opening_a_notice_without_a_pdf_reader_says_so(qtbot, with_cases, monkeypatch):
    app, _numbers = with_cases
    win = app.shell.open_case_list()
    qtbot.waitUntil(lambda: win.model.rowCount() == 2)
    win.table.setCurrentIndex(win.model.index(0, 0))
    monkeypatch.setattr(win, "saved_notices", lambda _row: [app.data_dir / "notices" / "x.pdf"])
    monkeypatch.setattr("hallclient.ui.case_list.QDesktopServices.openUrl", lambda _url: False)
    win.open_notice()
    assert "没有可用的 PDF 阅读器" in win.count_label.text()
