"""Application intake (受理) for the counter window: one draft case at a time."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, Signal, SignalInstance

from hallclient.core.cases import (
    Applicant,
    CaseDraft,
    CaseStatus,
    Decision,
    MaterialDraft,
    MaterialStatus,
    StagedFile,
    decision_problems,
)
from hallclient.core.catalog import CatalogItem
from hallclient.core.idcards import rare_chars
from hallclient.core.scancodes import ScanKind, classify
from hallclient.devices.idcard import CardReaderError, IdCardData
from hallclient.store import catalog_repo, outbox_repo
from hallclient.store.attachments import AttachmentError, read_regular_file

from .case_desk import CaseError, CommittedCase, applicant_from_case
from .lanes import DB, DEVICE
from .session import user_message

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

    from hallclient.devices.camera import DocumentCamera
    from hallclient.documents.notices import NoticeContext

    from .context import DbContext, DeviceContext
    from .tasks import Runner

log = logging.getLogger(__name__)


class IntakeService(QObject):
    """Signals:
    items_found(list ItemSummary)
    draft_started(CaseDraft)            — an item was chosen, or a 补正 case reopened
    card_read(IdCardData), card_failed(str)
    card_confirmed(str name)            — the clerk confirmed the applicant's name and address
                                          after a card with rare characters (生僻字)
    card_confirm_refused(str message)   — ... but they still hold a character the chip gave
                                          in place of one it could not hold
    material_changed(str code)          — files or status of one material changed
    material_failed(str code, str message)
    scan_routed(str kind, str code)     — a wedge scan was taken by intake
    case_committed(CommittedCase, dict case)
    commit_failed(list problems)
    notice_printed(str kind, str pdf path, str printer or "")   — a notice or receipt is out
    notice_failed(str kind, str message)
    ticket_changed(str number, str service)  — intake is now for another ticket ("" for none;
                                           service "" where not known), see ``for_ticket``
    preview_ready(str code, str file name, QImage)  — a material's file to look at (预览)
    uploads_counted(int)                — cases on this PC still waiting to go to the platform,
                                          counted after each commit
    """

    items_found = Signal(list)
    draft_started = Signal(object)
    card_read = Signal(object)
    card_failed = Signal(str)
    card_confirmed = Signal(str)
    card_confirm_refused = Signal(str)
    material_changed = Signal(str)
    material_failed = Signal(str, str)
    scan_routed = Signal(str, str)
    case_committed = Signal(object, object)
    commit_failed = Signal(list)
    notice_printed = Signal(str, str, str)
    notice_failed = Signal(str, str)
    ticket_changed = Signal(str, str)
    preview_ready = Signal(str, str, object)
    uploads_counted = Signal(int)

    def __init__(self, runner: Runner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.draft: CaseDraft | None = None
        self.resuming: str | None = None     # case number of a 补正 case being completed
        self.window: int | None = None
        self.clerk: str = ""
        self.serving = ""              # the queue ticket of the applicant at intake
        self.serving_window: int | None = None   # ... at this window (the card check asks it)
        self.serving_service = ""      # ... and the name of its service (业务)
        self._notices: NoticeOutput | None = None
        self.hall_name = ""
        self._camera: DocumentCamera | None = None
        self._photo_for = ""           # the material whose page the camera is taking

    def attach(self, clerk: str, window: int) -> None:
        self.clerk, self.window = clerk, window

    def detach(self) -> None:
        """The clerk signed out: nothing is committed in anyone's name until the next
        sign-in, and the open draft (never committed) goes with its clerk."""
        self.clerk, self.window = "", 0
        self.serving, self.serving_service = "", ""
        self.discard()

    # -- item ---------------------------------------------------------------------------

    def search(self, text: str) -> None:
        self.runner.run(DB, lambda ctx: catalog_repo.search(ctx.db.conn, text),
                        self.items_found.emit,
                        lambda exc: log.warning("catalog search failed: %s", exc))

    def choose(self, impl_code: str, ticket: str | None = None) -> None:
        def done(item: CatalogItem | None) -> None:
            if item is None:
                self.commit_failed.emit([self.tr("事项目录中没有该事项")])
                return
            self.draft = CaseDraft.for_item(item)
            self.draft.ticket = self.serving if ticket is None else ticket
            self.resuming = None
            self.draft_started.emit(self.draft)
            self._ticket_changed()

        self.runner.run(DB, lambda ctx: catalog_repo.get(ctx.db.conn, impl_code), done,
                        lambda exc: self.commit_failed.emit([user_message(exc)]))

    def reopen(self, case_no: str) -> None:
        """An applicant returns with 补正 materials: continue the stored case."""
        def job(ctx: DbContext) -> tuple[dict[str, Any] | None, CatalogItem | None]:
            case = ctx.desk.load(case_no)
            item = catalog_repo.get(ctx.db.conn, case["impl_code"]) if case else None
            return case, item

        def done(pair: tuple[dict[str, Any] | None, CatalogItem | None]) -> None:
            case, item = pair
            if case is None or item is None:
                self.commit_failed.emit([self.tr("找不到办件 {n}").format(n=case_no)])
                return
            draft = CaseDraft.for_item(item)
            draft.applicant = applicant_from_case(case)
            stored = {m["code"]: m for m in case["materials"]}
            for m in draft.materials:
                row = stored.get(m.code)
                m.status = MaterialStatus(row["status"]) if row else MaterialStatus.MISSING
                m.scanned_codes = json.loads(row["scanned_codes"]) if row else []
                m.correction_reason = (row.get("correction_reason") or "") if row else ""
                m.files = [StagedFile(a["sha256"], a["original_name"], a["size"], a["mime"])
                           for a in case["attachments"] if a["material_code"] == m.code]
            draft.ticket = self.serving      # the applicant back at the desk, with their ticket
            draft.reopened_correction = True
            self.draft, self.resuming = draft, case_no
            self.draft_started.emit(draft)
            self._ticket_changed()

        self.runner.run(DB, job, done, lambda exc: self.commit_failed.emit([user_message(exc)]))

    # -- applicant ----------------------------------------------------------------------

    def read_card(self) -> None:
        """Read the card on the device lane (bounded by idcard.timeout_seconds) and fill
        the applicant; a name or address with a character the chip could not hold leaves
        the draft unsavable until the clerk confirms the real one (``confirm_card_text``)."""
        def done(card: IdCardData) -> None:
            if self.draft is not None:
                if self.draft.applicant.kind == "person":
                    a = self.draft.applicant
                    a.name, a.id_number, a.address = card.name, card.id_number, card.address
                self.draft.card_text_unconfirmed = bool(card.flagged)
            if card.flagged:
                log.info("card read with %d rare character(s) flagged", len(card.flagged))
            self.card_read.emit(card)
            self._check_card(card.id_number)

        def failed(exc: BaseException) -> None:
            self.card_failed.emit(exc.message if isinstance(exc, CardReaderError) else user_message(exc))

        self.runner.run(DEVICE, lambda dev: dev.card_reader.read(), done, failed)

    def _check_card(self, id_number: str) -> None:
        """Asked of the queue (the card's check never leaves it): a card other than the
        one the ticket was taken with is said to the clerk; no answer, no word."""
        ticket, window = self.serving, self.serving_window
        if not ticket or window is None:
            return

        def answered(same: bool | None) -> None:
            if same is False:
                self.card_failed.emit(self.tr(
                    "注意：这张身份证不是 {ticket} 号取号时刷的那张，请核实申请人（代办请登记代办人）")
                    .format(ticket=ticket))

        self.runner.run_queue(lambda q: q.same_card(window, ticket, id_number), answered,
                              lambda exc: log.info("card check not made (%s)", type(exc).__name__))

    @property
    def card_text_unconfirmed(self) -> bool:
        return self.draft is not None and self.draft.card_text_unconfirmed

    def confirm_card_text(self, name: str, address: str) -> None:
        """The clerk checked the name and address against the card and typed the real
        characters: taken, unless one the chip put in place of another is still there."""
        left = rare_chars(name, "姓名") + rare_chars(address, "住址")
        if left:
            where = "、".join(r.described for r in left)
            self.card_confirm_refused.emit(self.tr("{where}仍是读卡器给出的替代字符，请输入正确的汉字后再确认")
                                           .format(where=where))
            return
        if self.draft is not None:
            self.draft.applicant.name, self.draft.applicant.address = name, address
            self.draft.card_text_unconfirmed = False
        self.card_confirmed.emit(name)

    # -- materials ----------------------------------------------------------------------

    def import_files(self, code: str, paths: list[Path]) -> None:
        """Read and check each file whole on the device lane (regular files only, never past
        the size limit, the image decoded, the PDF's structure parsed), then store the
        checked bytes (fsynced into the store) on the db lane and attach them."""
        material = self._material(code)
        if material is None:
            return

        def failed(exc: BaseException) -> None:
            message = str(exc) if isinstance(exc, AttachmentError) else user_message(exc)
            self.material_failed.emit(code, message)

        def read(_dev: DeviceContext) -> list[tuple[bytes, str]]:
            from hallclient.devices.materials import read_material

            return [(read_material(Path(p))[0], Path(p).name) for p in paths]

        def store(ctx: DbContext, files: list[tuple[bytes, str]]) -> list[StagedFile]:
            return [ctx.desk.stage_bytes(data, name) for data, name in files]

        def done(files: list[StagedFile]) -> None:
            material.files.extend(files)
            material.status = MaterialStatus.KEPT
            self.material_changed.emit(code)

        self.runner.run(DEVICE, read,
                        lambda files: self.runner.run(DB, lambda ctx: store(ctx, files), done,
                                                      failed),
                        failed)

    def add_camera_image(self, code: str, image: QImage) -> None:
        """A page photographed on the document camera (高拍仪): JPEG-encoded on the device
        lane, stored on the db lane, then attached."""
        material = self._material(code)
        if material is None:
            return

        name = f"{material.name}-高拍仪.jpg"

        def encode(_dev: DeviceContext) -> bytes:
            from hallclient.devices.camera import encode_jpeg
            from hallclient.devices.materials import check_material

            data = encode_jpeg(image)
            check_material(data, name)
            return data

        self.runner.run(DEVICE, encode,
                        lambda data: self._store_page(material, data, name),
                        lambda exc: self.material_failed.emit(
                            code, str(exc) if isinstance(exc, AttachmentError) else user_message(exc)))

    def cameras(self) -> list[str]:
        """The document cameras (高拍仪) connected now, by name."""
        from hallclient.devices.camera import camera_names

        return camera_names()

    def photograph(self, code: str) -> None:
        """Take a page of material ``code`` on the document camera: the photo is attached as
        ``add_camera_image`` does; a camera that cannot take it says why (material_failed)."""
        self._photo_for = code
        self.document_camera().capture()

    def document_camera(self) -> DocumentCamera:
        """The document camera, opened on first use (Qt Multimedia loads only then)."""
        if self._camera is None:
            from hallclient.devices.camera import DocumentCamera

            camera = self._camera = DocumentCamera(parent=self)
            camera.image_captured.connect(lambda image: self.add_camera_image(self._photo_for, image))
            camera.camera_failed.connect(lambda message: self.material_failed.emit(self._photo_for, message))
        return self._camera

    def note_material_code(self, code: str, scanned: str) -> None:
        """A barcode read off a material (e.g. the QR code of a 营业执照) is kept with it."""
        material = self._material(code)
        if material is not None and scanned not in material.scanned_codes:
            material.scanned_codes.append(scanned)
            self.material_changed.emit(code)

    def scan_material(self, code: str) -> None:
        """Scan one page on the SANE scanner and attach it to the material."""
        material = self._material(code)
        if material is None:
            return

        def failed(exc: BaseException) -> None:
            message = getattr(exc, "message", None) or (
                str(exc) if isinstance(exc, AttachmentError) else user_message(exc))
            self.material_failed.emit(code, message)

        name = f"{material.name}-扫描.png"

        def scan(dev: DeviceContext) -> bytes:
            from hallclient.devices.materials import check_material

            data = dev.scanner.scan()
            check_material(data, name)      # decoded whole here, off the db lane
            return data

        # two steps: the scan holds the device lane (up to minutes), never the db lane
        self.runner.run(DEVICE, scan, lambda data: self._store_page(material, data, name, failed),
                        failed)

    def _store_page(self, material: MaterialDraft, data: bytes, name: str,
                    failed: Callable[[BaseException], None] | None = None) -> None:
        """Bytes from a device into the attachment store (db lane), then attached."""
        code = material.code

        def done(staged: StagedFile) -> None:
            material.files.append(staged)
            material.status = MaterialStatus.KEPT
            self.material_changed.emit(code)

        self.runner.run(DB, lambda ctx: ctx.desk.stage_bytes(data, name), done,
                        failed or (lambda exc: self.material_failed.emit(code, user_message(exc))))

    def set_status(self, code: str, status: MaterialStatus) -> None:
        material = self._material(code)
        if material is None:
            return
        if status is MaterialStatus.KEPT and not material.files:
            self.material_failed.emit(code, self.tr("请先扫描或导入「{n}」的电子件").format(n=material.name))
            return
        material.status = status
        self.material_changed.emit(code)

    def preview(self, code: str) -> None:
        """The last file taken for material ``code``, as a picture (an image, or a PDF's first
        page) rendered on the device lane: preview_ready, or material_failed saying why not."""
        material = self._material(code)
        if material is None or not material.files:
            if material is not None:
                self.material_failed.emit(code, self.tr("「{n}」还没有电子件可预览").format(n=material.name))
            return
        staged = material.files[-1]

        def render(path: Path) -> None:
            def job(_dev: DeviceContext) -> QImage:
                from hallclient.devices.materials import preview_image

                return preview_image(read_regular_file(path))

            def done(image: QImage) -> None:
                if image.isNull():
                    self.material_failed.emit(code, self.tr("「{f}」无法显示预览").format(
                        f=staged.original_name))
                else:
                    self.preview_ready.emit(code, staged.original_name, image)

            self.runner.run(DEVICE, job, done,
                            lambda exc: self.material_failed.emit(code, user_message(exc)))

        self.runner.run(DB, lambda ctx: ctx.desk.attachments.path(staged.sha256), render,
                        lambda exc: self.material_failed.emit(code, user_message(exc)))

    def set_correction_reason(self, code: str, reason: str) -> None:
        """补正: what exactly is missing or wrong with material ``code`` (the 告知书 prints it)."""
        material = self._material(code)
        if material is not None:
            material.correction_reason = reason

    def set_repeat_reason(self, reason: str) -> None:
        """再次补正: why a case already told everything once needs a second round."""
        if self.draft is not None:
            self.draft.repeat_reason = reason

    def _material(self, code: str) -> MaterialDraft | None:
        if self.draft is None:
            return None
        return next((m for m in self.draft.materials if m.code == code), None)

    # -- scans --------------------------------------------------------------------------

    def take_scan(self, code: str) -> bool:
        """Route a scan that arrived while intake is open; False if intake does not want it."""
        kind = classify(code)
        if kind is ScanKind.CASE:
            self.reopen(code.strip().upper())
        elif self.draft is None:
            return False
        elif kind is ScanKind.TICKET:
            self.draft.ticket = code.strip().upper()
            self._ticket_changed()
        elif kind is ScanKind.ID_NUMBER and self.draft.applicant.kind == "person":
            self.draft.applicant.id_number = code.strip().upper()
        elif kind is ScanKind.PREAPPLICATION:
            # kept with the case and queued: the platform lookup fills in the rest once online
            self.draft.preapplication_code = code.strip().upper()
        self.scan_routed.emit(kind.value, code.strip())
        return True

    # -- decision -----------------------------------------------------------------------

    def problems(self) -> list[str]:
        return decision_problems(self.draft) if self.draft else [self.tr("请先选择事项")]

    def commit(self, decision: Decision) -> None:
        draft = self.draft
        if draft is None:
            self.commit_failed.emit([self.tr("请先选择事项")])
            return
        if not self.clerk:
            self.commit_failed.emit([self.tr("请先在窗口签到，再受理办件")])
            return
        draft.decision = decision
        problems = decision_problems(draft)
        if problems:
            self.commit_failed.emit(problems)
            return
        window, clerk, resuming, item = self.window, self.clerk, self.resuming, draft.item

        def job(ctx: DbContext) -> tuple[CommittedCase, dict[str, Any], int]:
            if resuming:
                done = ctx.desk.resume_correction(resuming, draft, window, clerk)
            else:
                done = ctx.desk.commit(draft, window, clerk)
            waiting = len(outbox_repo.pending_case_numbers(ctx.db.conn))
            return done, ctx.desk.load(done.case_no) or {}, waiting

        def done(result: tuple[CommittedCase, dict[str, Any], int]) -> None:
            committed, case, waiting = result
            self.draft, self.resuming = None, None
            self.case_committed.emit(committed, case)
            self.uploads_counted.emit(waiting)
            self._ticket_changed()
            self.print_notices(committed, case, item)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, CaseError):
                self.commit_failed.emit(exc.problems)
            elif isinstance(exc, AttachmentError):
                self.commit_failed.emit([str(exc)])
            else:
                self.commit_failed.emit([user_message(exc)])

        self.runner.run(DB, job, done, failed)

    # -- the counter's side: the ticket served, the form's fields, the notices -----------

    def serve(self, ticket: str, service: str = "", window: int | None = None) -> None:
        """The applicant holding ``ticket`` ("" for none) of ``service`` (its name, "" if not
        known) is at intake now: the next draft carries it, and an open draft without a
        ticket takes it. ``window``: where it is served (a card read here is checked against
        the one the ticket was taken with, 刷身份证取号)."""
        self.serving, self.serving_service = ticket, (service if ticket else "")
        self.serving_window = window if ticket else None
        if self.draft is not None and not self.draft.ticket:
            self.draft.ticket = ticket
        self._ticket_changed()

    def for_ticket(self) -> tuple[str, str]:
        """The ticket intake is for — the open draft's, else the one being served — and its
        service's name ("" where not known: a ticket scanned in that is not the one served)."""
        number = self.draft.ticket if self.draft is not None else self.serving
        service = self.serving_service if number and number == self.serving else ""
        return number or "", service

    def _ticket_changed(self) -> None:
        self.ticket_changed.emit(*self.for_ticket())

    def set_applicant(self, applicant: Applicant) -> None:
        """The applicant as typed on the form (checked at the decision, not here)."""
        if self.draft is not None:
            self.draft.applicant = applicant

    def decide(self, decision: Decision, details: DecisionDetails) -> None:
        """受理 / 补正 / 不予受理 with what the decision page adds, then commit."""
        if self.draft is not None:
            d = self.draft
            d.repeat_reason = details.repeat_reason
            for code, reason in details.correction_reasons.items():
                self.set_correction_reason(code, reason)
            d.refusal_reason, d.refusal_agency = details.refusal_reason, details.refusal_agency
            d.delivery, d.post_recipient = details.delivery, details.post_recipient
            d.post_phone, d.post_address = details.post_phone, details.post_address
        self.commit(decision)

    def discard(self) -> None:
        """Start over: the open draft (never committed) is dropped."""
        self.draft, self.resuming = None, None
        self._ticket_changed()

    def print_notices_on(self, printer: NoticeOutput, hall_name: str) -> None:
        """Committed cases from now on get their written notice and receipt on ``printer``."""
        self._notices = printer
        self.hall_name = hall_name
        printer.notice_printed.connect(self.notice_printed)
        printer.print_failed.connect(self.notice_failed)

    def print_notices(self, done: CommittedCase, case: dict[str, Any], item: CatalogItem) -> None:
        """The notice the decision calls for (受理通知书, 补正告知书 or 不予受理通知书) and
        the receipt (办件回执), both kept as PDF (written whole, or notice_failed says why:
        the case then shows 通知书未保存 until reprinted)."""
        self._print_case(case, item, done.status)

    def reprint(self, case_no: str) -> None:
        """补打: the notice and receipt of a stored case, again (e.g. after a full disk)."""
        def job(ctx: DbContext) -> tuple[dict[str, Any] | None, CatalogItem | None]:
            case = ctx.desk.load(case_no)
            return case, (catalog_repo.get(ctx.db.conn, case["impl_code"]) if case else None)

        def done(pair: tuple[dict[str, Any] | None, CatalogItem | None]) -> None:
            case, item = pair
            if case is None or item is None:
                self.notice_failed.emit("", self.tr("找不到办件 {n}").format(n=case_no))
            elif self._notices is None:
                self.notice_failed.emit("", self.tr("本机没有设置通知书打印，无法补打"))
            else:
                self._print_case(case, item, CaseStatus(case["status"]))

        self.runner.run(DB, job, done, lambda exc: self.notice_failed.emit("", user_message(exc)))

    def _print_case(self, case: dict[str, Any], item: CatalogItem, status: CaseStatus) -> None:
        if self._notices is None or status not in NOTICE_FOR:
            return
        from hallclient.documents.notices import NoticeContext

        ctx = NoticeContext(self.hall_name, case, item)
        for kind in notice_kinds(status):
            self._notices.print_notice(kind, ctx)


NOTICE_FOR = {CaseStatus.ACCEPTED: "accept", CaseStatus.CORRECTION_STARTED: "correction",
              CaseStatus.REFUSED: "refusal"}


def notice_kinds(status: CaseStatus) -> list[str]:
    """What is printed when a case is committed with ``status``."""
    return [NOTICE_FOR[CaseStatus(status)], "receipt"]


@dataclass(frozen=True)
class DecisionDetails:
    """What the decision page adds to a draft: the 不予受理 reason and the agency to apply to
    instead, and how the result is delivered (送达方式: "window" or "post", with recipient)."""

    refusal_reason: str = ""
    refusal_agency: str = ""
    delivery: str = "window"
    post_recipient: str = ""
    post_phone: str = ""
    post_address: str = ""
    repeat_reason: str = ""                     # 再次补正: why a second round
    correction_reasons: dict[str, str] = field(default_factory=dict)   # material code -> reason


class NoticeOutput(Protocol):
    """Where notices go (devices.printer.NoticePrinter)."""

    notice_printed: SignalInstance
    print_failed: SignalInstance

    def print_notice(self, kind: str, ctx: NoticeContext) -> object: ...
