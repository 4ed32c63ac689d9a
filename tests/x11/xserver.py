"""A real X server (Xvfb) and real X input (xdotool) for the end-to-end tests.

Nothing here looks inside the program: it is started as people start it, driven with key
events the X server delivers as a keyboard would, and watched through what it leaves behind
(its database, its log) and what the screen shows (screenshots, window geometry).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

TOOLS = ("Xvfb", "xdotool", "xwininfo", "import")
HUMAN_MS = 100          # a clerk or an applicant at the keyboard: 80-150 ms a key
SCANNER_MS = 3          # a USB barcode scanner: a key every few ms
FAST_TYPIST_MS = 30     # the fastest typing (and key-repeat): still a person


class XServerError(Exception):
    """Xvfb (or a tool to drive it) is missing or does not start here."""


def missing_tools() -> list[str]:
    return [t for t in TOOLS if shutil.which(t) is None]


class Xvfb:
    """An Xvfb of the given size. ``display`` None lets it choose a free number."""

    def __init__(self, width: int, height: int, display: int | None = None) -> None:
        self.width, self.height = width, height
        self.errors = tempfile.TemporaryFile()
        read, write = os.pipe()
        argv = ["Xvfb", *([f":{display}"] if display is not None else []),
                "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp", "-noreset",
                "-displayfd", str(write)]
        try:
            self.process = subprocess.Popen(argv, pass_fds=(write,), stdout=subprocess.DEVNULL,
                                            stderr=self.errors)
        except OSError as exc:
            for fd in (read, write):
                os.close(fd)
            self.errors.close()
            raise XServerError(f"Xvfb cannot be started: {exc}") from exc
        os.close(write)
        with os.fdopen(read, "rb") as ready:       # Xvfb writes its number when it is ready
            number = ready.readline().strip()
        if not number:
            self.process.kill()
            self.process.wait()
            self.errors.seek(0)
            err = [line for line in self.errors.read().decode(errors="replace").splitlines()
                   if line.startswith("(EE)") and line.strip() != "(EE)"]
            self.errors.close()
            raise XServerError(f"Xvfb did not start: {err[0] if err else 'no output'}")
        self.display = f":{int(number)}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.errors.close()


@dataclass
class Window:
    id: str
    name: str
    x: int
    y: int
    width: int
    height: int


@dataclass
class X:
    """Real key events and screen facts on one display."""

    display: str
    width: int
    height: int
    shots: Path
    shot_names: list[str] = field(default_factory=list)
    too_large: list[str] = field(default_factory=list)

    def run(self, *argv: str, timeout: float = 20) -> str:
        env = {**os.environ, "DISPLAY": self.display}
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
        return done.stdout

    # -- finding windows (by their titles, never by pixels) --------------------------------

    def wait_window(self, title_pattern: str, timeout: float = 30) -> str:
        """The id of the visible window whose title matches (a regular expression)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = self.run("xdotool", "search", "--onlyvisible", "--name", title_pattern).split()
            if found:
                return found[-1]
            time.sleep(0.1)
        raise AssertionError(f"no window titled like {title_pattern!r} appeared; "
                             f"visible: {[w.name for w in self.windows()]}")

    def wait_gone(self, title_pattern: str, timeout: float = 15) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not self.run("xdotool", "search", "--onlyvisible", "--name", title_pattern).split():
                return
            time.sleep(0.1)
        raise AssertionError(f"the window titled like {title_pattern!r} is still open")

    def windows(self) -> list[Window]:
        """Every visible top-level window with a title, and where it is."""
        found = []
        for wid in self.run("xdotool", "search", "--onlyvisible", "--name", ".").split():
            name = self.run("xdotool", "getwindowname", wid).strip()
            geo = dict(re.findall(r"(\w+)=(-?\d+)", self.run("xdotool", "getwindowgeometry",
                                                             "--shell", wid)))
            if not name or not geo:
                continue
            found.append(Window(wid, name, int(geo["X"]), int(geo["Y"]), int(geo["WIDTH"]),
                                int(geo["HEIGHT"])))
        return found

    def focus(self, title_pattern: str) -> str:
        """Give a window the keyboard. There is no window manager: where a desktop would
        hand focus back after a dialog closes, the test does it."""
        wid = self.wait_window(title_pattern)
        self.run("xdotool", "windowfocus", "--sync", wid)
        return wid

    # -- real input ------------------------------------------------------------------------

    def keys(self, *names: str, delay_ms: int = HUMAN_MS) -> None:
        self.run("xdotool", "key", "--delay", str(delay_ms), *names)

    def type(self, text: str, delay_ms: int = HUMAN_MS) -> None:
        self.run("xdotool", "type", "--delay", str(delay_ms), text, timeout=60)

    def scan(self, code: str) -> None:
        """A barcode scanner: the code at scanner speed, then Enter."""
        self.type(code, delay_ms=SCANNER_MS)
        self.keys("Return", delay_ms=SCANNER_MS)

    # -- what the screen shows -------------------------------------------------------------

    def screenshot(self, name: str) -> Path:
        """The whole screen as a PNG; and every window checked to fit on it."""
        path = self.shots / f"{len(self.shot_names) + 1:02d}-{name}.png"
        self.run("import", "-display", self.display, "-window", "root", str(path))
        self.shot_names.append(path.name)
        for w in self.windows():
            if w.width <= 1 or w.height <= 1 or w.name.startswith("Qt Selection Owner"):
                continue
            if (w.width > self.width or w.height > self.height or w.x < 0 or w.y < 0
                    or w.x + w.width > self.width or w.y + w.height > self.height):
                self.too_large.append(f"{name}: 「{w.name}」 {w.width}×{w.height} at "
                                      f"({w.x},{w.y}) on a {self.width}×{self.height} screen")
        return path
