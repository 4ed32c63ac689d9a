"""The supervisor's dashboard (值班长): a period's figures, charts, tables and exports."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCharts import QChart, QChartView
from PySide6.QtCore import QAbstractTableModel, QDate, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from hallclient.reports.definitions import definition
from hallclient.reports.figures import Report
from hallclient.services.report_service import ReportService, ReportTable, draw_charts

from .file_dialog import EXPORT, save_file_name

Index = QModelIndex | QPersistentModelIndex



class ViewModel(QAbstractTableModel):
    """One report view as a read-only table."""

    def __init__(self, view: ReportTable) -> None:
        super().__init__()
        self.view = view
        self.texts = view.texts()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.view.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.view.headers)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.view.headers[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return definition(self.view.headers[section]) or None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        value = self.view.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.texts[index.row()][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and not isinstance(value, str):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            # the figure's definition: on the row name in 总览, on the cells of a column
            name = (str(self.view.rows[index.row()][0]) if self.view.title == "总览"
                    else self.view.headers[index.column()])
            return definition(name) or None
        return None


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _day(edit: QDateEdit) -> date:
    day = edit.date().toPython()
    assert isinstance(day, date)
    return day


class SupervisorSignIn(QDialog):
    """Supervisor screens need a supervisor's own sign-in, at any counter, offline too."""

    def __init__(self, service: ReportService, window: int | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("值班长登录"))
        self.service, self.counter_window = service, window
        form = QFormLayout(self)
        self.username = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel()
        self.error.setStyleSheet("color: #c0392b;")
        form.addRow(self.tr("值班长账户"), self.username)
        form.addRow(self.tr("密码"), self.password)
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        service.supervisor_ok.connect(lambda _u: self.accept())
        service.supervisor_refused.connect(self.error.setText)

    def submit(self) -> None:
        self.error.clear()
        self.service.check_supervisor(self.username.text(), self.password.text(), self.counter_window)


class Dashboard(QWidget):
    CARDS = (("served", "办结"), ("manual", "手工接待"), ("abandoned", "弃号"),
             ("waiting", "等候中"), ("wait", "平均等候(分)"), ("satisfaction", "满意率"),
             ("online", "网上办件率"), ("one_visit", "最多跑一次"), ("bad", "差评"),
             ("repeat", "二次补正"))
    # each card's figure as reports.definitions names it (its tooltip)
    CARD_FIGURES = {"served": "办结", "manual": "手工接待", "abandoned": "弃号（下班时仍未叫到）",
                    "waiting": "等候中（未到下班时间）", "wait": "平均等候(分)",
                    "satisfaction": "满意率（非常满意+满意）/全部评价", "online": "网上办件率",
                    "one_visit": "最多跑一次", "bad": "差评", "repeat": "二次补正"}

    def __init__(self, service: ReportService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.setObjectName("dashboard")
        self.setWindowTitle(self.tr("值班长 · 日报"))

        root = QVBoxLayout(self)
        bar = QHBoxLayout()
        today = QDate.currentDate()
        self.first = QDateEdit(today)
        self.last = QDateEdit(today)
        for edit in (self.first, self.last):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.run_button = QPushButton(self.tr("生成"))
        self.run_button.clicked.connect(self.refresh)
        bar.addWidget(QLabel(self.tr("从")))
        bar.addWidget(self.first)
        bar.addWidget(QLabel(self.tr("到")))
        bar.addWidget(self.last)
        bar.addWidget(self.run_button)
        bar.addStretch(1)
        self.export_buttons: dict[str, QPushButton] = {}
        for fmt, label in (("xlsx", "导出 Excel"), ("csv", "导出 CSV"), ("pdf", "导出 PDF")):
            button = QPushButton(self.tr(label))
            button.setEnabled(False)
            button.clicked.connect(lambda _=False, f=fmt: self.ask_export(f))
            bar.addWidget(button)
            self.export_buttons[fmt] = button
        self.print_button = QPushButton(self.tr("打印"))
        self.print_button.setEnabled(False)
        self.print_button.clicked.connect(self.print_report)
        bar.addWidget(self.print_button)
        root.addLayout(bar)

        cards = QGridLayout()
        self.cards: dict[str, QLabel] = {}
        for i, (key, name) in enumerate(self.CARDS):
            value, caption = QLabel("—"), QLabel(self.tr(name))
            value.setProperty("class", "cardValue")
            caption.setProperty("class", "cardName")
            for shown in (value, caption):
                shown.setToolTip(definition(self.CARD_FIGURES[key]))
            cards.addWidget(value, 0, i, Qt.AlignmentFlag.AlignCenter)
            cards.addWidget(caption, 1, i, Qt.AlignmentFlag.AlignCenter)
            self.cards[key] = value
        root.addLayout(cards)
        self.log_state = QLabel()
        self.log_state.setObjectName("logState")
        root.addWidget(self.log_state)
        self.message = QLabel()
        root.addWidget(self.message)

        self.tabs = QTabWidget()
        charts = QWidget()
        grid = QGridLayout(charts)
        self.hour_chart, self.window_chart, self.rating_chart = QChart(), QChart(), QChart()
        for i, chart in enumerate((self.hour_chart, self.window_chart, self.rating_chart)):
            chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
            chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
            view = QChartView(chart)
            view.setRenderHint(QPainter.RenderHint.Antialiasing)
            grid.addWidget(view, i // 2, i % 2, 1, 2 if i == 2 else 1)
        self.tabs.addTab(charts, self.tr("图表"))
        root.addWidget(self.tabs, 1)
        self.tables: dict[str, QTableView] = {}
        service.report_ready.connect(self.show_report)
        service.failed.connect(lambda m: self._say(m, True))
        service.exported.connect(lambda p: self._say(self.tr("已导出 {path}").format(path=p)))

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #c0392b;" if error else "")
        self.message.setText(text)

    def refresh(self) -> None:
        self._say(self.tr("正在生成…"))
        self.service.load(_day(self.first), _day(self.last))

    # -- the figures ---------------------------------------------------------------------

    def show_report(self, result: dict[str, Any]) -> None:
        r: Report = result["report"]
        wait = r.tickets.waiting.mean_s
        values = {"served": str(r.tickets.served), "manual": str(r.tickets.manual),
                  "abandoned": str(r.tickets.abandoned),
                  "waiting": str(r.tickets.still_waiting),
                  "repeat": str(len(r.repeat_corrections)),
                  "wait": "—" if wait is None else f"{wait / 60:.1f}",
                  "satisfaction": _percent(r.satisfaction), "online": _percent(r.online_rate),
                  "one_visit": _percent(r.at_most_one_visit), "bad": str(len(r.bad_reviews))}
        for key, label in self.cards.items():
            label.setText(values[key])
        summary = result["tables"][0]
        log_row = next((row for row in summary.rows if row[0] == "操作日志"), None)
        self.log_state.setText(self.tr("操作日志：{state}").format(
            state=log_row[1] if log_row else "—"))
        self.log_state.setProperty("broken", "false" if result["intact"] else "true")
        self.log_state.style().polish(self.log_state)
        self._charts(r)
        self._tables(result["tables"])
        for button in (*self.export_buttons.values(), self.print_button):
            button.setEnabled(True)
        self._say(self.service.heading())

    def _charts(self, r: Report) -> None:
        draw_charts(self.hour_chart, self.window_chart, self.rating_chart, r)

    def _tables(self, views: list[ReportTable]) -> None:
        while self.tabs.count() > 1:
            self.tabs.removeTab(1)
        self.tables = {}
        for view in views:
            table = QTableView()
            table.setModel(ViewModel(view))
            table.setAlternatingRowColors(True)
            table.resizeColumnsToContents()
            self.tabs.addTab(table, view.title)
            self.tables[view.title] = table

    # -- exports -------------------------------------------------------------------------

    def ask_export(self, fmt: str) -> None:
        names = {"xlsx": "Excel (*.xlsx)", "csv": "CSV (*.csv)", "pdf": "PDF (*.pdf)"}
        path = save_file_name(self, EXPORT, self.tr("导出"), f"{self.service.heading()}.{fmt}",
                              names[fmt])
        if path is not None:
            self.export_to(fmt, path)

    def print_report(self, printer: Any = None) -> None:
        """打印: the system print dialog, then the same tables as the exports."""
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        if self.service.last is None:
            return
        if printer is None:
            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            if QPrintDialog(printer, self).exec() != QDialog.DialogCode.Accepted:
                return
        self.service.print_on(printer)
        self._say(self.tr("已送打印"))

    def export_to(self, fmt: str, path: Path) -> None:
        self.service.export(fmt, path)
