"""IT staff at the command line: settings refused before they are saved, a status that names
every problem, secrets that never hang a script, and output people can read."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from hallclient.app import main
from hallclient.config import CONFIG_FILE
from hallclient.core.tickets import PriorityClass
from hallclient.secrets import read_secret, write_secret
from hallclient.store.db import DB_FILE, open_database

# Python's own shapes that must not reach a person's screen
REPRS = re.compile(r"\bNone\b|\[\]|\(\)|\{\}|\{'|\['|\bTrue\b|\bFalse\b|datetime\.")


def run_admin(data, *args, given=None):
    """``hallclient admin ...`` as a script would run it: its own process, no terminal;
    ``given`` is piped to its standard input."""
    return subprocess.run([sys.executable, "-m", "hallclient", "--data-dir", str(data), "admin",
                           *args], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL if given is None else None, input=given,
                          env={**os.environ, "HOME": str(data.parent)})


# -- admin config --------------------------------------------------------------------------

def test_plain_http_to_another_machine_is_refused_at_once_and_nothing_is_saved(tmp_path, capsys):
    d = str(tmp_path)
    assert main(["--data-dir", d, "admin", "config", "--set", "hall.name=乙镇便民服务中心"]) == 0
    before = (tmp_path / CONFIG_FILE).read_bytes()
    capsys.readouterr()
    assert main(["--data-dir", d, "admin", "config", "--set", "queue.recall_limit=5",
                 "--set", "platform.url=http://192.168.1.20:8700"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("配置项 platform.url 的值「http://192.168.1.20:8700」无效：平台地址必须使用 https")
    assert (tmp_path / CONFIG_FILE).read_bytes() == before       # not even recall_limit
    assert main(["--data-dir", d, "admin", "config", "--set", "platform.url=http://127.0.0.1:8700"]) == 0
    assert capsys.readouterr().out == "已保存 platform.url = http://127.0.0.1:8700\n"


@pytest.mark.parametrize("item, says", [
    ("queue.recall_limit=三", "应为整数"),
    ("hall.region_code=3301", "6 位数字"),
    ("keys.call_next=Ctrl+Hyper", "不是有效的快捷键"),
    ("hall.ca_bundle=/nowhere/ca.pem", "文件不存在"),
    ("announce.template=请{who}到窗口", "不认识：who"),
    ("queue.colour=red", "未知配置项"),
    ("queue.recall_limit", "应写成 --set 配置项=值"),
    ("hall.name=甲镇\n[platform]\nurl = https://evil.example", "不能含换行"),
    ("announce.template=请{number}号\x07到{window}号窗口", "不能含控制字符 U+0007"),
    ("platform.url=https://x y", "地址中不能有空格"),
    ("hall.server_url=http://192.168.1.10 :8710", "地址中不能有空格"),
])
def test_any_invalid_value_is_refused_before_saving(tmp_path, capsys, item, says):
    assert main(["--data-dir", str(tmp_path), "admin", "config", "--set", item]) == 2
    assert says in capsys.readouterr().err
    assert not (tmp_path / CONFIG_FILE).exists()


def test_a_setting_that_leaves_something_missing_is_saved_with_a_note(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path), "admin", "config", "--set", "keys.recall=F3"]) == 0
    out, err = capsys.readouterr()
    assert out == "已保存 keys.recall = F3\n"
    assert err == "注意：快捷键 F3 同时分给了 keys.recall 和 keys.no_show，按下时只会执行其中一个\n"


def test_saving_says_which_unusable_lines_of_the_file_are_not_kept(tmp_path, capsys):
    (tmp_path / CONFIG_FILE).write_text("[queue]\nrecall_limit = lots\n[nope]\nx = 1\n",
                                        encoding="utf-8")
    assert main(["--data-dir", str(tmp_path), "admin", "config", "--set", "hall.name=甲"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == ["注意：config.ini 中原有的这一项没有保留：配置项 queue.recall_limit 的值「lots」无效："
                   "应为整数（暂用默认值 3）",
                   "注意：config.ini 中原有的这一项没有保留：未知配置项：nope.x"
                   "（hallclient admin config --list 列出全部配置项）"]


def test_config_list_shows_values_as_written(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path), "admin", "config", "--set",
                 "calendar.holidays=2026-10-02,2026-10-01"]) == 0
    capsys.readouterr()
    assert main(["--data-dir", str(tmp_path), "admin", "config", "--list"]) == 0
    out = capsys.readouterr().out
    assert "calendar.holidays = 2026-10-01,2026-10-02    #" in out
    assert "calendar.workdays =     #" in out and "announce.speech = true    #" in out
    assert not REPRS.search(out)


# -- admin status --------------------------------------------------------------------------

def test_status_names_every_problem_of_the_configuration(tmp_path, capsys):
    open_database(tmp_path / DB_FILE).close()
    (tmp_path / CONFIG_FILE).write_text(
        "[queue]\nrecall_limit = many\nsource = hall\n[keys]\nrecall = F1\n"
        "[platform]\nurl = http://10.0.0.5\n[hall]\nca_bundle = /gone/ca.pem\n", encoding="utf-8")
    assert main(["--data-dir", str(tmp_path), "admin", "status", "--json"]) == 0
    problems = json.loads(capsys.readouterr().out)["config_problems"]
    expected = ["queue.recall_limit", "platform.url", "hall.ca_bundle", "hall.server_url",
                "platform.device_id", "keys.recall", "省平台设备密钥", "大厅服务器的设备令牌",
                "hall.region_code"]
    assert len(problems) == len(expected)
    for word in expected:
        assert sum(word in p for p in problems) >= 1, word
    assert main(["--data-dir", str(tmp_path), "admin", "status"]) == 0
    out = capsys.readouterr().out
    assert f"问题：{len(expected)} 个（配置或连接）" in out
    assert all(f"  - {p}" in out for p in problems)
    assert not REPRS.search(out)


def test_status_for_people_is_a_chinese_summary(tmp_path, capsys, demo_hall):
    from hallclient.config import Config
    from hallclient.services.context import open_context

    d = str(tmp_path)
    assert main(["--data-dir", d, "admin", "import-hall"]) == 0
    ctx = open_context(tmp_path, Config(tmp_path / CONFIG_FILE))
    ctx.queue.sign_in(1, "li")
    for code in ("ZH", "ZH", "SC"):
        ctx.queue.issue(code, PriorityClass.NORMAL, "test")
    ctx.close()
    capsys.readouterr()
    assert main(["--data-dir", d, "admin", "status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"数据目录：{tmp_path}"
    assert "队列：本机队列" in lines and "窗口：7 个" in lines
    assert "  1 号窗口 综合受理 1：开放，li；业务：综合受理、咨询·帮办代办" in lines
    assert "等候：共 3 人（综合受理 2 人，市场监管·企业开办 1 人）" in lines
    assert "操作日志完整：共 4 条，哈希链逐条核对无误" in lines
    assert "省平台：未配置（办件只保存在本机）" in lines and "上传队列：空" in lines
    assert lines[-1] == "问题：无"
    assert not REPRS.search("\n".join(lines))
    assert main(["--data-dir", d, "admin", "status", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert set(info) == {"data_dir", "database", "schema_version", "tables", "device_id",
                         "queue_source", "clerks", "windows", "waiting", "hall", "event_log",
                         "sync", "config_problems"}
    assert info["waiting"] == {"ZH": 2, "SC": 1} and info["hall"] is None



def test_status_on_windows_warns_of_a_data_dir_too_deep_for_max_path(tmp_path, capsys, monkeypatch):
    """Counted as Windows counts: the data dir's path and the longest the program adds to it
    pass 259 characters, and LongPathsEnabled is not 1 (the facts Windows would give)."""
    from hallclient.admin import status
    from hallclient.config import DATA_PATH_BUDGET, WINDOWS_MAX_PATH

    deep = tmp_path / ("政务服务中心" * 30)[:WINDOWS_MAX_PATH - DATA_PATH_BUDGET - len(str(tmp_path)) - 1]
    assert main(["--data-dir", str(deep), "admin", "import-hall"]) == 0
    monkeypatch.setattr(status, "ON_WINDOWS", True)

    def problems(long_paths: bool, *training: str) -> list[str]:
        monkeypatch.setattr(status, "long_paths_enabled", lambda: long_paths)
        capsys.readouterr()
        assert main(["--data-dir", str(deep), *training, "admin", "status", "--json"]) == 0
        return json.loads(capsys.readouterr().out)["config_problems"]

    assert problems(False) == []                  # just fits: 259 with the budget
    deep = deep.rename(deep.with_name(deep.name + "窗"))
    [warning] = problems(False)
    assert warning.startswith(f"数据目录的路径太长：{deep} 有 {len(str(deep))} 个字符")
    assert "LongPathsEnabled 设为 1" in warning and "--data-dir" in warning
    assert problems(True) == []
    # 培训模式's data is inside the counter's: the same data dir is the one to move
    assert main(["--data-dir", str(deep), "--training", "admin", "import-hall"]) == 0
    assert problems(False, "--training") == [warning]


@pytest.mark.parametrize("name", ["\\\\PRINTSRV\\1号窗口 激光打印机", "HP LaserJet Pro M404 (副本 1)"])
def test_a_windows_printer_name_set_at_the_command_line_is_kept_exactly(tmp_path, name):
    from hallclient.config import Config

    done = run_admin(tmp_path, "config", "--set", f"notice.printer={name}")
    assert done.returncode == 0 and done.stdout == f"已保存 notice.printer = {name}\n"
    assert Config(tmp_path / CONFIG_FILE)["notice.printer"] == name
    listed = run_admin(tmp_path, "config", "--list").stdout.splitlines()
    assert any(line.startswith(f"notice.printer = {name}    # ") for line in listed)


# -- secrets without a terminal ----------------------------------------------------------

@pytest.mark.parametrize("args, option", [
    (("add-clerk", "wang", "--name", "王五"), "--password-stdin"),
    (("set-device", "W03"), "--secret-stdin"),
    (("join-hall", "http://127.0.0.1:9", "W03"), "--token-stdin"),
])
def test_without_a_terminal_a_secret_is_not_asked_for(tmp_path, args, option):
    data = tmp_path / "data"
    done = run_admin(data, *args)
    assert done.returncode == 2
    assert done.stderr.startswith("没有终端可以输入")
    assert f"请加 {option}，从标准输入传入" in done.stderr
    # the very command typed, data dir included, with the option added
    assert f"hallclient --data-dir {data} admin {args[0]}" in done.stderr
    assert done.stderr.rstrip().endswith(option)
    assert "Traceback" not in done.stderr and "EOFError" not in done.stderr
    assert not (data / CONFIG_FILE).exists() and read_secret(data) == ""


def test_an_open_pipe_does_not_hang_the_command(tmp_path):
    """A script that never closes the command's input: it must still end at once."""
    data = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-m", "hallclient", "--data-dir", str(data), "admin",
                             "set-device", "W03"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ})
    try:
        assert proc.wait(timeout=60) == 2
        assert "--secret-stdin" in proc.stderr.read()
    finally:
        proc.stdin.close()
        proc.stdout.close()
        proc.stderr.close()
        if proc.poll() is None:
            proc.kill()


def test_the_stdin_options_work_in_a_script(tmp_path):
    data = tmp_path / "data"
    done = run_admin(data, "set-device", "W03", "--secret-stdin", given="s3cret\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("已登记设备 W03，密钥保存在")
    assert read_secret(data) == "s3cret"


# makes the pseudo-terminal on fd 0 the controlling terminal of the new session (getpass
# talks to /dev/tty), then becomes the command
AT_TERMINAL = ("import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0);"
               " os.execv(sys.executable, [sys.executable, *sys.argv[1:]])")


def at_terminal(args: list[str], *answers: tuple[str, bytes]) -> tuple[int, str]:
    """Run ``args`` at a pseudo-terminal; each (prompt, keys) types keys once the prompt is
    shown (getpass flushes whatever was typed before it asked)."""
    import select

    main_fd, terminal = os.openpty()
    proc = subprocess.Popen([sys.executable, "-c", AT_TERMINAL, *args], stdin=terminal,
                            stdout=terminal, stderr=terminal, start_new_session=True,
                            env={**os.environ})
    os.close(terminal)
    shown, looked = b"", 0
    todo = list(answers)
    try:
        while True:
            ready, _, _ = select.select([main_fd], [], [], 60)
            assert ready, f"no output for 60 s; so far: {shown.decode('utf-8', 'replace')}"
            try:
                chunk = os.read(main_fd, 1024)
            except OSError:                            # the command closed the terminal
                break
            if not chunk:
                break
            shown += chunk
            if todo and shown.find(todo[0][0].encode(), looked) >= 0:
                looked = len(shown)
                os.write(main_fd, todo.pop(0)[1])
    finally:
        code = proc.wait(timeout=60)
        os.close(main_fd)
    return code, shown.decode("utf-8", "replace")


def test_a_typed_password_at_a_terminal_and_ctrl_d(tmp_path):
    """At a real terminal the password is asked twice and not echoed; Ctrl+D cancels."""
    args = ["-m", "hallclient", "--data-dir", str(tmp_path / "data"), "admin", "add-clerk",
            "wang", "--name", "王五"]
    code, shown = at_terminal(args, ("密码：", b"\x04"))
    assert code == 2 and "已取消，未保存任何内容" in shown and "Traceback" not in shown
    code, shown = at_terminal(args, ("密码：", b"pw-1234\n"), ("再次输入：", b"pw-1234\n"))
    assert code == 0, shown
    assert "已保存账户 wang（王五，窗口人员）" in shown
    assert "pw-1234" not in shown                    # never echoed


# -- other commands --------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["admin"], ["hall-server"]])
def test_a_hall_file_that_cannot_be_used_is_explained(tmp_path, capsys, command):
    base = ["--data-dir", str(tmp_path), *command, "import-hall"]
    assert main([*base, str(tmp_path / "none.json")]) == 2
    assert capsys.readouterr().err == f"找不到大厅配置文件：{tmp_path / 'none.json'}\n"
    broken = tmp_path / "hall.json"
    broken.write_text('{"services": [\n  {"code": "ZH",}\n]}', encoding="utf-8")
    assert main([*base, str(broken)]) == 2
    assert "不是正确的 JSON：第 2 行第" in capsys.readouterr().err
    broken.write_text("[1, 2]", encoding="utf-8")
    assert main([*base, str(broken)]) == 2
    assert "应是一个 JSON 对象" in capsys.readouterr().err
    assert main(base) == 0
    assert "6 个业务、7 个窗口" in capsys.readouterr().out


def test_secrets_already_held_do_not_count_as_problems(tmp_path, capsys):
    d = str(tmp_path)
    assert main(["--data-dir", d, "admin", "config", "--set", "platform.url=http://127.0.0.1:9",
                 "--set", "platform.device_id=W01", "--set", "hall.region_code=330109"]) == 0
    write_secret(tmp_path, "pw")
    open_database(tmp_path / DB_FILE).close()
    capsys.readouterr()
    assert main(["--data-dir", d, "admin", "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["config_problems"] == []
