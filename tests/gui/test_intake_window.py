"""The intake window as the clerk reads it: whose ticket it is for on every step, and a
message line that tells the present, not an error already put right."""

from __future__ import annotations

from ..recipes import tiny_jpeg
from .test_intake_flow import choose_item, intake_app, scan  # noqa: F401  (the fixture)


def test_intake_shows_the_called_ticket_and_its_service_on_every_step(qtbot, intake_app):  # noqa: F811
    app = intake_app
    with qtbot.waitSignal(app.queue.ticket_called):
        app.queue.call_next()
    ticket = app.queue.current
    service = app.queue.service_name(ticket.service)
    assert ticket.number == "A001" and service
    app.window.actions_by_name["intake"].trigger()            # F11 at the counter
    win = app.intake_window
    assert win.isVisible()
    assert win.windowTitle() == f"受理 · A001 · {service}"
    for step in range(5):                                    # the header is above every step
        win.go(step)
        assert win.ticket_label.isVisible() and win.ticket_label.text() == f"A001　·　{service}"
        if step == 0:
            win = choose_item(qtbot, app, "gtgsh", "个体工商户登记（设立登记）")
    assert app.intake.draft.ticket == "A001"
    # the applicant hands over another number: the header follows what the case will carry
    scan(qtbot, app, win.applicant_page.name_edit, "A007")
    assert win.ticket_label.text() == "A007" and win.windowTitle() == "受理 · A007"
    # 重新开始 and intake opened with no ticket at the counter: nothing of A001 / A007 is left
    win.start_new()
    app.shell.open_intake("")
    assert win.ticket_label.text() == "无排队号"
    assert "A00" not in win.windowTitle() and win.windowTitle() == f"受理 · {app.config['hall.name']}"


def test_a_refused_file_no_longer_shows_once_a_good_one_is_taken(qtbot, intake_app, tmp_path):  # noqa: F811
    app = intake_app
    win = choose_item(qtbot, app, "bdcdjzlcx", "不动产登记资料查询")
    win.go(2)
    page = win.materials_page
    empty = tmp_path / "空文件.jpg"
    empty.write_bytes(b"")
    wrong = tmp_path / "申请表.docx.jpg"
    wrong.write_bytes(b"PK\x03\x04 not a picture")
    good = tmp_path / "身份证.jpg"
    good.write_bytes(tiny_jpeg(5))

    with qtbot.waitSignal(app.intake.material_failed) as refused:
        page.import_files_for_row(0, [empty])
    assert win.message.text() == refused.args[1] and win.message.property("tone") == "error"
    assert refused.args[1] in page.material_table.item(0, 4).text()     # the row says why too
    with qtbot.waitSignal(app.intake.material_failed) as refused_again:
        page.import_files_for_row(1, [wrong])
    assert refused_again.args[1] in page.material_table.item(1, 4).text()

    # the second material's file is put right: its row and the message line are clear,
    # the first material (still without a file) keeps its own mark
    with qtbot.waitSignal(app.intake.material_changed):
        page.import_files_for_row(1, [good])
    assert win.message.text() == ""
    assert page.material_table.item(1, 4).text() == "1"
    assert refused.args[1] in page.material_table.item(0, 4).text()
    # ... and the first one too
    with qtbot.waitSignal(app.intake.material_changed):
        page.import_files_for_row(0, [good])
    assert page.material_table.item(0, 4).text() == "1"
    assert page.material_table.item(0, 4).toolTip() == ""

    # a status that could not be set (已收取 without a file) clears once another is chosen
    row = len(app.intake.draft.materials) - 1
    assert row >= 2 and not app.intake.draft.materials[row].files, app.intake.draft.materials
    with qtbot.waitSignal(app.intake.material_failed):
        page.material_table.cellWidget(row, 3).setCurrentIndex(1)      # 已收取（电子件）, no file
    assert "请先扫描或导入" in win.message.text()
    with qtbot.waitSignal(app.intake.material_changed):
        page.material_table.cellWidget(row, 3).setCurrentIndex(5)       # 不适用
    assert win.message.text() == "" and "请先扫描" not in page.material_table.item(row, 4).text()


def test_intake_follows_the_counter_once_its_ticket_is_finished(qtbot, intake_app):  # noqa: F811
    """A001's case accepted and A001 finished (F5 from intake), then A002 called: the intake
    window, still open, is now for A002, and its next case is filed under A002, not under
    the finished A001."""
    app = intake_app
    with qtbot.waitSignal(app.queue.ticket_called):
        app.queue.call_next()
    with qtbot.waitSignal(app.queue.ticket_started):
        app.queue.start()
    win = app.shell.open_intake("A001")
    assert win.ticket_label.text().startswith("A001")
    with qtbot.waitSignal(app.queue.ticket_finished):      # (no draft open: 办结 goes through)
        app.queue.finish()
    qtbot.waitUntil(lambda: win.ticket_label.text() == "无排队号")
    with qtbot.waitSignal(app.queue.ticket_called) as called:
        app.queue.call_next()
    number = called.args[0].number
    assert number != "A001"
    qtbot.waitUntil(lambda: win.ticket_label.text().startswith(number))
    assert number in win.windowTitle()
    with qtbot.waitSignal(app.intake.items_found) as found:        # 受理下一件: the next item
        app.intake.search("gtgsh")
    with qtbot.waitSignal(app.intake.draft_started):
        app.intake.choose(found.args[0][0].impl_code)
    assert app.intake.draft.ticket == number
