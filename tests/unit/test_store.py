"""The counter database on disk: WAL, migrations from every version, clear errors."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from hallclient.store import db as dbmod
from hallclient.store.db import (
    StoreCorruptError,
    StoreLockedError,
    StoreTooNewError,
    migrate,
    open_database,
)
from hallclient.store.migrations import LATEST

# rows a counter would have written while at each schema version
SEED = {
    1: ["INSERT INTO clerks (username, display_name, role, password_hash, created_at)"
        " VALUES ('li', '李𠮷', 'clerk', 'x', '2026-01-01')"],
    2: ["INSERT INTO services (code, name, prefix) VALUES ('ZH', '综合', 'A')",
        "INSERT INTO windows (number) VALUES (1)",
        "INSERT INTO tickets (uid, day, seq, number, service, issued_at, sort_at_ms)"
        " VALUES ('u1', '2026-01-01', 1, 'A001', 'ZH', 't', 1)"],
    3: ["INSERT INTO event_log (seq, at, device, action, prev_hash, hash)"
        " VALUES (1, 't', 'd', 'sign_in', 'p', 'h')"],
    4: ["INSERT INTO catalog_items (impl_code, item_code, name, department, item_type, case_type,"
        " pinyin_initials, pinyin_full, body, catalog_version) VALUES ('I1', 'C1', '事项', '局',"
        " '01', 1, 'sx', 'shixiang', '{}', 'v1')"],
    5: ["INSERT INTO cases (uid, case_no, impl_code, item_name, case_type, status, decision,"
        " applicant_kind, applicant_name, id_type, id_number, mobile, received_at, decided_at,"
        " query_password, updated_at) VALUES ('u', 'N1', 'I1', '事项', 1, 3, 'accept', 'person',"
        " '王𠮷', '111', '11010519491231002X', '13800138000', 't', 't', '123456', 't')"],
    6: ["INSERT INTO evaluations (uid, case_no, level, channel, at) VALUES"
        " ('e', 'N1', 'satisfied', '政务大厅平板电脑', 't')"],
    7: ["INSERT INTO hall_devices (device_id, kind, window, token_hash, created_at) VALUES"
        " ('W1', 'counter', 1, 'h', 't')",
        "INSERT INTO hall_manual_applied VALUES ('u', 'W1', '{}', 't')",
        "INSERT INTO pushed_log VALUES ('d', 1, 't', 1, 'c', 'lock', NULL, NULL, 'p', 'h', 't')",
        "INSERT INTO manual_services (uid, window, clerk, ticket, started_at) VALUES"
        " ('u', 1, 'c', 'A001', 't')"],
    8: [],
    9: [],
    10: ["INSERT INTO trusted_devices VALUES ('d', 'k', 't')"],
    11: ["INSERT INTO pushed_log_owners VALUES ('l', 'W1', 't')"],
    12: [],
    13: ["UPDATE outbox SET in_progress_since = '2026-01-01T00:00:00' WHERE id = 1"],
    14: ["INSERT INTO appointments (day, code, phone, service, at_time)"
         " VALUES ('2026-01-01', '102938', '13800138000', 'ZH', '09:30')"],
    15: ["INSERT INTO case_materials (case_id, code, name, requirement, form, expected_count,"
         " standard, status, correction_reason) VALUES ((SELECT id FROM cases WHERE case_no = 'N1'),"
         " 'M9', '签字原件', 'required', 'original', 1, '', 'original_returned', '复印件不清晰，请带原件')"],
    16: ["UPDATE cases SET correction_due = '2026-01-15', correction_days = 10 WHERE case_no = 'N1'"],
    17: ["UPDATE cases SET handover = 'posted', waybill = 'SF1' WHERE case_no = 'N1'",
         "INSERT INTO progress_attempts (case_no, failures, last_at) VALUES ('N1', 1, '2026-01-02')"],
    18: ["UPDATE tickets SET reason = '老年人', id_masked = '110***********002X', id_check = 's$h'"
         " WHERE number = 'A001'",
         "UPDATE appointments SET id_hash = 'ab', source = 'platform' WHERE code = '102938'"],
    19: [],
}


def test_new_database_is_wal_and_latest(tmp_path):
    database = open_database(tmp_path / "c.sqlite3")
    conn = database.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert {"clerks", "tickets", "event_log"} <= set(database.utils.table_names())
    assert len(conn.execute("SELECT value FROM meta WHERE key='device_id'").fetchone()[0]) == 32
    database.close()


@pytest.mark.parametrize("start", range(0, LATEST))
def test_migrates_from_every_earlier_version_keeping_data(tmp_path, start):
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=start)
    for version in range(1, start + 1):
        for sql in SEED[version]:
            conn.execute(sql)
    conn.close()

    database = open_database(path)
    assert database.conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
    if start >= 1:
        assert database.one("SELECT display_name FROM clerks")["display_name"] == "李𠮷"
    if start >= 2:
        assert database.one("SELECT number FROM tickets")["number"] == "A001"
    # the new schema is usable: every table of the latest version accepts its seed rows
    with database.write() as c:
        for version in range(start + 1, LATEST + 1):
            for sql in SEED[version]:
                c.execute(sql)
    database.close()


def test_database_from_a_newer_program_is_refused(tmp_path):
    path = tmp_path / "new.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    conn.close()
    with pytest.raises(StoreTooNewError, match="升级"):
        open_database(path)


def test_corrupt_file_gives_a_clear_message_and_is_left_alone(tmp_path):
    path = tmp_path / "hallclient.sqlite3"
    garbage = b"this is not sqlite at all" * 200
    path.write_bytes(garbage)
    with pytest.raises(StoreCorruptError) as err:
        open_database(path)
    assert "已损坏" in err.value.message and str(path) in err.value.message
    assert path.read_bytes() == garbage


def test_damaged_pages_are_caught_at_open(tmp_path):
    path = tmp_path / "hallclient.sqlite3"
    database = open_database(path)
    with database.write() as c:
        c.execute("CREATE TABLE filler (x TEXT)")
        for i in range(2000):
            c.execute("INSERT INTO filler VALUES (?)", (f"row {i} " * 10,))
    database.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(page * 5, page * 9):   # scribble over a few pages
        data[offset] = 0xA5
    path.write_bytes(bytes(data))
    with pytest.raises(StoreCorruptError):
        open_database(path)


def test_locked_database_gives_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setattr(dbmod, "BUSY_TIMEOUT_MS", 100)
    path = tmp_path / "hallclient.sqlite3"
    database = open_database(path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreLockedError, match="占用"):
            with database.write() as c:
                c.execute("INSERT INTO meta VALUES ('k', 'v')")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert database.one("SELECT count(*) AS n FROM meta WHERE key = 'k'")["n"] == 0
    database.close()


def test_failed_transaction_rolls_back_everything(db):
    with pytest.raises(RuntimeError):
        with db.write() as c:
            c.execute("INSERT INTO meta VALUES ('a', '1')")
            raise RuntimeError("boom")
    assert db.one("SELECT count(*) AS n FROM meta WHERE key = 'a'")["n"] == 0


def test_worker_runs_jobs_on_its_own_thread_in_order(tmp_path):
    from hallclient.store.worker import Worker

    worker = Worker(lambda: open_database(tmp_path / "w.sqlite3"), lambda d: d.close())
    names = []

    def job(i):
        def run(database):
            names.append((i, threading.current_thread().name))
            with database.write() as c:
                c.execute("INSERT INTO meta VALUES (?, ?)", (f"k{i}", str(i)))
            return i
        return run

    futures = [worker.submit(job(i)) for i in range(20)]
    assert [f.result(timeout=10) for f in futures] == list(range(20))
    assert [i for i, _ in names] == list(range(20))
    assert {n for _, n in names} != {threading.current_thread().name}
    assert len({n for _, n in names}) == 1
    worker.close()


def test_worker_reports_an_open_failure_to_every_job(tmp_path):
    from hallclient.store.worker import Worker

    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"garbage" * 1000)
    worker = Worker(lambda: open_database(bad), lambda d: d.close())
    with pytest.raises(StoreCorruptError):
        worker.submit(lambda d: 1).result(timeout=10)
    worker.close()


def test_materials_keep_their_rows_across_the_status_and_reason_change(tmp_path):
    """Migration 15 rebuilds case_materials (a wider status CHECK, a correction_reason column):
    every row a counter had is there after it, unchanged, with no reason yet."""
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=14)
    for version in range(1, 15):
        for sql in SEED[version]:
            conn.execute(sql)
    conn.execute("INSERT INTO case_materials (case_id, code, name, requirement, form,"
                 " expected_count, standard, status, received_at, scanned_codes) VALUES"
                 " (1, 'M1', '申请书', 'required', 'original', 1, '签字', 'paper_copy', 't',"
                 " '[\"QR1\"]')")
    conn.close()
    database = open_database(path)
    row = database.one("SELECT * FROM case_materials WHERE code = 'M1'")
    assert (row["name"], row["status"], row["received_at"], row["scanned_codes"],
            row["correction_reason"]) == ("申请书", "paper_copy", "t", '["QR1"]', "")
    with database.write() as c:
        c.execute("UPDATE case_materials SET status = 'original_returned' WHERE code = 'M1'")
        with pytest.raises(sqlite3.IntegrityError):
            c.execute("UPDATE case_materials SET status = 'lost' WHERE code = 'M1'")
    database.close()


def test_sqlite_uris_name_the_file_whatever_its_folders_are_called():
    """# ? % & and spaces are percent-encoded (a # would end the path: SQLite would open
    another file); a Windows drive and share get the empty authority SQLite requires."""
    from pathlib import PureWindowsPath

    from hallclient.store.db import file_uri

    assert file_uri("/data/张三 #2 & Co/x?.sqlite3", mode="ro") == \
        "file:///data/%E5%BC%A0%E4%B8%89%20%232%20%26%20Co/x%3F.sqlite3?mode=ro"
    assert file_uri(PureWindowsPath("C:\\Users\\张三\\db.sqlite3"), immutable="1") == \
        "file:///C:/Users/%E5%BC%A0%E4%B8%89/db.sqlite3?immutable=1"
    assert file_uri(PureWindowsPath("\\\\SRV\\share\\db.sqlite3")) == "file:////SRV/share/db.sqlite3"
