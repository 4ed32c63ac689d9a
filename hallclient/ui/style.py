"""The application's one stylesheet (resources/style.qss), set once on the QApplication."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QApplication

from hallclient import resources

log = logging.getLogger(__name__)

LOADED = "hallclientStyle"      # a property on the QApplication: the sheet is set


def use_stylesheet(qapp: QApplication) -> None:
    """Set the stylesheet, unless it already is (a second window, or tests)."""
    if qapp.property(LOADED):
        return
    qapp.setStyleSheet(resources.path("style.qss").read_text(encoding="utf-8"))
    qapp.setProperty(LOADED, True)
