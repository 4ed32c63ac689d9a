"""The demo and the counter behave like programs: Ctrl+C and SIGTERM close them cleanly,
the demo's throw-away folder (with its device secret) goes with it, and the demo's kiosk
stands beside the counter."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, QSize

from hallclient.demo import side_by_side


def start(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    (tmp_path / "tmp").mkdir(exist_ok=True)
    env = {"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"),
           "TMPDIR": str(tmp_path / "tmp")}
    return subprocess.Popen([sys.executable, "-m", "hallclient", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for_log(folder_glob: Path, pattern: str, text: str, process: subprocess.Popen[str],
                 timeout_s: float = 60) -> Path:
    """Until the program's log under the folder says ``text`` (it is fully up)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        for log in folder_glob.glob(pattern):
            if text in log.read_text(encoding="utf-8", errors="replace"):
                return log
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never logged")


def wait_for_file(folder: Path, pattern: str, process: subprocess.Popen[str], timeout_s: float = 60) -> None:
    """Until the program has made a file matching ``pattern`` under ``folder``."""
    deadline = time.monotonic() + timeout_s
    while not list(folder.glob(pattern)):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{pattern} never made"
        time.sleep(0.02)


@pytest.mark.parametrize("sig, said", [(signal.SIGINT, "已退出（Ctrl+C）"),
                                        (signal.SIGTERM, "已退出（收到终止信号）")])
def test_the_demo_closes_on_a_signal_and_removes_its_folder(tmp_path, sig, said):
    process = start(tmp_path, "--demo")
    try:
        log = wait_for_log(tmp_path / "tmp", "hallclient-demo-*/logs/hallclient.log",
                           "sign-in page ready", process)
        folder = log.parents[1]
        assert (folder / "device.secret").exists()      # the demo's, in the folder, not a keyring
        time.sleep(1)                                   # uploads and the simulator are running
        process.send_signal(sig)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err[-3000:]
    assert said in err and "Traceback" not in err
    assert not folder.exists()
    assert list((tmp_path / "tmp").glob("hallclient-*")) == []


def test_the_counter_closes_on_sigterm_with_its_data_intact(tmp_path):
    data = tmp_path / "data"
    assert subprocess.run([sys.executable, "-m", "hallclient", "--data-dir", str(data), "admin",
                           "import-hall"], capture_output=True, timeout=60).returncode == 0
    process = start(tmp_path, "--data-dir", str(data))
    try:
        wait_for_log(data, "logs/hallclient.log", "sign-in page ready", process)
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0 and "Traceback" not in err, err[-3000:]
    verified = subprocess.run([sys.executable, "-m", "hallclient", "--data-dir", str(data), "admin",
                               "verify-log"], capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert (data / "config.ini").exists()


def test_the_kiosk_stands_beside_the_counter_on_a_wide_screen():
    counter, kiosk = side_by_side(QRect(0, 0, 1920, 1040), QSize(918, 500), QSize(603, 300), 760, 768)
    assert not counter.intersects(kiosk)
    assert counter.left() == 0 and kiosk.right() == 1919
    assert counter.width() >= 918 and kiosk.width() >= 603


def test_on_a_narrow_screen_the_kiosk_never_covers_the_call_buttons():
    """1366×768: both cannot fit; the kiosk takes the right edge (the counter's waiting list),
    the counter keeps its full minimum width and its left part, where the buttons are."""
    area = QRect(0, 0, 1366, 728)                      # a taskbar takes 40 px
    counter, kiosk = side_by_side(area, QSize(918, 500), QSize(603, 300), 760, 768)
    assert counter.width() == 918 and kiosk.width() == 603
    assert kiosk.left() == 1366 - 603
    assert counter.height() <= 728 and kiosk.height() <= 728


@pytest.mark.parametrize("when", ["starting", "signed in"])
def test_a_self_test_stopped_by_a_signal_fails_and_leaves_nothing(tmp_path, when):
    """Early (before Qt's loop runs) or late: a wrapper such as ``timeout`` must never read
    an interrupted self-test as a pass, and the throw-away folder goes."""
    process = start(tmp_path, "--self-test")
    try:
        if when == "starting":  # its throw-away folder is made: start-up has begun, its window not
            wait_for_file(tmp_path / "tmp", "hallclient-demo-*/owner.pid", process)
        else:       # the case, its notice and its upload still take seconds after this
            wait_for_log(tmp_path / "tmp", "hallclient-demo-*/logs/hallclient.log",
                         "sign-in page ready", process)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 2, out + err[-2000:]
    assert out.strip() == "SELFTEST FAILED: 自检被中断（收到 SIGTERM）"
    assert list((tmp_path / "tmp").glob("hallclient-*")) == []


def test_without_a_display_the_counter_says_so_and_the_self_test_runs_offscreen(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(tmp_path)}
    demo = subprocess.run([sys.executable, "-m", "hallclient", "--demo"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert demo.returncode == 2 and "没有图形桌面" in demo.stderr and "Traceback" not in demo.stderr
    assert list(tmp_path.glob("hallclient-*")) == []
    check = subprocess.run([sys.executable, "-m", "hallclient", "--self-test"], env=env,
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0 and check.stdout.startswith("SELFTEST OK"), check.stdout + check.stderr


def test_the_data_directory_is_the_owners_alone(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    process = start(tmp_path, "--data-dir", str(data))
    try:
        wait_for_log(data, "logs/hallclient.log", "sign-in page ready", process)
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    finally:
        process.kill()
    assert data.stat().st_mode & 0o777 == 0o700


def test_a_killed_demos_folder_and_secret_are_removed_by_the_next_run(tmp_path):
    process = start(tmp_path, "--demo")
    try:
        log = wait_for_log(tmp_path / "tmp", "hallclient-demo-*/logs/hallclient.log",
                           "sign-in page ready", process)
        process.send_signal(signal.SIGKILL)          # nothing can clean up after this
        process.communicate(timeout=30)
    finally:
        process.kill()
    killed = log.parents[1]
    assert (killed / "device.secret").exists()
    running = tmp_path / "tmp" / "hallclient-demo-running"   # another demo, still running
    running.mkdir()
    (running / "owner.pid").write_text(str(os.getpid()), encoding="ascii")
    env = {"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"),
           "TMPDIR": str(tmp_path / "tmp")}
    result = subprocess.run([sys.executable, "-m", "hallclient", "--self-test"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert not killed.exists()
    assert running.exists()
