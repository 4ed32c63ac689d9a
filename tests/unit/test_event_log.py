"""The hash-chained event log catches edits, deletions and reordering."""

from __future__ import annotations

import pytest

from hallclient.app import main
from hallclient.store import log_repo
from hallclient.store.db import DB_FILE


@pytest.fixture
def busy_day(queue, db):
    queue.sign_in(1, "li")
    for _ in range(4):
        queue.issue("ZH")
    for _ in range(3):
        t = queue.call_next(1, "li")
        queue.start(1, "li", t.id)
        queue.finish(1, "li", t.id)
    queue.pause(1, "li")
    queue.resume(1, "li")
    queue.record("lock", 1, "li", {"reason": "idle"})
    return db


def tamper(db, sql, params=()):
    db.conn.execute(sql, params)


def test_untouched_log_is_intact(busy_day):
    verdict = log_repo.verify(busy_day.conn)
    assert verdict.intact and verdict.entries == 17
    assert verdict.describe().startswith("intact: 17 entries")


def test_every_entry_links_to_the_previous_hash(busy_day):
    rows = log_repo.entries(busy_day.conn)
    assert rows[0]["prev_hash"] == "0" * 64
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(rows, rows[1:], strict=False))
    assert {r["device"] for r in rows} == {log_repo.device_id(busy_day.conn)}


def test_edited_entry_is_caught(busy_day):
    tamper(busy_day, "UPDATE event_log SET action = 'finish' WHERE seq = 6")
    verdict = log_repo.verify(busy_day.conn)
    assert not verdict.intact and verdict.broken_seq == 6 and "edited" in verdict.reason


def test_edited_time_is_caught(busy_day):
    tamper(busy_day, "UPDATE event_log SET at = '2026-11-27T08:00:00.000+08:00' WHERE seq = 9")
    assert log_repo.verify(busy_day.conn).broken_seq == 9


def test_deleted_entry_is_caught(busy_day):
    tamper(busy_day, "DELETE FROM event_log WHERE seq = 7")
    verdict = log_repo.verify(busy_day.conn)
    assert not verdict.intact and verdict.broken_seq == 7 and "missing" in verdict.reason


def test_deleted_and_renumbered_entries_are_caught(busy_day):
    # a careful forger deletes #7 and renumbers the rest so the sequence has no gap
    tamper(busy_day, "DELETE FROM event_log WHERE seq = 7")
    tamper(busy_day, "UPDATE event_log SET seq = seq - 1 WHERE seq > 7")
    verdict = log_repo.verify(busy_day.conn)
    assert not verdict.intact and verdict.broken_seq == 7


def test_deleted_last_entry_is_caught(busy_day):
    tamper(busy_day, "DELETE FROM event_log WHERE seq = 17")
    verdict = log_repo.verify(busy_day.conn)
    assert not verdict.intact and "ends at #16" in verdict.reason


def test_reordered_entries_are_caught(busy_day):
    rows = {r["seq"]: r for r in log_repo.entries(busy_day.conn)}
    a, b = rows[10], rows[11]
    # swap the contents of two rows, each keeping its own (valid) hash
    for target, src in ((10, b), (11, a)):
        tamper(busy_day, "UPDATE event_log SET at=?, action=?, ticket=?, detail=?, prev_hash=?,"
               " hash=? WHERE seq=?", (src["at"], src["action"], src["ticket"], src["detail"],
                                      src["prev_hash"], src["hash"], target))
    verdict = log_repo.verify(busy_day.conn)
    assert not verdict.intact and verdict.broken_seq == 10


def test_reordered_storage_is_caught(busy_day, tmp_path):
    # rewrite the table with two rows stored in swapped order (rowid order is what is read)
    conn = busy_day.conn
    rows = conn.execute("SELECT * FROM event_log ORDER BY seq").fetchall()
    rows[4], rows[5] = rows[5], rows[4]
    conn.execute("DROP TABLE event_log")
    conn.execute("CREATE TABLE event_log (seq INTEGER, at TEXT, device TEXT, window INTEGER,"
                 " clerk TEXT, action TEXT, ticket TEXT, detail TEXT, prev_hash TEXT, hash TEXT)")
    conn.executemany("INSERT INTO event_log VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
    verdict = log_repo.verify(conn)
    assert not verdict.intact and verdict.broken_seq == 5


def test_append_outside_a_transaction_is_refused(db):
    with pytest.raises(RuntimeError):
        log_repo.append(db.conn, at="t", action="x")


def test_admin_verify_log_command(busy_day, capsys):
    path = str(busy_day.path)
    assert main(["admin", "verify-log", path]) == 0
    assert capsys.readouterr().out == "操作日志完整：共 17 条，哈希链逐条核对无误\n"
    tamper(busy_day, "DELETE FROM event_log WHERE seq = 3")
    assert main(["admin", "verify-log", path]) == 1
    out = capsys.readouterr().out
    assert out.startswith("操作日志不完整：第 3 条缺失：应是第 3 条，接下来却是第 4 条——中间的记录被删除了")
    assert "前 2 条核对无误" in out and "保留该文件" in out


@pytest.mark.parametrize("damage, says", [
    ("UPDATE event_log SET action = 'finish' WHERE seq = 6",
     "第 6 条内容与它的哈希值不符——这一条被改动过"),
    ("DELETE FROM event_log WHERE seq = 17",
     "第 17 条日志到第 16 条就结束了，而本机记下的最后一条是第 17 条——末尾的记录被删除了"),
    ("UPDATE event_log SET seq = 99 WHERE seq = 5",
     "第 5 条缺失：应是第 5 条，接下来却是第 6 条——中间的记录被删除了"),
    ("UPDATE event_log SET prev_hash = '" + "f" * 64 + "' WHERE seq = 8",
     "第 8 条与前一条接不上——前一条被删除、替换或改动过"),
])
def test_verify_log_says_in_chinese_what_broke(busy_day, capsys, damage, says):
    """Each way the chain can break is named for the person reading it (no English reason
    from deeper down is left over)."""
    tamper(busy_day, damage)
    assert main(["admin", "verify-log", str(busy_day.path)]) == 1
    out = capsys.readouterr().out
    assert says in out
    assert not any(word in out for word in ("entry", "expected", "hash ", "BROKEN"))


def test_a_repeated_entry_is_named(busy_day, capsys):
    # a copy of entry 3 stored again after it (the table rebuilt without its key to allow it)
    conn = busy_day.conn
    rows = conn.execute("SELECT * FROM event_log ORDER BY seq").fetchall()
    conn.execute("DROP TABLE event_log")
    conn.execute("CREATE TABLE event_log (seq INTEGER, at TEXT, device TEXT, window INTEGER,"
                 " clerk TEXT, action TEXT, ticket TEXT, detail TEXT, prev_hash TEXT, hash TEXT)")
    conn.executemany("INSERT INTO event_log VALUES (?,?,?,?,?,?,?,?,?,?)",
                     rows[:3] + [rows[2]] + rows[3:])
    assert main(["admin", "verify-log", str(busy_day.path)]) == 1
    assert "第 4 条顺序错乱：应是第 4 条，却是第 3 条——记录被调换或重复" in capsys.readouterr().out


def test_admin_verify_log_on_a_non_database(tmp_path, capsys):
    bad = tmp_path / DB_FILE
    bad.write_bytes(b"x" * 4096)
    assert main(["admin", "verify-log", str(bad)]) == 3
    assert "已损坏" in capsys.readouterr().err


def test_readonly_verification_does_not_modify_the_file(busy_day):
    path = busy_day.path
    busy_day.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = path.read_bytes()
    assert main(["admin", "verify-log", str(path)]) == 0
    assert path.read_bytes() == before


def test_a_period_is_checked_with_its_links_to_the_entries_around_it(tmp_path):
    from hallclient.store import log_repo
    from hallclient.store.db import open_database

    db = open_database(tmp_path / "p.sqlite3")
    for day in (26, 27, 28):
        for minute in range(3):
            with db.write() as conn:
                log_repo.append(conn, at=f"2026-11-{day}T09:0{minute}:00+08:00", action="call",
                                window=1, clerk="li", ticket=f"A00{minute}")

    def period(day):
        return log_repo.verify_period(db.conn, f"2026-11-{day}", f"2026-11-{day + 1}")

    assert period(27).intact and period(27).entries == 3
    db.conn.execute("UPDATE event_log SET clerk = 'x' WHERE seq = 5")           # in the 27th
    assert not period(27).intact and period(27).broken_seq == 5
    assert period(26).intact                         # another day's report is not held up
    db.conn.execute("UPDATE event_log SET clerk = 'li' WHERE seq = 5")
    db.conn.execute("DELETE FROM event_log WHERE seq = 7")                      # 28th's first
    assert not period(27).intact or not period(28).intact
    assert not period(28).intact
    db.conn.execute("DELETE FROM event_log WHERE seq = 9")                      # the tail
    assert not period(28).intact
    assert not log_repo.verify(db.conn).intact
    db.close()


def test_a_broken_chain_is_described_for_the_supervisor():
    from hallclient.core.eventlog import GENESIS, Verdict, entry_hash, verify

    assert GENESIS == "0" * 64
    assert Verdict(False, 5, 6, "content does not match its hash (edited)").describe() == (
        "BROKEN at entry 6: content does not match its hash (edited) (日志被篡改)")
    assert Verdict(True, 3).describe() == "intact: 3 entries, chain verified (完整)"
    row = {"seq": 1, "at": "2026-11-27T09:00:00+08:00", "device": "d", "window": 1,
           "clerk": "li", "action": "call", "ticket": "A001", "detail": None}
    row.update(prev_hash=GENESIS, hash=entry_hash(GENESIS, row))
    assert verify([row], head=(1, row["hash"])) == Verdict(True, 1)
    assert verify([row], head=(2, "f" * 64)) == Verdict(
        False, 1, 2, "log ends at #1 but #2 was recorded")
    assert verify([], head=(0, GENESIS)) == Verdict(True, 0)
