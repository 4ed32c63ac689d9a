"""The supervisor's dashboard (值班长): a period's figures, charts, tables and exports."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QLineSeries,
    QPieSeries,
    QValueAxis,
)
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

from hallclient.core.evaluation import LABELS, Level
from hallclient.reports.figures import Report
from hallclient.services.report_service import ReportService, ReportTable

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
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.view.headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        value = self.view.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.texts[index.row()][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and not isinstance(value, str):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
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
    CARDS = (("served", "办结"), ("wait", "平均等候(分)"), ("satisfaction", "满意率"),
             ("online", "网上办件率"), ("one_visit", "最多跑一次"), ("bad", "差评"))

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
        values = {"served": str(r.tickets.served),
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
        hours = sorted(set(r.arrivals_by_hour) | set(r.waiting_by_hour))
        labels = [f"{h:02d}时" for h in hours]
        _reset(self.hour_chart, self.tr("各时段到达人数与平均等候（分钟）"))
        arrivals = QBarSet(self.tr("到达人数"))
        arrivals.append([float(r.arrivals_by_hour.get(h, 0)) for h in hours])
        bars = QBarSeries()
        bars.append(arrivals)
        line = QLineSeries()
        line.setName(self.tr("平均等候(分)"))
        for i, h in enumerate(hours):
            line.append(i, r.waiting_by_hour.get(h, 0.0) / 60)
        self.hour_chart.addSeries(bars)
        self.hour_chart.addSeries(line)
        axis_x = QBarCategoryAxis()
        axis_x.append(labels or [""])
        count_axis, wait_axis = QValueAxis(), QValueAxis()
        count_axis.setLabelFormat("%d")
        wait_axis.setLabelFormat("%.0f")
        self.hour_chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        self.hour_chart.addAxis(count_axis, Qt.AlignmentFlag.AlignLeft)
        self.hour_chart.addAxis(wait_axis, Qt.AlignmentFlag.AlignRight)
        bars.attachAxis(axis_x)
        bars.attachAxis(count_axis)
        line.attachAxis(axis_x)
        line.attachAxis(wait_axis)
        _nice(count_axis, max(r.arrivals_by_hour.values(), default=0))
        _nice(wait_axis, max(r.waiting_by_hour.values(), default=0) / 60)

        _reset(self.window_chart, self.tr("各窗口办结与过号"))
        served, no_show = QBarSet(self.tr("办结")), QBarSet(self.tr("过号"))
        windows = sorted(r.per_window)
        served.append([float(r.per_window[w].served) for w in windows])
        no_show.append([float(r.per_window[w].no_show) for w in windows])
        load = QBarSeries()
        load.append(served)
        load.append(no_show)
        self.window_chart.addSeries(load)
        axis_w = QBarCategoryAxis()
        axis_w.append([self.tr("{n}号").format(n=w) for w in windows] or [""])
        axis_n = QValueAxis()
        axis_n.setLabelFormat("%d")
        self.window_chart.addAxis(axis_w, Qt.AlignmentFlag.AlignBottom)
        self.window_chart.addAxis(axis_n, Qt.AlignmentFlag.AlignLeft)
        load.attachAxis(axis_w)
        load.attachAxis(axis_n)
        _nice(axis_n, max((f.served for f in r.per_window.values()), default=0))

        _reset(self.rating_chart, self.tr("好差评（满意率 {rate}）").format(
            rate="—" if r.satisfaction is None else f"{r.satisfaction:.1%}"))
        pie = QPieSeries()
        for level in Level:
            n = r.evaluations.get(level.value, 0)
            if n:
                pie.append(f"{LABELS[level]} {n}", n)
        pie.setLabelsVisible(True)
        self.rating_chart.addSeries(pie)

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


def _nice(axis: QValueAxis, top: float) -> None:
    """A round scale from 0; an empty day gets 0-1 (an empty range upsets the chart)."""
    axis.setRange(0, top if top > 0 else 1)
    if top > 0:
        axis.applyNiceNumbers()


def _reset(chart: QChart, title: str) -> None:
    chart.removeAllSeries()
    for axis in chart.axes():
        chart.removeAxis(axis)
    chart.setTitle(title)
