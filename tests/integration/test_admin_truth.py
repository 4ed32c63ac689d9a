"""IT staff trust what the admin commands say: a mistyped data folder is named as such, a
damaged database is not called intact, and settings that a PC needs are checked."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys

import pytest

from hallclient.app import main
from hallclient.config import CONFIG_FILE, Config
from hallclient.secrets import read_secret, write_secret
from hallclient.store.db import DB_FILE, open_database

from ..recipes import accepted_case


@pytest.mark.parametrize("command", [
    ["status"], ["status", "--json"], ["cases"], ["verify-log"], ["sync-now"],
    ["report", "--date", "2026-11-27"],
])
def test_a_mistyped_data_dir_is_said_and_no_database_is_made_there(tmp_path, capsys, command):
    typo = tmp_path / "hallclinet"
    assert main(["--data-dir", str(typo), "admin", *command]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"没有数据库：{typo} 中没有 {DB_FILE}。是不是 --data-dir 写错了？")
    assert not typo.exists()


def test_a_folder_with_only_settings_is_no_database_either(tmp_path, capsys):
    (tmp_path / CONFIG_FILE).write_text("[platform]\nurl = http://127.0.0.1:18650\n",
                                        encoding="utf-8")
    assert main(["--data-dir", str(tmp_path), "admin", "sync-now"]) == 2
    assert "没有数据库" in capsys.readouterr().err
    assert not (tmp_path / DB_FILE).exists()


@pytest.mark.parametrize("command", [
    ["import-hall"], ["config", "--set", "hall.name=甲镇便民服务中心"],
    ["set-device", "W01", "--secret-stdin"], ["add-clerk", "li", "--name", "李四", "--password-stdin"],
])
def test_setting_a_pc_up_still_makes_its_database(tmp_path, capsys, monkeypatch, command):
    monkeypatch.setattr("sys.stdin", io.StringIO("secret1\n"))
    new = tmp_path / "new"
    assert main(["--data-dir", str(new), "admin", *command]) == 0
    assert (new / DB_FILE).exists()
    assert main(["--data-dir", str(new), "admin", "status"]) == 0


def _damage_a_page_outside_the_log(path):
    """Overwrite one page of a table the event log check never reads, as a failing disk
    sector would."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE scratch (x TEXT)")
    conn.executemany("INSERT INTO scratch VALUES (?)", [("x" * 500,) for _ in range(200)])
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = [r[0] for r in conn.execute(
        "SELECT pageno FROM dbstat WHERE name = 'scratch' AND pagetype = 'leaf'")]
    conn.close()
    with open(path, "r+b") as fh:
        fh.seek((pages[len(pages) // 2] - 1) * page_size)
        fh.write(b"\xa5" * page_size)


def test_verify_log_says_a_damaged_database_file_is_damaged(tmp_path, db, desk, capsys):
    accepted_case(desk, seed=1)
    db.close()
    path = tmp_path / DB_FILE
    assert main(["--data-dir", str(tmp_path), "admin", "verify-log"]) == 0
    assert capsys.readouterr().out.startswith("操作日志完整")
    _damage_a_page_outside_the_log(path)
    before = path.read_bytes()
    assert main(["--data-dir", str(tmp_path), "admin", "verify-log"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"数据库文件已损坏：{path}\nSQLite 完整性检查发现问题")
    assert "从最近的备份恢复" in out and "操作日志完整" not in out
    assert path.read_bytes() == before                      # looked at, never written


def test_verify_log_of_an_intact_copy_given_by_name(tmp_path, db, desk, capsys):
    accepted_case(desk, seed=1)
    db.close()
    assert main(["admin", "verify-log", str(tmp_path / DB_FILE)]) == 0
    assert capsys.readouterr().out.startswith("操作日志完整")


# -- the hall's name and region code -------------------------------------------------------

def test_import_hall_takes_the_name_and_region_code_of_the_hall_file(tmp_path, capsys):
    d = str(tmp_path)
    assert main(["--data-dir", d, "admin", "import-hall"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "已导入 6 个业务、7 个窗口", "已保存 hall.name = 示范县政务服务中心",
        "已保存 hall.region_code = 330109"]
    config = Config(tmp_path / CONFIG_FILE)
    assert (config["hall.name"], config["hall.region_code"]) == ("示范县政务服务中心", "330109")


def _hall_file(tmp_path, demo_hall, **changes):
    spec = {**demo_hall, **changes}
    spec = {k: v for k, v in spec.items() if v is not None}
    path = tmp_path / "hall.json"
    path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("changes, says", [
    ({"region_code": "3301"}, "region_code 不能使用：配置项 hall.region_code 的值「3301」无效"),
    ({"region_code": 330109}, "region_code 应是文字"),
    ({"hall": "  "}, "hall 不能使用：配置项 hall.name 的值「」无效：不能为空"),
    ({"hall": "甲镇\n中心"}, "不能含换行"),
])
def test_an_unusable_name_or_region_code_stops_the_import(tmp_path, capsys, demo_hall,
                                                          changes, says):
    d = str(tmp_path)
    assert main(["--data-dir", d, "admin", "import-hall", _hall_file(tmp_path, demo_hall,
                                                                    **changes)]) == 2
    assert says in capsys.readouterr().err
    assert not (tmp_path / CONFIG_FILE).exists() and not (tmp_path / DB_FILE).exists()


def test_a_hall_file_without_them_leaves_the_settings_alone(tmp_path, capsys, demo_hall):
    d = str(tmp_path)
    assert main(["--data-dir", d, "admin", "config", "--set", "hall.name=乙镇便民服务中心"]) == 0
    capsys.readouterr()
    assert main(["--data-dir", d, "admin", "import-hall",
                 _hall_file(tmp_path, demo_hall, hall=None, region_code=None)]) == 0
    assert capsys.readouterr().out == "已导入 6 个业务、7 个窗口\n"
    assert Config(tmp_path / CONFIG_FILE)["hall.name"] == "乙镇便民服务中心"


def test_region_code_000000_is_a_problem_once_case_numbers_are_made(tmp_path, db, desk, capsys):
    d = str(tmp_path)
    assert main(["--data-dir", d, "admin", "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["config_problems"] == []      # nothing made yet
    accepted_case(desk, seed=1)
    assert main(["--data-dir", d, "admin", "status"]) == 0
    out = capsys.readouterr().out
    assert "  - 行政区划代码（hall.region_code）还是 000000：本机办件编号会以 000000 开头" in out
    assert main(["--data-dir", d, "admin", "config", "--set", "hall.region_code=330109"]) == 0
    capsys.readouterr()
    assert main(["--data-dir", d, "admin", "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["config_problems"] == []


def test_region_code_000000_is_a_problem_once_the_platform_is_set(tmp_path, capsys):
    open_database(tmp_path / DB_FILE).close()
    d = str(tmp_path)
    assert main(["--data-dir", d, "admin", "config", "--set", "platform.url=http://127.0.0.1:18651",
                 "--set", "platform.device_id=W01"]) == 0
    write_secret(tmp_path, "pw", ring=None)
    capsys.readouterr()
    assert main(["--data-dir", d, "admin", "status", "--json"]) == 0
    problems = json.loads(capsys.readouterr().out)["config_problems"]
    assert len(problems) == 1 and problems[0].startswith("行政区划代码（hall.region_code）还是 000000")


# -- secrets and accounts --------------------------------------------------------------------

def _admin_bytes(data, *args, given: bytes):
    return subprocess.run([sys.executable, "-m", "hallclient", "--data-dir", str(data), "admin",
                           *args], capture_output=True, input=given, timeout=60,
                          env={**os.environ, "HOME": str(data.parent), "PYTHONIOENCODING": "utf-8"})


@pytest.mark.parametrize("args", [
    ("set-device", "W03", "--secret-stdin"),
    ("add-clerk", "wang", "--name", "王五", "--password-stdin"),
    ("join-hall", "http://127.0.0.1:18652", "W03", "--token-stdin"),
])
def test_a_secret_that_is_not_utf8_is_said_in_chinese(tmp_path, args):
    data = tmp_path / "data"
    done = _admin_bytes(data, *args, given="密钥\n".encode("gbk"))
    err = done.stderr.decode("utf-8")
    assert done.returncode == 2
    assert "不是 UTF-8 文本，未保存任何内容" in err and "Traceback" not in err
    assert not (data / CONFIG_FILE).exists() and read_secret(data) == ""


def test_set_device_stores_the_secret_before_the_device_id(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("hallclient.secrets._keyring", lambda: None)
    d = str(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO("old\n"))
    assert main(["--data-dir", d, "admin", "set-device", "W01", "--secret-stdin"]) == 0
    (tmp_path / "device.secret").unlink()
    (tmp_path / "device.secret").mkdir()           # the secret cannot be written there now
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO("new\n"))
    assert main(["--data-dir", d, "admin", "set-device", "W02", "--secret-stdin"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("设备密钥无法保存") and "设备标识也没有改" in err
    assert Config(tmp_path / CONFIG_FILE)["platform.device_id"] == "W01"


@pytest.mark.parametrize("args, says", [
    (("", "--name", "王五"), "账户名不能为空"),
    (("  ", "--name", "王五"), "账户名不能为空"),
    (("wang", "--name", ""), "显示姓名（--name）不能为空"),
    (("wang", "--name", "王\n五"), "显示姓名（--name）不能含换行或控制字符"),
])
def test_add_clerk_refuses_an_empty_name(tmp_path, capsys, monkeypatch, args, says):
    monkeypatch.setattr("sys.stdin", io.StringIO("secret1\n"))
    assert main(["--data-dir", str(tmp_path), "admin", "add-clerk", *args, "--password-stdin"]) == 2
    assert capsys.readouterr().err == says + "\n"
    assert not (tmp_path / DB_FILE).exists()


def test_a_secret_asked_without_a_terminal_repeats_the_whole_command(tmp_path):
    d = tmp_path / "d"
    result = subprocess.run([sys.executable, "-m", "hallclient", "--data-dir", str(d), "admin",
                             "add-clerk", "zhang", "--name", "张三", "--role", "supervisor"],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert (f"hallclient --data-dir {d} admin add-clerk zhang --name 张三 --role supervisor"
            " --password-stdin") in result.stderr.replace("'", "")


@pytest.mark.parametrize("command", [["admin", "export-bundle", "--date", "2026-11-27"],
                                     ["admin", "bundle-key"], ["hall-server", "devices"]])
def test_a_mistyped_data_dir_gets_no_database_device_or_key(tmp_path, command):
    typo = tmp_path / "typo"
    result = subprocess.run([sys.executable, "-m", "hallclient", "--data-dir", str(typo), *command],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--data-dir 写错了" in result.stderr, result.stderr
    assert not any(typo.rglob("*.sqlite3")) and not any(typo.rglob("*.secret"))
