"""培训模式 marks every window the same way: the counter, the kiosk beside it, intake, the
evaluator, the supervisor's report, and the hall panel; a real run marks none."""

from __future__ import annotations

from hallclient.app import main


def _marked(window) -> bool:
    banner = getattr(window, "training_banner", None)
    return (banner is not None and banner.text().startswith("培训模式")
            and not banner.isHidden() and window.windowTitle().startswith("【培训】"))


def test_every_window_of_a_training_run_is_marked(qtbot, tmp_path):
    app = main(["--data-dir", str(tmp_path), "--training"])
    try:
        qtbot.addWidget(app.window)
        qtbot.waitUntil(lambda: app.session.clerk is not None, timeout=10000)
        shell = app.shell
        windows = {"counter": app.window, "kiosk": app.kiosk_window,
                   "intake": shell.open_intake(), "evaluator": shell.ensure_evaluator(),
                   "dashboard": shell.open_dashboard(), "outbox": shell.open_outbox(),
                   "cases": shell.open_case_list()}
        assert {name for name, w in windows.items() if not _marked(w)} == set()
        # and the dialogs opened from them
        if app.queue.current is None:
            with qtbot.waitSignal(app.queue.ticket_called):
                app.queue.call_next()
        app.window._do_transfer()
        app.window.open_manual_review()
        dialogs = {"transfer": app.window._chooser, "manual review": app.window._manual_review}
        assert {name for name, w in dialogs.items() if not _marked(w)} == set()
        # applicants read a notice meant for them
        assert "不是真实办事" in app.kiosk_window.training_banner.text()
        # a title set later keeps the mark
        app.intake_window.setWindowTitle("受理")
        assert app.intake_window.windowTitle() == "【培训】受理"
    finally:
        app.close()


def test_the_training_panel_is_marked(qtbot):
    app = main(["--training", "panel", "--windowed", "--demo"])
    try:
        qtbot.addWidget(app.panel)
        assert _marked(app.panel)
    finally:
        app.close()


def test_a_real_run_marks_nothing(qtbot, start_app):
    app = start_app(argv=("kiosk", "--windowed"))
    qtbot.addWidget(app.kiosk_window)
    assert getattr(app.kiosk_window, "training_banner", None) is None
    assert not app.kiosk_window.windowTitle().startswith("【培训】")


def test_a_form_dialog_gets_the_banner_as_its_first_row(qtbot):
    """The supervisor's sign-in box is a form: the banner is its first row, not drawn over
    the user-name field."""
    from PySide6.QtWidgets import QDialog, QFormLayout, QLineEdit

    from hallclient.ui.training import mark_like, mark_training

    owner = QDialog()
    qtbot.addWidget(owner)
    mark_training(owner)
    dialog = QDialog(owner)
    form = QFormLayout(dialog)
    form.addRow("用户名", QLineEdit())
    mark_like(dialog, owner)
    assert _marked(dialog)
    assert form.itemAt(0, QFormLayout.ItemRole.SpanningRole).widget() is dialog.training_banner


def test_closing_the_program_closes_the_dialogs_it_left_open(qtbot, tmp_path):
    """A modal dialog (转移) left open when the program closes would take every key of
    what runs next (the barcode wedge saw none)."""
    from PySide6.QtWidgets import QApplication

    app = main(["--data-dir", str(tmp_path), "--training"])
    qtbot.addWidget(app.window)
    qtbot.waitUntil(lambda: app.session.clerk is not None, timeout=10000)
    if app.queue.current is None:
        with qtbot.waitSignal(app.queue.ticket_called):
            app.queue.call_next()
    app.window._do_transfer()
    assert app.window._chooser.isVisible()
    app.close()
    assert not app.window._chooser.isVisible()
    assert QApplication.activeModalWidget() is None
