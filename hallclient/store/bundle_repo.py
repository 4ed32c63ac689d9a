"""Daily log bundles in and out of the store: a day's own entries for export; checked
entries of other counters in (``pushed_log``, shared with the hall server's log push),
once each, only from the key registered for that counter."""

from __future__ import annotations

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
                       prev_hash=prev, private_pem=private_pem)


def import_bundle(conn: sqlite3.Connection, doc: Any, received_at: str,
                  trust_new: bool = False) -> dict[str, Any]:
    """Check and store a bundle in one transaction (the caller's). Returns counts; raises
    BundleError with the reason when it must not be counted."""
    entries = bundle.check(doc)
    device, key = str(doc["device"]), str(doc["public_key"])
    known = conn.execute("SELECT public_key FROM trusted_devices WHERE device = ?",
                         (device,)).fetchone()
    if known is None:
        if not trust_new:
            raise BundleError(
                f"设备 {device} 尚未登记：核对公钥指纹 {bundle.fingerprint(key)} 与该窗口机"
                " admin bundle-key 显示的一致后，用 --trust 导入")
        conn.execute("INSERT INTO trusted_devices VALUES (?, ?, ?)", (device, key, received_at))
    elif known[0] != key:
        raise BundleError(f"设备 {device} 的签名公钥与登记的不一致（不是该窗口机导出的日志包）")
    first = doc.get("first_seq")
    if first and first > 1:
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
                         (device, (nxt or 0) + 1)).fetchone()
    if after is not None and after[0] != doc["head_hash"]:
        raise BundleError(f"与已导入的第 {(nxt or 0) + 1} 条接不上（日志被删改）")
    return {"device": device, "day": doc["day"], "added": added, "already_had": skipped,
            "fingerprint": bundle.fingerprint(key)}
