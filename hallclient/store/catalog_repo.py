"""The local copy of the service-item catalog: import, search, read."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from hallclient.core.catalog import CatalogItem, parse_item, search_keys
from hallclient.store import meta


@dataclass(frozen=True)
class ItemSummary:
    impl_code: str
    item_code: str
    name: str
    department: str
    case_type: int


Prepared = list[tuple[CatalogItem, str, str]]
Keys = Mapping[str, tuple[str, str]]          # item name -> (pinyin initials, full pinyin)


def prepare(raw_items: Iterable[Mapping[str, Any]], known: Keys | None = None) -> Prepared:
    """Validate the items and work out their pinyin keys (the slow part: do it before the
    write transaction, so other writers are not kept waiting). Names in ``known`` (the keys
    this PC already holds, see ``known_keys``) are not worked out again: the pinyin
    dictionaries (some 50 MB) are loaded only when a catalog brings a name never seen."""
    return prepare_items([parse_item(raw) for raw in raw_items], known)


def prepare_items(items: Iterable[CatalogItem], known: Keys | None = None) -> Prepared:
    """``prepare`` for items already checked (``core.catalog.check_catalog``)."""
    known = known or {}
    return [(item, *(known.get(item.name) or search_keys(item.name))) for item in items]


def known_keys(conn: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    """The pinyin keys of every item name stored (active or not)."""
    rows = conn.execute("SELECT name, pinyin_initials, pinyin_full FROM catalog_items")
    return {name: (initials, full) for name, initials, full in rows}


def import_items(conn: sqlite3.Connection, raw_items: Iterable[Mapping[str, Any]],
                 version: str) -> int:
    """Replace the catalog with ``raw_items`` (validated first: all or nothing)."""
    return import_prepared(conn, prepare(raw_items), version)


def import_prepared(conn: sqlite3.Connection, prepared: Prepared, version: str) -> int:
    """Replace the catalog with items ``prepare`` returned (a short transaction)."""
    conn.execute("UPDATE catalog_items SET active = 0")
    for item, initials, full in prepared:
        conn.execute(
            "INSERT INTO catalog_items (impl_code, item_code, name, department, item_type,"
            " case_type, pinyin_initials, pinyin_full, body, catalog_version, active)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)"
            " ON CONFLICT(impl_code) DO UPDATE SET item_code = excluded.item_code,"
            " name = excluded.name, department = excluded.department,"
            " item_type = excluded.item_type, case_type = excluded.case_type,"
            " pinyin_initials = excluded.pinyin_initials, pinyin_full = excluded.pinyin_full,"
            " body = excluded.body, catalog_version = excluded.catalog_version, active = 1",
            (item.impl_code, item.item_code, item.name, item.department, item.item_type,
             int(item.case_type), initials, full,
             json.dumps(asdict(item), ensure_ascii=False), version),
        )
    return len(prepared)


_LATIN = re.compile(r"^[a-z]+$")


def search(conn: sqlite3.Connection, query: str, limit: int = 50) -> list[ItemSummary]:
    """By name or department (汉字), by 事项编码 / 实施编码 prefix, or by pinyin (initials
    such as "gtgsh" or whole syllables such as "budongchan")."""
    q = query.strip().lower()
    base = ("SELECT impl_code, item_code, name, department, case_type FROM catalog_items"
            " WHERE active = 1")
    if not q:
        rows = conn.execute(base + " ORDER BY department, name LIMIT ?", (limit,))
    elif _LATIN.match(q):
        rows = conn.execute(
            base + " AND (pinyin_initials LIKE ? OR pinyin_full LIKE ?)"
            " ORDER BY instr(pinyin_initials, ?) = 1 DESC, name LIMIT ?",
            (f"%{q}%", f"%{q}%", q, limit),
        )
    else:
        rows = conn.execute(
            base + " AND (name LIKE ? OR department LIKE ? OR item_code LIKE ?"
            " OR impl_code LIKE ?) ORDER BY instr(name, ?) = 1 DESC, name LIMIT ?",
            (f"%{q}%", f"%{q}%", f"{q.upper()}%", f"{q.upper()}%", q, limit),
        )
    return [ItemSummary(*r) for r in rows]


def get(conn: sqlite3.Connection, impl_code: str) -> CatalogItem | None:
    row = conn.execute("SELECT body FROM catalog_items WHERE impl_code = ?", (impl_code,)).fetchone()
    if row is None:
        return None
    return parse_item(json.loads(row[0]))


def active_codes(conn: sqlite3.Connection) -> set[str]:
    """The 实施编码 of the items intake offers now."""
    return {code for (code,) in conn.execute(
        "SELECT impl_code FROM catalog_items WHERE active = 1")}


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM catalog_items WHERE active = 1").fetchone()[0])


def etag(conn: sqlite3.Connection) -> str | None:
    """The platform's ETag of the catalog this PC holds (None: never downloaded)."""
    return meta.get(conn, "catalog_etag")


def set_etag(conn: sqlite3.Connection, value: str) -> None:
    meta.put(conn, "catalog_etag", value)


def refusal(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The platform catalog last refused or held back (at, reason, held, version), or None
    once a catalog was applied or the platform went back to the one this PC holds."""
    text = meta.get(conn, "catalog_refusal")
    return json.loads(text) if text else None


def set_refusal(conn: sqlite3.Connection, value: dict[str, Any] | None) -> None:
    meta.put(conn, "catalog_refusal", json.dumps(value, ensure_ascii=False) if value else "")
