"""The report's three charts (QtCharts), drawn the same on the dashboard and in the PDF:
arrivals and mean waiting by hour, per-window load, and 好差评.

Count axes run over whole numbers only (a step of 1, 2, 5, 10 … and labels without
decimals), lines show a marker on every point (one hour of data is still visible), and
every series has its own colour (不满意 is orange, 非常不满意 red: never near-black).
Needs a QApplication (QtCharts draws with QGraphicsWidget).
"""

from __future__ import annotations

import math

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
from PySide6.QtCore import QCoreApplication, QRectF, QSizeF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPen

from hallclient.core.evaluation import LABELS, Level
from hallclient.reports.figures import Report

LEVEL_COLOURS = {
    Level.VERY_SATISFIED: "#2e7d32", Level.SATISFIED: "#81c784", Level.BASICALLY_SATISFIED: "#fbc02d",
    Level.UNSATISFIED: "#fb8c00", Level.VERY_UNSATISFIED: "#d32f2f",
}
ARRIVALS, WAITING, SERVED, NO_SHOW, MANUAL = "#4e79a7", "#e15759", "#4e79a7", "#f28e2b", "#76b7b2"


def _tr(text: str) -> str:
    return QCoreApplication.translate("ReportCharts", text)


def nice_step(top: float, whole: bool, ticks: int = 5) -> float:
    """A round step (1, 2, 5 × 10^n) so that about ``ticks`` steps reach ``top``; at
    least 1 for whole numbers (never a scale of 0/0/1/1/1)."""
    if top <= 0:
        return 1.0
    raw = top / ticks
    base = 10.0 ** math.floor(math.log10(raw))
    step = next(m * base for m in (1.0, 2.0, 5.0, 10.0) if m * base >= raw)
    return max(1.0, step) if whole else step


def scale(axis: QValueAxis, top: float, whole: bool) -> None:
    """From 0 to a round top at round steps; whole-number labels for counts."""
    step = nice_step(top * 1.1, whole)
    # some room above the highest value, so a marker or a bar's label is not cut off
    steps = max(1, math.ceil(top * 1.1 / step)) if top > 0 else (1 if whole else 5)
    axis.setRange(0, step * steps)
    axis.setTickCount(steps + 1)
    axis.setMinorTickCount(0)
    decimals = 0 if step >= 1 else (1 if step >= 0.1 else 2)
    axis.setLabelFormat(f"%.{decimals}f")


def _font(size: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setPointSizeF(size)
    font.setBold(bold)
    return font


def _reset(chart: QChart, title: str) -> None:
    chart.removeAllSeries()
    for axis in chart.axes():
        chart.removeAxis(axis)
    chart.setTitle(title)
    chart.setTitleFont(_font(11, True))
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    chart.legend().setFont(_font(9))


def _axis_fonts(*axes: QValueAxis | QBarCategoryAxis) -> None:
    for axis in axes:
        axis.setLabelsFont(_font(9))
        axis.setTitleFont(_font(9))


def fill_hours(chart: QChart, r: Report) -> None:
    """到达人数 (bars, left axis) and 平均等候 (line with markers, right axis) by hour."""
    hours = sorted(set(r.arrivals_by_hour) | set(r.waiting_by_hour))
    _reset(chart, _tr("各时段到达人数与平均等候"))
    arrivals = QBarSet(_tr("到达人数（左轴）"))
    arrivals.setColor(QColor(ARRIVALS))
    arrivals.append([float(r.arrivals_by_hour.get(h, 0)) for h in hours])
    bars = QBarSeries()
    bars.append(arrivals)
    bars.setLabelsVisible(True)
    bars.setLabelsPosition(QBarSeries.LabelsPosition.LabelsInsideBase)
    line = QLineSeries()
    line.setName(_tr("平均等候（分钟，右轴）"))
    line.setPen(QPen(QColor(WAITING), 2.5))
    line.setColor(QColor(WAITING))
    line.setPointsVisible(True)
    line.setMarkerSize(9)
    for i, h in enumerate(hours):
        if h in r.waiting_by_hour:
            line.append(i, r.waiting_by_hour[h] / 60)
    chart.addSeries(bars)
    chart.addSeries(line)
    axis_x = QBarCategoryAxis()
    axis_x.append([f"{h:02d}时" for h in hours] or [""])
    count_axis, wait_axis = QValueAxis(), QValueAxis()
    _axis_fonts(axis_x, count_axis, wait_axis)
    chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(count_axis, Qt.AlignmentFlag.AlignLeft)
    chart.addAxis(wait_axis, Qt.AlignmentFlag.AlignRight)
    for series, axis in ((bars, count_axis), (line, wait_axis)):
        series.attachAxis(axis_x)
        series.attachAxis(axis)
    scale(count_axis, max(r.arrivals_by_hour.values(), default=0), whole=True)
    # whole minutes too: a day of short waits reads 0-1 minutes, not 0.00/0.01/0.02
    scale(wait_axis, max(r.waiting_by_hour.values(), default=0) / 60, whole=True)
    wait_axis.setGridLineVisible(False)     # one grid (the counts'), not two that disagree
    wait_axis.setLinePenColor(QColor(WAITING))
    wait_axis.setLabelsColor(QColor(WAITING))


def fill_windows(chart: QChart, r: Report) -> None:
    """办结, 手工接待 and 过号 per window."""
    _reset(chart, _tr("各窗口办结、手工接待与过号"))
    windows = sorted(r.per_window)
    load = QBarSeries()
    for name, colour, field in ((_tr("办结"), SERVED, "served"), (_tr("手工接待"), MANUAL, "manual"),
                                (_tr("过号"), NO_SHOW, "no_show")):
        bar = QBarSet(name)
        bar.setColor(QColor(colour))
        bar.append([float(getattr(r.per_window[w], field)) for w in windows])
        load.append(bar)
    load.setLabelsVisible(True)
    load.setLabelsPosition(QBarSeries.LabelsPosition.LabelsInsideBase)
    chart.addSeries(load)
    axis_w = QBarCategoryAxis()
    axis_w.append([_tr("{n}号窗口").format(n=w) for w in windows] or [""])
    axis_n = QValueAxis()
    _axis_fonts(axis_w, axis_n)
    chart.addAxis(axis_w, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(axis_n, Qt.AlignmentFlag.AlignLeft)
    load.attachAxis(axis_w)
    load.attachAxis(axis_n)
    top = max((max(f.served, f.manual, f.no_show) for f in r.per_window.values()), default=0)
    scale(axis_n, top, whole=True)


def fill_ratings(chart: QChart, r: Report) -> None:
    """好差评 by level, each level its own colour, the legend with count and share."""
    rate = "—" if r.satisfaction is None else f"{r.satisfaction:.1%}"
    _reset(chart, _tr("好差评（满意率 {rate}）").format(rate=rate))
    pie = QPieSeries()
    total = sum(r.evaluations.values())
    for level in Level:
        n = r.evaluations.get(level.value, 0)
        if n:
            piece = pie.append(f"{LABELS[level]} {n}（{n / total:.0%}）", n)
            piece.setBrush(QBrush(QColor(LEVEL_COLOURS[level])))
            piece.setPen(QPen(QColor("white"), 1.5))
    pie.setLabelsVisible(False)     # the legend names every slice: labels of thin ones overlap
    pie.setPieSize(0.75)
    chart.addSeries(pie)
    chart.legend().setVisible(True)
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignRight)
    if not total:
        chart.setTitle(chart.title() + _tr(" · 本期无评价"))


FILLS = (fill_hours, fill_windows, fill_ratings)


PAPER_SIZES = ((900, 340), (460, 330), (460, 330))    # one across the page, two side by side


def chart_images(r: Report, sizes: tuple[tuple[int, int], ...] = PAPER_SIZES,
                 zoom: float = 2.5) -> list[QImage]:
    """The three charts as images of the ``sizes`` in logical pixels (drawn at ``zoom``
    times that for print)."""
    images = []
    for fill, (width, height) in zip(FILLS, sizes, strict=True):
        chart = QChart()
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        view = QChartView(chart)
        view.setRenderHint(QPainter.RenderHint.Antialiasing)
        view.resize(width, height)
        fill(chart, r)
        chart.setBackgroundVisible(False)      # paper: no grey panel behind the chart
        chart.setPlotAreaBackgroundVisible(False)
        view.setBackgroundBrush(QBrush(QColor("white")))
        view.scene().setBackgroundBrush(QBrush(QColor("white")))
        chart.setDropShadowEnabled(False)
        chart.resize(QSizeF(width, height))
        layout = chart.layout()
        if layout is not None:
            layout.activate()           # lay out now, not on the next turn of the event loop
        image = QImage(int(width * zoom), int(height * zoom), QImage.Format.Format_RGB32)
        image.fill(QColor("white"))
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        view.scene().render(painter, QRectF(0, 0, image.width(), image.height()),
                            QRectF(0, 0, width, height))
        painter.end()
        view.deleteLater()
        images.append(image)
    return images
