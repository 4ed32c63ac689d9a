"""Signed daily log bundles (日志包): a counter's event-log entries for one day, in a file
a township counter hands to the county, which checks it before counting it.

A bundle is UTF-8 JSON: the entries with their hash chain, where the chain starts
(``prev_hash``) and ends (``head_hash``), and an Ed25519 signature by the counter's own key
over everything else (canonical JSON). ``check`` names the first thing wrong in words a
supervisor can act on; the county also checks the signing key is the one registered for
that counter and that the bundle continues what it already holds (store.bundle_repo).

A counter that changes its key (签名密钥更换) signs a rotation statement with the old key:
device, old and new public key, time. Every later bundle carries the counter's statements
(``key_rotations``, covered by the bundle's own signature), so the county can walk from the
key it registered to the key that signed, whichever bundles it missed in between.
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
ROTATION_FORMAT = "hallclient-key-rotation/1"
ENTRY_FIELDS = ("seq", "at", "device", "window", "clerk", "action", "ticket", "detail",
                "prev_hash", "hash")


class BundleError(ValueError):
    """A bundle that must not be counted; the message says why, in Chinese."""


def new_private_key() -> str:
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")


def _private(private_pem: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


def public_key_of(private_pem: str) -> str:
    raw = _private(private_pem).public_key().public_bytes(serialization.Encoding.Raw,
                                                          serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def fingerprint(public_key: str) -> str:
    """Short form an administrator can read out over the phone: 8 groups of 4 hex digits."""
    digest = hashlib.sha256(base64.b64decode(public_key)).hexdigest()[:32]
    return " ".join(digest[i:i + 4] for i in range(0, 32, 4))


def same_fingerprint(typed: str, public_key: str) -> bool:
    """Whether a fingerprint as an administrator typed it (spaces, case, full-width digits
    from a Chinese input method) is the one of ``public_key``."""
    wanted = "".join(ch for ch in typed.casefold() if not ch.isspace() and ch not in "-:")
    wanted = wanted.translate({0xFF10 + i: ord("0") + i for i in range(10)})
    wanted = wanted.translate({0xFF41 + i: ord("a") + i for i in range(6)})
    return wanted == fingerprint(public_key).replace(" ", "")


def _canonical(doc: dict[str, Any]) -> bytes:
    body = {k: v for k, v in doc.items() if k != "signature"}
    return json.dumps(body, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


def _verify(public_key: Any, signature: Any, doc: dict[str, Any]) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(str(public_key)))
        key.verify(base64.b64decode(str(signature)), _canonical(doc))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def make(entries: list[dict[str, Any]], *, device: str, day: str, hall: str,
         prev_hash: str, private_pem: str,
         rotations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    key = _private(private_pem)
    doc: dict[str, Any] = {
        "format": FORMAT, "device": device, "day": day, "hall": hall,
        "first_seq": entries[0]["seq"] if entries else None,
        "last_seq": entries[-1]["seq"] if entries else None,
        "count": len(entries), "prev_hash": prev_hash,
        "head_hash": entries[-1]["hash"] if entries else prev_hash,
        "entries": [{k: e.get(k) for k in ENTRY_FIELDS} for e in entries],
        "public_key": public_key_of(private_pem),
    }
    if rotations:
        doc["key_rotations"] = rotations
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
    _check_types(doc, entries)
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
    if not _verify(doc.get("public_key"), doc.get("signature"), doc):
        raise BundleError("签名无效（日志包在导出后被改动）")
    return entries


_HEAD_TYPES: dict[str, tuple[type, ...]] = {
    "device": (str,), "day": (str,), "hall": (str,), "prev_hash": (str,), "head_hash": (str,),
    "public_key": (str,), "signature": (str,), "count": (int,),
    "first_seq": (int, type(None)), "last_seq": (int, type(None)),
}
_ENTRY_TYPES: dict[str, tuple[type, ...]] = {
    "seq": (int,), "at": (str,), "device": (str,), "window": (int, type(None)),
    "clerk": (str, type(None)), "action": (str,), "ticket": (str, type(None)),
    "detail": (str, type(None)), "prev_hash": (str,), "hash": (str,),
}


def _check_types(doc: dict[str, Any], entries: list[dict[str, Any]]) -> None:
    """Every field of the kind an export writes (a crafted file — numbers as text, objects
    where text belongs — is refused here, not half-way through the checks or the import)."""
    def wrong(value: Any, kinds: tuple[type, ...]) -> bool:
        return isinstance(value, bool) or not isinstance(value, kinds)

    for name, kinds in _HEAD_TYPES.items():
        if wrong(doc.get(name), kinds):
            raise BundleError(f"日志包的 {name} 字段不对（缺失或类型不符），不是本程序导出的日志包")
    for i, e in enumerate(entries, 1):
        for name, kinds in _ENTRY_TYPES.items():
            if wrong(e.get(name), kinds):
                raise BundleError(f"日志包第 {i} 条记录的 {name} 字段不对（缺失或类型不符），"
                                  "不是本程序导出的日志包")
    if not isinstance(doc.get("key_rotations", []), list):
        raise BundleError("日志包的 key_rotations 字段不对，不是本程序导出的日志包")


def rotation_statement(old_private_pem: str, new_public_key: str, *, device: str,
                       at: str) -> dict[str, Any]:
    """签名密钥更换声明: the old key vouches for the new one."""
    doc: dict[str, Any] = {
        "format": ROTATION_FORMAT, "device": device, "at": at,
        "old_public_key": public_key_of(old_private_pem), "new_public_key": new_public_key,
    }
    doc["signature"] = base64.b64encode(
        _private(old_private_pem).sign(_canonical(doc))).decode("ascii")
    return doc


def rotation_path(statements: Any, device: str, registered: str,
                  signer: str) -> list[dict[str, Any]]:
    """The statements that lead, each signed by the key before it, from the key the county
    registered for ``device`` to the key that signed a bundle (a counter may have rotated
    more than once since the county last heard of it). BundleError when there is no such
    path: the message says whether a statement was forged and what the county can do."""
    usable = [s for s in statements if isinstance(s, dict)] if isinstance(statements, list) else []
    reached: dict[str, list[dict[str, Any]]] = {registered: []}
    frontier, forged = [registered], False
    while frontier:
        key = frontier.pop(0)
        for s in usable:
            if s.get("old_public_key") != key or s.get("new_public_key") in reached:
                continue
            if (s.get("format") != ROTATION_FORMAT or s.get("device") != device
                    or not _verify(key, s.get("signature"), s)):
                forged = True
                continue
            new = str(s["new_public_key"])
            reached[new] = [*reached[key], s]
            frontier.append(new)
    if signer in reached:
        return reached[signer]
    # the bundle's own fingerprint is not shown: a forger made it, and the county's
    # administrator must take the one to register from the counter, by phone
    what = f"设备 {device} 的签名公钥与登记的不一致（登记指纹 {fingerprint(registered)}）"
    if forged:
        raise BundleError(f"{what}：所附的密钥更换声明不是登记的公钥签的（伪造或被改动），"
                          "未导入，登记的公钥不变")
    raise BundleError(
        f"{what}，且没有可用登记公钥核验的密钥更换声明。若该窗口机确实换了密钥（如旧密钥丢失），"
        "请打电话请该窗口机的管理员运行 admin bundle-key 并念出显示的指纹，再用 import-bundle 文件"
        f" --re-register {device} --fingerprint \"指纹\" 重新登记；否则不要导入此日志包")
