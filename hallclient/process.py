"""The program as a process: its throw-away data folders, a private data directory, and
the signals (Ctrl+C, SIGTERM, a closed terminal) that end it cleanly, before and during the
event loop."""

from __future__ import annotations

import functools
import logging
import os
import shutil
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Running(Protocol):
    """What the event loop runs: a QApplication, an exit code of its own, and a close."""

    qapp: Any
    exit_code: int | None

    def close(self) -> None: ...


THROWAWAY_PREFIX = "hallclient-demo-"
OWNER_FILE = "owner.pid"


def remove_stale_throwaways(tmp: Path) -> None:
    """Folders of demos and self-tests that were killed (SIGKILL, power cut) keep a demo
    device secret: the next one removes those of this user whose program is gone."""
    for folder in tmp.glob(THROWAWAY_PREFIX + "*"):
        try:
            if os.name != "nt" and folder.stat().st_uid != os.getuid():
                continue
            pid = int((folder / OWNER_FILE).read_text(encoding="ascii"))
        except (OSError, ValueError):
            continue                    # not ours, or still being made
        if not _process_alive(pid):
            log.info("removing %s, left by a program that ended without cleaning up", folder)
            remove_left_folder(folder)       # once its platform simulator has ended


SIM_PID_FILE = "platform-sim.pid"


def remove_left_folder(folder: Path, patience_s: float = 30.0) -> None:
    """Remove the folder of a demo or self-test that was killed. Its platform simulator
    notices that its program is gone and stops (still starting, it first finishes that,
    writing into the folder): wait for it to end, then remove the folder."""
    import time

    give_up = time.monotonic() + patience_s
    try:
        pid = int((folder / SIM_PID_FILE).read_text(encoding="ascii"))
    except (OSError, ValueError):
        pid = 0
    while pid and _simulator_running(pid) and time.monotonic() < give_up:
        time.sleep(0.1)
    shutil.rmtree(folder, ignore_errors=True)


def _simulator_running(pid: int) -> bool:
    """Process ``pid`` is alive and (where this can be told) a platform simulator."""
    if os.name == "nt":
        return False                 # os.kill there would end the process, not ask about it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return False                 # another user's process: not our simulator
    try:
        return b"platform-sim" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True                  # alive, and no /proc to ask


def _process_alive(pid: int) -> bool:
    if os.name == "nt":
        return True                     # no cheap check there: leave it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True                     # exists, another user's
    return True


def display_available() -> bool:
    """Qt on Linux aborts the process (with a misleading hint about xcb libraries) when it
    has no display and no platform was chosen; elsewhere there is always one."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


_WITHOUT_CONSOLE: list[bool] = []


def prepare_standard_streams() -> None:
    """Standard output that cannot fail on our text. pythonw.exe (what the Start menu starts
    on Windows) has no console: ``sys.stdout`` and ``sys.stderr`` are None, and whatever
    writes to them (faulthandler, a traceback) fails; they get the null device until
    ``console_output_to()`` knows the data directory. Output redirected on a Windows whose
    code page has no Chinese (cp1252) writes what it cannot encode as \\uXXXX instead of
    ending the command with UnicodeEncodeError."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))     # noqa: SIM115
            _WITHOUT_CONSOLE.append(True)
        elif hasattr(stream, "reconfigure") and (stream.encoding or "").lower() not in (
                "utf-8", "utf8"):
            stream.reconfigure(errors="backslashreplace")


def console_output_to(path: Path) -> None:
    """Started without a console: what would have gone to it (the self-test's line, a
    traceback, faulthandler's stacks) is appended to ``path`` instead. A file that cannot be
    opened (read-only, a folder, held by another program) keeps the null device: the program
    still starts, and its log says where the output could not go."""
    if not _WITHOUT_CONSOLE:
        return
    try:
        stream = open(path, "a", encoding="utf-8", buffering=1)           # noqa: SIM115
    except OSError as exc:
        log.warning("console output cannot go to %s (%s): it is dropped", path,
                    exc.strerror or type(exc).__name__)
        return
    sys.stdout = sys.stderr = stream


@functools.cache
def under_wine() -> bool:
    """Running on wine (Linux's Windows layer), where some Windows services never answer:
    its ntdll exports wine_get_version, Windows' own does not. Asked once per process."""
    if sys.platform != "win32":
        return False
    import ctypes

    return hasattr(ctypes.WinDLL("ntdll"), "wine_get_version")


def keep_private(folder: Path) -> None:
    """A data directory holds applicants' names, ID numbers and files: only its owner may
    enter it (POSIX; on Windows the profile's AppData already is the user's own)."""
    if os.name == "nt" or not folder.is_dir():
        return
    try:
        if folder.stat().st_uid == os.getuid() and folder.stat().st_mode & 0o077:
            folder.chmod(0o700)
            log.info("data directory %s made owner-only", folder)
    except OSError as exc:
        log.warning("could not make %s owner-only: %s", folder, exc)


STOPPED_BY = {"SIGINT": "已退出（Ctrl+C）", "SIGTERM": "已退出（收到终止信号）",
              "SIGHUP": "已退出（终端已关闭）"}


def stop_signals() -> list[signal.Signals]:
    """Signals that end the program cleanly: Ctrl+C, termination, and on POSIX the closing
    of the terminal it was started from."""
    return [signal.SIGINT, signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])


def run_until_closed(app: Running, throwaway: Path | None, self_test: bool = False) -> int:
    """The event loop, until the last window closes, the self-test ends, or SIGINT / SIGTERM
    arrive (Ctrl+C in a terminal, a logout, systemd): then everything is closed in order
    (uploads stopped, servers stopped, the database closed) and a throw-away folder, with
    the demo's device secret, is removed."""
    caught: list[str] = []
    restore = quit_on_signals(app.qapp, caught.append)
    code = 0
    try:
        if not DURING_START_UP:
            code = app.qapp.exec()
    finally:
        app.close()
        restore()
        if throwaway is not None:
            remove_folder(throwaway)
    if DURING_START_UP:
        return stopped_starting(DURING_START_UP[0], self_test)
    if caught:
        return stopped(caught[0], self_test)
    return app.exit_code if app.exit_code is not None else int(code)


def stopped(name: str, self_test: bool) -> int:
    """A signal ended the program: a self-test that did not finish has failed."""
    if self_test:
        print(f"SELFTEST FAILED: 自检被中断（收到 {name}）", flush=True)
        return 2
    print(STOPPED_BY.get(name, "已退出"), file=sys.stderr, flush=True)
    return 0


def stopped_starting(name: str, self_test: bool) -> int:
    """A signal ended the program before it was up."""
    if self_test:
        return stopped(name, True)
    print(f"{STOPPED_BY.get(name, '已退出')}：未完成", file=sys.stderr, flush=True)
    return 130 if name == "SIGINT" else 143


class StartUpInterruptedError(Exception):
    """SIGINT or SIGTERM before the event loop runs (start-up)."""


def interrupt_start_up(number: int, _frame: object) -> None:
    """Commands without windows stop where they are."""
    raise StartUpInterruptedError(signal.Signals(number).name)


DURING_START_UP: list[str] = []


def note_start_up_signal(number: int, _frame: object) -> None:
    """The windowed programs note the signal and close before their event loop would run:
    an exception raised at an arbitrary point of their start-up may land inside Qt's binding
    (its types are registered by Python code while they are imported) and crash it."""
    DURING_START_UP.append(signal.Signals(number).name)


def quit_on_signals(qapp: Any, on_signal: Callable[[str], None]) -> Callable[[], None]:
    """Leave Qt's event loop on SIGINT and SIGTERM. The C-level handler writes the signal's
    number to a socket that Qt watches, so the loop wakes at once, even while it waits in C++
    where Python's own handlers would not run. Returns what undoes it."""
    import socket

    from PySide6.QtCore import QSocketNotifier

    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    wanted = stop_signals()
    previous = {s: signal.signal(s, lambda *_: None) for s in wanted}
    old_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, qapp)

    def woken() -> None:
        try:
            numbers = reader.recv(64)
        except OSError:
            return
        for number in numbers:
            name = signal.Signals(number).name if number in set(wanted) else ""
            if name:
                log.info("%s received: closing", name)
                on_signal(name)
                qapp.quit()
                return

    notifier.activated.connect(woken)

    def restore() -> None:
        notifier.setEnabled(False)
        signal.set_wakeup_fd(old_fd)
        for number, handler in previous.items():
            signal.signal(number, handler)
        reader.close()
        writer.close()

    return restore


def remove_folder(folder: Path) -> None:
    """Remove a throw-away data folder; our log file in it is closed first (Windows cannot
    delete an open file)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if str(getattr(handler, "baseFilename", "")).startswith(str(folder)):
            root.removeHandler(handler)
            handler.close()
    shutil.rmtree(folder, ignore_errors=True)


M_MMAP_THRESHOLD = -3     # glibc's mallopt parameter numbers (malloc.h)
M_ARENA_MAX = -8
ARENAS = 2
MMAP_THRESHOLD = 256 * 1024


def tune_malloc(arenas: int = ARENAS, mmap_threshold: int = MMAP_THRESHOLD) -> bool:
    """glibc gives each thread that allocates its own malloc arena, up to eight per core;
    Qt, SQLite and the lanes' threads each keep one partly filled. And once a large block
    (an image, a page being printed) is freed, glibc raises the size from which blocks get
    their own mapping, so later large blocks stay in the heap after they are freed. Two
    arenas and a fixed threshold keep the counter some 30 MB smaller for the same work.
    No effect (False) where the C library is not glibc."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None)       # this process's own symbols, the C library among them
        mallopt = libc.mallopt
    except (OSError, AttributeError):        # musl and others: no mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, arenas)) and bool(mallopt(M_MMAP_THRESHOLD, mmap_threshold))


def forget_module_sources(qapp: Any, early_s: int = 60, later_s: int = 300) -> Any:
    """PySide6's feature hook reads the source of every module imported after it (to see
    whether the module uses PySide6), and Python's line cache keeps those lines: several MB
    of text, more in the heap's fragments, for nothing. Drop them every second while the
    program starts and its parts load on first use (``early_s``), then every ``later_s``.
    Tracebacks read the lines again when they need them. Returns the timer."""
    import linecache

    from PySide6.QtCore import QTimer

    timer = QTimer(qapp)
    ticks = [0]

    def forget() -> None:
        linecache.clearcache()
        ticks[0] += 1
        if ticks[0] == early_s:
            timer.setInterval(later_s * 1000)

    timer.timeout.connect(forget)
    timer.start(1000)
    return timer


def after_painted(widget: Any, then: Callable[[], None], fallback_ms: int = 2000) -> Any:
    """Call ``then`` once ``widget`` has been painted the first time (the event loop's next
    turn after its first paint event), so work queued for "after the window is up" does
    not hold the first frame back; a window that is never painted (minimised, no screen)
    gets it after ``fallback_ms``. Returns the watcher (kept alive by ``widget``)."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    done: list[bool] = []

    def once() -> None:
        if not done:
            done.append(True)
            then()

    class Watcher(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and not done:
                watched.removeEventFilter(self)
                QTimer.singleShot(0, once)
            return False

    watcher = Watcher(widget)
    widget.installEventFilter(watcher)
    QTimer.singleShot(fallback_ms, once)
    return watcher


def program_command() -> list[str]:
    """How to start this program again as a child: the bundled executable itself in the
    .deb and Windows builds (it takes the same commands), else this Python with ``-m``."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "hallclient"]


def program_folder() -> str:
    """Where a child starts: the folder the running package lies in. Never the user's
    current folder, whose own ``hallclient`` folder (a checkout, something planted) Python
    would import instead of the installed program."""
    import hallclient

    return str(Path(hallclient.__file__).resolve().parents[1])
