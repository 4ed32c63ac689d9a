"""Qt's own dialogs speak Chinese: the file dialog a clerk picks scans in has no English
label left (Qt's Chinese translations lack a few of the newer strings; ours fill them)."""

from __future__ import annotations

import re

from PySide6.QtWidgets import QFileDialog, QLabel, QTreeView

from hallclient.app import speak_chinese


def test_the_file_dialog_has_no_english_label(qapp, qtbot, tmp_path):
    (tmp_path / "a-folder").mkdir()
    installed = speak_chinese(qapp)
    try:
        dialog = QFileDialog(None, "导入文件", str(tmp_path), "图片 (*.jpg *.png)")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        labels = [w.text() for w in dialog.findChildren(QLabel) if w.text()]
        # and Qt's own translations still answer for everything else, our own texts too
        assert qapp.translate("QPlatformTheme", "Cancel") == "取消"
        assert qapp.translate("CounterWindow", "呼叫下一位") == "呼叫下一位"
        assert any("查找范围" in text for text in labels), labels
        assert any("文件类型" in text for text in labels), labels
        english = [text for text in labels if re.search(r"[A-Za-z]{3,}", text.replace("&", ""))]
        assert english == [], english
        view = dialog.findChild(QTreeView, "treeView")
        qtbot.waitUntil(lambda: view.model().rowCount(view.rootIndex()) == 1)
        kind = view.model().index(0, 2, view.rootIndex()).data()
        assert kind == "文件夹"
    finally:
        for translator in installed:
            qapp.removeTranslator(translator)
