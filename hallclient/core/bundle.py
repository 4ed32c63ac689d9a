"""Signed daily log bundles (日志包): a counter's event-log entries for one day, in a file
a township counter hands to the county, which checks it before counting it.

A bundle is UTF-8 JSON: the entries with their hash chain, where the chain starts
(``prev_hash``) and ends (``head_hash``), and an Ed25519 signature by the counter's own key
over everything else (canonical JSON). ``check`` names the first thing wrong in words a
supervisor can act on; the county also checks the signing key is the one registered for
that counter and that the bundle continues what it already holds (store.bundle_repo).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hallclient.core import eventlog

FORMAT = "hallclient-log-bundle/1"
ENTRY_FIELDS = ("seq", "at", "device", "window", "clerk", "action", "ticket", "detail",
                "prev_hash", "hash")


class BundleError(ValueError):
    """A bundle that must not be counted; the message says why, in Chinese."""


def new_private_key() -> str:
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")


def public_key_of(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def fingerprint(public_key: str) -> str:
    """Short form an administrator can read out over the phone: 8 groups of 4 hex digits."""
    digest = hashlib.sha256(base64.b64decode(public_key)).hexdigest()[:32]
    return " ".join(digest[i:i + 4] for i in range(0, 32, 4))


def _canonical(doc: dict[str, Any]) -> bytes:
    body = {k: v for k, v in doc.items() if k != "signature"}
    return json.dumps(body, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


def make(entries: list[dict[str, Any]], *, device: str, day: str, hall: str,
         prev_hash: str, private_pem: str) -> dict[str, Any]:
    key = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    doc: dict[str, Any] = {
        "format": FORMAT, "device": device, "day": day, "hall": hall,
        "first_seq": entries[0]["seq"] if entries else None,
        "last_seq": entries[-1]["seq"] if entries else None,
        "count": len(entries), "prev_hash": prev_hash,
        "head_hash": entries[-1]["hash"] if entries else prev_hash,
        "entries": [{k: e.get(k) for k in ENTRY_FIELDS} for e in entries],
        "public_key": public_key_of(private_pem),
    }
    doc["signature"] = base64.b64encode(key.sign(_canonical(doc))).decode("ascii")
    return doc


def check(doc: Any) -> list[dict[str, Any]]:
    """The bundle's entries when it is whole and signed by the key it carries; else
    BundleError with the first thing wrong."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise BundleError("不是 hallclient 日志包，或版本不支持")
    entries = doc.get("entries")
    if not isinstance(entries, list) or any(not isinstance(e, dict) for e in entries):
        raise BundleError("日志包内容不完整")
    prev = doc.get("prev_hash")
    expected = doc.get("first_seq")
    for e in entries:
        if e.get("device") != doc.get("device"):
            raise BundleError(f"第 {e.get('seq')} 条不是本设备的日志")
        if e.get("seq") != expected:
            found = e.get("seq")
            what = "缺少" if isinstance(found, int) and isinstance(expected, int) \
                and found > expected else "顺序被打乱，"
            raise BundleError(f"日志{what}第 {expected} 条（日志被删除或调换）")
        if e.get("prev_hash") != prev:
            raise BundleError(f"第 {expected} 条接不上前一条（日志被删除或调换）")
        if eventlog.entry_hash(str(prev), e) != e.get("hash"):
            raise BundleError(f"第 {expected} 条的内容与哈希不符（日志被改动）")
        if not str(e.get("at", "")).startswith(str(doc.get("day"))):
            raise BundleError(f"第 {expected} 条不是 {doc.get('day')} 的日志")
        prev, expected = e["hash"], expected + 1
    if len(entries) != doc.get("count") or prev != doc.get("head_hash") or (
            entries and entries[-1]["seq"] != doc.get("last_seq")):
        raise BundleError("日志包被截短（条数或末条哈希与包头不符）")
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(str(doc.get("public_key"))))
        key.verify(base64.b64decode(str(doc.get("signature"))), _canonical(doc))
    except (InvalidSignature, ValueError, TypeError) as exc:
        raise BundleError("签名无效（日志包在导出后被改动）") from exc
    return entries
