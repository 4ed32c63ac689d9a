"""The end-to-end suite on a real X server: Xvfb at the two screen sizes counters have,
the real program as a child process with its own data folder, real X key events.

Screenshots go to ``test-output/x11/<size>/`` (``HALLCLIENT_X11_OUTPUT`` to move it).
Xvfb picks a free display number itself; ``HALLCLIENT_X11_DISPLAYS=65,66`` pins them.
Where Xvfb or xdotool are missing the tests are skipped with the reason printed; with
``HALLCLIENT_X11_REQUIRED=1`` (CI) they fail instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .xserver import X, XServerError, Xvfb, missing_tools

ROOT = Path(__file__).resolve().parents[2]
SIZES = ((1366, 768), (1920, 1080))


def _cannot_run(reason: str) -> None:
    print(f"\ntests/x11: {reason}", file=sys.stderr)
    if os.environ.get("HALLCLIENT_X11_REQUIRED") == "1":
        pytest.fail(f"{reason} (HALLCLIENT_X11_REQUIRED=1)")
    pytest.skip(reason)


def _display_for(index: int) -> int | None:
    pinned = [p for p in os.environ.get("HALLCLIENT_X11_DISPLAYS", "").split(",") if p.strip()]
    return int(pinned[index % len(pinned)]) if pinned else None


def output_folder(width: int, height: int) -> Path:
    base = Path(os.environ.get("HALLCLIENT_X11_OUTPUT") or ROOT / "test-output" / "x11")
    folder = base / f"{width}x{height}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@dataclass
class Program:
    """``python3 -m hallclient --demo`` on the X server, and what it leaves behind."""

    process: subprocess.Popen
    tmp: Path
    log_file: Path
    data_dir: Path | None = None
    strip: list[tuple[str, str]] = field(default_factory=list)   # (after which action, text)

    def find_data_dir(self, timeout: float = 30) -> Path:
        """The demo's own data folder: made in our TMPDIR, owned by our process."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for owner in self.tmp.glob("*/owner.pid"):
                if owner.read_text(encoding="ascii").strip() == str(self.process.pid):
                    self.data_dir = owner.parent
                    return owner.parent
            if self.process.poll() is not None:
                raise AssertionError(f"the program ended: {self.output()}")
            time.sleep(0.1)
        raise AssertionError("the program made no data folder")

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        assert self.data_dir is not None
        conn = sqlite3.connect(f"file:{self.data_dir / 'hallclient.sqlite3'}?mode=ro", uri=True)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def wait_rows(self, sql: str, params: tuple = (), timeout: float = 15) -> list[tuple]:
        """The rows once the query finds any (the program writes on its own lane)."""
        end = time.monotonic() + timeout
        while True:
            try:
                found = self.rows(sql, params)
            except sqlite3.OperationalError:        # not made, or not migrated, yet
                if time.monotonic() > end:
                    raise
                found = []
            if found or time.monotonic() > end:
                return found
            time.sleep(0.1)

    def log(self) -> str:
        assert self.data_dir is not None
        path = self.data_dir / "logs" / "hallclient.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def wait_log(self, text: str, timeout: float = 30) -> None:
        end = time.monotonic() + timeout
        while text not in self.log():
            if time.monotonic() > end:
                raise AssertionError(f"the program's log never said {text!r}")
            time.sleep(0.1)

    def display_strip(self) -> str:
        """What the window display strip (窗口屏) shows now, as the program logged it."""
        shown = [line.split("window display: ", 1)[1] for line in self.log().splitlines()
                 if "window display: " in line]
        return shown[-1].strip() if shown else "(blank)"

    def note_strip(self, after: str) -> None:
        time.sleep(0.3)      # the log line is written as the strip changes
        self.strip.append((after, self.display_strip()))

    def output(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")[-2000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Day:
    """One counter day on one screen size: the X server, the program, what happened."""

    x: X
    program: Program
    facts: dict[str, object] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)


@pytest.fixture(scope="module", params=SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def day(request, tmp_path_factory) -> Iterator[Day]:
    missing = missing_tools()
    if missing:
        _cannot_run("not installed: " + ", ".join(missing)
                    + " (apt install xvfb xdotool x11-utils imagemagick)")
    width, height = request.param
    try:
        server = Xvfb(width, height, _display_for(SIZES.index(request.param)))
    except XServerError as exc:
        _cannot_run(str(exc))
    tmp = tmp_path_factory.mktemp(f"x11-{width}x{height}")
    log_file = tmp / "program-output.txt"
    env = {**os.environ, "DISPLAY": server.display, "QT_QPA_PLATFORM": "xcb", "TMPDIR": str(tmp),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("WAYLAND_DISPLAY", None)
    with open(log_file, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "hallclient", "--demo"], env=env,
                                   stdout=out, stderr=subprocess.STDOUT, cwd=tmp)
    program = Program(process, tmp, log_file)
    x = X(server.display, width, height, output_folder(width, height))
    try:
        program.find_data_dir()
        yield Day(x, program)
    finally:
        program.stop()
        server.stop()
        print(f"\ntests/x11: {len(x.shot_names)} screenshots in {x.shots}", file=sys.stderr)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)   # for the steps that follow a failed one
    return report
