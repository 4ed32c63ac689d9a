"""值班长日报 at a counter: a supervisor's own sign-in, the figures, charts, tables, exports."""

from __future__ import annotations

from openpyxl import load_workbook
from PySide6.QtCore import QDate, Qt
from PySide6.QtPrintSupport import QPrinter

from hallclient.app import main
from hallclient.config import CONFIG_FILE, Config
from hallclient.core.accounts import Role
from hallclient.documents.report_tables import View
from hallclient.services.context import open_context
from hallclient.store.db import DB_FILE

from .conftest import PASSWORD, Reader, sign_in, supervisor_board
from .test_report_export import DAY, day_at_the_counter  # noqa: F401  (the fixture)


def test_supervisor_signs_in_and_sees_the_day(qtbot, day_at_the_counter, tmp_path, qtmodeltester):  # noqa: F811
    data = day_at_the_counter
    ctx = open_context(data, Config(data / CONFIG_FILE))
    ctx.add_clerk("li", "李𠮷", Role.CLERK, PASSWORD)
    ctx.add_clerk("zhang", "张值班", Role.SUPERVISOR, "sup-5678")
    ctx.close()
    app = main(["--data-dir", str(data)])
    try:
        qtbot.addWidget(app.window)
        qtbot.waitUntil(lambda: app.window.sign_in_page.window_box.count() > 0)
        sign_in(qtbot, app)
        app.window.actions_by_name["supervisor"].trigger()
        dialog = app.supervisor_dialog
        assert dialog is not None and dialog.isVisible()
        # the clerk's own account is not enough
        dialog.username.setText("li")
        dialog.password.setText(PASSWORD)
        dialog.submit()
        qtbot.waitUntil(lambda: "不是值班长" in dialog.error.text())
        assert not app.dashboard.isVisible()
        dialog.username.setText("zhang")
        dialog.password.setText("sup-5678")
        dialog.submit()
        board = app.dashboard
        qtbot.waitUntil(board.isVisible)
        board.first.setDate(QDate(DAY.year, DAY.month, DAY.day))
        board.last.setDate(QDate(DAY.year, DAY.month, DAY.day))
        # the report for today, asked for when the board opened, may still be on its way
        with qtbot.waitSignal(app.reports.report_ready, timeout=10000,
                              check_params_cb=lambda r: str(r["first"]) == DAY.isoformat()):
            board.refresh()
        cards = {k: v.text() for k, v in board.cards.items()}
        assert cards["served"] == "2" and cards["satisfaction"] == "50.0%"
        assert cards["online"] == "0.0%" and cards["one_visit"] == "100.0%" and cards["bad"] == "1"
        assert board.log_state.text().startswith("操作日志：完整")
        assert [board.tabs.tabText(i) for i in range(board.tabs.count())] == [
            "图表", "总览", "窗口", "人员", "办件", "评价", "差评", "二次补正", "时段"]
        assert board.window_chart.series() and board.rating_chart.series()
        # counts on whole-number axes (0 1 2 3, not 1/0/0/0), a marker on the one hour's
        # waiting point, 不满意 in its own bright colour, the figures' definitions as tooltips
        from PySide6.QtCharts import QLineSeries, QPieSeries, QValueAxis
        counts = [a for a in board.window_chart.axes() if isinstance(a, QValueAxis)][0]
        assert counts.labelFormat() == "%.0f" and counts.max() == int(counts.max())
        assert (counts.max() / (counts.tickCount() - 1)).is_integer()
        hour_axes = [a for a in board.hour_chart.axes() if isinstance(a, QValueAxis)]
        assert [a.labelFormat() for a in hour_axes] == ["%.0f", "%.0f"]     # people, minutes
        line = next(s for s in board.hour_chart.series() if isinstance(s, QLineSeries))
        assert line.pointsVisible() and line.count() == 1 and line.markerSize() >= 6
        pie = next(s for s in board.rating_chart.series() if isinstance(s, QPieSeries))
        bad = next(sl for sl in pie.slices() if sl.label().startswith("不满意"))
        assert bad.brush().color().lightness() > 90
        assert "下班时间" in board.tables["总览"].model().index(5, 0).data(
            Qt.ItemDataRole.ToolTipRole)
        assert board.tables["窗口"].model().headerData(
            5, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole).startswith("大厅服务器停机")
        assert "姓名" in board.tables["人员"].model().headerData(
            0, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
        assert board.tables["人员"].model().index(0, 0).data() == "李𠮷"      # not "li"
        assert board.tables["差评"].model().rowCount() == 1
        for table in board.tables.values():             # every report view, as Qt's views use it
            qtmodeltester.check(table.model())
        out = tmp_path / "board.xlsx"
        with qtbot.waitSignal(app.reports.exported):
            board.export_to("xlsx", out)
        # what Excel shows is what the dashboard shows, sheet by sheet, cell by cell
        book = load_workbook(out)
        for title, table in board.tables.items():
            model = table.model()
            on_screen = [[model.index(r, c).data() for c in range(model.columnCount())]
                         for r in range(model.rowCount())]
            sheet = book[title]
            read_back = [list(row) for row in sheet.iter_rows(min_row=3, values_only=True)]
            in_excel = View(title, model.view.headers, model.view.formats, read_back,
                            model.view.row_formats).texts()
            # (an empty cell in Excel is the dashboard's "" or "—")
            blank = lambda rows: [["" if v == "—" else v for v in row] for row in rows]  # noqa: E731
            assert blank(in_excel) == blank(on_screen), title
        # 打印 goes through the same tables (a PDF printer stands in for the real one)
        printer = QPrinter()
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(tmp_path / "printed.pdf"))
        board.print_report(printer)
        assert (tmp_path / "printed.pdf").stat().st_size > 1000
        board.export_to("pdf", tmp_path / "board.pdf")
        assert (tmp_path / "board.pdf").stat().st_size > 1000
        actions = Reader(data / DB_FILE).actions()
        assert actions.count("supervisor_refused") == 1 and "supervisor_sign_in" in actions
    finally:
        app.close()


def test_a_signed_in_supervisor_goes_straight_in(qtbot, start_app):
    app = start_app()
    board = supervisor_board(qtbot, app)
    with qtbot.waitSignal(app.reports.report_ready, timeout=10000):
        pass
    assert board.isVisible() and app.supervisor_dialog is None
    assert board.cards["served"].text() == "0"
