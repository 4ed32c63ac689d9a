"""IT staff trust what the admin commands say: a mistyped data folder is named as such, a
damaged database is not called intact, and settings that a PC needs are checked."""

from __future__ import annotations

import sqlite3

import pytest

from hallclient.app import main
from hallclient.config import CONFIG_FILE
from hallclient.store.db import DB_FILE, open_database

from .test_sync_engine import accept


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
    assert main(["--data-dir", str(tmp_path), "admin", "config", "--set",
                 "platform.url=http://127.0.0.1:18650"]) == 0
    assert main(["--data-dir", str(tmp_path), "admin", "sync-now"]) == 2
    assert "没有数据库" in capsys.readouterr().err
    assert not (tmp_path / DB_FILE).exists()


def test_setting_a_pc_up_still_makes_its_database(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path / "new"), "admin", "import-hall"]) == 0
    assert (tmp_path / "new" / DB_FILE).exists()
    assert main(["--data-dir", str(tmp_path / "new"), "admin", "status"]) == 0


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
    accept(desk, 1)
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
    accept(desk, 1)
    db.close()
    assert main(["admin", "verify-log", str(tmp_path / DB_FILE)]) == 0
    assert capsys.readouterr().out.startswith("操作日志完整")


def test_status_of_a_fresh_pc_does_not_count_as_a_problem_what_is_not_used(tmp_path, capsys):
    open_database(tmp_path / DB_FILE).close()
    assert main(["--data-dir", str(tmp_path), "admin", "status"]) == 0
    assert "hall.region_code" not in capsys.readouterr().out
    assert not (tmp_path / CONFIG_FILE).exists()
