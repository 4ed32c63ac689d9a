"""Case storage: cases, their materials and attachments, the outbox row, search."""

from __future__ import annotations

import sqlite3
import unicodedata
from typing import Any

from hallclient.core.validators import check_resident_id, check_uscc, plain


def next_serial(conn: sqlite3.Connection, day: str) -> int:
    row = conn.execute(
        "INSERT INTO case_counters (day, last) VALUES (?, 1)"
        " ON CONFLICT(day) DO UPDATE SET last = last + 1 RETURNING last", (day,)
    ).fetchone()
    return int(row[0])


def insert_case(conn: sqlite3.Connection, fields: dict[str, Any]) -> int:
    names = ", ".join(fields)
    marks = ", ".join(f":{k}" for k in fields)
    return int(conn.execute(f"INSERT INTO cases ({names}) VALUES ({marks})", fields).lastrowid or 0)


def update_case(conn: sqlite3.Connection, case_id: int, expected_version: int,
                fields: dict[str, Any]) -> bool:
    """Apply ``fields`` and bump the version, only if nobody changed the case meanwhile."""
    sets = ", ".join(f"{k} = :{k}" for k in fields)
    cursor = conn.execute(
        f"UPDATE cases SET {sets}, version = version + 1 WHERE id = :_id AND version = :_v",
        {**fields, "_id": case_id, "_v": expected_version},
    )
    return cursor.rowcount == 1


def put_material(conn: sqlite3.Connection, case_id: int, m: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO case_materials (case_id, code, name, requirement, form, expected_count,"
        " standard, status, received_at, scanned_codes, correction_reason) VALUES (:case_id,"
        " :code, :name, :requirement, :form, :expected_count, :standard, :status, :received_at,"
        " :scanned_codes, :correction_reason)"
        " ON CONFLICT(case_id, code) DO UPDATE SET status = excluded.status,"
        " scanned_codes = excluded.scanned_codes, correction_reason = excluded.correction_reason,"
        " received_at = coalesce(case_materials.received_at, excluded.received_at)",
        {**m, "case_id": case_id},
    )


def register_attachment(conn: sqlite3.Connection, sha256: str, size: int, mime: str,
                        at: str) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO attachments (sha256, size, mime, stored_at) VALUES (?, ?, ?, ?)",
        (sha256, size, mime, at),
    )


def link_attachment(conn: sqlite3.Connection, case_id: int, material_code: str, sha256: str,
                    original_name: str) -> None:
    seq = conn.execute(
        "SELECT coalesce(max(seq), 0) + 1 FROM case_attachments WHERE case_id = ? AND material_code = ?",
        (case_id, material_code),
    ).fetchone()[0]
    conn.execute(
        "INSERT INTO case_attachments (case_id, material_code, seq, sha256, original_name)"
        " VALUES (?, ?, ?, ?, ?)", (case_id, material_code, seq, sha256, original_name),
    )


def linked_files(conn: sqlite3.Connection, case_id: int) -> set[tuple[str, str]]:
    """(material code, sha256) pairs already attached to the case."""
    return {(r[0], r[1]) for r in conn.execute(
        "SELECT material_code, sha256 FROM case_attachments WHERE case_id = ?", (case_id,))}


def enqueue(conn: sqlite3.Connection, case_id: int, kind: str, version: int, key: str,
            at: str) -> None:
    conn.execute(
        "INSERT INTO outbox (case_id, kind, version, idempotency_key, created_at)"
        " VALUES (?, ?, ?, ?, ?)", (case_id, kind, version, key, at),
    )


def _dicts(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def get_case_by_id(conn: sqlite3.Connection, case_id: int) -> dict[str, Any] | None:
    row = conn.execute("SELECT case_no FROM cases WHERE id = ?", (case_id,)).fetchone()
    return get_case(conn, row[0]) if row else None


def get_evaluation(conn: sqlite3.Connection, evaluation_id: int) -> dict[str, Any] | None:
    rows = _dicts(conn.execute("SELECT * FROM evaluations WHERE id = ?", (evaluation_id,)))
    return rows[0] if rows else None


def set_status(conn: sqlite3.Connection, case_no: str, status: int, at: str) -> bool:
    """A platform-side status change (办结 ...) flows back into the local case."""
    return conn.execute("UPDATE cases SET status = ?, updated_at = ? WHERE case_no = ? AND status != ?",
                        (status, at, case_no, status)).rowcount == 1


def get_case(conn: sqlite3.Connection, case_no: str) -> dict[str, Any] | None:
    rows = _dicts(conn.execute(
        "SELECT c.*, k.display_name AS clerk_name FROM cases c"
        " LEFT JOIN clerks k ON k.username = c.clerk WHERE c.case_no = ?", (case_no,)))
    if not rows:
        return None
    case = rows[0]
    case["clerk_name"] = case["clerk_name"] or case["clerk"] or ""    # the name on the paper
    case["materials"] = _dicts(conn.execute(
        "SELECT * FROM case_materials WHERE case_id = ? ORDER BY code", (case["id"],)))
    case["attachments"] = _dicts(conn.execute(
        "SELECT a.material_code, a.seq, a.sha256, a.original_name, t.size, t.mime"
        " FROM case_attachments a JOIN attachments t USING (sha256)"
        " WHERE a.case_id = ? ORDER BY a.material_code, a.seq", (case["id"],)))
    case["outbox"] = _dicts(conn.execute(
        "SELECT kind, version, idempotency_key, state FROM outbox WHERE case_id = ? ORDER BY id",
        (case["id"],)))
    return case


def _prefix(column: str, text: str) -> tuple[str, list[str]]:
    """``column`` starts with ``text``, as a range the column's index can serve (LIKE cannot
    use a BINARY index)."""
    return f"({column} >= ? AND {column} < ?)", [text, text + "\U0010ffff"]


def _fold(value: str | None) -> str:
    """A name as search compares it: NFKC, case folded (Latin, Greek, Cyrillic ...)."""
    return unicodedata.normalize("NFKC", value or "").casefold()


def search(conn: sqlite3.Connection, text: str = "", status: int | None = None,
           day_from: str | None = None, day_to: str | None = None,
           limit: int = 100) -> list[dict[str, Any]]:
    """By 办件编号 (prefix), the ticket it was taken under (A005), applicant name (any part,
    case-insensitive, in any script: 王𠮷, Müller, smith), ID number (exact, typed full-width
    or not), status, date range."""
    where: list[str] = []
    params: list[Any] = []
    text = unicodedata.normalize("NFKC", text).strip()
    if text:
        if check_resident_id(text).ok or check_uscc(text).ok:
            where.append("id_number = ?")
            params.append(plain(text))
        else:
            conn.create_function("hc_fold", 1, _fold, deterministic=True)
            clause = "instr(hc_fold(applicant_name), ?) > 0"
            params.append(_fold(text))
            if text.isascii():          # a case number's beginning, a ticket, or a Latin-script name
                number, values = _prefix("case_no", text.upper())
                clause = f"({number} OR ticket = ? OR {clause})"
                params[-1:] = [*values, text.upper(), params[-1]]
            where.append(clause)
    if status is not None:
        where.append("status = ?")
        params.append(status)
    if day_from:
        where.append("received_at >= ?")
        params.append(day_from)
    if day_to:
        where.append("received_at < ?")
        params.append(day_to + "T99")
    condition = " AND ".join(where) or "1 = 1"
    return _dicts(conn.execute(
        "SELECT id, case_no, ticket, item_name, status, applicant_name, id_number, mobile,"
        f" received_at, window, clerk, visits FROM cases WHERE {condition}"
        " ORDER BY received_at DESC LIMIT ?", (*params, limit)))



def insert_evaluation(conn: sqlite3.Connection, fields: dict[str, Any]) -> int:
    names = ", ".join(fields)
    marks = ", ".join(f":{k}" for k in fields)
    return int(conn.execute(f"INSERT INTO evaluations ({names}) VALUES ({marks})", fields).lastrowid or 0)


def enqueue_evaluation(conn: sqlite3.Connection, evaluation_id: int, case_id: int | None,
                       key: str, at: str) -> None:
    conn.execute(
        "INSERT INTO outbox (case_id, evaluation_id, kind, version, idempotency_key, created_at)"
        " VALUES (?, ?, 'evaluation', 1, ?, ?)", (case_id, evaluation_id, key, at),
    )


def case_id(conn: sqlite3.Connection, case_no: str) -> int | None:
    row = conn.execute("SELECT id FROM cases WHERE case_no = ?", (case_no,)).fetchone()
    return int(row[0]) if row else None


def evaluations(conn: sqlite3.Connection, day: str | None = None) -> list[dict[str, Any]]:
    if day:
        return _dicts(conn.execute(
            "SELECT * FROM evaluations WHERE at >= ? AND at < ? ORDER BY id", (day, day + "T99")))
    return _dicts(conn.execute("SELECT * FROM evaluations ORDER BY id"))
