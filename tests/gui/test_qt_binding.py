"""The Qt binding must not leak or over-release references when signals are emitted.

PySide6 6.12.0 releases one reference of the emitted call's result per emission: after a
few thousand signals True, False or None reach zero and the interpreter aborts — a counter
app emits that many before lunch. This test fails on such a binding.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QPushButton


class Emitter(QObject):
    happened = Signal(str, str)


class Sink:
    def __init__(self) -> None:
        self.calls = 0

    def take(self, a: str, b: str) -> None:
        self.calls += 1


def test_emitting_signals_keeps_reference_counts(qapp):
    emitter, sink = Emitter(), Sink()
    emitter.happened.connect(sink.take)
    button = QPushButton()
    button.clicked.connect(lambda checked=False: None)
    emitter.happened.emit("a", "b")
    button.click()
    before = [sys.getrefcount(x) for x in (True, False, None)]
    for _ in range(2000):
        emitter.happened.emit("a", "b")
        button.click()
    after = [sys.getrefcount(x) for x in (True, False, None)]
    assert sink.calls == 2001
    assert [a - b for a, b in zip(after, before, strict=True)] == [0, 0, 0]
