"""Spoken call announcements (语音叫号) with a chime-and-flash fallback.

Speech goes through QtTextToSpeech. A Chinese voice is used when any engine has one; an
engine the administrator named in ``announce.engine`` is used with its own voice. With no
usable engine the announcer plays a chime and asks the window to flash — never an error.
Utterances are queued (``enqueue``) so consecutive calls never cut each other off.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QLocale, QObject, QUrl, Signal
from PySide6.QtWidgets import QApplication

from hallclient import resources
from hallclient.core.announce import DEFAULT_TEMPLATE, display_text, speech_text
from hallclient.process import under_wine

if TYPE_CHECKING:
    from PySide6.QtMultimedia import QSoundEffect
    from PySide6.QtTextToSpeech import QTextToSpeech

log = logging.getLogger(__name__)

TEST_ENGINES = {"mock"}


class Announcer(QObject):
    """Signals:
    announced(str display, str spoken, str via) — via is "speech" or "chime"
    flash_requested(str display) — the window should flash the call on screen
    """

    announced = Signal(str, str, str)
    flash_requested = Signal(str)

    def __init__(self, template: str = DEFAULT_TEMPLATE, *, speech: bool = True,
                 engine: str = "", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.template = template
        self._tts: QTextToSpeech | None = None
        self._effect: QSoundEffect | None = None
        self.voice_description = "提示音"
        if speech:
            self._tts = self._open_speech(engine)

    # -- setup -------------------------------------------------------------------------

    def _open_speech(self, configured: str) -> QTextToSpeech | None:
        if under_wine():       # its SAPI and WinRT speech never answer (or crash)
            log.info("on wine: calls are announced with a chime")
            return None
        try:
            from PySide6.QtTextToSpeech import QTextToSpeech
        except ImportError:
            log.info("QtTextToSpeech not available; using chime")
            return None
        engines = [configured] if configured else [
            e for e in QTextToSpeech.availableEngines() if e not in TEST_ENGINES
        ]
        for name in engines:
            tts = QTextToSpeech(name, self)
            if tts.state() == QTextToSpeech.State.Error:
                log.info("speech engine %s unusable: %s", name, tts.errorString())
                tts.deleteLater()
                continue
            chinese = [loc for loc in tts.availableLocales()
                       if loc.language() == QLocale.Language.Chinese]
            if chinese:
                tts.setLocale(chinese[0])
                self.voice_description = f"{name}（{chinese[0].nativeLanguageName()}）"
                return tts
            if configured:
                self.voice_description = f"{name}（默认语音）"
                return tts
            log.info("speech engine %s has no Chinese voice", name)
            tts.deleteLater()
        log.info("no usable speech engine; calls are announced with a chime")
        return None

    @property
    def speaks(self) -> bool:
        return self._tts is not None

    # -- announcing --------------------------------------------------------------------

    def announce(self, number: str, window: int) -> None:
        shown = display_text(self.template, number, window)
        spoken = speech_text(self.template, number, window)
        self.flash_requested.emit(shown)
        if self._tts is not None:
            self._tts.enqueue(spoken)
            self.announced.emit(shown, spoken, "speech")
        else:
            self._chime()
            self.announced.emit(shown, spoken, "chime")

    def say(self, text: str) -> None:
        """A prompt spoken (the kiosk's 长辈模式); nothing without a voice: a chime would
        only startle, the words are on the screen."""
        if self._tts is not None:
            self._tts.stop()               # the newest prompt, not a queue of stale ones
            self._tts.say(text)

    def _chime(self) -> None:
        if not sound_possible():             # not even the media stack is loaded to ask
            QApplication.beep()
            return
        try:
            from PySide6.QtMultimedia import QMediaDevices, QSoundEffect
        except ImportError:
            QApplication.beep()
            return
        if not QMediaDevices.audioOutputs():
            QApplication.beep()
            return
        if self._effect is None:
            self._effect = QSoundEffect(self)
            self._effect.setSource(QUrl.fromLocalFile(str(resources.path("sounds", "chime.wav"))))
        self._effect.play()

    def adopt(self, other: Announcer) -> None:
        """Take over ``other``'s speech engine (loaded after the window was shown)."""
        if other._tts is not None:
            other._tts.setParent(self)
            self._tts = other._tts
            self.voice_description = other.voice_description
        other.deleteLater()

    def speech_state(self) -> str:
        return "none" if self._tts is None else self._tts.state().name


def sound_possible(environ: Mapping[str, str] = os.environ, root: Path = Path("/")) -> bool:
    """False only where it is certain that nothing can be heard: a Linux PC with no sound
    card (``/dev/snd``, ``/proc/asound``) and no sound server (a PulseAudio or PipeWire
    socket, or ``PULSE_SERVER`` naming one elsewhere). Asking Qt's media stack instead
    loads some 13 MB of libraries just to learn there is no output. Elsewhere: True."""
    if not sys.platform.startswith("linux") or environ.get("PULSE_SERVER"):
        return True
    sockets = [root / "run" / "pulse" / "native"]
    if environ.get("XDG_RUNTIME_DIR"):
        runtime = root / environ["XDG_RUNTIME_DIR"].lstrip("/")
        sockets += [runtime / "pulse" / "native", runtime / "pipewire-0"]
    if any(path.exists() for path in sockets):
        return True
    cards = root / "proc" / "asound" / "cards"
    try:
        listed = "no soundcards" not in cards.read_text(encoding="ascii", errors="replace")
    except OSError:
        listed = False
    return listed or (root / "dev" / "snd").is_dir()
