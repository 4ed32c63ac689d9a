"""The counter's append-only event log (操作日志) as a SHA-256 hash chain.

Each entry's hash covers a canonical encoding of its fields plus the previous entry's
hash, so editing, deleting or reordering any entry breaks the chain at that entry.
Canonical encoding: UTF-8 JSON, keys sorted, no insignificant whitespace, non-ASCII kept
as is (RFC 8785-style for the value types we use: strings, integers, null).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
HASHED_FIELDS = ("seq", "at", "device", "window", "clerk", "action", "ticket", "detail")


def canonical(fields: Mapping[str, Any]) -> bytes:
    body = {k: fields.get(k) for k in HASHED_FIELDS}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def entry_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical(fields)).hexdigest()


@dataclass(frozen=True)
class Verdict:
    intact: bool
    entries: int
    broken_seq: int | None = None
    reason: str = ""

    def describe(self) -> str:
        if self.intact:
            return f"intact: {self.entries} entries, chain verified (完整)"
        return f"BROKEN at entry {self.broken_seq}: {self.reason} (日志被篡改)"


def verify(rows: Iterable[Mapping[str, Any]], head: tuple[int, str] | None = None,
           start_seq: int = 1, start_hash: str = GENESIS) -> Verdict:
    """Check rows (ordered by storage order) against the chain, from entry ``start_seq``
    whose previous hash is ``start_hash`` (the whole log by default).

    ``head`` is the (seq, hash) the store recorded as the last entry, which catches a
    deleted tail that the chain alone cannot show.
    """
    prev = start_hash
    expected_seq = start_seq
    count = 0
    for row in rows:
        seq = row["seq"]
        if seq != expected_seq:
            what = "missing entry" if seq > expected_seq else "entry out of order"
            return Verdict(False, count, expected_seq, f"{what} (expected #{expected_seq}, found #{seq})")
        if row["prev_hash"] != prev:
            return Verdict(False, count, seq, "previous-hash link does not match")
        if entry_hash(prev, row) != row["hash"]:
            return Verdict(False, count, seq, "content does not match its hash (edited)")
        prev = row["hash"]
        expected_seq += 1
        count += 1
    last = start_seq - 1 + count
    if head is not None and (head[0] != last or (count and head[1] != prev)):
        return Verdict(False, count, last + 1, f"log ends at #{last} but #{head[0]} was recorded")
    return Verdict(True, count)
