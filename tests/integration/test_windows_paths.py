"""A data dir where Windows puts it — %LOCALAPPDATA%\\hallclient under a profile named in
Chinese, or a folder with spaces, # and & in its name — used end to end by the real command
line: the hall imported, a clerk added, a case accepted with its material and notice,
a log bundle and a report exported, the data backed up, restored and checked. Everything
written lands in the data dir and reads back, and no path the program writes there is
longer, counted from the data dir, than DATA_PATH_BUDGET (what admin status's MAX_PATH
check adds to the data dir's own path)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from hallclient.config import DATA_PATH_BUDGET, windows_length
from hallclient.secrets import SECRET_FILE
from hallclient.store.durable import document_problem

from .file_keyring import entries

HERE = Path(__file__).resolve().parent
ROOT = str(HERE.parents[1])


class CommandLine:
    """``hallclient --data-dir DATA ...`` in processes of its own, as IT runs it, with a
    keyring of the test's own (FileKeyring), HOME and TMPDIR inside the test's folder, and
    every path each Python process writes recorded (write_recorder/sitecustomize.py)."""

    def __init__(self, tmp_path: Path, data: Path) -> None:
        self.tmp, self.data = tmp_path, data
        self.record = tmp_path / "written.log"
        self.keyring = tmp_path / "keyring.json"
        for folder in ("home", "tmp", "usb"):
            (tmp_path / folder).mkdir()
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
                    "HOME": str(tmp_path / "home"), "TMPDIR": str(tmp_path / "tmp"),
                    "PYTHONPATH": os.pathsep.join([str(HERE / "write_recorder"), ROOT]),
                    "PYTHONDONTWRITEBYTECODE": "1", "QT_QPA_PLATFORM": "offscreen",
                    "HALLCLIENT_TEST_WRITES": str(self.record),
                    "PYTHON_KEYRING_BACKEND": "tests.integration.file_keyring.FileKeyring",
                    "TEST_KEYRING_FILE": str(self.keyring)}

    def run(self, *args: str, given: str | None = None) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, *args], capture_output=True, text=True,
                              encoding="utf-8", timeout=120, env=self.env, input=given,
                              stdin=subprocess.DEVNULL if given is None else None)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done

    def admin(self, *args: str, training: bool = False,
              given: str | None = None) -> subprocess.CompletedProcess[str]:
        extra = ["--training"] if training else []
        return self.run("-m", "hallclient", "--data-dir", str(self.data), *extra, "admin", *args,
                        given=given)

    def accept(self, training: bool = False) -> dict:
        folder = self.data / "training" if training else self.data
        flags = ["--training"] if training else []
        return json.loads(self.run(str(HERE / "accept_case.py"), str(folder), *flags).stdout)

    def written(self) -> set[str]:
        """Every path the processes wrote, and every file and folder there is now."""
        paths = set(self.record.read_text(encoding="utf-8").split())
        for top in self.tmp.iterdir():
            paths.update(str(p) for p in top.rglob("*"))
        return paths


def _longest(paths: set[str], base: Path) -> tuple[int, str]:
    """The longest of ``paths`` that begin with ``base``'s path (what is in it, and folders
    beside it named after it, such as <data dir>.before-restore-<time>), counted from the
    end of ``base``'s path as Windows counts."""
    prefix = str(base)
    beyond = [(windows_length(p) - windows_length(prefix), p[len(prefix):])
              for p in paths if p.startswith(prefix)]
    return max(beyond)


def _status(cli: CommandLine) -> dict:
    return json.loads(cli.admin("status", "--json").stdout)


def test_a_deep_chinese_data_dir_works_end_to_end_within_the_path_budget(tmp_path):
    data = tmp_path / "用户" / "张三" / "AppData" / "Local" / "政务服务中心" / "hallclient"
    cli = CommandLine(tmp_path, data)
    today = date.today().isoformat()
    cli.admin("import-hall")
    cli.admin("add-clerk", "zhang", "--name", "张三", "--password-stdin", given="窗口1号密码\n")
    case = cli.accept()
    training_case = cli.accept(training=True)
    cli.admin("bundle-key")
    assert f"hallclient/{data}#signing" in entries(cli.keyring)       # the key in the keyring
    cli.admin("export-bundle", "--date", today)
    cli.admin("report", "--date", today, "--format", "csv")
    cli.admin("report", "--date", today, "--format", "csv", training=True)

    notice = Path(case["notice"])
    assert notice == data / "notices" / f"{case['case_no']}-accept.pdf"
    assert document_problem(notice) == "" and notice.read_bytes().startswith(b"%PDF-")
    assert Path(training_case["notice"]).parent == data / "training" / "notices"
    assert Path(training_case["notice"]).name.startswith("培训-")
    assert all(Path(f).parent.parent == data / "attachments" for f in case["attachments"])
    kept = {p: Path(p).read_bytes() for p in [case["notice"], *case["attachments"]]}
    assert [p.parent for p in data.glob("bundles/日志包-*.json")] == [data / "bundles"]
    assert (data / "reports" / f"日报-{today}.csv").is_file()
    assert (data / "training" / "reports" / f"培训-日报-{today}.csv").is_file()

    status = _status(cli)
    assert status["data_dir"] == str(data) and status["database"] == str(data / "hallclient.sqlite3")
    assert status["event_log"]["intact"] and status["clerks"] == 1
    assert status["config_problems"] == []
    assert "操作日志完整" in cli.admin("verify-log").stdout

    usb = tmp_path / "usb"
    backup = Path(json.loads(cli.admin("backup", str(usb)).stdout)["backup"])
    training_backup = Path(json.loads(cli.admin("backup", str(usb), training=True).stdout)["backup"])
    assert backup.parent == usb and training_backup.name.startswith("hallclient-training-")
    restored = cli.admin("restore", str(backup)).stdout
    cli.admin("restore", str(training_backup), training=True)
    assert f"{data}.before-restore-" in restored
    assert "操作日志完整" in cli.admin("verify-log").stdout
    again = _status(cli)
    assert again["event_log"] == status["event_log"] and again["config_problems"] == []
    assert {p: Path(p).read_bytes() for p in kept} == kept         # the notice and the scans

    written = cli.written()
    assert any(p.endswith(".part") for p in written)    # a notice's temporary file: recorded
    outside = sorted(p for p in written if not p.startswith(str(tmp_path)))
    assert outside == []
    longest, which = _longest(written, data)
    assert longest <= DATA_PATH_BUDGET, which
    in_backup, which = _longest(written, usb)        # a backup stick holds the same layout
    assert in_backup <= DATA_PATH_BUDGET, which


def test_a_data_dir_with_spaces_hash_and_ampersand(tmp_path):
    """# and & mean something in a URI, a space in a command line: the log is checked,
    the backup checked and restored in the folder itself."""
    data = tmp_path / "C" / "Users" / "Zhang San #2 & Co" / "AppData" / "Local" / "hallclient"
    cli = CommandLine(tmp_path, data)
    cli.admin("import-hall")
    case = cli.accept()
    assert document_problem(Path(case["notice"])) == ""
    assert Path(case["notice"]).parent == data / "notices"
    verified = cli.admin("verify-log")
    assert verified.stdout.startswith("操作日志完整"), verified.stdout
    status = _status(cli)
    assert status["data_dir"] == str(data) and status["event_log"]["intact"]
    backup = json.loads(cli.admin("backup", str(tmp_path / "usb")).stdout)["backup"]
    cli.admin("restore", backup)
    assert cli.admin("verify-log").stdout.startswith("操作日志完整")
    assert Path(case["notice"]).is_file() and all(Path(f).is_file() for f in case["attachments"])
    assert not any(p for p in (tmp_path / "C" / "Users").iterdir() if p.name != data.parents[2].name)


def long_dir(base: Path, folder: str, longer_than: int) -> Path:
    """``base``/Users/张三/AppData/Local/``folder``/``folder``/... longer than ``longer_than``
    characters."""
    path = base / "Users" / "张三" / "AppData" / "Local"
    while len(str(path)) <= longer_than:
        path = path / folder
    return path


@pytest.mark.parametrize("backend", ["FileKeyring", "LockedKeyring"])
def test_the_device_secret_of_a_long_chinese_data_dir_is_kept_and_found(tmp_path, backend):
    """A keyring that works keeps the secret under the data dir's path (300+ characters, in
    Chinese); one that fails leaves it to the owner-only file inside the data dir. (SQLite
    opens paths of at most 512 UTF-8 bytes on Linux, 1040 on Windows: the folders here
    mix Chinese and ASCII to stay within Linux's.)"""
    data = long_dir(tmp_path, "一号窗口-counter-01", 300)
    cli = CommandLine(tmp_path, data)
    cli.env["PYTHON_KEYRING_BACKEND"] = f"tests.integration.file_keyring.{backend}"
    said = cli.admin("set-device", "W01", "--secret-stdin", given="省平台密钥-甲\n").stdout
    cli.admin("config", "--set", "platform.url=http://127.0.0.1:19400")
    problems = _status(cli)["config_problems"]
    assert not any("设备密钥" in p for p in problems), problems
    held = entries(cli.keyring)
    if backend == "LockedKeyring":
        assert (data / SECRET_FILE).read_text(encoding="utf-8") == "省平台密钥-甲"
        assert held == {} and str(data / SECRET_FILE) in said
    else:
        assert said == "已登记设备 W01，密钥保存在系统密钥环\n"
        assert held == {f"hallclient/{data}": "省平台密钥-甲"} and not (data / SECRET_FILE).exists()


def test_a_data_dir_too_long_for_sqlite_is_said_so(tmp_path):
    """Not "no permission or no such path": the path's length, and what to do."""
    data = long_dir(tmp_path, "政务服务中心一号窗口材料", 300)
    done = subprocess.run([sys.executable, "-m", "hallclient", "--data-dir", str(data), "admin",
                           "import-hall"], capture_output=True, text=True, encoding="utf-8",
                          timeout=60, env={**os.environ, "HOME": str(tmp_path), "PYTHONPATH": ROOT})
    assert done.returncode == 3
    from hallclient.store.db import SQLITE_PATH_BYTES

    longest = SQLITE_PATH_BYTES - len("-journal")
    assert f"字节（一个汉字算 3 字节），SQLite 最多只能打开 {longest} 字节的路径" in done.stderr
    assert "--data-dir" in done.stderr and "没有权限" not in done.stderr
