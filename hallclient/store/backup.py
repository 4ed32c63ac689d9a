"""Online backup of a data directory (备份): a consistent copy of the database taken with
SQLite's backup API while the counter or hall server keeps running, the settings and the
case files, checked before it is reported done.

The device secret and the hall token are not copied: after a restore IT enters them again
(``admin set-device`` / ``admin join-hall``), so a lost backup disk gives no one a device's
platform or hall identity. The log-bundle signing key is the exception the caller passes
in (``secrets``): the county registered it, and a new one would make the county refuse
the restored counter's bundles. It is written as an owner-only file under the name the data
dir uses for it when there is no keyring, so copying the folder in as the data dir is the
whole restore; the folder itself is made owner-only too (it holds personal data anyway).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import log_repo
from .db import DB_FILE, StoreCorruptError, StoreError, connect, translate_error

COPIED = ("config.ini", "attachments", "notices", "bundles", "reports")


@dataclass(frozen=True)
class BackupResult:
    folder: Path
    schema_version: int
    log_entries: int
    files: int
    bytes: int
    secrets: tuple[str, ...] = ()
    # whether the backup's file system kept the secrets owner-only (None: none carried, or
    # Windows, where the target folder's access rights decide)
    secrets_owner_only: bool | None = None


def backup(data_dir: Path, target_root: Path, label: str, now: datetime | None = None,
           secrets: Mapping[str, str] | None = None) -> BackupResult:
    """Copy ``data_dir`` into a new folder under ``target_root``, with ``secrets`` (file
    name -> text) as owner-only files; on any failure the partial folder is removed and the
    data directory is untouched."""
    source = data_dir / DB_FILE
    if not source.is_file():
        raise StoreError(f"没有可备份的数据库：{source}")
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    folder = target_root / f"hallclient-{label}-{stamp}"
    try:
        folder.mkdir(mode=0o700, parents=True)
    except FileExistsError as exc:
        raise StoreError(f"备份目录已存在：{folder}") from exc
    except OSError as exc:
        raise StoreError(f"无法创建备份目录 {folder}：{exc.strerror}") from exc
    try:
        version, entries = _copy_database(source, folder / DB_FILE)
        for name in COPIED:
            item = data_dir / name
            if item.is_file():
                shutil.copy2(item, folder / name)
            elif item.is_dir():
                shutil.copytree(item, folder / name)
        owner_only = _write_secrets(folder, secrets or {})
        sizes = _make_durable(folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return BackupResult(folder, version, entries, len(sizes) - 1, sum(sizes),   # files besides the DB
                        tuple(secrets or ()), owner_only)


def _write_secrets(folder: Path, secrets: Mapping[str, str]) -> bool | None:
    """Each secret in a file that is owner-only from its creation; whether the file system
    kept it so (a FAT/exFAT USB stick does not)."""
    kept = True
    for name, text in secrets.items():
        fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        kept &= stat.S_IMODE((folder / name).stat().st_mode) & 0o077 == 0
    return kept if secrets and os.name != "nt" else None


def _copy_database(source: Path, target: Path) -> tuple[int, int]:
    """The backup API reads one consistent snapshot, whatever writers do meanwhile; the copy
    must then pass SQLite's integrity check and, where it has one, its event-log chain."""
    try:
        src = connect(source)
        dst = sqlite3.connect(str(target), isolation_level=None)
        try:
            src.backup(dst)
            problems = [r[0] for r in dst.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise StoreCorruptError(f"数据库 {source} 已损坏，未备份：{problems[0]}")
            version = int(dst.execute("PRAGMA user_version").fetchone()[0])
            entries = 0
            has_log = dst.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'event_log'").fetchone()
            if has_log:
                verdict = log_repo.verify(dst)
                if not verdict.intact:
                    raise StoreCorruptError(f"操作日志校验未通过（{verdict.describe()}），未备份；"
                                            "请先用 admin verify-log 检查")
                entries = verdict.entries
        finally:
            dst.close()
            src.close()
    except sqlite3.Error as exc:
        raise translate_error(exc, source) from exc
    return version, entries


def _make_durable(folder: Path) -> list[int]:
    """fsync every copied file and every folder (the backup is on disk, not in the page cache,
    when it is reported); returns the files' sizes."""
    sizes = []
    mode = "rb+" if os.name == "nt" else "rb"      # Windows flushes only what is open for writing
    for path in [*folder.rglob("*"), folder]:
        if path.is_file():
            with open(path, mode) as fh:
                os.fsync(fh.fileno())
            sizes.append(path.stat().st_size)
        elif hasattr(os, "O_DIRECTORY"):
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    return sizes
