"""Daily log bundles in and out of the store: a day's own entries for export; checked
entries of other counters in (``pushed_log``, shared with the hall server's log push),
once each, only from the key registered for that counter.

A change of a counter's key is a fact of both event logs: the counter logs its rotation
(``bundle_key_rotated``, with the statement its old key signed, which every later bundle
carries); the county logs each registered key it replaces (``bundle_key_changed``), whether
a verified statement or its own administrator's re-registration did it."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from typing import Any

from hallclient.core import bundle, eventlog
from hallclient.core.bundle import BundleError

from . import log_repo


def day_entries(conn: sqlite3.Connection, day: date) -> tuple[list[dict[str, Any]], str]:
    """This counter's entries of ``day`` and the hash they continue from."""
    rows = conn.execute(
        "SELECT seq, at, device, window, clerk, action, ticket, detail, prev_hash, hash"
        " FROM event_log WHERE at >= ? AND at < ? ORDER BY seq",
        (day.isoformat(), (day + timedelta(days=1)).isoformat()))
    names = [c[0] for c in rows.description]
    entries = [dict(zip(names, r, strict=True)) for r in rows]
    if entries:
        return entries, str(entries[0]["prev_hash"])
    head = conn.execute("SELECT hash FROM event_log WHERE at < ? ORDER BY seq DESC LIMIT 1",
                        (day.isoformat(),)).fetchone()
    return entries, str(head[0]) if head else eventlog.GENESIS


def export(conn: sqlite3.Connection, day: date, hall: str, private_pem: str) -> dict[str, Any]:
    entries, prev = day_entries(conn, day)
    return bundle.make(entries, device=log_repo.device_id(conn), day=day.isoformat(), hall=hall,
                       prev_hash=prev, private_pem=private_pem, rotations=rotations(conn))


def rotations(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """This counter's rotation statements, oldest first (from its own event log)."""
    rows = conn.execute(
        "SELECT json_extract(detail, '$.statement') FROM event_log"
        " WHERE action = 'bundle_key_rotated' AND json_extract(detail, '$.statement') IS NOT NULL"
        " ORDER BY seq")
    return [json.loads(r[0]) for r in rows]


def record_rotation(conn: sqlite3.Connection, at: str, old_public_key: str | None,
                    new_public_key: str, statement: dict[str, Any] | None) -> None:
    """Log this counter's change of key (inside the caller's transaction); ``statement`` is
    None when the old key was lost and the county must re-register the new one."""
    log_repo.append(conn, at=at, action="bundle_key_rotated", detail={
        "old_fingerprint": bundle.fingerprint(old_public_key) if old_public_key else None,
        "new_fingerprint": bundle.fingerprint(new_public_key), "new_public_key": new_public_key,
        "statement": statement})


def import_bundle(conn: sqlite3.Connection, doc: Any, received_at: str,
                  trust_new: bool = False,
                  re_register: tuple[str, str] | None = None) -> dict[str, Any]:
    """Check and store a bundle in one transaction (the caller's). Returns counts; raises
    BundleError with the reason when it must not be counted.

    A bundle signed by another key than the registered one is taken when its rotation
    statements lead there from the registered key, or when ``re_register`` (device, the
    fingerprint the county's administrator checked by phone) names this device and key.
    The chain must continue what the county holds either way; the change is logged."""
    entries = bundle.check(doc)
    device, key = str(doc["device"]), str(doc["public_key"])
    known = conn.execute("SELECT public_key FROM trusted_devices WHERE device = ?",
                         (device,)).fetchone()
    change: dict[str, Any] | None = None
    re_registering = bool(re_register and re_register[0] == device)
    if re_register and re_registering:       # a mistyped fingerprint is never let through
        _check_typed_fingerprint(device, re_register[1], key)
    if known is None:
        if not (trust_new or re_registering):
            raise BundleError(
                f"设备 {device} 尚未登记：核对公钥指纹 {bundle.fingerprint(key)} 与该窗口机"
                " admin bundle-key 显示的一致后，用 --trust 导入")
        conn.execute("INSERT INTO trusted_devices VALUES (?, ?, ?)", (device, key, received_at))
    elif known[0] != key:
        change = _key_change(conn, doc, device, str(known[0]), key, re_registering)
    first = doc.get("first_seq")
    if not entries:
        _check_empty_day(conn, doc, device)
    elif first > 1:
        before = conn.execute("SELECT hash FROM pushed_log WHERE device = ? AND seq = ?",
                              (device, first - 1)).fetchone()
        if before is not None and before[0] != doc["prev_hash"]:
            raise BundleError(f"与已导入的第 {first - 1} 条接不上（两次导出之间的日志被删改）")
    added = skipped = 0
    for e in entries:
        held = conn.execute("SELECT hash FROM pushed_log WHERE device = ? AND seq = ?",
                            (device, e["seq"])).fetchone()
        if held is not None:
            if held[0] != e["hash"]:
                raise BundleError(f"第 {e['seq']} 条与已导入的不一致（日志被改动后重新导出）")
            skipped += 1
            continue
        conn.execute(
            "INSERT INTO pushed_log VALUES (:device, :seq, :at, :window, :clerk, :action,"
            " :ticket, :detail, :prev_hash, :hash, :received_at)",
            {**e, "received_at": received_at})
        added += 1
    nxt = doc.get("last_seq")
    after = conn.execute("SELECT prev_hash FROM pushed_log WHERE device = ? AND seq = ?",
                         (device, nxt + 1)).fetchone() if entries else None
    if after is not None and after[0] != doc["head_hash"]:
        raise BundleError(f"与已导入的第 {nxt + 1} 条接不上（日志被删改）")
    if change is not None:                     # the chain continues: now replace the key
        conn.execute("UPDATE trusted_devices SET public_key = ?, added_at = ? WHERE device = ?",
                     (key, received_at, device))
        log_repo.append(conn, at=received_at, action="bundle_key_changed", detail=change)
    return {"device": device, "day": doc["day"], "added": added, "already_had": skipped,
            "fingerprint": bundle.fingerprint(key), "key_change": change}


def _check_empty_day(conn: sqlite3.Connection, doc: dict[str, Any], device: str) -> None:
    """A day without entries (a weekend) adds nothing, but what it says — the counter's
    chain stood at ``prev_hash`` all that day — must fit what the county holds: no entry of
    that day, and the last entry before it (when the county holds the one after it too, or
    that hash anywhere) is the one the bundle continues."""
    day = str(doc["day"])
    try:
        end = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    except ValueError:
        raise BundleError(f"日志包的日期 {day} 不是 YYYY-MM-DD") from None
    held = conn.execute("SELECT min(seq) FROM pushed_log WHERE device = ? AND at >= ? AND at < ?",
                        (device, day, end)).fetchone()[0]
    if held is not None:
        raise BundleError(f"县级已导入设备 {device} {day} 的日志（第 {held} 条起），此日志包却说这天没有"
                          "日志（日志被删除后重新导出？）：未导入，请核实该窗口机")
    prev = str(doc["prev_hash"])
    last = conn.execute("SELECT seq, hash FROM pushed_log WHERE device = ? AND at < ?"
                        " ORDER BY seq DESC LIMIT 1", (device, day)).fetchone()
    last_seq, last_hash = (int(last[0]), str(last[1])) if last else (0, eventlog.GENESIS)
    if prev == last_hash:
        return
    next_held = conn.execute("SELECT 1 FROM pushed_log WHERE device = ? AND seq = ?",
                             (device, last_seq + 1)).fetchone()
    prev_held = conn.execute("SELECT 1 FROM pushed_log WHERE device = ? AND hash = ?",
                             (device, prev)).fetchone()
    if next_held or prev_held or (prev == eventlog.GENESIS and last_seq):
        where = f"已导入的第 {last_seq} 条（{day} 之前的最后一条）" if last_seq else \
            f"已导入的日志（第 1 条在 {day} 之后）"
        raise BundleError(f"这一天没有日志，但它接续的位置与{where}对不上（两次导出之间的日志被删改）")
    # else the county lacks the days just before (not imported yet): nothing to compare


def _check_typed_fingerprint(device: str, typed: str, key: str) -> None:
    """The bundle's own fingerprint is never shown: whoever forged a bundle made it, and it
    must come from the counter, read out over the phone."""
    if not bundle.same_fingerprint(typed, key):
        raise BundleError(
            f"设备 {device} 此日志包的签名公钥与输入的指纹 {typed.strip()} 不一致，未重新登记，"
            "登记的公钥不变。请打电话给该窗口机的管理员，请对方在窗口机上运行 hallclient admin"
            " bundle-key，念出显示的指纹，再用 --fingerprint 输入；指纹只能这样从窗口机得来，"
            "不要从日志包文件或别处抄")


def _key_change(conn: sqlite3.Connection, doc: dict[str, Any], device: str, registered: str,
                key: str, re_registering: bool) -> dict[str, Any]:
    """What replaces ``registered`` by ``key`` (the detail of the log entry), or BundleError."""
    change: dict[str, Any] = {
        "device": device, "old_public_key": registered, "new_public_key": key,
        "old_fingerprint": bundle.fingerprint(registered), "new_fingerprint": bundle.fingerprint(key)}
    if re_registering:                         # the typed fingerprint was checked already
        return {**change, "via": "re_registration"}
    retired = conn.execute(
        "SELECT at, json_extract(detail, '$.via') FROM event_log"
        " WHERE action = 'bundle_key_changed' AND json_extract(detail, '$.device') = ?"
        " AND json_extract(detail, '$.old_public_key') = ? ORDER BY seq DESC LIMIT 1",
        (device, key)).fetchone()
    if retired is not None:
        when = str(retired[0])[:16].replace("T", " ")
        lost = "；该密钥是县级重新登记时作废的，此包可能是冒充的" if retired[1] == "re_registration" else ""
        raise BundleError(
            f"此日志包是设备 {device} 已停用的旧密钥签的（{when} 已更换{lost}），未导入："
            "请在该窗口机上重新导出这一天的日志包（会用新密钥签名）")
    path = bundle.rotation_path(doc.get("key_rotations"), device, registered, key)
    return {**change, "via": "rotation", "statements_at": [s.get("at") for s in path]}
