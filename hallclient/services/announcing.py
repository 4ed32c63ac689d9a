"""What a window needs of the call announcer (语音叫号).

The announcer itself is a device (devices.speech.Announcer: a speech engine, or a chime);
the shells build it and hand it to the counter window and the hall panel, which know it
only by this shape.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import SignalInstance


class CallAnnouncer(Protocol):
    """Says a call (number and window) aloud, or chimes; ``flash_requested(str display)``
    asks the window to flash the call on screen. ``template`` is the hall's wording of a
    call (core.announce), for windows that show the call as text too."""

    template: str
    flash_requested: SignalInstance

    def announce(self, number: str, window: int) -> None: ...
