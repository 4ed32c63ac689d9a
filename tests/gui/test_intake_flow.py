"""The whole intake flow driven through the window like a clerk: item, card read,
materials, decision, printed notice — for a person and a company; accept, 补正 then
complete, refuse; with wedge-scanned barcodes."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from hallclient import resources
from hallclient.core.cases import Decision
from hallclient.services.context import load_hall_file, open_context

from ..recipes import tiny_jpeg, tiny_pdf
from .conftest import sign_in
from .test_kiosk_and_documents import decode_pdf


@pytest.fixture
def intake_app(start_app, qtbot, tmp_path):
    app = start_app(config={"notice.printer": "pdf"})
    ctx = open_context(app.data_dir, app.config)
    ctx.import_catalog(load_hall_file(resources.path("demo", "catalog.json")))
    ctx.close()
    sign_in(qtbot, app)
    return app


def scan(qtbot, app, widget, code):
    with qtbot.waitSignal(app.wedge.scanned):
        qtbot.keyClicks(widget, code)
        qtbot.keyClick(widget, Qt.Key.Key_Return)


def choose_item(qtbot, app, query, name):
    win = app.shell.open_intake("A001")
    win.item_page.search_edit.clear()
    qtbot.keyClicks(win.item_page.search_edit, query)
    found = win.item_page.item_list
    qtbot.waitUntil(lambda: any(found.item(i).text().startswith(name) for i in range(found.count())))
    row = next(i for i in range(found.count()) if found.item(i).text().startswith(name + "　"))
    found.setCurrentRow(row)
    with qtbot.waitSignal(app.intake.draft_started):
        qtbot.keyClick(found, Qt.Key.Key_Return)
    assert win.stack.currentIndex() == 1
    return win


def supply_materials(qtbot, app, win, tmp_path: Path, leave_out: int = 0):
    draft = app.intake.draft
    required = [i for i, m in enumerate(draft.materials) if m.required]
    keep = required[:len(required) - leave_out] if leave_out else required
    for row in keep:
        path = tmp_path / f"scan-{row}.jpg"
        path.write_bytes(tiny_jpeg(row + len(draft.item.impl_code)))
        with qtbot.waitSignal(app.intake.material_changed):
            win.materials_page.import_files_for_row(row, [path])
    for row, m in enumerate(draft.materials):
        if not m.required:
            win.materials_page.material_table.cellWidget(row, 3).setCurrentIndex(5)   # 不适用
    return [draft.materials[i].name for i in required if i not in keep]


def card_applicant_with_materials(qtbot, app, tmp_path: Path):
    """个体工商户登记 for the applicant on the reader's card, every required material in."""
    win = choose_item(qtbot, app, "gtgsh", "个体工商户登记（设立登记）")
    with qtbot.waitSignal(app.intake.card_read):
        qtbot.mouseClick(win.applicant_page.card_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(win.applicant_page.mobile_edit, "13800138000")
    qtbot.mouseClick(win.next_button, Qt.MouseButton.LeftButton)
    supply_materials(qtbot, app, win, tmp_path)
    return win


def decide(qtbot, app, win, decision):
    win.go(3)
    win.decision_page.decision_buttons[decision].setChecked(True)
    with qtbot.waitSignal(app.intake.case_committed, timeout=10000) as done:
        qtbot.mouseClick(win.decision_page.submit_button, Qt.MouseButton.LeftButton)
    kinds = {"accept", "receipt"} if decision is Decision.ACCEPT else (
        {"correction", "receipt"} if decision is Decision.CORRECT else {"refusal", "receipt"})
    qtbot.waitUntil(lambda: set(win.printed) == kinds, timeout=15000)
    return done.args


def test_person_accepted_with_card_read_and_scanned_ticket(qtbot, intake_app, tmp_path):
    app = intake_app
    win = choose_item(qtbot, app, "gtgsh", "个体工商户登记（设立登记）")
    scan(qtbot, app, win.applicant_page.name_edit, "A007")                       # the queue ticket
    assert app.intake.draft.ticket == "A007" and win.applicant_page.name_edit.text() == ""
    scan(qtbot, app, win.applicant_page.name_edit, "YS202611270000123456")       # online pre-application
    assert app.intake.draft.preapplication_code == "YS202611270000123456"
    assert "网上预申请码" in win.message.text()
    with qtbot.waitSignal(app.intake.card_read):
        qtbot.mouseClick(win.applicant_page.card_button, Qt.MouseButton.LeftButton)
    person = win.applicant_page
    assert person.name_edit.text() == "王𠮷" and person.id_edit.text() == "11010519491231002X"
    qtbot.keyClicks(win.applicant_page.mobile_edit, "1380013800")
    qtbot.waitUntil(lambda: "11 位" in win.applicant_page.mobile_hint.text())     # live validation
    qtbot.keyClicks(win.applicant_page.mobile_edit, "0")
    qtbot.waitUntil(lambda: win.applicant_page.mobile_hint.text() == "")
    qtbot.mouseClick(win.next_button, Qt.MouseButton.LeftButton)
    assert win.stack.currentIndex() == 2
    supply_materials(qtbot, app, win, tmp_path)
    done, case = decide(qtbot, app, win, Decision.ACCEPT)
    assert case["status"] == 3 and case["applicant_name"] == "王𠮷" and case["ticket"] == "A007"
    assert case["preapplication_code"] == "YS202611270000123456"
    assert win.finished_page.case_number_label.text() == done.case_no
    texts, _ = decode_pdf(Path(win.printed["accept"]), dpi=300)
    assert texts == [done.case_no]
    assert app.reader.rows("SELECT status, applicant_name FROM cases WHERE case_no = ?",
                           (done.case_no,)) == [(3, "王𠮷")]
    assert "intake_accept" in app.reader.actions()


def test_company_correction_then_completed_after_scanning_the_notice(qtbot, intake_app, tmp_path):
    app = intake_app
    win = choose_item(qtbot, app, "spjyxk", "食品经营许可（新办）")
    win.applicant_page.kind_box.setCurrentIndex(win.applicant_page.kind_box.findData("company"))
    win.applicant_page.name_edit.setText("示范县䶮记餐饮有限公司")   # QTest types ASCII only
    qtbot.keyClicks(win.applicant_page.id_edit, "91350100M000100Y44")
    qtbot.waitUntil(lambda: "校验位" in win.applicant_page.id_hint.text())
    win.applicant_page.id_edit.setText("91350100M000100Y43")
    qtbot.waitUntil(lambda: win.applicant_page.id_hint.text() == "")
    win.applicant_page.rep_edit.setText("李䶮")
    win.applicant_page.mobile_edit.setText("13900001111")
    qtbot.mouseClick(win.next_button, Qt.MouseButton.LeftButton)
    missing = supply_materials(qtbot, app, win, tmp_path, leave_out=2)

    # accepting with materials missing is refused, with the missing ones named
    win.go(3)
    win.decision_page.decision_buttons[Decision.ACCEPT].setChecked(True)
    with qtbot.waitSignal(app.intake.commit_failed) as refused:
        qtbot.mouseClick(win.decision_page.submit_button, Qt.MouseButton.LeftButton)
    assert all(name in refused.args[0][0] for name in missing)

    win.materials_page.material_table.setCurrentCell(1, 0)                       # 营业执照
    scan(qtbot, app, win.materials_page.material_table, "9135HTTPLICENSEQR01")    # the QR code on it
    assert app.intake.draft.materials[1].scanned_codes == ["9135HTTPLICENSEQR01"]
    done, case = decide(qtbot, app, win, Decision.CORRECT)
    assert case["status"] == 6
    assert case["materials"][1]["scanned_codes"] == '["9135HTTPLICENSEQR01"]'
    assert [m["name"] for m in case["materials"] if m["status"] == "missing"] == missing

    # days later the applicant brings the notice back: scanning its barcode reopens the case
    win.start_new()
    with qtbot.waitSignal(app.intake.draft_started):
        scan(qtbot, app, win.item_page.search_edit, done.case_no)
    assert app.intake.resuming == done.case_no and win.stack.currentIndex() == 2
    draft = app.intake.draft
    for row, m in enumerate(draft.materials):
        if m.name in missing:
            path = tmp_path / f"later-{row}.pdf"
            path.write_bytes(tiny_pdf(m.name))
            with qtbot.waitSignal(app.intake.material_changed):
                win.materials_page.import_files_for_row(row, [path])
    again, case = decide(qtbot, app, win, Decision.ACCEPT)
    assert again.case_no == done.case_no and case["status"] == 3 and case["version"] == 2
    assert case["legal_rep"] == "李䶮"


def test_refusal_with_reason_and_agency(qtbot, intake_app, tmp_path):
    app = intake_app
    win = choose_item(qtbot, app, "shttcl", "社会团体成立登记")
    win.applicant_page.kind_box.setCurrentIndex(win.applicant_page.kind_box.findData("company"))
    win.applicant_page.name_edit.setText("示范县书法协会")
    win.applicant_page.id_edit.setText("91350100M000100Y43")
    win.applicant_page.rep_edit.setText("张三")
    win.applicant_page.mobile_edit.setText("13900001111")
    qtbot.mouseClick(win.next_button, Qt.MouseButton.LeftButton)
    win.go(3)
    win.decision_page.decision_buttons[Decision.REFUSE].setChecked(True)
    with qtbot.waitSignal(app.intake.commit_failed) as refused:
        qtbot.mouseClick(win.decision_page.submit_button, Qt.MouseButton.LeftButton)
    assert "不予受理须写明理由" in refused.args[0]
    win.decision_page.reason_edit.setText("申请事项依法不属于本机关职权范围")
    win.decision_page.agency_edit.setText("市民政局")
    done, case = decide(qtbot, app, win, Decision.REFUSE)
    assert case["status"] == 5 and case["refusal_agency"] == "市民政局"
    texts, (w, h) = decode_pdf(Path(win.printed["refusal"]), dpi=300)
    assert texts == [done.case_no] and (round(w), round(h)) == (210, 297)


def test_unreadable_file_is_refused_and_the_material_stays_missing(qtbot, intake_app, tmp_path):
    app = intake_app
    win = choose_item(qtbot, app, "bdcdjzlcx", "不动产登记资料查询")
    bad = tmp_path / "photo.jpg"
    bad.write_bytes(b"GIF89a not really a jpeg")
    with qtbot.waitSignal(app.intake.material_failed) as failed:
        win.materials_page.import_files_for_row(0, [bad])
    assert "不是 JPG、PNG 或 PDF" in failed.args[1]
    assert win.message.text() == failed.args[1]
    assert app.intake.draft.materials[0].status.value == "missing"


def test_material_scanned_on_the_sane_scanner(qtbot, start_app, tmp_path, monkeypatch):
    config = tmp_path / "sane.d"
    config.mkdir()
    (config / "dll.conf").write_text("test\n")
    monkeypatch.setenv("SANE_CONFIG_DIR", str(config))
    app = start_app(config={"notice.printer": "pdf", "scanner.resolution": "75",
                            "scanner.mode": "Gray"})
    ctx = open_context(app.data_dir, app.config)
    ctx.import_catalog(load_hall_file(resources.path("demo", "catalog.json")))
    ctx.close()
    sign_in(qtbot, app)
    win = choose_item(qtbot, app, "bdcdjzlcx", "不动产登记资料查询")
    win.go(2)
    win.materials_page.material_table.setCurrentCell(0, 0)
    with qtbot.waitSignal(app.intake.material_changed, timeout=60000):
        qtbot.mouseClick(win.materials_page.scan_button, Qt.MouseButton.LeftButton)
    material = app.intake.draft.materials[0]
    assert material.status.value == "kept" and material.files[0].mime == "image/png"
    assert win.materials_page.material_table.item(0, 4).text() == "1"


def test_document_camera_pipeline_and_no_camera_state(qtbot, intake_app):
    """No camera here: the button says so and a capture reports it. The capture pipeline is
    fed a real QImage exactly as QImageCapture.imageCaptured delivers one, and the page goes
    to the material that was current when the photo was asked for."""
    from PySide6.QtGui import QColor, QImage

    app = intake_app
    win = choose_item(qtbot, app, "bdcdjzlcx", "不动产登记资料查询")
    win.go(2)
    button = win.materials_page.camera_button
    assert not button.isEnabled() and button.toolTip() == "未检测到高拍仪"
    win.materials_page.material_table.setCurrentCell(1, 0)
    with qtbot.waitSignal(app.intake.material_failed) as failed:
        win.materials_page.photograph_current_row()
    assert failed.args[0] == app.intake.draft.materials[1].code
    assert "未检测到高拍仪" in failed.args[1] and "未检测到高拍仪" in win.message.text()

    page = QImage(1240, 1754, QImage.Format.Format_RGB32)   # A4 at 150 dpi
    page.fill(QColor("white"))
    win.materials_page.material_table.setCurrentCell(0, 0)
    with qtbot.waitSignal(app.intake.material_changed):
        app.intake.document_camera()._on_image(7, page)
    assert not app.intake.draft.materials[0].files
    staged = app.intake.draft.materials[1].files[0]
    assert staged.mime == "image/jpeg"
    stored = QImage()
    path = app.data_dir / "attachments" / staged.sha256[:2] / staged.sha256
    assert stored.loadFromData(path.read_bytes())
    assert (stored.width(), stored.height()) == (1240, 1754)


def test_locking_hides_intake_and_signing_out_leaves_nothing_to_commit(qtbot, intake_app):
    """A locked counter shows nothing to the next person at the desk; after sign-out no case
    can be committed in the clerk's name and the half-filled form is gone."""
    from hallclient.core.cases import Decision

    from .conftest import PASSWORD

    app = intake_app
    win = choose_item(qtbot, app, "gtgsh", "个体工商户登记（设立登记）")
    cases = app.shell.open_case_list()               # names and numbers of applicants
    assert win.isVisible() and cases.isVisible()
    with qtbot.waitSignal(app.session.locked):
        app.session.lock()
    assert not win.isVisible() and app.intake.draft is not None        # hidden, draft kept
    assert not cases.isVisible()
    with qtbot.waitSignal(app.session.unlocked):
        app.session.unlock(PASSWORD)
    assert win.isVisible() and app.intake.draft is not None and cases.isVisible()
    impl_code = app.intake.draft.item.impl_code
    with qtbot.waitSignal(app.session.signed_out):
        app.session.sign_out()
    assert not win.isVisible() and app.intake.draft is None and not cases.isVisible()
    assert win.stack.currentIndex() == 0
    with qtbot.waitSignal(app.intake.draft_started):       # a draft begun without a clerk
        app.intake.choose(impl_code)
    with qtbot.waitSignal(app.intake.commit_failed) as refused:
        app.intake.commit(Decision.ACCEPT)
    assert refused.args[0] == ["请先在窗口签到，再受理办件"]
    assert app.reader.rows("SELECT count(*) FROM cases") == [(0,)]


def test_a_notice_the_disk_cannot_keep_shows_unsaved_with_a_reprint(qtbot, intake_app, tmp_path,
                                                                     monkeypatch):
    """The disk fills as the notices are written (fsync answers ENOSPC): nothing is reported
    as printed, the finished page and the case list say 通知书未保存, and 重新打印 keeps them
    once there is room."""
    import errno
    import os

    app = intake_app
    win = card_applicant_with_materials(qtbot, app, tmp_path)
    real_fsync = os.fsync

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    win.go(3)
    win.decision_page.decision_buttons[Decision.ACCEPT].setChecked(True)
    with qtbot.waitSignal(app.intake.case_committed, timeout=10000) as done:
        qtbot.mouseClick(win.decision_page.submit_button, Qt.MouseButton.LeftButton)
    case_no = done.args[0].case_no
    page = win.finished_page
    qtbot.waitUntil(lambda: page.unsaved == {"accept", "receipt"}, timeout=15000)
    assert win.printed == {}
    assert page.unsaved_label.isVisible() and page.unsaved_label.text() == "通知书未保存"
    assert page.reprint_button.isVisible()
    assert "未能保存" in win.message.text() and "磁盘" in win.message.text()
    notices = app.data_dir / "notices"
    assert not notices.exists() or [p for p in notices.iterdir()] == []

    cases = app.shell.open_case_list()
    qtbot.waitUntil(lambda: cases.model.rowCount() == 1 and "notices_unsaved" in cases.model.cases[0])
    assert cases.model.index(0, cases.model.NOTICES).data() == "通知书未保存"
    cases.table.setCurrentIndex(cases.model.index(0, 0))
    assert cases.reprint_button.isVisible() and cases.reprint_button.isEnabled()   # 补打 there too

    monkeypatch.setattr(os, "fsync", real_fsync)          # room again
    qtbot.mouseClick(page.reprint_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: set(win.printed) == {"accept", "receipt"}, timeout=15000)
    assert not page.unsaved and not page.unsaved_label.isVisible()
    texts, _ = decode_pdf(Path(win.printed["accept"]), dpi=300)
    assert texts == [case_no]
    qtbot.waitUntil(lambda: cases.model.rowCount() == 1
                    and cases.model.index(0, cases.model.NOTICES).data() == "已保存", timeout=10000)
    cases.table.setCurrentIndex(cases.model.index(0, 1))
    assert cases.reprint_button.isEnabled()           # saved, yet the applicant may lose theirs
    opened = []                                       # 打开通知书: the saved PDF, in the desktop's viewer
    monkeypatch.setattr("hallclient.ui.case_list.QDesktopServices.openUrl", opened.append)
    assert cases.open_button.isEnabled()
    qtbot.mouseClick(cases.open_button, Qt.MouseButton.LeftButton)
    assert [Path(u.toLocalFile()).name for u in opened] == [f"{case_no}-accept.pdf"]
    assert Path(opened[0].toLocalFile()).is_file()


def test_esc_closes_intake_and_the_case_list_and_keeps_the_draft(qtbot, intake_app):
    app = intake_app
    win = choose_item(qtbot, app, "gtgsh", "个体工商户登记（设立登记）")
    with qtbot.waitActive(win):
        win.activateWindow()
    qtbot.keyClick(win, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not win.isVisible())
    assert app.intake.draft is not None                 # the form is kept for the clerk
    cases = app.shell.open_case_list()
    with qtbot.waitActive(cases):
        cases.activateWindow()
    qtbot.keyClick(cases, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not cases.isVisible())


def test_finish_waits_for_the_applicants_intake(qtbot, intake_app):
    """办结 while this applicant's intake is half done would leave the form for the next
    ticket and file the case under a finished one: it says so and waits."""
    app = intake_app
    with qtbot.waitSignal(app.queue.ticket_called):
        app.queue.call_next()
    with qtbot.waitSignal(app.queue.ticket_started):
        app.queue.start()
    ticket = app.queue.current
    assert ticket is not None and ticket.number == "A001"
    choose_item(qtbot, app, "gtgsh", "个体工商户登记（设立登记）")
    assert app.intake.draft.ticket == ticket.number
    with qtbot.waitSignal(app.queue.action_failed) as refused:
        app.queue.finish()
    assert "受理还没有完成" in refused.args[0]
    assert app.reader.state(ticket.number) == "serving"
    app.intake.discard()                         # 重新开始: given up, the ticket may finish
    with qtbot.waitSignal(app.queue.ticket_finished):
        app.queue.finish()


def test_the_next_ticket_opens_a_fresh_intake_not_the_last_finished_case(qtbot, intake_app, tmp_path):
    """The clerk closed intake on the finished page (Esc), finished the ticket, called the
    next one: intake opens at step 1 for it, not on the last applicant's case and password."""
    app = intake_app
    win = card_applicant_with_materials(qtbot, app, tmp_path)
    decide(qtbot, app, win, Decision.ACCEPT)
    assert win.stack.currentIndex() == 4
    win.hide()
    app.intake.serve("A001", "综合受理")             # the same ticket: the finished page stays
    assert win.stack.currentIndex() == 4
    app.intake.serve("A002", "综合受理")             # the next applicant
    assert win.stack.currentIndex() == 0 and app.intake.draft is None
    again = app.shell.open_intake("A002")
    assert again.stack.currentIndex() == 0 and "A002" in again.windowTitle()
