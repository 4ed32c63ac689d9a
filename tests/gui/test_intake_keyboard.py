"""Intake as a clerk drives it by keyboard and as a county would sign it: Enter and Down in
the item search, errors at the field that causes them, every new case typed from 申请人名称,
the current case's 要求, 已收原件（已核验并退还）, a preview of a file taken, a 补正 reason
per material, a second 补正 only with a reason (logged for the supervisor), and a finished
page that reprints, opens the PDF and says, offline, that the case is safe on this PC."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices

from hallclient.core.cases import Decision, MaterialStatus

from ..recipes import tiny_jpeg, tiny_pdf
from .test_intake_flow import choose_item, decide, intake_app, scan, supply_materials  # noqa: F401

ONE_ONLY = "bdcdjzlcx"        # 不动产登记资料查询: the one item these initials find


def search(qtbot, app, text, expect=lambda items: True):
    """Search as typed (set, not typed: a burst of keys would be a wedge scan) and wait for
    the answer to this search (``expect`` tells it from the whole catalog shown before)."""
    win = app.shell.open_intake("A001")
    page = win.item_page
    with qtbot.waitSignal(app.intake.items_found, check_params_cb=expect):
        page.search_edit.setText(text)
    return win, page


def _fewer(items):
    return len(items) < 20


def fill_person(qtbot, win, mobile="13800138000"):
    page = win.applicant_page
    page.name_edit.setText("王𠮷")
    page.id_edit.setText("11010519491231002X")
    page.mobile_edit.setText(mobile)


def test_enter_takes_the_highlighted_or_only_item_and_down_goes_to_the_list(qtbot, intake_app):  # noqa: F811
    app = intake_app
    win, page = search(qtbot, app, ONE_ONLY, _fewer)
    assert page.item_list.count() == 1 and not page.none_label.isVisible()
    with qtbot.waitSignal(app.intake.draft_started) as started:
        qtbot.keyClick(page.search_edit, Qt.Key.Key_Return)
    assert started.args[0].item.name.endswith("不动产登记资料查询")
    assert win.stack.currentIndex() == 1

    win.start_new()
    win, page = search(qtbot, app, "gtgsh", _fewer)
    assert page.item_list.count() > 1
    qtbot.keyClick(page.search_edit, Qt.Key.Key_Down)            # into the results
    assert win.focusWidget() is page.item_list
    qtbot.keyClick(page.item_list, Qt.Key.Key_Down)
    chosen = page.item_list.currentItem().text()
    assert page.item_list.currentRow() == 1
    page.search_edit.setFocus()
    with qtbot.waitSignal(app.intake.draft_started) as started:   # Enter in the box: the highlighted one
        qtbot.keyClick(page.search_edit, Qt.Key.Key_Return)
    assert chosen.startswith(started.args[0].item.name)


def test_a_search_that_finds_nothing_says_so(qtbot, intake_app):  # noqa: F811
    win, page = search(qtbot, intake_app, "qqqzzz", lambda items: not items)
    assert page.item_list.count() == 0
    assert page.none_label.isVisible() and "没有找到" in page.none_label.text()
    assert "qqqzzz" in page.none_label.text()
    qtbot.keyClick(page.search_edit, Qt.Key.Key_Return)              # nothing to take: stays
    assert win.stack.currentIndex() == 0 and intake_app.intake.draft is None
    with qtbot.waitSignal(intake_app.intake.items_found):
        page.search_edit.setText("gtgsh")
    assert not page.none_label.isVisible()


def test_a_wrong_mobile_or_id_stops_at_its_field_with_the_cursor_there(qtbot, intake_app):  # noqa: F811
    app = intake_app
    win = choose_item(qtbot, app, "gtgsh", "个体工商户登记（设立登记）")
    page = win.applicant_page
    fill_person(qtbot, win, mobile="1380013800")                     # one digit short
    qtbot.mouseClick(win.next_button, Qt.MouseButton.LeftButton)
    assert win.stack.currentIndex() == 1                              # not on to the materials
    assert page.mobile_hint.text() and page.mobile_hint.text() in win.message.text()
    assert win.focusWidget() is page.mobile_edit
    page.id_edit.setText("11010519491231002Y")                        # wrong check character too
    qtbot.mouseClick(win.next_button, Qt.MouseButton.LeftButton)
    assert win.focusWidget() is page.id_edit and page.id_hint.text()
    assert page.id_hint.text() in win.message.text()
    page.id_edit.setText("11010519491231002X")
    page.mobile_edit.setText("13800138000")
    qtbot.mouseClick(win.next_button, Qt.MouseButton.LeftButton)
    assert win.stack.currentIndex() == 2 and win.message.text() == ""


def test_the_legal_representative_is_only_there_for_a_company(qtbot, intake_app):  # noqa: F811
    win = choose_item(qtbot, intake_app, "gtgsh", "个体工商户登记（设立登记）")
    page = win.applicant_page
    page.kind_box.setCurrentIndex(page.kind_box.findData("person"))
    assert not page.rep_edit.isVisible()
    page.id_edit.setFocus()
    order, widget = [], page.name_edit
    for _ in range(12):                                  # the Tab chain of the page
        widget = widget.nextInFocusChain()
        order.append(widget)
    assert page.rep_edit not in [w for w in order if w.isVisible()]
    page.kind_box.setCurrentIndex(page.kind_box.findData("company"))
    assert page.rep_edit.isVisible()


def test_every_new_case_is_typed_from_the_applicants_name(qtbot, intake_app, tmp_path):  # noqa: F811
    app = intake_app
    win = choose_item(qtbot, app, "gtgsh", "个体工商户登记（设立登记）")
    assert win.focusWidget() is win.applicant_page.name_edit
    fill_person(qtbot, win)
    win.applicant_page.agent_name_edit.setFocus()        # last typed in 代理人姓名
    qtbot.mouseClick(win.next_button, Qt.MouseButton.LeftButton)
    supply_materials(qtbot, app, win, tmp_path)
    decide(qtbot, app, win, Decision.ACCEPT)
    qtbot.mouseClick(win.finished_page.new_button, Qt.MouseButton.LeftButton)   # 受理下一件
    with qtbot.waitSignal(app.intake.items_found, check_params_cb=_fewer):
        win.item_page.search_edit.setText(ONE_ONLY)
    with qtbot.waitSignal(app.intake.draft_started):
        qtbot.keyClick(win.item_page.search_edit, Qt.Key.Key_Return)
    assert win.focusWidget() is win.applicant_page.name_edit


def test_the_materials_page_shows_this_cases_requirement(qtbot, intake_app):  # noqa: F811
    app = intake_app
    win = choose_item(qtbot, app, "gtgsh", "个体工商户登记（设立登记）")
    win.go(2)
    first = app.intake.draft.materials[0].standard
    assert win.materials_page.standard_label.text() == "要求：" + first
    win.start_new()
    win, page = search(qtbot, app, "sybx", _fewer)
    found = page.item_list
    page.item_list.setCurrentRow(next(i for i in range(found.count())
                                      if found.item(i).text().startswith("失业保险金申领")))
    with qtbot.waitSignal(app.intake.draft_started):
        qtbot.keyClick(page.search_edit, Qt.Key.Key_Return)
    win.go(2)
    now = app.intake.draft.materials[0].standard
    assert now != first
    assert win.materials_page.standard_label.text() == "要求：" + now


def test_an_original_checked_and_handed_back_is_a_status_of_its_own(qtbot, intake_app):  # noqa: F811
    app = intake_app
    win = choose_item(qtbot, app, "gtgsh", "个体工商户登记（设立登记）")
    win.go(2)
    box = win.materials_page.material_table.cellWidget(0, 3)
    index = box.findText("已收原件（已核验并退还）")
    assert index >= 0
    with qtbot.waitSignal(app.intake.material_changed):
        box.setCurrentIndex(index)
    assert app.intake.draft.materials[0].status is MaterialStatus.ORIGINAL_RETURNED
    assert app.intake.draft.materials[0].status.present


def test_a_taken_file_can_be_previewed_image_or_pdf(qtbot, intake_app, tmp_path):  # noqa: F811
    app = intake_app
    win = choose_item(qtbot, app, "gtgsh", "个体工商户登记（设立登记）")
    win.go(2)
    page = win.materials_page
    page.material_table.setCurrentCell(0, 0)
    assert not page.preview_button.isEnabled()                    # nothing to look at yet
    photo, pdf = tmp_path / "a.jpg", tmp_path / "b.pdf"
    photo.write_bytes(tiny_jpeg(7))
    pdf.write_bytes(tiny_pdf("申请表"))
    for row, path in ((0, photo), (1, pdf)):
        with qtbot.waitSignal(app.intake.material_changed):
            page.import_files_for_row(row, [path])
    for row, name in ((0, "a.jpg"), (1, "b.pdf")):
        page.material_table.setCurrentCell(row, 0)
        assert page.preview_button.isEnabled()
        with qtbot.waitSignal(app.intake.preview_ready) as ready:
            qtbot.mouseClick(page.preview_button, Qt.MouseButton.LeftButton)
        assert ready.args[1] == name and not ready.args[2].isNull()
        dialog = page.preview_dialog
        assert dialog is not None and dialog.isVisible() and name in dialog.windowTitle()
        picture = dialog.findChild(type(page.standard_label), "preview")
        assert not picture.pixmap().isNull() and picture.pixmap().width() > 1
        dialog.reject()


def _correction_case(qtbot, app, win, tmp_path):
    fill_person(qtbot, win)
    qtbot.mouseClick(win.next_button, Qt.MouseButton.LeftButton)
    missing = supply_materials(qtbot, app, win, tmp_path, leave_out=2)
    win.go(3)
    page = win.decision_page
    page.decision_buttons[Decision.CORRECT].setChecked(True)
    assert page.reasons_box.isVisible() and len(page.reason_edits) == 2
    assert not page.repeat_edit.isVisible()                # a first 补正 needs no reason of its own
    return missing


def test_correction_reasons_per_material_are_kept_with_the_case(qtbot, intake_app, tmp_path):  # noqa: F811
    app = intake_app
    win = choose_item(qtbot, app, "gtgsh", "个体工商户登记（设立登记）")
    missing = _correction_case(qtbot, app, win, tmp_path)
    page = win.decision_page
    codes = list(page.reason_edits)
    page.reason_edits[codes[0]].setText("复印件模糊，需提供清晰的彩色复印件")
    _done, case = decide(qtbot, app, win, Decision.CORRECT)
    reasons = {m["name"]: m["correction_reason"] for m in case["materials"]}
    assert reasons[missing[0]] == "复印件模糊，需提供清晰的彩色复印件"
    assert reasons[missing[1]] == ""
    assert all(r == "" for name, r in reasons.items() if name not in missing)


def test_a_second_correction_needs_a_reason_and_is_logged(qtbot, intake_app, tmp_path):  # noqa: F811
    app = intake_app
    win = choose_item(qtbot, app, "gtgsh", "个体工商户登记（设立登记）")
    _correction_case(qtbot, app, win, tmp_path)
    done, _case = decide(qtbot, app, win, Decision.CORRECT)

    win.start_new()                                  # the applicant is back, still short of one
    with qtbot.waitSignal(app.intake.draft_started):
        scan(qtbot, app, win.item_page.search_edit, done.case_no)
    draft = app.intake.draft
    still = [m for m in draft.materials if m.required and not m.status.present]
    path = tmp_path / "later.pdf"
    path.write_bytes(tiny_pdf("later"))
    with qtbot.waitSignal(app.intake.material_changed):
        win.materials_page.import_files_for_row(draft.materials.index(still[0]), [path])
    win.go(3)
    page = win.decision_page
    page.decision_buttons[Decision.CORRECT].setChecked(True)
    assert page.repeat_edit.isVisible()
    with qtbot.waitSignal(app.intake.commit_failed) as refused:
        qtbot.mouseClick(page.submit_button, Qt.MouseButton.LeftButton)
    assert any("再次补正须写明理由" in p for p in refused.args[0])
    assert "再次补正须写明理由" in page.repeat_hint.text()
    assert win.focusWidget() is page.repeat_edit
    assert "correction_repeat" not in app.reader.actions()

    page.repeat_edit.setText("申请人带来的户口簿非本人页")
    again, case = decide(qtbot, app, win, Decision.CORRECT)
    assert again.case_no == done.case_no and case["status"] == 6
    rows = app.reader.rows("SELECT clerk, window, detail FROM event_log WHERE action = ?",
                           ("correction_repeat",))
    assert len(rows) == 1
    clerk, window, detail = rows[0]
    assert (clerk, window) == ("li", 1)
    assert json.loads(detail) == {"case_no": done.case_no, "reason": "申请人带来的户口簿非本人页"}


class _Viewer(QObject):
    """The desktop's PDF viewer, as far as the program can tell (QDesktopServices' handler)."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url)


def test_the_finished_page_reprints_opens_the_pdf_and_says_the_case_is_safe(qtbot, intake_app,  # noqa: F811
                                                                            tmp_path):
    app = intake_app
    assert not app.config["platform.url"]                 # no platform: uploads wait on this PC
    win = choose_item(qtbot, app, "gtgsh", "个体工商户登记（设立登记）")
    fill_person(qtbot, win)
    qtbot.mouseClick(win.next_button, Qt.MouseButton.LeftButton)
    supply_materials(qtbot, app, win, tmp_path)
    done, _case = decide(qtbot, app, win, Decision.ACCEPT)
    page = win.finished_page
    assert page.reprint_button.isVisible() and page.open_button.isVisible()
    qtbot.waitUntil(lambda: page.offline_label.isVisible())
    assert "已安全保存在本机" in page.offline_label.text()
    assert "待上传 1 件" in page.offline_label.text()

    viewer = _Viewer()
    QDesktopServices.setUrlHandler("file", viewer, "open")
    try:
        qtbot.mouseClick(page.open_button, Qt.MouseButton.LeftButton)
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [Path(u.toLocalFile()) for u in viewer.opened] == [Path(win.printed["accept"])]

    first = Path(win.printed["accept"]).stat().st_mtime_ns
    win.printed.clear()
    qtbot.mouseClick(page.reprint_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: set(win.printed) == {"accept", "receipt"}, timeout=15000)
    assert done.case_no in Path(win.printed["accept"]).name or Path(win.printed["accept"]).exists()
    assert Path(win.printed["accept"]).stat().st_mtime_ns >= first

    # online again: the note goes; offline: it counts what waits
    win.show_sync_status({"connection": "online"})
    assert not page.offline_label.isVisible()
    win.show_sync_status({"connection": "offline"})
    assert page.offline_label.isVisible() and "连不上" in page.offline_label.text()


def test_an_address_too_long_for_the_platform_stops_at_its_field(qtbot, intake_app):  # noqa: F811
    """The platform takes at most 300 characters of address: caught at step 2, at the field,
    not after the applicant has left with paper and the upload ends in 需处理."""
    app = intake_app
    win = choose_item(qtbot, app, "gtgsh", "个体工商户登记（设立登记）")
    page = win.applicant_page
    fill_person(qtbot, win)
    page.address_edit.setText("示范县人民路" * 60)                    # 360 characters
    qtbot.mouseClick(win.next_button, Qt.MouseButton.LeftButton)
    assert win.stack.currentIndex() == 1
    assert win.focusWidget() is page.address_edit
    assert "通讯地址最多 300 个字" in page.address_hint.text()
    page.address_edit.setText("示范县人民路1号")
    qtbot.mouseClick(win.next_button, Qt.MouseButton.LeftButton)
    assert win.stack.currentIndex() == 2
