"""The file dialog a clerk picks materials in (and the supervisor saves exports in): Qt's own
dialog in Chinese, in the detail view with whole names and dates as 2026-12-01 14:30, fitted
to the screen, opening where the clerk last took files from (kept across restarts in
state.ini) or else in Pictures — never the program's working directory — and marked in a
training run."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import QApplication, QComboBox, QFileDialog, QLabel, QLineEdit, QTreeView

from hallclient.app import main
from hallclient.config import STATE_FILE

from ..recipes import tiny_jpeg
from .conftest import supervisor_board
from .test_intake_flow import choose_item, intake_app  # noqa: F401  (the fixture)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A user's home with Pictures and Documents, and a working directory elsewhere."""
    home = tmp_path / "home"
    for folder in ("Pictures", "Documents"):
        (home / folder).mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    return home


def in_next_file_dialog(act):
    """Runs ``act(dialog)`` inside the file dialog the next action opens (its own event
    loop), and closes the dialog if ``act`` left it open; what it returned or raised is
    kept in the dict returned."""
    seen: dict = {}

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QFileDialog):
            QTimer.singleShot(20, poll)
            return
        try:
            seen["result"] = act(dialog)
        except BaseException as exc:        # noqa: BLE001  (re-raised in the test)
            seen["error"] = exc
        finally:
            if dialog.isVisible():
                dialog.reject()

    QTimer.singleShot(0, poll)
    return seen


def outcome(seen: dict):
    if "error" in seen:
        raise seen["error"]
    assert "result" in seen, "no file dialog opened"
    return seen["result"]


def look_at(qtbot, dialog: QFileDialog, name: str) -> dict:
    """What the clerk sees of the dialog, with ``name``'s row listed."""
    view = dialog.findChild(QTreeView, "treeView")
    model = view.model()
    qtbot.waitUntil(lambda: any(model.index(r, 0, view.rootIndex()).data() == name
                                for r in range(model.rowCount(view.rootIndex()))))
    row = next(r for r in range(model.rowCount(view.rootIndex()))
               if model.index(r, 0, view.rootIndex()).data() == name)
    header = view.header()
    screen = dialog.screen().availableGeometry()
    return {
        "folder": Path(dialog.directory().absolutePath()),
        "native": not dialog.testOption(QFileDialog.Option.DontUseNativeDialog),
        "detail": dialog.viewMode() == QFileDialog.ViewMode.Detail and view.isVisible(),
        "labels": [w.text() for w in dialog.findChildren(QLabel) if w.text() and w.isVisible()],
        "headers": [model.headerData(c, Qt.Orientation.Horizontal) for c in range(4)],
        "cells": [model.index(row, c, view.rootIndex()).data() for c in range(4)],
        "name_width": header.sectionSize(0),
        "others_width": sum(header.sectionSize(c) for c in range(1, 4)),
        "name_needs": view.fontMetrics().horizontalAdvance(name) + 40,
        "view_width": view.viewport().width(),
        "fits": screen.contains(dialog.frameGeometry()) or screen.contains(dialog.geometry()),
        "wide": dialog.width() >= screen.width() // 2,
        "title": dialog.windowTitle(),
    }


def choose(qtbot, dialog: QFileDialog, path: Path) -> None:
    """Puts the file's full path in 文件名 (as an input method would: QTest types ASCII
    only) and presses Enter."""
    edit = dialog.findChild(QLineEdit, "fileNameEdit")
    edit.setFocus()
    edit.setText(str(path))
    qtbot.keyClick(edit, Qt.Key.Key_Return)


LONG_NAME = "营业执照副本扫描件-2026年12月-第1页.jpg"


def test_materials_dialog_is_chinese_readable_and_remembers_its_folder(qtbot, home, intake_app):  # noqa: F811
    app = intake_app
    pictures = home / "Pictures"
    (pictures / LONG_NAME).write_bytes(tiny_jpeg(3))
    win = choose_item(qtbot, app, "bdcdjzlcx", "不动产登记资料查询")
    win.go(2)
    page = win.materials_page
    page.material_table.setCurrentCell(0, 0)

    seen = in_next_file_dialog(lambda d: (look_at(qtbot, d, LONG_NAME),
                                          choose(qtbot, d, pictures / LONG_NAME)))
    with qtbot.waitSignal(app.intake.material_changed):
        qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    first, _ = outcome(seen)
    assert first["folder"] == pictures                  # not the working directory
    assert not first["native"] and first["detail"]
    assert any("查找范围" in t for t in first["labels"]) and any("文件类型" in t for t in first["labels"])
    assert any("文件名" in t for t in first["labels"])
    english = [t for t in first["labels"] + first["headers"] + first["cells"][1:2]
               if re.search(r"[A-Za-z]{3,}", t.replace("&", ""))]
    assert english == [], english
    assert first["headers"] == ["名称", "大小", "类型", "修改日期"]
    stamp = (pictures / LONG_NAME).stat().st_mtime
    assert first["cells"][3] == datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M")
    assert first["cells"][2] == "JPG 文件" and first["cells"][1].endswith("字节")
    # the whole name shows: the name takes what the other columns leave, at least half the list
    assert first["name_width"] >= first["name_needs"], first
    assert first["name_width"] >= first["view_width"] // 2
    assert abs(first["name_width"] + first["others_width"] - first["view_width"]) <= 2
    assert first["fits"] and first["wide"]
    assert app.intake.draft.materials[0].files[0].original_name == LONG_NAME

    # the clerk takes the next file from a folder of their own: the dialog opens there next time
    scans = home / "扫描件" / "王先生"
    scans.mkdir(parents=True)
    (scans / "身份证.jpg").write_bytes(tiny_jpeg(4))
    page.material_table.setCurrentCell(1, 0)
    seen = in_next_file_dialog(lambda d: choose(qtbot, d, scans / "身份证.jpg"))
    with qtbot.waitSignal(app.intake.material_changed):
        qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    outcome(seen)
    seen = in_next_file_dialog(lambda d: look_at(qtbot, d, "身份证.jpg")["folder"])
    qtbot.mouseClick(page.import_button, Qt.MouseButton.LeftButton)
    assert outcome(seen) == scans
    # ... and after a restart: the folder is kept in state.ini beside config.ini
    from hallclient.ui import file_dialog

    kept = file_dialog.FileChooser(app.data_dir / STATE_FILE)
    assert kept.folder_for(file_dialog.MATERIALS) == scans
    # a folder that is gone since is not where it opens
    (scans / "身份证.jpg").unlink()
    scans.rmdir()
    assert kept.folder_for(file_dialog.MATERIALS) == pictures


def test_without_pictures_or_documents_it_opens_in_home_not_the_working_directory(qtbot, home):
    from hallclient.ui import file_dialog

    for folder in ("Pictures", "Documents"):
        (home / folder).rmdir()
    dialog = file_dialog.FileChooser(None).dialog(None, file_dialog.MATERIALS, "选择材料文件",
                                                  "材料 (*.jpg)")
    qtbot.addWidget(dialog)
    assert Path(dialog.directory().absolutePath()) == home


def test_the_export_dialog_saves_where_the_supervisor_saved_last(qtbot, home, start_app):
    app = start_app()
    board = supervisor_board(qtbot, app)
    today = QDate.currentDate()
    board.first.setDate(today)
    board.last.setDate(today)
    with qtbot.waitSignal(app.reports.report_ready, timeout=10000):
        board.refresh()
    reports = home / "日报"
    reports.mkdir()

    def save(dialog: QFileDialog) -> dict:
        seen = {"folder": Path(dialog.directory().absolutePath()),
                "accept": dialog.acceptMode(), "name": dialog.findChild(QLineEdit, "fileNameEdit").text(),
                "type": dialog.findChild(QComboBox, "fileTypeCombo").currentText(),
                "labels": [w.text() for w in dialog.findChildren(QLabel) if w.text()]}
        choose(qtbot, dialog, reports / "十二月一日")
        return seen

    seen = in_next_file_dialog(save)
    with qtbot.waitSignal(app.reports.exported, timeout=10000) as exported:
        board.ask_export("csv")
    shown = outcome(seen)
    assert shown["folder"] == home / "Documents" and shown["accept"] == QFileDialog.AcceptMode.AcceptSave
    assert shown["name"].endswith(".csv") and shown["type"] == "CSV (*.csv)"
    assert any("查找范围" in t for t in shown["labels"])
    assert Path(exported.args[0]) == reports / "十二月一日.csv"        # the suffix added
    seen = in_next_file_dialog(lambda d: Path(d.directory().absolutePath()))
    board.ask_export("csv")
    assert outcome(seen) == reports


def test_a_training_run_marks_the_file_dialog_above_its_fields(qtbot, tmp_path, home):
    from hallclient.ui import file_dialog

    app = main(["--data-dir", str(tmp_path / "data"), "--training"])
    try:
        qtbot.addWidget(app.window)
        qtbot.waitUntil(lambda: app.session.clerk is not None and app.intake is not None,
                        timeout=10000)          # (the training clerk is signed in, all wired)
        dialog = file_dialog.installed().dialog(app.window, file_dialog.MATERIALS, "选择材料文件",
                                                "材料 (*.jpg)")
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        banner = dialog.training_banner
        assert banner.text().startswith("培训模式") and banner.isVisible()
        assert dialog.windowTitle().startswith("【培训】")
        look_in = dialog.findChild(QComboBox, "lookInCombo")
        assert banner.geometry().bottom() < look_in.mapTo(dialog, look_in.rect().topLeft()).y()
        dialog.reject()
    finally:
        app.close()
    # and where it was opened a real run is not marked
    plain = file_dialog.FileChooser(None).dialog(None, file_dialog.EXPORT, "导出", "CSV (*.csv)")
    qtbot.addWidget(plain)
    assert getattr(plain, "training_banner", None) is None
