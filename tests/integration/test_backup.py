"""Online backup of a counter's data directory: consistent while a writer is mid-transaction,
checked before it is reported, never leaves a half backup, and restores into a working
data directory. The device secret and the hall token stay behind (the log-bundle signing
key goes with it: test_signing_keys)."""

from __future__ import annotations

import json
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
    conn = connect(data / DB_FILE)
    conn.execute("UPDATE event_log SET ticket = 'A999' WHERE seq = 3")      # an edited entry
    conn.close()
    with pytest.raises(StoreCorruptError, match="操作日志校验未通过") as caught:
        backup(data, tmp_path / "usb", "counter")
    assert "verify-log" in caught.value.message
    assert list((tmp_path / "usb").iterdir()) == []


def test_nothing_to_back_up_and_an_existing_folder_are_clear_messages(tmp_path):
    with pytest.raises(StoreError, match="没有可备份的数据库"):
        backup(tmp_path / "empty", tmp_path / "usb", "counter")
    data = counter_dir(tmp_path)
    moment = datetime(2026, 11, 30, 18, 0, 0)
    backup(data, tmp_path / "usb", "counter", now=moment)
    with pytest.raises(StoreError, match="备份目录已存在"):
        backup(data, tmp_path / "usb", "counter", now=moment)


def test_admin_backup_restores_into_a_working_data_directory(tmp_path):
    data = counter_dir(tmp_path, events=3)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": ROOT}
    run = [sys.executable, "-m", "hallclient"]
    made = subprocess.run([*run, "--data-dir", str(data), "admin", "backup", str(tmp_path / "usb")],
                          capture_output=True, text=True, timeout=60, env=env)
    assert made.returncode == 0, made.stderr
    summary = json.loads(made.stdout)
    assert summary["event_log_entries"] == 3 and "set-device" in summary["restore"]
    restored = subprocess.run([*run, "--data-dir", summary["backup"], "admin", "verify-log"],
                              capture_output=True, text=True, timeout=60, env=env)
    assert restored.returncode == 0 and "intact: 3 entries" in restored.stdout
    status = subprocess.run([*run, "--data-dir", summary["backup"], "admin", "status", "--json"],
                            capture_output=True, text=True, timeout=60, env=env)
    assert json.loads(status.stdout)["event_log"] == {"intact": True, "entries": 3}


def test_hall_server_backup_copies_its_own_database(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": ROOT}
    run = [sys.executable, "-m", "hallclient", "--data-dir", str(tmp_path / "data"), "hall-server"]
    subprocess.run([*run, "import-hall"], check=True, capture_output=True, timeout=60, env=env)
    made = subprocess.run([*run, "backup", str(tmp_path / "usb")], capture_output=True, text=True,
                          timeout=60, env=env)
    assert made.returncode == 0, made.stderr
    folder = json.loads(made.stdout)["backup"]
    assert "hallclient-hall-server-" in folder
    copy = connect(f"{folder}/{DB_FILE}")
    assert copy.execute("SELECT count(*) FROM windows").fetchone()[0] > 0       # the imported hall
    copy.close()
