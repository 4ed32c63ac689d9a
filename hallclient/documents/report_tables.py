"""The supervisor's report as tables (one per view), and those tables as CSV, XLSX and PDF.

Every export is made from the same tables, so what is on screen, in Excel/WPS and on paper
is the same figure. Times are in minutes; rates are fractions shown as percentages.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hallclient.core.evaluation import LABELS, Level
from hallclient.reports.figures import ONLINE_RATE_TARGETS, Durations, Report, TicketFigures
from hallclient.store.durable import write_durably

TEXT, INT, MINUTES, PERCENT = "text", "int", "minutes", "percent"
DECISIONS = (("accept", "受理"), ("correct", "补正"), ("refuse", "不予受理"))
UPLOADS = (("sent", "已上传"), ("pending", "待上传"), ("attention", "需处理"), ("none", "无需上传"))


@dataclass
class View:
    title: str
    headers: list[str]
    formats: list[str]                 # per column
    rows: list[list[Any]]
    row_formats: list[str] | None = None   # 总览: the value column's format, row by row

    def fmt(self, row: int, column: int) -> str:
        if self.row_formats is not None and column == 1:
            return self.row_formats[row]
        return self.formats[column]

    def texts(self) -> list[list[str]]:
        return [[cell_text(v, self.fmt(r, c)) for c, v in enumerate(row)]
                for r, row in enumerate(self.rows)]


def _min(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def _ticket_row(f: TicketFigures) -> list[Any]:
    return [f.called, f.served, f.no_show, f.transferred, f.manual, _min(f.waiting.mean_s),
            _min(f.waiting.max_s), f.waiting.share_over_target, _min(f.service.mean_s),
            f.service.share_over_target]


TICKET_HEADERS = ["呼叫", "办结", "过号", "转移", "手工接待", "平均等候(分)", "最长等候(分)",
                  "等候超时占比", "平均办理(分)", "办理超时占比"]
TICKET_FORMATS = [INT, INT, INT, INT, INT, MINUTES, MINUTES, PERCENT, MINUTES, PERCENT]
ABANDONED, STILL_WAITING = "弃号（下班时仍未叫到）", "等候中（未到下班时间）"


def _durations(name: str, d: Durations) -> list[tuple[str, Any, str, str]]:
    target = f"目标 {d.target_s / 60:.0f} 分钟"
    return [(f"平均{name}(分)", _min(d.mean_s), MINUTES, target),
            (f"{name}中位数(分)", _min(d.median_s), MINUTES, ""),
            (f"最长{name}(分)", _min(d.max_s), MINUTES, ""),
            (f"{name}超过目标的占比", d.share_over_target, PERCENT, target)]


def views(r: Report, log_status: str = "", device_logs: list[list[Any]] | None = None,
          names: dict[str, str] | None = None) -> list[View]:
    """``names``: user name → display name (姓名), so staff appear by their names."""
    t = r.tickets
    known = names or {}

    def person(user: str | None) -> str:
        return known.get(user, user) if user else ""

    repeats_by: dict[str, int] = {}
    for c in r.repeat_corrections:
        repeats_by[c.clerk or ""] = repeats_by.get(c.clerk or "", 0) + 1
    targets = " / ".join(f"{x:.0%}" for x in ONLINE_RATE_TARGETS)
    summary: list[tuple[str, Any, str, str]] = [
        ("取号", t.issued, INT, ""), ("呼叫", t.called, INT, ""), ("办结", t.served, INT, ""),
        ("过号", t.no_show, INT, ""), ("转移", t.transferred, INT, ""),
        (ABANDONED, t.abandoned, INT, ""), (STILL_WAITING, t.still_waiting, INT, ""),
        ("手工接待", t.manual, INT, "大厅服务器停机期间"),
        ("接待合计（办结+手工接待）", t.served + t.manual, INT, ""),
        *_durations("等候", t.waiting), *_durations("办理", t.service),
        ("满意率（非常满意+满意）/全部评价", r.satisfaction, PERCENT, ""),
        ("差评", len(r.bad_reviews), INT, "须在整改期限内整改"),
        ("网上办件率", r.online_rate, PERCENT, f"目标 {targets}"),
        ("最多跑一次", r.at_most_one_visit, PERCENT, "目标 100%"),
        ("二次补正", len(r.repeat_corrections), INT, "须写明原因"),
        ("办件（受理/补正/不予受理）",
         "/".join(str(r.cases.get(k, 0)) for k, _ in DECISIONS), TEXT, ""),
        ("上报（已上传/待上传/需处理）",
         "/".join(str(r.uploads.get(k, 0)) for k, _ in UPLOADS[:3]), TEXT, ""),
    ]
    if log_status:
        summary.append(("操作日志", log_status, TEXT, ""))
    window_rows = [[w, *_ticket_row(f), _min(r.idle_s.get(w, 0.0))]
                   for w, f in r.per_window.items()]
    for w in sorted(set(r.idle_s) - set(r.per_window)):
        window_rows.append([w, *([0] * 5), None, None, None, None, None, _min(r.idle_s[w])])
    window_rows.sort(key=lambda row: row[0])
    return [
        View("总览", ["指标", "数值", "说明"], [TEXT, TEXT, TEXT],
             [[name, value, note] for name, value, _, note in summary],
             [fmt for _, _, fmt, _ in summary]),
        View("窗口", ["窗口", *TICKET_HEADERS, "有人等候时空闲(分)"],
             [INT, *TICKET_FORMATS, MINUTES], window_rows),
        View("人员", ["人员", *TICKET_HEADERS, "二次补正"], [TEXT, *TICKET_FORMATS, INT],
             [[person(c), *_ticket_row(f), repeats_by.get(c, 0)]
              for c, f in r.per_clerk.items()]),
        View("办件", ["部门", "事项", *(label for _, label in DECISIONS), "合计"],
             [TEXT, TEXT, INT, INT, INT, INT],
             [[dept, item, *(by.get(k, 0) for k, _ in DECISIONS), sum(by.values())]
              for (dept, item), by in r.cases_by_item.items()]),
        View("评价", ["评价", "条数", "占比"], [TEXT, INT, PERCENT],
             [[LABELS[level], r.evaluations.get(level.value, 0),
               (r.evaluations.get(level.value, 0) / sum(r.evaluations.values())
                if r.evaluations else None)] for level in Level]),
        View("差评", ["时间", "窗口", "人员", "办件编号", "排队号", "原因", "意见", "整改期限"],
             [TEXT, INT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT],
             [[e.at.strftime("%Y-%m-%d %H:%M"), e.window, person(e.clerk), e.case_no or "",
               e.ticket or "", "、".join(e.reasons), e.comment, e.rectify_by or ""]
              for e in r.bad_reviews]),
        View("二次补正", ["人员", "办件编号", "原因", "时间", "窗口"], [TEXT, TEXT, TEXT, TEXT, INT],
             [[person(c.clerk), c.case_no, c.reason, c.at.strftime("%Y-%m-%d %H:%M"), c.window]
              for c in r.repeat_corrections]),
        View("时段", ["时段", "到达(人)", "平均等候(分)"], [TEXT, INT, MINUTES],
             [[f"{h:02d}:00-{h + 1:02d}:00", r.arrivals_by_hour.get(h, 0),
               _min(r.waiting_by_hour.get(h))]
              for h in sorted(set(r.arrivals_by_hour) | set(r.waiting_by_hour))]),
        *([View("各窗口机日志", ["设备", "本期条数", "起", "止", "日志链"],
                [TEXT, INT, INT, INT, TEXT], device_logs)] if device_logs else []),
    ]


def cell_text(value: Any, fmt: str) -> str:
    if value is None:
        return "—"
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if fmt == PERCENT and number:
        return f"{value:.1%}"
    if fmt == MINUTES and number:
        return f"{value:.1f}"
    return str(value)


def write_csv(tables: list[View], path: Path, heading: str) -> None:
    """UTF-8 with BOM (Excel opens it as Chinese text); one block per view."""
    def produce(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
            out = csv.writer(fh)
            out.writerow([heading])
            for view in tables:
                out.writerow([])
                out.writerow([f"【{view.title}】"])
                out.writerow(view.headers)
                for row in view.texts():
                    out.writerow(row)

    write_durably(path, produce, "报表")


def write_xlsx(tables: list[View], path: Path, heading: str) -> None:
    """One sheet per view, Chinese headers, numbers stored as numbers with formats."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for view in tables:
        sheet = book.create_sheet(view.title)
        sheet.append([heading])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append(view.headers)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.alignment = Alignment(horizontal="center", wrap_text=True)
        for r, row in enumerate(view.rows):
            sheet.append(row)
            for c, cell in enumerate(sheet[sheet.max_row]):
                kind = view.fmt(r, c)
                if kind == PERCENT:
                    cell.number_format = "0.0%"
                elif kind == MINUTES:
                    cell.number_format = "0.0"
                elif kind == INT:
                    cell.number_format = "0"
        for i, header in enumerate(view.headers, start=1):
            widest = max([len(str(header))] + [len(row[i - 1]) for row in view.texts()
                                               if len(row) >= i])
            sheet.column_dimensions[get_column_letter(i)].width = min(60, 4 + widest * 1.8)
        sheet.freeze_panes = "A3"
    write_durably(path, lambda tmp: book.save(tmp), "报表")


def write_pdf(tables: list[View], path: Path, heading: str, report: Report | None = None,
              training: bool = False) -> Path:
    """A4 pages: title, the charts of ``report`` (when given), the tables, the notes and the
    signature line (documents.report_paper). Needs a QApplication (fonts, charts). A
    training report is marked on every page, in its heading and title, and kept as
    培训-<name> (the path returned); its text layer reads back as laid out."""
    from .paper import training_path, training_title, write_pdf_file
    from .report_paper import chart_images_for, paint_report

    heading = training_title(heading, training)
    charts = chart_images_for(report)

    def draw(writer: Any, layer: Any) -> None:
        paint_report(writer, tables, heading, charts, training, layer)

    return write_durably(training_path(path, training),
                         lambda tmp: write_pdf_file(tmp, heading, 150, draw), "报表")
