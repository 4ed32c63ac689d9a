"""The county knows a township counter by its log-bundle signing key. A backup carries that
key, so a PC restored from it (here or on another PC, with or without a keyring) goes on
signing with the registered key; a counter can change its key on purpose, with the old
key vouching for the new one; when the old key is lost only the county's own administrator,
with the fingerprint read out over the phone, can register the new one. Every change is in
the county's event log. All through the real command line, on real data dirs."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import hallclient
from hallclient.core import bundle
from hallclient.store import log_repo
from hallclient.store.db import DB_FILE, connect, open_database

from .file_keyring import entries as keyring_entries
from .file_keyring import plant

ROOT = Path(hallclient.__file__).resolve().parents[1]
KEY_FILE = "signing-device.secret"
DAY1, DAY2 = "2026-11-26", "2026-11-27"


LOCKED = Path("locked")          # keyring=LOCKED: this PC has a keyring, and it is locked


def cli(data_dir: Path, *args: str, keyring: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(data_dir.parent),
           "PYTHONPATH": str(ROOT)}
    if keyring is LOCKED:
        env.update(PYTHON_KEYRING_BACKEND="tests.integration.file_keyring.LockedKeyring")
    elif keyring is not None:
        env.update(PYTHON_KEYRING_BACKEND="tests.integration.file_keyring.FileKeyring",
                   TEST_KEYRING_FILE=str(keyring))
    return subprocess.run([sys.executable, "-m", "hallclient", "--data-dir", str(data_dir),
                           "admin", *args], capture_output=True, text=True, timeout=60, env=env)


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


def log_day(data_dir: Path, day: str, n: int, first: int = 0) -> None:
    db = open_database(data_dir / DB_FILE)
    for i in range(first, first + n):
        with db.write() as conn:
            log_repo.append(conn, at=f"{day}T09:{i:02d}:00+08:00", action="call", window=1,
                            clerk="li", ticket=f"A{i:03d}")
    db.close()


def rotation_day(data_dir: Path) -> str:
    """The day the counter logged its last key rotation (its next bundle is of that day)."""
    conn = connect(data_dir / DB_FILE)
    at = conn.execute("SELECT at FROM event_log WHERE action = 'bundle_key_rotated'"
                      " ORDER BY seq DESC LIMIT 1").fetchone()[0]
    conn.close()
    return str(at)[:10]


def export(data_dir: Path, day: str, out: Path, keyring: Path | None = None) -> Path:
    ok(cli(data_dir, "export-bundle", "--date", day, "--out", str(out), keyring=keyring))
    return out


def fingerprint_shown(data_dir: Path, keyring: Path | None = None) -> str:
    first = ok(cli(data_dir, "bundle-key", keyring=keyring)).splitlines()[0]
    return first.split("：", 1)[1].strip()


def registered(county: Path) -> dict[str, str]:
    conn = connect(county / DB_FILE)
    rows = dict(conn.execute("SELECT device, public_key FROM trusted_devices").fetchall())
    conn.close()
    return {d: bundle.fingerprint(k) for d, k in rows.items()}


def county_log(county: Path, action: str) -> list[dict]:
    conn = connect(county / DB_FILE)
    rows = conn.execute("SELECT detail FROM event_log WHERE action = ? ORDER BY seq", (action,))
    found = [json.loads(r[0]) for r in rows]
    conn.close()
    return found


@pytest.fixture
def township(tmp_path):
    """A township counter whose first day the county has imported and registered."""
    town, county = tmp_path / "town", tmp_path / "county"
    for d in (town, county):
        open_database(d / DB_FILE).close()           # two PCs already in use
    (tmp_path / "usb").mkdir()
    log_day(town, DAY1, 3)
    ok(cli(county, "import-bundle", str(export(town, DAY1, tmp_path / "day1.json")), "--trust"))
    return town, county


def test_backup_carries_the_signing_key_and_a_restored_pc_is_still_accepted(township, tmp_path):
    town, county = township
    (town / "device.secret").write_text("platform-secret")
    (town / "hall-device.secret").write_text("hall-token")
    summary = json.loads(ok(cli(town, "backup", str(tmp_path / "usb"))))
    folder = Path(summary["backup"])
    assert summary["signing_key"] == {"file": KEY_FILE, "fingerprint": fingerprint_shown(town),
                                      "owner_only": True}
    assert "签名私钥" in summary["keep_safe"] and "加密" in summary["keep_safe"]
    assert "bundle-key" in summary["restore"] and "set-device" in summary["restore"]
    assert stat.S_IMODE((folder / KEY_FILE).stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert not (folder / "device.secret").exists() and not (folder / "hall-device.secret").exists()
    assert [f.name for f in folder.rglob("*") if f.is_file()
            and b"PRIVATE KEY" in f.read_bytes()] == [KEY_FILE]     # in its own file only

    # the PC dies; the backup is restored as the data dir of another PC, at another path;
    # the key file arrives owner-only (made readable by all below, as off a FAT stick)
    restored = tmp_path / "new-pc" / "hallclient"
    ok(cli(restored, "restore", str(folder)))
    assert stat.S_IMODE((restored / KEY_FILE).stat().st_mode) == 0o600
    (restored / KEY_FILE).chmod(0o644)
    assert fingerprint_shown(restored) == summary["signing_key"]["fingerprint"]
    assert stat.S_IMODE((restored / KEY_FILE).stat().st_mode) == 0o600

    log_day(restored, DAY2, 2, first=3)
    done = ok(cli(county, "import-bundle", str(export(restored, DAY2, tmp_path / "day2.json"))))
    assert "新增 2 条" in done
    assert county_log(county, "bundle_key_changed") == []


def test_restored_onto_a_pc_with_a_keyring_the_key_moves_into_it(township, tmp_path):
    town, county = township
    folder = Path(json.loads(ok(cli(town, "backup", str(tmp_path / "usb"))))["backup"])
    restored, ring = tmp_path / "new-pc" / "hallclient", tmp_path / "keyring.json"
    ok(cli(restored, "restore", str(folder), keyring=ring))
    assert fingerprint_shown(restored, keyring=ring) == fingerprint_shown(town)
    assert not (restored / KEY_FILE).exists()
    assert "PRIVATE KEY" in keyring_entries(ring)[f"hallclient/{restored}#signing"]
    assert "系统密钥环" in ok(cli(restored, "bundle-key", keyring=ring))

    log_day(restored, DAY2, 2, first=3)
    day2 = export(restored, DAY2, tmp_path / "day2.json", keyring=ring)
    assert "新增 2 条" in ok(cli(county, "import-bundle", str(day2)))


@pytest.mark.parametrize("choice", ["--use-restored", "--keep-keyring"])
def test_a_keyring_holding_another_key_is_never_guessed_at(township, tmp_path, choice):
    """Restored onto the same PC and path, whose keyring meanwhile holds another key (made
    after the disk failed, or a later rotation): the administrator chooses, knowing what
    the county registered."""
    town, county = township
    folder = Path(json.loads(ok(cli(town, "backup", str(tmp_path / "usb"))))["backup"])
    restored, ring = tmp_path / "new-pc" / "hallclient", tmp_path / "keyring.json"
    ok(cli(restored, "restore", str(folder)))
    other = bundle.new_private_key()
    plant(ring, "hallclient", f"{restored}#signing", other)
    backup_fp = fingerprint_shown(town)
    other_fp = bundle.fingerprint(bundle.public_key_of(other))

    refused = cli(restored, "bundle-key", keyring=ring)
    assert refused.returncode == 2
    assert backup_fp in refused.stderr and other_fp in refused.stderr
    assert "--use-restored" in refused.stderr and "--keep-keyring" in refused.stderr
    assert cli(restored, "export-bundle", "--date", DAY2, "--out", str(tmp_path / "x.json"),
               keyring=ring).returncode == 2
    assert (restored / KEY_FILE).exists()                  # nothing was thrown away

    chosen = ok(cli(restored, "bundle-key", choice, keyring=ring))
    assert (backup_fp if choice == "--use-restored" else other_fp) in chosen
    assert not (restored / KEY_FILE).exists()
    assert fingerprint_shown(restored, keyring=ring) == (
        backup_fp if choice == "--use-restored" else other_fp)


def test_rotation_with_the_old_key_is_accepted_by_the_county_and_logged(township, tmp_path):
    town, county = township
    old_fp = fingerprint_shown(town)
    day1_old_key = tmp_path / "day1.json"
    said = ok(cli(town, "bundle-key", "--rotate"))
    new_fp = fingerprint_shown(town)
    assert new_fp != old_fp and old_fp in said and new_fp in said and "无需重新登记" in said

    day = rotation_day(town)
    log_day(town, day, 2, first=10)
    done = ok(cli(county, "import-bundle", str(export(town, day, tmp_path / "next.json"))))
    assert f"{old_fp} → {new_fp}" in done and "新增 3 条" in done   # the rotation entry too
    (device, fp), = registered(county).items()
    assert fp == new_fp
    changed, = county_log(county, "bundle_key_changed")
    assert (changed["via"], changed["device"], changed["old_fingerprint"],
            changed["new_fingerprint"]) == ("rotation", device, old_fp, new_fp)
    assert "操作日志完整" in ok(cli(county, "verify-log"))

    # a bundle still signed by the retired key: told to export it again
    stale = cli(county, "import-bundle", str(day1_old_key))
    assert stale.returncode == 1 and "已停用的旧密钥" in stale.stderr and "重新导出" in stale.stderr
    assert "已有 3 条" in ok(cli(county, "import-bundle", str(export(town, DAY1, tmp_path / "again.json"))))


@pytest.mark.parametrize("how", ["key gone", "--old-key-lost"])
def test_without_the_old_key_the_county_re_registers_by_fingerprint(township, tmp_path, how):
    town, county = township
    old_fp = fingerprint_shown(town)
    if how == "key gone":                               # e.g. restored from an older backup
        (town / KEY_FILE).unlink()
        said = ok(cli(town, "bundle-key", "--rotate"))
    else:                                               # the old PC (or a backup) was lost
        said = ok(cli(town, "bundle-key", "--rotate", "--old-key-lost"))
    new_fp = fingerprint_shown(town)
    assert "没有签更换声明" in said and "--re-register" in said and new_fp in said
    day = rotation_day(town)
    log_day(town, day, 1, first=10)
    bundle_file = str(export(town, day, tmp_path / "next.json"))
    (device, _), = registered(county).items()

    refused = cli(county, "import-bundle", bundle_file)
    assert refused.returncode == 1
    assert "签名公钥与登记的不一致" in refused.stderr and f"--re-register {device}" in refused.stderr
    wrong = bundle.fingerprint(bundle.public_key_of(bundle.new_private_key()))
    mistyped = cli(county, "import-bundle", bundle_file, "--re-register", device, "--fingerprint", wrong)
    assert mistyped.returncode == 1 and "不一致，未重新登记" in mistyped.stderr
    assert registered(county) == {device: old_fp}
    assert cli(county, "import-bundle", bundle_file, "--re-register", device).returncode == 2

    typed = new_fp.replace(" ", "").upper()                 # as read out over the phone
    done = ok(cli(county, "import-bundle", bundle_file, "--re-register", device, "--fingerprint", typed))
    assert "县级重新登记" in done and "新增 2 条" in done
    assert registered(county) == {device: new_fp}
    changed, = county_log(county, "bundle_key_changed")
    assert (changed["via"], changed["old_fingerprint"], changed["new_fingerprint"]) == (
        "re_registration", old_fp, new_fp)


def test_a_forged_rotation_statement_is_refused(township, tmp_path):
    """Someone with the day's entries and a key of their own writes a statement that the
    registered key hands over to theirs, signed by their own key."""
    town, county = township
    (device, fp), = registered(county).items()
    genuine = json.loads(export(town, DAY1, tmp_path / "d.json").read_text(encoding="utf-8"))
    evil = bundle.new_private_key()
    claim = bundle.rotation_statement(evil, bundle.public_key_of(evil), device=device,
                                      at="2026-11-28T08:00:00+08:00")
    claim["old_public_key"] = genuine["public_key"]       # "the registered key says so"
    forged = bundle.make(genuine["entries"], device=device, day=DAY1, hall=genuine["hall"],
                         prev_hash=genuine["prev_hash"], private_pem=evil, rotations=[claim])
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged, ensure_ascii=False), encoding="utf-8")
    refused = cli(county, "import-bundle", str(path))
    assert refused.returncode == 1 and "伪造" in refused.stderr
    assert registered(county) == {device: fp}
    assert county_log(county, "bundle_key_changed") == []


def test_a_damaged_key_file_is_named_and_can_be_replaced(township, tmp_path):
    town, county = township
    (town / KEY_FILE).write_text("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI")   # cut short
    refused = cli(town, "export-bundle", "--date", DAY1, "--out", str(tmp_path / "x.json"))
    assert refused.returncode == 2 and "无法读取" in refused.stderr and "--old-key-lost" in refused.stderr
    assert cli(town, "bundle-key", "--rotate").returncode == 2          # nothing to sign with
    assert "没有签更换声明" in ok(cli(town, "bundle-key", "--rotate", "--old-key-lost"))
    assert json.loads(export(town, DAY1, tmp_path / "y.json").read_text(encoding="utf-8"))["count"] == 3


def test_a_locked_keyring_never_makes_or_rotates_a_key(tmp_path):
    """The key is in the keyring, which is locked today: no command guesses "no keyring"
    and signs with, or rotates to, a new key the county does not know."""
    town, ring = tmp_path / "town", tmp_path / "keyring.json"
    open_database(town / DB_FILE).close()
    log_day(town, DAY1, 2)
    before = fingerprint_shown(town, keyring=ring)               # made, kept in the keyring
    held = keyring_entries(ring)
    for args in (["bundle-key"], ["bundle-key", "--rotate"], ["bundle-key", "--rotate", "--old-key-lost"],
                 ["export-bundle", "--date", DAY1, "--out", str(tmp_path / "x.json")]):
        refused = cli(town, *args, keyring=LOCKED)
        assert refused.returncode == 2, args
        assert "系统密钥环打不开" in refused.stderr and "解锁" in refused.stderr, args
        assert "没有生成新密钥" in refused.stderr and "Traceback" not in refused.stderr, args
    assert not (town / KEY_FILE).exists() and not (tmp_path / "x.json").exists()
    conn = connect(town / DB_FILE)
    assert conn.execute("SELECT count(*) FROM event_log WHERE action = 'bundle_key_rotated'"
                        ).fetchone()[0] == 0
    conn.close()
    assert keyring_entries(ring) == held and fingerprint_shown(town, keyring=ring) == before


@pytest.mark.parametrize("without_key", [False, True])
def test_a_backup_with_a_locked_keyring_says_the_key_is_not_in_it(tmp_path, without_key):
    town, ring = tmp_path / "town", tmp_path / "keyring.json"
    open_database(town / DB_FILE).close()
    fingerprint_shown(town, keyring=ring)
    (tmp_path / "usb").mkdir()
    made = cli(town, "backup", str(tmp_path / "usb"), *(["--without-key"] if without_key else []),
               keyring=LOCKED)
    assert made.returncode == (0 if without_key else 1)
    summary = json.loads(made.stdout)
    assert summary["signing_key"] is None and "这份备份里没有它" in summary["signing_key_missing"]
    assert "读不到本机的日志包签名私钥" in made.stderr and "解锁" in made.stderr
    assert "keyring unavailable" not in made.stderr          # Chinese only
    folder = Path(summary["backup"])
    assert (folder / DB_FILE).exists() and not (folder / KEY_FILE).exists()


def test_the_hall_server_backup_does_not_ask_the_keyring(tmp_path):
    data = tmp_path / "data"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "PYTHONPATH": str(ROOT),
           "PYTHON_KEYRING_BACKEND": "tests.integration.file_keyring.LockedKeyring"}
    run = [sys.executable, "-m", "hallclient", "--data-dir", str(data), "hall-server"]
    subprocess.run([*run, "import-hall"], check=True, capture_output=True, timeout=60, env=env)
    (tmp_path / "usb").mkdir()
    made = subprocess.run([*run, "backup", str(tmp_path / "usb")], capture_output=True, text=True,
                          timeout=60, env=env)
    assert made.returncode == 0 and made.stderr == ""
    summary = json.loads(made.stdout)
    assert summary["signing_key"] is None and "signing_key_missing" not in summary
    assert "hall-server restore" in summary["restore"] and "set-device" not in summary["restore"]
