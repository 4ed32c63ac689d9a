"""Written notices (行政许可法 第三十二条): 受理通知书, 补正告知书, 不予受理通知书 on A4,
and the 80 mm receipt (办件回执). Each carries a Code128 barcode of the 办件编号."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from string import Template
from typing import Any

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, QUrl
from PySide6.QtGui import QPagedPaintDevice, QPageLayout, QPageSize, QPainter, QTextDocument

from hallclient import resources
from hallclient.core.catalog import CaseType, CatalogItem, MaterialForm
from hallclient.core.validators import mask_id, mask_mobile
from hallclient.store.durable import document_problem, write_durably

from .barcode import fitted_code128
from .paper import draw_watermark, training_heading, training_path, training_title, write_pdf_file
from .pdftext import TextLayer
from .ticket import MIN_MODULE_MM, MM_PER_INCH, page_size

KINDS = {
    "accept": ("受理通知书", "notice_accept.html"),
    "correction": ("补正告知书", "notice_correction.html"),
    "refusal": ("不予受理通知书", "notice_refusal.html"),
}
RECEIPT_MIN_MM, RECEIPT_MAX_MM = 60.0, 200.0     # the 80 mm receipt's length on its roll
RECEIPT_LINES = {"accept": "receipt_accept.html", "correct": "receipt_correction.html",
                 "refuse": "receipt_refusal.html"}
MATERIAL_STATUS = {"kept": "已收取（电子件）", "original_verified": "原件已核验",
                   "original_returned": "已收原件（已核验并退还）",
                   "paper_copy": "已收纸质件", "missing": "未提供", "not_applicable": "不适用"}


@dataclass(frozen=True)
class NoticeContext:
    hall: str
    case: dict[str, Any]      # as case_repo.get_case returns it
    item: CatalogItem


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _day(iso: str | None) -> str:
    if not iso:
        return "—"
    d = datetime.fromisoformat(iso)
    return f"{d.year} 年 {d.month} 月 {d.day} 日"


def _status_label(status: str) -> str:
    return MATERIAL_STATUS.get(status, "已收取")


def to_correct(case: dict[str, Any]) -> list[dict[str, Any]]:
    """What a 补正告知书 lists: every material still missing that is required, or that the
    clerk gave a reason for. A reason left on a material received since is not printed."""
    return [m for m in case["materials"] if m["status"] == "missing"
            and (m["requirement"] == "required" or (m.get("correction_reason") or "").strip())]


def _correction_table(missing: list[dict[str, Any]]) -> str:
    reasons = any((m.get("correction_reason") or "").strip() for m in missing)
    head = ("<tr><td width=\"8%\">序号</td><td width=\"30%\">需补正材料</td><td>要求（标准）</td>"
            + ("<td width=\"26%\">需补正的具体内容</td>" if reasons else "") + "</tr>")
    rows = "".join(
        f"<tr><td>{i}</td><td>{_e(m['name'])}（{_e(MaterialForm(m['form']).label)}，"
        f"{m['expected_count']} 份）</td><td>{_e(m['standard']) or '按有关规定提交'}</td>"
        + (f"<td>{_e((m.get('correction_reason') or '').strip() or '未提供')}</td>" if reasons else "")
        + "</tr>" for i, m in enumerate(missing, 1))
    return head + rows


def _fields(ctx: NoticeContext) -> dict[str, str]:
    c, item = ctx.case, ctx.item
    kept = [m for m in c["materials"] if m["status"] != "not_applicable"]
    material_rows = "".join(
        f"<tr><td>{i}</td><td>{_e(m['name'])}</td><td>{_e(MaterialForm(m['form']).label)}</td>"
        f"<td>{_e(_status_label(m['status']))}</td></tr>" for i, m in enumerate(kept, 1))
    missing = to_correct(c)
    received = [m for m in c["materials"] if m["status"] not in ("missing", "not_applicable")]
    applicant = c["applicant_name"] + (f"（法定代表人：{c['legal_rep']}）" if c.get("legal_rep") else "")
    delivery = "窗口领取" if c["delivery"] == "window" else (
        f"邮寄：{c.get('post_recipient') or ''} {c.get('post_address') or ''}")
    due = c.get("correction_due")
    deadline = (f"请于 <b>{_day(due)}</b> 前（{c.get('correction_days')} 个工作日内）"
                if due else "请")
    visit = visit_of(c)
    applied = f"你（单位）于 {_day(c['received_at'])} 提出的「{_e(c['item_name'])}」申请，"
    intro = applied + (
        "本机关已向你（单位）一次性告知需要补正的全部内容。经审查补正后的材料，仍有下列内容"
        f"需要补正（第 {visit} 次补正告知）：" if visit > 1 else
        "经审查，申请材料不齐全（不符合法定形式）。根据《中华人民共和国行政许可法》第三十二条的"
        "规定，现一次性告知需要补正的全部内容如下：")
    instant = not item.promised_days
    promised = ("即办（当场办结）" if instant and c["decision"] == "accept"
                else _day(c.get("promised_date")) if c.get("promised_date") else "—")
    return {
        "hall": _e(ctx.hall), "department": _e(item.department), "case_no": _e(c["case_no"]),
        "query_password": _e(c["query_password"]), "applicant_line": _e(applicant),
        "applicant_name": _e(c["applicant_name"]), "id_number_masked": _e(mask_id(c["id_number"])),
        "mobile_masked": _e(mask_mobile(c["mobile"])), "item_name": _e(c["item_name"]),
        "legal_basis": _e(item.legal_basis), "received_on": _day(c["received_at"]),
        "received_at": _e(c["received_at"][:16].replace("T", " ")),
        "received_time": f"{_day(c['received_at'])} {c['received_at'][11:16]}",
        "issued_on": _day(c["decided_at"]),
        "clerk": _e(c.get("clerk_name") or c.get("clerk")),
        "window": _e(f"{c['window']} 号窗口" if c.get("window") else "—"),
        "case_type": _e(CaseType(c["case_type"]).label),
        "legal_days": f"{item.legal_days} 个工作日" if item.legal_days else "即办",
        "promised_date": promised, "deadline": deadline, "correction_intro": intro,
        "delivery": _e(delivery), "material_rows": material_rows,
        "missing_rows": _correction_table(missing), "missing_count": str(len(missing)),
        "missing_names": "、".join(_e(m["name"]) for m in missing) or "—",
        "received_count": str(len(received)),
        "refusal_reason": _e(c.get("refusal_reason")), "refusal_agency": _e(c.get("refusal_agency")),
        "status": {3: "已受理", 5: "不予受理", 6: "待补正"}.get(c["status"], str(c["status"])),
    }


def _template(name: str) -> Template:
    return Template(resources.path("templates", name).read_text(encoding="utf-8"))


def notice_html(kind: str, ctx: NoticeContext, barcode_size: tuple[int, int],
                training: bool = False) -> str:
    """The page as HTML; a training one says 【培训】 in its heading."""
    fields = _fields(ctx)
    w, h = barcode_size
    if kind == "receipt":          # laid out for what the case is: 受理 / 补正 / 不予受理
        lines = _template(RECEIPT_LINES.get(ctx.case["decision"], "receipt_accept.html"))
        page = _template("receipt.html").substitute(
            fields, lines=lines.substitute(fields), barcode_width=w, barcode_height=h)
        return training_heading(page, title_of(kind), training)
    title, body = KINDS[kind]
    visit = visit_of(ctx.case)
    if kind == "correction" and visit > 1:      # 一次性告知 was given before: this one says so
        title = f"{title}（第 {visit} 次）"
    return _template("notice_base.html").substitute(
        fields, title=training_title(title, training), body=_template(body).substitute(fields),
        barcode_width=w, barcode_height=h)


def title_of(kind: str) -> str:
    """受理通知书 / 补正告知书 / 不予受理通知书 / 办件回执"""
    return KINDS.get(kind, ("办件回执",))[0]


def paint_pages(doc: QTextDocument, device: QPagedPaintDevice, width: float,
                height: float, training: bool = False, layer: TextLayer | None = None) -> None:
    """Draw a laid-out document page after page on a printer or PDF writer (a training
    one under a diagonal 「培训样张 无效」 on every page); ``layer`` learns what was drawn."""
    painter = QPainter(device)
    try:
        for page in range(max(1, doc.pageCount())):
            if page:
                device.newPage()
            if training:
                draw_watermark(painter, width, height, layer)
            painter.save()
            painter.translate(0, -page * height)
            doc.drawContents(painter, QRectF(0, page * height, width, height))
            painter.restore()
    finally:
        painter.end()
    if layer is not None:
        layer.add_document(doc)


def render(kind: str, ctx: NoticeContext, device: QPagedPaintDevice, training: bool = False,
           layer: TextLayer | None = None) -> None:
    """Lay out a notice (A4) or the receipt (80 mm) on a printer or PDF writer."""
    receipt = kind == "receipt"
    size = page_size(80.0, RECEIPT_MAX_MM) if receipt else QPageSize(QPageSize.PageSizeId.A4)
    margins = QMarginsF(3, 3, 3, 3) if receipt else QMarginsF(20, 18, 20, 18)
    layout = QPageLayout(size, QPageLayout.Orientation.Portrait, margins, QPageLayout.Unit.Millimeter)
    device.setPageLayout(layout)
    dpi = device.logicalDpiX()
    rect = layout.paintRectPixels(int(dpi))
    image = fitted_code128(ctx.case["case_no"], dpi, rect.width() * (1.0 if receipt else 0.5),
                           int((10 if receipt else 12) / MM_PER_INCH * dpi), MIN_MODULE_MM)
    css = 96.0 / dpi
    doc = QTextDocument()
    doc.documentLayout().setPaintDevice(device)
    doc.setDocumentMargin(0)
    doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl("barcode:case"), image)
    doc.setPageSize(QSizeF(rect.width(), rect.height()))
    doc.setHtml(notice_html(kind, ctx, (round(image.width() * css), round(image.height() * css)),
                            training))
    if receipt:     # roll paper: the slip is as long as what is on it, not a fixed page
        doc.setPageSize(QSizeF(rect.width(), 1e7))
        used_mm = doc.documentLayout().documentSize().height() / dpi * MM_PER_INCH
        length = min(max(used_mm + 3 + 3 + 2, RECEIPT_MIN_MM), RECEIPT_MAX_MM)
        layout = QPageLayout(page_size(80.0, length), QPageLayout.Orientation.Portrait, margins,
                             QPageLayout.Unit.Millimeter)
        device.setPageLayout(layout)
        rect = layout.paintRectPixels(int(dpi))
        doc.setPageSize(QSizeF(rect.width(), rect.height()))
    paint_pages(doc, device, rect.width(), rect.height(), training, layer)


def notice_path(pdf_dir: Path, case_no: str, kind: str, training: bool = False,
                visit: int = 1) -> Path:
    """Where a case's notice is kept: ``<case_no>-<kind>.pdf`` for the paper of its first
    visit, ``<case_no>-<kind>-<n>.pdf`` for the n-th (a second 补正 never replaces the
    notice the applicant holds); 培训-… in training."""
    suffix = f"-{visit}" if visit > 1 else ""
    return training_path(pdf_dir / f"{case_no}-{kind}{suffix}.pdf", training)


def visit_of(case: dict[str, Any]) -> int:
    """Which visit of the applicant's the case's latest decision was made at (1: the first;
    2: back with the 补正 materials ...)."""
    return max(1, int(case.get("visits") or 1))


def write_pdf(kind: str, ctx: NoticeContext, path: Path, training: bool = False) -> Path:
    """The notice as a PDF at ``path``, on disk and whole, or PaperError (a full disk);
    its text layer reads back as laid out. A training one is marked on every page, in its
    title, and kept as 培训-<name>; the path it was kept at is returned."""
    title = training_title(f"{title_of(kind)} {ctx.case['case_no']}", training)

    def produce(tmp: Path) -> None:
        write_pdf_file(tmp, title, 300,
                       lambda writer, layer: render(kind, ctx, writer, training, layer))

    return write_durably(training_path(path, training), produce, title_of(kind))


def missing(pdf_dir: Path, case_no: str, kinds: list[str], training: bool = False,
            visit: int = 1) -> list[str]:
    """The notices of ``kinds`` (by name, e.g. 受理通知书) of the case's ``visit``-th visit
    not kept whole in ``pdf_dir``."""
    return [title_of(kind) for kind in kinds
            if document_problem(notice_path(pdf_dir, case_no, kind, training, visit))]
