"""``admin bundle-key``, ``admin export-bundle`` and ``admin import-bundle``: the signed daily
log bundles (日志包) a township counter hands to the county, and its signing key."""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

from hallclient.config import CONFIG_FILE, Config
from hallclient.store.db import DB_FILE

from .common import no_database


def _signing_key(data_dir: Path, create: bool = True, prefer: str = "") -> str:
    """This counter's Ed25519 key for log bundles: made once, kept like the device secret.

    A restore brings the key back as a file in the data dir (see store.backup). Where this
    PC has a keyring the key moves into it; else the file is made owner-only again (a copy
    off a FAT stick is readable by all). When the keyring already holds another key for this
    data dir, nothing guesses which one the county registered: BundleError says how to choose
    (``prefer`` = "restored" or "keyring")."""
    from hallclient.core.bundle import BundleError, fingerprint, new_private_key, public_key_of
    from hallclient.secrets import secret_file

    in_ring, in_file = _stored_signing_key(data_dir)
    path = secret_file(data_dir, "signing")
    for pem, where in ((in_file, str(path)), (in_ring, "系统密钥环")):
        try:
            public_key_of(pem) if pem else None
        except (ValueError, TypeError, AssertionError) as exc:
            raise BundleError(
                f"{where}中的日志包签名私钥无法读取（已损坏，或不是本程序的密钥）：从备份恢复"
                f" {path.name}，或用 admin bundle-key --rotate --old-key-lost 换新密钥并请县级重新登记"
            ) from exc
    if in_file and in_ring and in_ring != in_file:
        if prefer == "keyring":
            path.unlink()
            return in_ring
        if prefer != "restored":
            raise BundleError(
                f"数据目录里有从备份恢复的签名私钥（指纹 {fingerprint(public_key_of(in_file))}），"
                f"系统密钥环里另有一把（指纹 {fingerprint(public_key_of(in_ring))}）。请向县级核对登记的"
                "指纹：是前者，运行 admin bundle-key --use-restored；是后者，运行 admin bundle-key"
                " --keep-keyring")
    if in_file:
        if in_ring is not None:
            _store_signing_key(data_dir, in_file)                # into the keyring, file removed
        elif os.name != "nt" and stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(0o600)
        return in_file
    if in_ring or not create:
        return in_ring or ""
    key = new_private_key()
    data_dir.mkdir(parents=True, exist_ok=True)
    _store_signing_key(data_dir, key)
    return key


_KEYRING_FAILED = ("本机的日志包签名私钥在系统密钥环里，读不到它就不能签名；为免县级拒收本机的日志包，"
                   "没有生成新密钥，也没有更换密钥（不要为此用 --old-key-lost）")


def _stored_signing_key(data_dir: Path) -> tuple[str | None, str]:
    """stored_secret for the signing key; a keyring that exists but fails is BundleError
    (never "no keyring": a new key in a file would be one the county does not know)."""
    from hallclient.core.bundle import BundleError
    from hallclient.secrets import KeyringUnavailableError, stored_secret

    try:
        return stored_secret(data_dir, kind="signing")
    except KeyringUnavailableError as exc:
        raise BundleError(f"{exc}。{_KEYRING_FAILED}") from exc


def _store_signing_key(data_dir: Path, key: str) -> None:
    from hallclient.core.bundle import BundleError
    from hallclient.secrets import KeyringUnavailableError, write_secret

    try:
        write_secret(data_dir, key, kind="signing")
    except KeyringUnavailableError as exc:
        raise BundleError(f"{exc}。{_KEYRING_FAILED}") from exc


def run_bundle_key(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.core.bundle import BundleError, fingerprint, public_key_of
    from hallclient.secrets import secret_file

    if args.old_key_lost and not args.rotate:
        print("--old-key-lost 要与 --rotate 一起用", file=sys.stderr)
        return 2
    if no_database(data_dir):          # a mistyped --data-dir must not get a key of its own
        return 2
    prefer = "restored" if args.use_restored else ("keyring" if args.keep_keyring else "")
    try:
        if args.rotate:
            return _rotate_key(data_dir, prefer, args.old_key_lost)
        key = _signing_key(data_dir, prefer=prefer)
        in_ring, _ = _stored_signing_key(data_dir)
    except BundleError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"日志包签名公钥指纹：{fingerprint(public_key_of(key))}")
    where = "系统密钥环" if in_ring == key else f"{secret_file(data_dir, 'signing')}（仅本用户可读）"
    print(f"私钥保存在{where}")
    return 0


def _rotate_key(data_dir: Path, prefer: str, old_key_lost: bool) -> int:
    """A new signing key; the old one, when it is here and not given up as leaked, signs the
    rotation statement. Statement and log entry commit before the new key is stored: a
    crash between leaves the old key in use and a statement no bundle relies on."""
    from datetime import datetime

    from hallclient.core import bundle
    from hallclient.store import bundle_repo, log_repo
    from hallclient.store.db import open_database

    _stored_signing_key(data_dir)        # a failing keyring stops us before anything is logged
    old = "" if old_key_lost else _signing_key(data_dir, create=False, prefer=prefer)
    new = bundle.new_private_key()
    new_public = bundle.public_key_of(new)
    at = datetime.now().astimezone().isoformat(timespec="seconds")
    data_dir.mkdir(parents=True, exist_ok=True)
    db = open_database(data_dir / DB_FILE)
    try:
        device = log_repo.device_id(db.conn)
        statement = bundle.rotation_statement(old, new_public, device=device, at=at) if old else None
        with db.write() as conn:
            bundle_repo.record_rotation(conn, at, bundle.public_key_of(old) if old else None,
                                        new_public, statement)
    finally:
        db.close()
    _store_signing_key(data_dir, new)
    new_fp = bundle.fingerprint(new_public)
    if statement is not None:
        old_fp = bundle.fingerprint(statement["old_public_key"])
        print(f"已更换日志包签名密钥（设备 {device}）\n旧指纹：{old_fp}\n新指纹：{new_fp}\n"
              "旧密钥已签更换声明并记入本机操作日志；之后导出的每个日志包都附带它，"
              "县级导入时自动核验并改登新公钥，无需重新登记。请尽快导出下一个日志包交县级。")
    else:
        print(f"已生成新的日志包签名密钥（设备 {device}）\n新指纹：{new_fp}\n"
              f"{'旧密钥已声明丢失' if old_key_lost else '本机没有旧密钥'}，没有签更换声明：县级会拒收本机"
              "之后的日志包，直到县级管理员电话核对上面的新指纹后运行\n"
              f"  hallclient admin import-bundle 日志包文件 --re-register {device}"
              f' --fingerprint "{new_fp}"')
    return 0


def run_export_bundle(args: argparse.Namespace, data_dir: Path) -> int:
    from datetime import date

    from hallclient.core.bundle import BundleError
    from hallclient.store import bundle_repo
    from hallclient.store.db import open_database

    if no_database(data_dir):          # not a new database, device id and key in a typo
        return 2

    try:
        day = date.fromisoformat(args.date)
    except ValueError:
        print("日期不对：应写成 YYYY-MM-DD，且是日历上有的日期（如 2026-11-27）", file=sys.stderr)
        return 2
    config = Config(data_dir / CONFIG_FILE)
    try:
        key = _signing_key(data_dir)
    except BundleError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    db = open_database(data_dir / DB_FILE)
    try:
        doc = bundle_repo.export(db.conn, day, config["hall.name"], key)
    finally:
        db.close()
    out = Path(args.out) if args.out else (
        data_dir / "bundles" / f"日志包-{doc['device']}-{day.isoformat()}.json")
    from hallclient.store.durable import PaperError, write_bytes_durably

    try:
        write_bytes_durably(out, json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"),
                            "日志包")
    except PaperError as exc:
        print(exc.message, file=sys.stderr)
        return 1
    print(f"已导出 {doc['count']} 条日志到 {out}")
    return 0


def run_import_bundle(args: argparse.Namespace, data_dir: Path) -> int:
    from datetime import datetime

    from hallclient.core.bundle import BundleError
    from hallclient.store import bundle_repo, log_repo
    from hallclient.store.db import open_database

    if bool(args.re_register) != bool(args.fingerprint):
        print("--re-register 与 --fingerprint 要一起用：写明设备和电话核对的新指纹", file=sys.stderr)
        return 2
    re_register = (args.re_register, args.fingerprint) if args.re_register else None
    db = open_database(data_dir / DB_FILE)
    worst = 0
    try:
        for name in args.files:
            at = datetime.now().astimezone().isoformat(timespec="milliseconds")
            try:
                doc = _read_bundle_file(Path(name))
                with db.write() as conn:
                    result = bundle_repo.import_bundle(conn, doc, at, trust_new=args.trust,
                                                       re_register=re_register)
                    log_repo.append(conn, at=at, action="bundle_imported",
                                    detail={k: result[k] for k in
                                            ("device", "day", "added", "already_had")})
            except BundleError as exc:
                print(f"拒绝 {name}：{exc}", file=sys.stderr)
                worst = 1
                continue
            note = "（已导入过，未重复计入）" if not result["added"] else ""
            if change := result["key_change"]:
                how = "县级重新登记" if change["via"] == "re_registration" else "该设备旧密钥签的更换声明"
                print(f"设备 {change['device']} 的签名公钥已更换：{change['old_fingerprint']} →"
                      f" {change['new_fingerprint']}（依据{how}），已记入操作日志")
            print(f"已导入 {name}：设备 {result['device']} {result['day']}，新增"
                  f" {result['added']} 条，已有 {result['already_had']} 条{note}")
    finally:
        db.close()
    return worst


def _read_bundle_file(path: Path) -> Any:
    """A bundle file's JSON; BundleError in Chinese when it cannot be read or parsed (a
    missing file, a crafted one nested too deep to parse)."""
    from hallclient.core.bundle import BundleError

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BundleError("找不到这个文件：请检查文件名和路径（U 盘是否已插好）") from None
    except IsADirectoryError:
        raise BundleError("这是一个目录，不是日志包文件") from None
    except PermissionError:
        raise BundleError("没有权限读取这个文件") from None
    except UnicodeDecodeError:
        raise BundleError("不是 UTF-8 文本，不是日志包文件") from None
    except OSError as exc:
        raise BundleError(f"无法读取文件（{exc.strerror or type(exc).__name__}）") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise BundleError("文件中的 JSON 嵌套层数过多，不是本程序导出的日志包") from None
    except json.JSONDecodeError as exc:
        raise BundleError(f"不是正确的 JSON（第 {exc.lineno} 行第 {exc.colno} 列附近有错），"
                          "文件可能不完整或被改动过") from None
