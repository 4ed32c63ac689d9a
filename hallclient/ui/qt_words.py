"""Chinese for the few words of Qt's own dialogs that its Chinese translations
(``qtbase_zh_CN.qm``) lack: newer Qt releases renamed a handful of strings (the file
dialog's 「查找范围」 and 「文件类型」 labels, the file type column's 文件夹) and the shipped
translations still carry the old ones. Installed after Qt's translator, so it is asked
first; for anything else it answers nothing and Qt's own translation is used."""

from __future__ import annotations

from PySide6.QtCore import QTranslator

GAPS: dict[tuple[str, str], str] = {
    ("QFileDialog", "&Look in:"): "查找范围(&L)：",
    ("QFileDialog", "Files of &type:"): "文件类型(&T)：",
    ("QAbstractFileIconProvider", "Folder"): "文件夹",
    ("QAbstractFileIconProvider", "File"): "文件",
    ("QAbstractFileIconProvider", "Drive"): "驱动器",
}


class QtWordGaps(QTranslator):
    """A translator holding ``GAPS`` (no .qm file to ship or to build)."""

    def translate(self, context: str, source: str, disambiguation: str | None = None,
                  n: int = -1) -> str | None:
        # None (a null string): not ours, ask the next translator. "" would be taken as
        # the translation and blank every other text.
        return GAPS.get((context, source))

    def isEmpty(self) -> bool:
        return False
