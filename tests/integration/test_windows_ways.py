"""What the program does for Windows' sake, tested on Linux: a start by pythonw.exe (no
console), output into a code page without Chinese, no POSIX-only module at import, Qt's
offscreen platform finding Windows' fonts, and paper on a PC without a Chinese font. The
same paths run for real on Windows under wine (installer/windows/wine-check.sh)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from hallclient import process
from hallclient.app import windows_font_folder

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str, env: dict[str, str] | None = None,
               timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, encoding="utf-8",
                          errors="replace", timeout=timeout, cwd=ROOT, env={**os.environ, **(env or {})})


def test_without_a_console_output_goes_to_a_file_and_nothing_fails(tmp_path):
    """pythonw.exe starts with sys.stdout and sys.stderr None: faulthandler, a traceback or
    the self-test's line would fail. They go to the null device, then to logs/console.log."""
    log = tmp_path / "console.log"
    code = f"""
import faulthandler, sys
sys.stdout = sys.stderr = None
from hallclient import process
process.prepare_standard_streams()
faulthandler.enable()                 # raises RuntimeError when sys.stderr is None
print("before the data dir is known")
process.console_output_to(__import__("pathlib").Path({str(log)!r}))
print("SELFTEST OK (一行)")
sys.stderr.write("a traceback line\\n")
"""
    done = run_python(code)
    assert done.returncode == 0, done.stderr
    assert log.read_text(encoding="utf-8") == "SELFTEST OK (一行)\na traceback line\n"


def test_console_output_stays_on_a_console(tmp_path, monkeypatch):
    monkeypatch.setattr(process, "_WITHOUT_CONSOLE", [])
    before = sys.stdout
    process.console_output_to(tmp_path / "console.log")
    assert sys.stdout is before and not (tmp_path / "console.log").exists()


def test_output_in_a_code_page_without_chinese_cannot_fail(monkeypatch):
    """``hallclient.cmd admin status > status.txt`` on a Windows whose code page is cp1252."""
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="cp1252"))
    process.prepare_standard_streams()
    print("数据目录 C:\\Users\\张三")
    sys.stdout.flush()
    assert raw.getvalue() == b"\\u6570\\u636e\\u76ee\\u5f55 C:\\Users\\\\u5f20\\u4e09\n"


def test_every_module_imports_without_posix_only_modules():
    """Windows has no resource, fcntl, termios, pwd or grp: a module importing one at its top
    (as the servers' guard did) keeps the hall server and the simulator from starting there."""
    code = """
import sys
class NoPosix:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("resource", "fcntl", "termios", "pwd", "grp"):
            raise ModuleNotFoundError(f"No module named {name!r} (as on Windows)", name=name)
for name in ("resource", "fcntl", "termios", "pwd", "grp"):
    sys.modules.pop(name, None)
sys.meta_path.insert(0, NoPosix())
import json
from hallclient.installation import modules_that_fail
print(json.dumps(modules_that_fail()))
"""
    done = run_python(code, {"QT_QPA_PLATFORM": "offscreen"}, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_the_servers_count_open_connections_without_posix_limits(monkeypatch):
    from hallclient.servers import guard

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setitem(sys.modules, "resource", None)       # import resource fails, as on Windows
    assert guard.open_files_limit() == 16_384


def test_qts_offscreen_platform_on_windows_is_given_windows_fonts():
    offscreen = {"QT_QPA_PLATFORM": "offscreen", "WINDIR": "C:\\WINDOWS"}
    assert windows_font_folder(offscreen, windows=True) == {"QT_QPA_FONTDIR": "C:\\WINDOWS\\Fonts"}
    assert windows_font_folder({"QT_QPA_PLATFORM": "offscreen"}, windows=True) == {
        "QT_QPA_FONTDIR": "C:\\Windows\\Fonts"}
    assert windows_font_folder({**offscreen, "QT_QPA_FONTDIR": "D:\\fonts"}, windows=True) == {}
    assert windows_font_folder({"QT_QPA_PLATFORM": "windows"}, windows=True) == {}
    assert windows_font_folder(offscreen, windows=False) == {}


def test_a_pc_without_a_chinese_font_fails_the_self_test_by_name(tmp_path):
    """No font that writes Chinese: every character of a notice would print as a box (and
    with no font at all Qt's layout crashes the process). The self-test says why instead."""
    (tmp_path / "fonts.conf").write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
        f"<fontconfig><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>", encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "FONTCONFIG_FILE": str(tmp_path / "fonts.conf"),
           "QT_QPA_FONTDIR": str(tmp_path), "HOME": str(tmp_path), "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "hallclient", "--self-test"], capture_output=True,
                          text=True, encoding="utf-8", errors="replace", timeout=180, cwd=tmp_path, env=env)
    assert done.returncode == 2, done.stdout + done.stderr[-1500:]
    assert done.stdout.startswith("SELFTEST FAILED") and "本机没有可用的中文字体" in done.stdout


def test_a_simulator_handed_no_socket_says_so_and_never_waits(tmp_path, monkeypatch, capsys):
    """On Windows the simulator a counter starts gets its listening socket from socket.share()
    as one line of hex on stdin (--listen-shared). Garbage there, or a terminal (started by
    hand, it would wait for that line forever): a sentence in Chinese and exit code 2."""
    import uvicorn  # noqa: F401  (imported here, as on Windows; not Windows-shaped under Linux)

    import hallclient.servers.platform_sim  # noqa: F401
    from hallclient.cli import build_parser
    from hallclient.servers.run import run_platform_sim

    monkeypatch.setattr(sys, "platform", "win32")
    args = build_parser().parse_args(["platform-sim", "--listen-shared", "--host", "127.0.0.1"])
    for garbage in (b"zz-not-hex\n", "交来的".encode() + b"\n", b"abc\n"):
        read, write = os.pipe()
        os.write(write, garbage)
        os.close(write)
        with open(read, encoding="utf-8") as stdin:
            monkeypatch.setattr(sys, "stdin", stdin)
            assert run_platform_sim(args, tmp_path) == 2
        err = capsys.readouterr().err
        assert err.startswith("省平台模拟器无法启动：交来的监听套接字不可用（"), err
        assert "--listen-shared 只用于 hallclient 自己启动的模拟器" in err
    main, side = os.openpty()
    with open(side, encoding="utf-8") as terminal:
        monkeypatch.setattr(sys, "stdin", terminal)
        assert run_platform_sim(args, tmp_path) == 2
    os.close(main)
    assert "不能在命令行直接使用" in capsys.readouterr().err


def test_without_a_console_a_console_log_that_cannot_be_opened_does_not_stop_the_program(tmp_path):
    """pythonw.exe, and logs/console.log not a file that can be opened (here a folder; on
    Windows also read-only or held by another program): the program used to end before any
    window, with nothing on screen and nothing in its log. It starts, and its log says so."""
    data = tmp_path / "数据 #1"
    (data / "training" / "logs" / "console.log").mkdir(parents=True)
    code = f"""
import sys
sys.stdout = sys.stderr = None
sys.argv = ["hallclient", "--data-dir", {str(data)!r}, "--training", "--self-test"]
from hallclient.app import run
run()
"""
    done = run_python(code, {"QT_QPA_PLATFORM": "offscreen"}, timeout=300)
    assert done.returncode == 0, (data / "training" / "logs" / "hallclient.log").read_text(encoding="utf-8")
    log = (data / "training" / "logs" / "hallclient.log").read_text(encoding="utf-8")
    assert f"console output cannot go to {data / 'training' / 'logs' / 'console.log'}" in log
