"""Signed daily log bundles: a township counter's day travels to the county, is checked and
counted once; every kind of tampering is refused with its reason."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime

import pytest

from hallclient.app import main
from hallclient.core import bundle, eventlog
from hallclient.core.bundle import BundleError
from hallclient.store import bundle_repo, log_repo
from hallclient.store.db import DB_FILE, open_database

from ..conftest import CST

KEY = bundle.new_private_key()
DAY1, DAY2 = date(2026, 11, 26), date(2026, 11, 27)


@pytest.fixture
def township(tmp_path):
    """A counter with two days of log."""
    db = open_database(tmp_path / "township.sqlite3")
    for day, n in ((DAY1, 5), (DAY2, 4)):
        for i in range(n):
            at = datetime(day.year, day.month, day.day, 9, i, tzinfo=CST).isoformat()
            with db.write() as conn:
                log_repo.append(conn, at=at, action="call", window=1, clerk="li",
                                ticket=f"A{i:03d}", detail={"service": "ZH"})
    yield db
    db.close()


@pytest.fixture
def county(tmp_path):
    db = open_database(tmp_path / "county.sqlite3")
    yield db
    db.close()


def take(county, doc, trust=True):
    with county.write() as conn:
        return bundle_repo.import_bundle(conn, doc, "2026-11-28T10:00:00+08:00", trust_new=trust)


def held(county):
    return county.conn.execute("SELECT seq FROM pushed_log ORDER BY seq").fetchall()


def test_two_days_travel_and_are_counted_once(township, county):
    day1 = bundle_repo.export(township.conn, DAY1, "示范乡便民服务中心", KEY)
    day2 = bundle_repo.export(township.conn, DAY2, "示范乡便民服务中心", KEY)
    assert (day1["count"], day2["count"]) == (5, 4)
    with pytest.raises(BundleError, match="尚未登记.*--trust"):
        take(county, day1, trust=False)
    assert take(county, day1)["added"] == 5
    assert take(county, day2)["added"] == 4
    again = take(county, day1)                       # replayed: nothing counted twice
    assert again["added"] == 0 and again["already_had"] == 5
    assert [s for (s,) in held(county)] == list(range(1, 10))
    assert json.loads(json.dumps(day1)) == day1      # survives a round trip as a file


def resign(doc):
    """An attacker who edits the entries and the header and signs with their own key."""
    evil = bundle.new_private_key()
    return bundle.make(doc["entries"], device=doc["device"], day=doc["day"], hall=doc["hall"],
                       prev_hash=doc["prev_hash"], private_pem=evil)


def rechain(entries, prev):
    for e in entries:
        e["prev_hash"] = prev
        e["hash"] = prev = eventlog.entry_hash(prev, e)
    return entries


@pytest.mark.parametrize("tamper, reason", [
    (lambda d: d["entries"][2].update(clerk="someone"), "第 3 条的内容与哈希不符"),
    (lambda d: d["entries"][2].update(at="2026-11-26T23:59:00+08:00"), "第 3 条的内容与哈希不符"),
    (lambda d: d["entries"].pop(2), "缺少第 3 条"),
    (lambda d: d["entries"].insert(1, d["entries"].pop(3)), "第 2 条"),
    (lambda d: (d["entries"].pop(), d.update(count=4)), "被截短"),
    (lambda d: d.update(hall="别的中心"), "签名无效"),
    (lambda d: d["entries"][1].update(ticket=7), "第 2 条记录的 ticket 字段不对"),
    (lambda d: d["entries"][1].update(window="1"), "第 2 条记录的 window 字段不对"),
    (lambda d: d.update(signature=d["signature"][:-4] + "AAA="), "签名无效"),
])
def test_tampered_bundles_are_refused_with_the_reason(township, county, tamper, reason):
    doc = bundle_repo.export(township.conn, DAY1, "示范乡便民服务中心", KEY)
    take(county, bundle_repo.export(township.conn, DAY2, "示范乡便民服务中心", KEY))
    bad = copy.deepcopy(doc)
    tamper(bad)
    with pytest.raises(BundleError, match=reason):
        take(county, bad)
    assert len(held(county)) == 4                     # nothing of it was stored


def test_a_re_signed_bundle_is_refused_by_its_key(township, county):
    doc = bundle_repo.export(township.conn, DAY1, "示范乡便民服务中心", KEY)
    take(county, bundle_repo.export(township.conn, DAY2, "示范乡便民服务中心", KEY))
    edited = copy.deepcopy(doc)
    edited["entries"][1]["action"] = "finish"        # a no-show made into a service...
    rechain(edited["entries"], edited["prev_hash"])    # ...with every hash recomputed
    with pytest.raises(BundleError, match="签名公钥与登记的不一致"):
        take(county, resign(edited))


def rewrite_log(conn, entries) -> None:
    """An insider replaces the whole event log with a rebuilt chain."""
    conn.execute("DELETE FROM event_log")
    for e in entries:
        conn.execute("INSERT INTO event_log (seq, at, device, window, clerk, action, ticket, detail,"
                     " prev_hash, hash) VALUES (:seq, :at, :device, :window, :clerk, :action,"
                     " :ticket, :detail, :prev_hash, :hash)", e)


def test_an_edited_day_re_exported_later_does_not_fit(township, county, tmp_path):
    take(county, bundle_repo.export(township.conn, DAY1, "示范乡便民服务中心", KEY))
    # the township edits day 1 in the database, rebuilds the chain and exports day 2
    entries = log_repo.entries(township.conn)
    entries[2]["clerk"] = "someone"
    rechain(entries, eventlog.GENESIS)
    rewrite_log(township.conn, entries)
    with pytest.raises(BundleError, match="与已导入的第 5 条接不上"):
        take(county, bundle_repo.export(township.conn, DAY2, "示范乡便民服务中心", KEY))
    with pytest.raises(BundleError, match="第 3 条与已导入的不一致"):
        take(county, bundle_repo.export(township.conn, DAY1, "示范乡便民服务中心", KEY))


def test_admin_exports_and_imports_bundles(tmp_path, capsys):
    town, county = tmp_path / "town", tmp_path / "county"
    for d in (town, county):
        open_database(d / DB_FILE).close()
    db = open_database(town / DB_FILE)
    with db.write() as conn:
        log_repo.append(conn, at="2026-11-27T09:00:00+08:00", action="call", window=1,
                        clerk="li", ticket="A001")
    db.close()
    capsys.readouterr()
    assert main(["--data-dir", str(town), "admin", "bundle-key"]) == 0
    printed = capsys.readouterr().out.splitlines()[0].split("：")[1].strip()
    out = tmp_path / "b.json"
    assert main(["--data-dir", str(town), "admin", "export-bundle", "--date", "2026-11-27",
                 "--out", str(out)]) == 0
    assert main(["--data-dir", str(county), "admin", "import-bundle", str(out)]) == 1
    assert printed in capsys.readouterr().err        # the fingerprint to compare by phone
    assert main(["--data-dir", str(county), "admin", "import-bundle", str(out), "--trust"]) == 0
    assert "新增 1 条" in capsys.readouterr().out
    assert main(["--data-dir", str(county), "admin", "import-bundle", str(out)]) == 0
    assert "未重复计入" in capsys.readouterr().out


def rotate(township, old_key, at="2026-11-28T08:00:00+08:00"):
    """The counter changes its key: the old one signs the statement, the log records it."""
    new_key = bundle.new_private_key()
    statement = bundle.rotation_statement(old_key, bundle.public_key_of(new_key),
                                          device=log_repo.device_id(township.conn), at=at)
    with township.write() as conn:
        bundle_repo.record_rotation(conn, at, bundle.public_key_of(old_key),
                                    bundle.public_key_of(new_key), statement)
    return new_key


def registered_key(county):
    return county.conn.execute("SELECT public_key FROM trusted_devices").fetchone()[0]


def test_two_rotations_the_county_did_not_see_are_walked_in_one_import(township, county):
    take(county, bundle_repo.export(township.conn, DAY1, "示范乡便民服务中心", KEY))
    second = rotate(township, KEY)
    third = rotate(township, second, at="2026-11-28T09:00:00+08:00")
    doc = bundle_repo.export(township.conn, DAY2, "示范乡便民服务中心", third)
    assert [s["at"][11:16] for s in doc["key_rotations"]] == ["08:00", "09:00"]
    result = take(county, doc, trust=False)
    assert result["added"] == 4 and result["key_change"]["via"] == "rotation"
    assert result["key_change"]["statements_at"] == ["2026-11-28T08:00:00+08:00",
                                                     "2026-11-28T09:00:00+08:00"]
    assert registered_key(county) == bundle.public_key_of(third)
    logged = county.conn.execute("SELECT detail FROM event_log WHERE action = 'bundle_key_changed'"
                                 ).fetchone()[0]
    assert json.loads(logged)["new_fingerprint"] == bundle.fingerprint(bundle.public_key_of(third))


@pytest.mark.parametrize("tamper", [
    lambda s, evil: s.update(new_public_key=bundle.public_key_of(evil)),   # new key swapped
    lambda s, evil: s.update(device="another-counter"),                    # lent to another PC
])
def test_an_altered_statement_does_not_move_the_registered_key(township, county, tamper):
    take(county, bundle_repo.export(township.conn, DAY1, "示范乡便民服务中心", KEY))
    evil = bundle.new_private_key()
    statement = bundle.rotation_statement(KEY, bundle.public_key_of(bundle.new_private_key()),
                                          device=log_repo.device_id(township.conn), at="2026-11-28")
    tamper(statement, evil)
    entries, prev = bundle_repo.day_entries(township.conn, DAY2)
    doc = bundle.make(entries, device=log_repo.device_id(township.conn), day=DAY2.isoformat(),
                      hall="示范乡便民服务中心", prev_hash=prev, private_pem=evil,
                      rotations=[statement])
    with pytest.raises(BundleError, match="伪造"):
        take(county, doc, trust=False)
    assert registered_key(county) == bundle.public_key_of(KEY) and len(held(county)) == 5


def test_a_rotated_key_must_still_continue_the_chain(township, county):
    """A genuine rotation does not excuse a bundle that does not fit what the county holds:
    refused, and the registered key stays as it was."""
    take(county, bundle_repo.export(township.conn, DAY1, "示范乡便民服务中心", KEY))
    new_key = rotate(township, KEY)
    entries = log_repo.entries(township.conn)
    entries[3]["clerk"] = "someone"                   # day 1 edited and the chain rebuilt
    rechain(entries, eventlog.GENESIS)
    rewrite_log(township.conn, entries)
    with pytest.raises(BundleError, match="与已导入的第 5 条接不上"):
        take(county, bundle_repo.export(township.conn, DAY2, "示范乡便民服务中心", new_key),
             trust=False)
    assert registered_key(county) == bundle.public_key_of(KEY) and len(held(county)) == 5
    assert county.conn.execute("SELECT count(*) FROM event_log").fetchone()[0] == 0


def test_a_fingerprint_is_compared_as_people_type_it():
    public = bundle.public_key_of(KEY)
    shown = bundle.fingerprint(public)
    full_width = shown.upper().translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEF"})
    for typed in (shown, shown.replace(" ", ""), shown.upper().replace(" ", "-"), full_width):
        assert bundle.same_fingerprint(typed, public)
    assert not bundle.same_fingerprint(shown[:-1] + ("0" if shown[-1] != "0" else "1"), public)
    assert not bundle.same_fingerprint("", public)


def test_re_registering_checks_the_typed_fingerprint_even_for_the_registered_key(township, county):
    doc = bundle_repo.export(township.conn, DAY1, "示范乡便民服务中心", KEY)
    take(county, doc)
    device = doc["device"]
    other = bundle.fingerprint(bundle.public_key_of(bundle.new_private_key()))
    with pytest.raises(BundleError, match="不一致，未重新登记"), county.write() as conn:
        bundle_repo.import_bundle(conn, bundle_repo.export(township.conn, DAY2, "示范乡", KEY),
                                  "2026-11-28T10:00:00+08:00", re_register=(device, other))
    assert len(held(county)) == 5


SAT, SUN = date(2026, 11, 28), date(2026, 11, 29)


def test_an_empty_day_after_days_the_county_holds_is_taken_with_nothing_added(township, county):
    take(county, bundle_repo.export(township.conn, DAY1, "示范乡", KEY))
    take(county, bundle_repo.export(township.conn, DAY2, "示范乡", KEY))
    weekend = bundle_repo.export(township.conn, SAT, "示范乡", KEY)
    assert weekend["count"] == 0 and weekend["first_seq"] is None
    done = take(county, weekend)
    assert (done["added"], done["already_had"]) == (0, 0)
    assert take(county, bundle_repo.export(township.conn, SUN, "示范乡", KEY))["added"] == 0
    assert len(held(county)) == 9


def test_an_empty_day_between_held_days_and_before_the_first_one_fits(township, county):
    take(county, bundle_repo.export(township.conn, DAY2, "示范乡", KEY))
    take(county, bundle_repo.export(township.conn, DAY1, "示范乡", KEY))
    assert take(county, bundle_repo.export(township.conn, date(2026, 11, 25), "示范乡", KEY))[
        "added"] == 0                                   # before the first entry: at the genesis
    # only day 2 held: the empty day after it is checked against its last entry
    assert take(county, bundle_repo.export(township.conn, SAT, "示范乡", KEY))["added"] == 0


def test_an_empty_day_that_does_not_fit_is_refused_with_its_reason(township, county):
    take(county, bundle_repo.export(township.conn, DAY1, "示范乡", KEY))
    take(county, bundle_repo.export(township.conn, DAY2, "示范乡", KEY))
    device = log_repo.device_id(township.conn)
    # a day the county holds entries of, said to be empty (its entries deleted, re-exported)
    hollow = bundle.make([], device=device, day=DAY2.isoformat(), hall="示范乡",
                         prev_hash=bundle_repo.export(township.conn, DAY2, "示范乡", KEY)["prev_hash"],
                         private_pem=KEY)
    with pytest.raises(BundleError, match="已导入.*2026-11-27 的日志（第 6 条起）"):
        take(county, hollow)
    # a weekend whose chain stands elsewhere than the county's last entry before it
    elsewhere = bundle.make([], device=device, day=SAT.isoformat(), hall="示范乡",
                            prev_hash=bundle_repo.export(township.conn, DAY1, "示范乡", KEY)["head_hash"],
                            private_pem=KEY)
    with pytest.raises(BundleError, match="第 9 条（2026-11-28 之前的最后一条）"):
        take(county, elsewhere)
    restart = bundle.make([], device=device, day=SAT.isoformat(), hall="示范乡",
                          prev_hash=eventlog.GENESIS, private_pem=KEY)
    with pytest.raises(BundleError, match="对不上"):
        take(county, restart)
    assert len(held(county)) == 9


@pytest.mark.parametrize("tamper, reason", [
    (lambda d: [e.update(seq=str(e["seq"])) for e in d["entries"]], "第 1 条记录的 seq 字段不对"),
    (lambda d: d.update(first_seq="1"), "first_seq 字段不对"),
    (lambda d: d["entries"][1].update(detail={"service": "ZH"}), "第 2 条记录的 detail 字段不对"),
    (lambda d: d["entries"][0].update(window=True), "第 1 条记录的 window 字段不对"),
    (lambda d: d.pop("count"), "count 字段不对"),
    (lambda d: d.update(key_rotations={"x": 1}), "key_rotations 字段不对"),
])
def test_crafted_fields_are_refused_not_crashed_on(township, county, tamper, reason):
    doc = bundle_repo.export(township.conn, DAY1, "示范乡", KEY)
    tamper(doc)
    with pytest.raises(BundleError, match=reason):
        take(county, doc)
    assert held(county) == []


def test_admin_import_bundle_says_what_is_wrong_with_a_file(tmp_path, capsys):
    county = tmp_path / "county"
    open_database(county / DB_FILE).close()          # a PC already in use
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    cut = tmp_path / "cut.json"
    cut.write_text('{"format": "hallclient-log-bundle/1", "entries": [', encoding="utf-8")
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"hall": "\xb2\xe2"}')
    capsys.readouterr()
    files = [str(tmp_path / "missing.json"), str(deep), str(cut), str(latin), str(tmp_path)]
    assert main(["--data-dir", str(county), "admin", "import-bundle", *files]) == 1
    said = capsys.readouterr().err.splitlines()
    assert said == [
        f"拒绝 {tmp_path / 'missing.json'}：找不到这个文件：请检查文件名和路径（U 盘是否已插好）",
        f"拒绝 {deep}：文件中的 JSON 嵌套层数过多，不是本程序导出的日志包",
        f"拒绝 {cut}：不是正确的 JSON（第 1 行第 51 列附近有错），文件可能不完整或被改动过",
        f"拒绝 {latin}：不是 UTF-8 文本，不是日志包文件",
        f"拒绝 {tmp_path}：这是一个目录，不是日志包文件",
    ]


def test_a_wrong_fingerprint_at_re_registration_is_not_echoed(township, county):
    doc = bundle_repo.export(township.conn, DAY1, "示范乡", KEY)
    take(county, doc)
    other_key = bundle.new_private_key()
    forged = bundle.make(doc["entries"], device=doc["device"], day=doc["day"], hall=doc["hall"],
                         prev_hash=doc["prev_hash"], private_pem=other_key)
    real = bundle.fingerprint(bundle.public_key_of(other_key))
    typed = bundle.fingerprint(bundle.public_key_of(bundle.new_private_key()))
    with pytest.raises(BundleError) as caught, county.write() as conn:
        bundle_repo.import_bundle(conn, forged, "2026-11-28T10:00:00+08:00",
                                  re_register=(doc["device"], typed))
    said = str(caught.value)
    assert "不一致，未重新登记" in said and "admin bundle-key" in said and "电话" in said
    for shown in (real, real.replace(" ", "")):
        assert shown not in said.replace(typed, "")
    with pytest.raises(BundleError) as refused:                # nor in the plain refusal
        take(county, forged)
    assert "签名公钥与登记的不一致" in str(refused.value) and real not in str(refused.value)
