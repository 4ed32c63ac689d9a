"""The program's one file dialog (选择文件 / 导出), for materials to import and reports to save.

Always Qt's own dialog, never the desktop's: it then looks and reads the same on UOS, Kylin
and Windows, and every label is one we set in Chinese (查找范围, 文件名, 文件类型, the column
names, 打开 / 保存 / 取消). It opens in the detail view with the name column taking the
room the other columns leave, dates written 2026-12-01 14:30 (the file model writes them in
the system locale's short form, "1 12 2026" where that locale is C), sized from the screen
it opens on, and in the folder last used for the same purpose (kept in ``state.ini`` beside
``config.ini``, with the window places) — or else the user's Pictures / Documents folder,
never the program's working directory. A training run marks it like every other window.

The composition root installs one ``FileChooser`` on the application (``install``);
``open_file_names`` / ``save_file_name`` use it (a chooser that keeps nothing when none is
installed, as in tools and unit tests).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QDir,
    QIdentityProxyModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSettings,
    QSize,
    QStandardPaths,
    Qt,
)
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFileSystemModel,
    QHeaderView,
    QTreeView,
    QWidget,
)

from .geometry import fit_rect

log = logging.getLogger(__name__)

MATERIALS = "materials"     # files of an applicant's materials (扫描件、照片、PDF)
EXPORT = "export"           # the supervisor's report exports
DATE_FORMAT = "yyyy-MM-dd HH:mm"
SHARE = (0.72, 0.8)         # of the screen's available geometry ...
AT_LEAST = (1000, 600)      # ... but never less than this where the screen has the room
NAME, SIZE, KIND, DATE = range(4)


def _tr(text: str) -> str:
    return QCoreApplication.translate("FileChooser", text)


def size_text(size: int) -> str:
    """A file's size as 「980 字节」, 「2.9 KB」, 「12.4 MB」."""
    if size < 1024:
        return _tr("{n} 字节").format(n=size)
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:.1f} {unit}"


class ChineseFileColumns(QIdentityProxyModel):
    """The dialog's file list as the clerk reads it: Chinese column names, sizes in 字节 /
    KB / MB, the kind of a file as 「JPG 文件」 / 「文件夹」 and dates as 2026-12-01 14:30,
    whatever the system locale is."""

    def _files(self) -> QFileSystemModel | None:
        source = self.sourceModel()
        return source if isinstance(source, QFileSystemModel) else None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        files = self._files()
        if (files is not None and index.isValid() and role == Qt.ItemDataRole.DisplayRole
                and index.column() in (SIZE, KIND, DATE)):
            source = self.mapToSource(index)
            if index.column() == SIZE:
                return "" if files.isDir(source) else size_text(files.size(source))
            if index.column() == DATE:
                return files.lastModified(source).toString(DATE_FORMAT)
            if files.isDir(source):
                return _tr("文件夹")
            suffix = files.fileInfo(source).suffix()
            return _tr("{suffix} 文件").format(suffix=suffix.upper()) if suffix else _tr("文件")
        return super().data(index, role)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and section in (NAME, SIZE, KIND, DATE)):
            return (_tr("名称"), _tr("大小"), _tr("类型"), _tr("修改日期"))[section]
        return super().headerData(section, orientation, role)


def _existing(*locations: QStandardPaths.StandardLocation) -> Path | None:
    for location in locations:
        text = QStandardPaths.writableLocation(location)
        if text and Path(text).is_dir():
            return Path(text)
    return None


def default_folder(purpose: str) -> Path:
    """Where a purpose's first dialog opens: scans and photos are kept in Pictures (or
    Documents), exports go to Documents; the home folder where those do not exist."""
    pictures, documents = (QStandardPaths.StandardLocation.PicturesLocation,
                           QStandardPaths.StandardLocation.DocumentsLocation)
    order = (pictures, documents) if purpose == MATERIALS else (documents, pictures)
    return _existing(*order) or Path(QDir.homePath())


class FileChooser(QObject):
    """Builds and runs the file dialog; remembers the folder used last per purpose in
    ``state_file`` (None keeps nothing)."""

    def __init__(self, state_file: Path | None = None, training: bool = False,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fileChooser")
        self.state_file = state_file
        self.training = training

    # -- the folder per purpose ----------------------------------------------------------

    def _settings(self) -> QSettings | None:
        if self.state_file is None:
            return None
        return QSettings(str(self.state_file), QSettings.Format.IniFormat)

    def folder_for(self, purpose: str) -> Path:
        settings = self._settings()
        saved = settings.value(f"folders/{purpose}", "") if settings is not None else ""
        if saved and Path(str(saved)).is_dir():
            return Path(str(saved))
        return default_folder(purpose)

    def remember(self, purpose: str, folder: Path) -> None:
        settings = self._settings()
        if settings is None or not folder.is_dir():
            return
        settings.setValue(f"folders/{purpose}", str(folder))
        settings.sync()
        if settings.status() != QSettings.Status.NoError:
            log.warning("the file dialog's folder could not be kept in %s", self.state_file)

    # -- the dialog ----------------------------------------------------------------------

    def dialog(self, parent: QWidget | None, purpose: str, title: str, name_filter: str,
               save_name: str | None = None) -> QFileDialog:
        """The dialog, ready to show: open one or more existing files, or (``save_name``
        given) save under a name."""
        dialog = QFileDialog(parent, title, str(self.folder_for(purpose)), name_filter)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setProxyModel(ChineseFileColumns(dialog))
        dialog.setViewMode(QFileDialog.ViewMode.Detail)
        saving = save_name is not None
        if saving:
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dialog.setFileMode(QFileDialog.FileMode.AnyFile)
            suffix = Path(save_name or "").suffix.lstrip(".")
            if suffix:
                dialog.setDefaultSuffix(suffix)
            dialog.selectFile(save_name or "")
        else:
            dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        labels = {QFileDialog.DialogLabel.LookIn: _tr("查找范围(&L)："),
                  QFileDialog.DialogLabel.FileName: _tr("文件名(&N)："),
                  QFileDialog.DialogLabel.FileType: _tr("文件类型(&T)："),
                  QFileDialog.DialogLabel.Accept: _tr("保存(&S)") if saving else _tr("打开(&O)"),
                  QFileDialog.DialogLabel.Reject: _tr("取消")}
        for which, text in labels.items():
            dialog.setLabelText(which, text)
        self._size(dialog, parent)
        self._columns(dialog)
        if self.training:
            from .training import mark_training

            mark_training(dialog)
        dialog.setProperty("purpose", purpose)
        return dialog

    def _size(self, dialog: QFileDialog, parent: QWidget | None) -> None:
        screen = parent.screen() if parent is not None else QGuiApplication.primaryScreen()
        screens = [screen.availableGeometry()] if screen is not None else []
        least = dialog.minimumSizeHint().expandedTo(QSize(*AT_LEAST))
        dialog.setGeometry(fit_rect(None, screens, SHARE, least))

    def _columns(self, dialog: QFileDialog) -> None:
        """The name takes what the size, kind and date leave (they are sized to their text)."""
        view = dialog.findChild(QTreeView, "treeView")
        if view is None:
            return
        header = view.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        metrics = view.fontMetrics()
        pad = 4 * metrics.averageCharWidth()
        for column, sample in ((SIZE, "1023.9 KB"), (KIND, "JPEG 文件"), (DATE, "2026-12-31 23:59")):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, metrics.horizontalAdvance(sample) + pad)
        # the header's menu (显示 大小 / 类型 / 修改日期) names the columns as they read now
        names = [view.model().headerData(c, Qt.Orientation.Horizontal) for c in (SIZE, KIND, DATE)]
        for action, name in zip(header.actions(), names, strict=False):
            action.setText(_tr("显示「{column}」").format(column=name))

    def open_files(self, parent: QWidget | None, purpose: str, title: str,
                   name_filter: str) -> list[Path]:
        dialog = self.dialog(parent, purpose, title, name_filter)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return []
        chosen = [Path(f) for f in dialog.selectedFiles()]
        if chosen:
            self.remember(purpose, chosen[0].parent)
        return chosen

    def save_file(self, parent: QWidget | None, purpose: str, title: str, save_name: str,
                  name_filter: str) -> Path | None:
        dialog = self.dialog(parent, purpose, title, name_filter, save_name=save_name)
        if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.selectedFiles():
            return None
        chosen = Path(dialog.selectedFiles()[0])
        self.remember(purpose, chosen.parent)
        return chosen


def install(owner: QObject, state_file: Path | None, training: bool) -> FileChooser:
    """The chooser the program's windows use from now on (one per application)."""
    for old in owner.findChildren(FileChooser, "fileChooser"):
        old.setParent(None)
        old.deleteLater()
    return FileChooser(state_file, training, owner)


def installed() -> FileChooser:
    """The installed chooser, or one that keeps nothing."""
    app = QCoreApplication.instance()
    found = app.findChild(FileChooser, "fileChooser") if app is not None else None
    return found if isinstance(found, FileChooser) else FileChooser()


def open_file_names(parent: QWidget | None, purpose: str, title: str, name_filter: str) -> list[Path]:
    return installed().open_files(parent, purpose, title, name_filter)


def save_file_name(parent: QWidget | None, purpose: str, title: str, save_name: str,
                   name_filter: str) -> Path | None:
    return installed().save_file(parent, purpose, title, save_name, name_filter)
