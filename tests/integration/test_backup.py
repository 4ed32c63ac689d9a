"""Online backup of a counter's data directory: consistent while a writer is mid-transaction,
checked before it is reported, never leaves a half backup, and restores into a working
data directory. The device secret and the hall token stay behind (the log-bundle signing
key goes with it: test_signing_keys)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

import hallclient
from hallclient.store import log_repo
from hallclient.store.backup import backup
from hallclient.store.db import DB_FILE, StoreCorruptError, StoreError, connect, open_database

ROOT = str(Path(hallclient.__file__).resolve().parents[1])     # the code under test, in a subprocess


def counter_dir(tmp_path, events=5):
    data = tmp_path / "data"
    data.mkdir()
    db = open_database(data / DB_FILE)
    for i in range(events):
        with db.write() as conn:
            log_repo.append(conn, at=f"2026-11-30T09:{i:02d}:00", action="call", window=1, ticket=f"A{i:03d}")
    db.close()
    (data / "config.ini").write_text("[hall]\nname = 示范县政务服务中心\n", encoding="utf-8")
    (data / "attachments" / "ab").mkdir(parents=True)
    (data / "attachments" / "ab" / "abcdef").write_bytes(b"scan" * 1000)
    (data / "notices").mkdir()
    (data / "notices" / "0001-accept.pdf").write_bytes(b"%PDF-1.4 notice")
    (data / "device.secret").write_text("s3cret")
    (data / "logs").mkdir()
    (data / "logs" / "hallclient.log").write_text("program log")
    return data


def test_backup_is_a_consistent_snapshot_while_a_writer_holds_a_transaction(tmp_path):
    data = counter_dir(tmp_path)
    (tmp_path / "usb").mkdir()
    writer = connect(data / DB_FILE)
    writer.execute("BEGIN IMMEDIATE")
    log_repo.append(writer, at="2026-11-30T10:00:00", action="call", window=2, ticket="B001")
    try:
        done = backup(data, tmp_path / "usb", "counter", now=datetime(2026, 11, 30, 18, 5, 0))
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert done.folder == tmp_path / "usb" / "hallclient-counter-20261130-180500"
    assert done.log_entries == 5 and done.schema_version >= 10
    copy = connect(done.folder / DB_FILE)
    assert [r[0] for r in copy.execute("SELECT ticket FROM event_log ORDER BY seq")] == [
        "A000", "A001", "A002", "A003", "A004"]
    assert log_repo.verify(copy).intact
    copy.close()
    assert (done.folder / "attachments" / "ab" / "abcdef").read_bytes() == b"scan" * 1000
    assert (done.folder / "notices" / "0001-accept.pdf").exists()
    assert "示范县" in (done.folder / "config.ini").read_text(encoding="utf-8")
    assert not (done.folder / "device.secret").exists() and not (done.folder / "logs").exists()
    assert done.files == 3


def test_a_broken_event_log_is_refused_and_no_half_backup_is_left(tmp_path):
    data = counter_dir(tmp_path)
    (tmp_path / "usb").mkdir()
    conn = connect(data / DB_FILE)
    conn.execute("UPDATE event_log SET ticket = 'A999' WHERE seq = 3")      # an edited entry
    conn.close()
    with pytest.raises(StoreCorruptError, match="操作日志校验未通过") as caught:
        backup(data, tmp_path / "usb", "counter")
    assert "verify-log" in caught.value.message
    assert list((tmp_path / "usb").iterdir()) == []


def test_nothing_to_back_up_is_a_clear_message_and_a_second_backup_keeps_the_first(tmp_path):
    (tmp_path / "usb").mkdir()
    with pytest.raises(StoreError, match="没有可备份的数据库"):
        backup(tmp_path / "empty", tmp_path / "usb", "counter")
    data = counter_dir(tmp_path)
    moment = datetime(2026, 11, 30, 18, 0, 0)
    first = backup(data, tmp_path / "usb", "counter", now=moment).folder
    second = backup(data, tmp_path / "usb", "counter", now=moment).folder
    assert second != first and second.name == first.name + "-2" and first.is_dir()


def test_admin_backup_restores_into_a_working_data_directory(tmp_path):
    data = counter_dir(tmp_path, events=3)
    (tmp_path / "usb").mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": ROOT}
    run = [sys.executable, "-m", "hallclient"]
    made = subprocess.run([*run, "--data-dir", str(data), "admin", "backup", str(tmp_path / "usb")],
                          capture_output=True, text=True, timeout=60, env=env)
    assert made.returncode == 0, made.stderr
    summary = json.loads(made.stdout)
    assert summary["event_log_entries"] == 3 and "set-device" in summary["restore"]
    assert "admin restore" in summary["restore"] and "复制为数据目录；" not in summary["restore"]
    target = tmp_path / "new-pc"
    restored = subprocess.run([*run, "--data-dir", str(target), "admin", "restore", summary["backup"]],
                              capture_output=True, text=True, timeout=60, env=env)
    assert restored.returncode == 0, restored.stderr
    assert "数据目录原来是空的" in restored.stdout and "set-device" in restored.stdout
    checked = subprocess.run([*run, "--data-dir", str(target), "admin", "verify-log"],
                             capture_output=True, text=True, timeout=60, env=env)
    assert checked.returncode == 0 and "操作日志完整：共 3 条" in checked.stdout
    status = subprocess.run([*run, "--data-dir", str(target), "admin", "status", "--json"],
                            capture_output=True, text=True, timeout=60, env=env)
    assert json.loads(status.stdout)["event_log"] == {"intact": True, "entries": 3}
    assert (target / "attachments" / "ab" / "abcdef").read_bytes() == b"scan" * 1000


def test_hall_server_backup_copies_its_own_database(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": ROOT}
    run = [sys.executable, "-m", "hallclient", "--data-dir", str(tmp_path / "data"), "hall-server"]
    subprocess.run([*run, "import-hall"], check=True, capture_output=True, timeout=60, env=env)
    (tmp_path / "usb").mkdir()
    made = subprocess.run([*run, "backup", str(tmp_path / "usb")], capture_output=True, text=True,
                          timeout=60, env=env)
    assert made.returncode == 0, made.stderr
    folder = json.loads(made.stdout)["backup"]
    assert "hallclient-hall-server-" in folder
    copy = connect(f"{folder}/{DB_FILE}")
    assert copy.execute("SELECT count(*) FROM windows").fetchone()[0] > 0       # the imported hall
    copy.close()


def admin(data_dir, *args, hall=False):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(data_dir.parent), "PYTHONPATH": ROOT}
    return subprocess.run([sys.executable, "-m", "hallclient", "--data-dir", str(data_dir),
                           "hall-server" if hall else "admin", *args],
                          capture_output=True, text=True, timeout=60, env=env)


def entries_of(database):
    conn = connect(database)
    try:
        return [r[0] for r in conn.execute("SELECT ticket FROM event_log ORDER BY seq")]
    finally:
        conn.close()


def test_backup_refuses_a_missing_folder_and_one_inside_the_data_dir(tmp_path):
    data = counter_dir(tmp_path)
    stick = tmp_path / "media" / "usb"                        # not mounted: no such folder
    refused = admin(data, "backup", str(stick))
    assert refused.returncode == 3 and "不存在" in refused.stderr and "挂载" in refused.stderr
    assert not stick.exists() and not stick.parent.exists()
    for inside in (data, data / "notices"):
        refused = admin(data, "backup", str(inside))
        assert refused.returncode == 3 and "在数据目录" in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
    assert sorted(p.name for p in (data / "notices").iterdir()) == ["0001-accept.pdf"]


def test_a_full_backup_disk_is_named_not_the_database(tmp_path, monkeypatch):
    import errno
    import shutil

    from hallclient.store import backup as backup_module
    from hallclient.store.db import StoreFullError

    data = counter_dir(tmp_path)
    usb = tmp_path / "usb"
    usb.mkdir()

    def tiny_disk(target):                     # SQLite's own "database or disk is full"
        conn = sqlite3.connect(str(target), isolation_level=None)
        conn.execute("PRAGMA max_page_count = 2")
        return conn

    monkeypatch.setattr(backup_module, "_open_copy", tiny_disk)
    with pytest.raises(StoreFullError) as caught:
        backup(data, usb, "counter")
    assert f"备份盘 {usb} 空间不够" in caught.value.message and str(data) not in caught.value.message
    assert list(usb.iterdir()) == []
    monkeypatch.undo()

    def full(src, dst, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr(shutil, "copy2", full)
    with pytest.raises(StoreFullError, match=f"备份盘 {usb} 空间不够"):
        backup(data, usb, "counter")
    assert list(usb.iterdir()) == []


def stale_wal(folder, tmp_path):
    """A -wal beside the backup's database, as a crash leaves it: a program ran on the
    folder (or a copy of it) and wrote entries that are not part of the backup."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    shutil.copy(folder / DB_FILE, scratch / DB_FILE)
    conn = connect(scratch / DB_FILE)
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("BEGIN IMMEDIATE")
    log_repo.append(conn, at="2026-12-01T09:00:00", action="call", window=9, ticket="X999")
    conn.execute("COMMIT")
    shutil.copy(scratch / f"{DB_FILE}-wal", folder / f"{DB_FILE}-wal")
    shutil.copy(scratch / f"{DB_FILE}-shm", folder / f"{DB_FILE}-shm")
    conn.close()


def test_restore_leaves_a_stale_wal_behind_and_moves_the_old_data_aside(tmp_path):
    data = counter_dir(tmp_path, events=3)
    (tmp_path / "usb").mkdir()
    folder = backup(data, tmp_path / "usb", "counter").folder
    stale_wal(folder, tmp_path)
    # the replayed WAL is what a plain copy of the folder would have given
    plain = tmp_path / "plain-copy"
    shutil.copytree(folder, plain)
    assert entries_of(plain / DB_FILE)[-1] == "X999"

    db = open_database(data / DB_FILE)                       # work done after the backup
    with db.write() as conn:
        log_repo.append(conn, at="2026-11-30T15:00:00", action="call", window=1, ticket="A100")
    db.close()
    (data / "hall-server").mkdir()
    (data / "hall-server" / "keep.txt").write_text("the hall server's own data")
    said = admin(data, "restore", str(folder))
    assert said.returncode == 0, said.stderr
    assert "hallclient.sqlite3-wal" in said.stdout and "没有复制" in said.stdout
    assert entries_of(data / DB_FILE) == ["A000", "A001", "A002"]
    assert "操作日志完整：共 3 条" in admin(data, "verify-log").stdout
    aside, = tmp_path.glob("data.before-restore-*")
    assert f"已移到 {aside}" in said.stdout
    assert entries_of(aside / DB_FILE)[-1] == "A100"                 # nothing lost
    assert (aside / "device.secret").read_text() == "s3cret" and (aside / "logs").is_dir()
    assert (data / "hall-server" / "keep.txt").exists() and not (aside / "hall-server").exists()
    assert (data / "notices" / "0001-accept.pdf").exists() and not (data / "device.secret").exists()


def test_restore_refuses_while_a_program_has_the_database_open(tmp_path):
    data = counter_dir(tmp_path)
    (tmp_path / "usb").mkdir()
    folder = backup(data, tmp_path / "usb", "counter").folder
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfrom hallclient.store.db import open_database\n"
         "db = open_database(sys.argv[1])\nprint('open', flush=True)\nsys.stdin.read()",
         str(data / DB_FILE)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env={"PYTHONPATH": ROOT})
    try:
        assert holder.stdout.readline().strip() == "open"
        refused = admin(data, "restore", str(folder))
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
        holder.stdout.close()
    assert refused.returncode == 3 and "正在被使用" in refused.stderr and "关闭" in refused.stderr
    assert list(tmp_path.glob("data.before-restore-*")) == []
    assert entries_of(data / DB_FILE) == [f"A{i:03d}" for i in range(5)]
    assert admin(data, "restore", str(folder)).returncode == 0        # once it has closed


def test_a_damaged_or_foreign_backup_is_refused_before_anything_is_touched(tmp_path):
    data = counter_dir(tmp_path)
    (tmp_path / "usb").mkdir()
    folder = backup(data, tmp_path / "usb", "counter").folder
    conn = connect(folder / DB_FILE)
    conn.execute("UPDATE event_log SET ticket = 'A999' WHERE seq = 2")
    conn.close()
    refused = admin(data, "restore", str(folder))
    assert refused.returncode == 3 and "操作日志校验未通过" in refused.stderr and "未恢复" in refused.stderr
    missing = admin(data, "restore", str(tmp_path / "nothing-here"))
    assert missing.returncode == 3 and "不存在" in missing.stderr
    not_a_backup = admin(data, "restore", str(tmp_path / "usb"))
    assert not_a_backup.returncode == 3 and "不是 hallclient 的备份目录" in not_a_backup.stderr
    assert list(tmp_path.glob("data.before-restore-*")) == []
    assert entries_of(data / DB_FILE) == [f"A{i:03d}" for i in range(5)]


def test_hall_server_restore_puts_its_database_in_its_own_folder(tmp_path):
    data = tmp_path / "data"
    assert admin(data, "import-hall", hall=True).returncode == 0
    (tmp_path / "usb").mkdir()
    made = admin(data, "backup", str(tmp_path / "usb"), hall=True)
    folder = json.loads(made.stdout)["backup"]
    assert "hall-server restore" in json.loads(made.stdout)["restore"]
    conn = connect(data / "hall-server" / DB_FILE)
    conn.execute("DELETE FROM windows")                     # lost after the backup
    conn.close()
    counter = admin(data, "restore", folder)
    assert counter.returncode == 3 and "hall-server restore" in counter.stderr
    done = admin(data, "restore", folder, hall=True)
    assert done.returncode == 0, done.stderr
    assert "大厅服务器" in done.stdout and not (data / DB_FILE).exists()
    copy = connect(data / "hall-server" / DB_FILE)
    assert copy.execute("SELECT count(*) FROM windows").fetchone()[0] > 0
    copy.close()
    assert len(list(data.glob("hall-server.before-restore-*"))) == 1


def test_the_counter_and_its_training_data_backed_up_in_the_same_second(tmp_path):
    from datetime import datetime

    from hallclient.store.backup import backup
    from hallclient.store.db import DB_FILE, open_database

    data, usb = tmp_path / "data", tmp_path / "usb"
    usb.mkdir()
    for d in (data, data / "training"):
        open_database(d / DB_FILE).close()
    now = datetime(2026, 11, 30, 18, 0, 0)
    names = [backup(d, usb, "counter", now=now).folder.name
             for d in (data, data / "training", data)]
    assert names == ["hallclient-counter-20261130-180000", "hallclient-training-20261130-180000",
                     "hallclient-counter-20261130-180000-2"]
