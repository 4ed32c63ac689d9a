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


def test_an_edited_day_re_exported_later_does_not_fit(township, county, tmp_path):
    take(county, bundle_repo.export(township.conn, DAY1, "示范乡便民服务中心", KEY))
    # the township edits day 1 in the database, rebuilds the chain and exports day 2
    entries = log_repo.entries(township.conn)
    entries[2]["clerk"] = "someone"
    rechain(entries, eventlog.GENESIS)
    township.conn.execute("DELETE FROM event_log")
    for e in entries:
        township.conn.execute("INSERT INTO event_log (seq, at, device, window, clerk, action,"
                              " ticket, detail, prev_hash, hash) VALUES (:seq, :at, :device,"
                              " :window, :clerk, :action, :ticket, :detail, :prev_hash, :hash)", e)
    with pytest.raises(BundleError, match="与已导入的第 5 条接不上"):
        take(county, bundle_repo.export(township.conn, DAY2, "示范乡便民服务中心", KEY))
    with pytest.raises(BundleError, match="第 3 条与已导入的不一致"):
        take(county, bundle_repo.export(township.conn, DAY1, "示范乡便民服务中心", KEY))


def test_admin_exports_and_imports_bundles(tmp_path, capsys):
    town, county = tmp_path / "town", tmp_path / "county"
    for d in (town, county):
        assert main(["--data-dir", str(d), "admin", "status"]) == 0
    db = open_database(town / DB_FILE)
    with db.write() as conn:
        log_repo.append(conn, at="2026-11-27T09:00:00+08:00", action="call", window=1,
                        clerk="li", ticket="A001")
    db.close()
    capsys.readouterr()
    assert main(["--data-dir", str(town), "admin", "bundle-key"]) == 0
    printed = capsys.readouterr().out.split("：")[1].strip()
    out = tmp_path / "b.json"
    assert main(["--data-dir", str(town), "admin", "export-bundle", "--date", "2026-11-27",
                 "--out", str(out)]) == 0
    assert main(["--data-dir", str(county), "admin", "import-bundle", str(out)]) == 1
    assert printed in capsys.readouterr().err        # the fingerprint to compare by phone
    assert main(["--data-dir", str(county), "admin", "import-bundle", str(out), "--trust"]) == 0
    assert "新增 1 条" in capsys.readouterr().out
    assert main(["--data-dir", str(county), "admin", "import-bundle", str(out)]) == 0
    assert "未重复计入" in capsys.readouterr().out
