"""Online backup of a data directory (备份): a consistent copy of the database taken with
SQLite's backup API while the counter or hall server keeps running, the settings and the
case files, checked before it is reported done.

The device secret and the hall token are not copied: after a restore IT enters them again
(``admin set-device`` / ``admin join-hall``), so a lost backup disk gives no one a device's
platform or hall identity. The log-bundle signing key is the exception the caller passes
in (``secrets``): the county registered it, and a new one would make the county refuse
the restored counter's bundles. It is written as an owner-only file under the name the data
dir uses for it when there is no keyring, so a restored data dir finds it where it looks;
the folder itself is made owner-only too (it holds personal data anyway).

A restore (恢复, ``restore``) checks the backup first, refuses while a program has the data
dir's database open, moves what the data dir holds aside (``<data dir>.before-restore-<time>``,
nothing is deleted), copies the backup in — never a ``-wal`` / ``-shm`` file left beside
the backup's database, which SQLite would replay onto it — and checks the result.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import log_repo
from .db import (
    DB_FILE,
    StoreCorruptError,
    StoreError,
    StoreFullError,
    StoreLockedError,
    StoreTooNewError,
    connect,
    file_uri,
    translate_error,
)
from .durable import fsync_dir, fsync_file
from .migrations import LATEST

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
    _check_target(data_dir, target_root)
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    if data_dir.name == "training" and label == "counter":
        label = "training"              # the training data, named so beside the counter's
    folder = target_root / f"hallclient-{label}-{stamp}"
    for n in range(2, 100):             # two backups in the same second get their own folders
        try:
            folder.mkdir(mode=0o700)
            break
        except FileExistsError:
            folder = target_root / f"hallclient-{label}-{stamp}-{n}"
        except OSError as exc:
            raise _disk_error(exc, target_root, f"无法创建备份目录 {folder}") from exc
    else:
        raise StoreError(f"备份目录已存在：{folder}")
    try:
        version, entries = _copy_database(source, folder / DB_FILE, target_root)
        for name in COPIED:
            item = data_dir / name
            if item.is_file():
                shutil.copy2(item, folder / name)
            elif item.is_dir():
                shutil.copytree(item, folder / name)
        owner_only = _write_secrets(folder, secrets or {})
        sizes = _make_durable([*folder.rglob("*"), folder])
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise _disk_error(exc, target_root, "备份失败") from exc
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return BackupResult(folder, version, entries, len(sizes) - 1, sum(sizes),   # files besides the DB
                        tuple(secrets or ()), owner_only)


def _check_target(data_dir: Path, target_root: Path) -> None:
    """The backup goes to a folder that exists (an unmounted USB stick must not silently
    become a folder on the local disk) and lies outside the data dir (which it would copy
    into itself)."""
    if not target_root.is_dir():
        what = "不是目录" if target_root.exists() else "不存在"
        raise StoreError(f"备份位置 {target_root} {what}，未备份。若备份到 U 盘或移动硬盘："
                         "请确认已插好并已挂载（打开文件管理器能看到它），再用它的实际路径重试；"
                         "若备份到本机或共享目录：请先建好该目录")
    target, data = target_root.resolve(), data_dir.resolve()
    if target == data or data in target.parents:
        raise StoreError(f"备份位置 {target_root} 在数据目录 {data_dir} 之内，未备份："
                         "备份要放在数据目录之外（最好是另一块磁盘或 U 盘）")


def _disk_error(exc: OSError, disk: Path, what: str) -> StoreError:
    """An error while writing the backup, naming the backup disk (not the source)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StoreFullError(f"备份盘 {disk} 空间不够，未备份（没有留下半份备份，数据目录未改动）："
                              "请换一个空间更大的 U 盘或磁盘，或删掉其上不再需要的旧备份后重试")
    reason = exc.strerror or type(exc).__name__
    where = f"：{exc.filename}" if exc.filename else ""
    return StoreError(f"{what}（{reason}{where}），没有留下半份备份，数据目录未改动")


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


def _open_copy(target: Path) -> sqlite3.Connection:
    return sqlite3.connect(str(target), isolation_level=None)


def _copy_database(source: Path, target: Path, disk: Path) -> tuple[int, int]:
    """The backup API reads one consistent snapshot, whatever writers do meanwhile; the copy
    must then pass SQLite's integrity check and, where it has one, its event-log chain."""
    try:
        src = connect(source)
        dst = _open_copy(target)
        try:
            src.backup(dst)
            version, entries = _check_database(dst, f"数据库 {source} 已损坏，未备份",
                                               "，未备份；请先用 admin verify-log 检查")
        finally:
            dst.close()
            src.close()
    except sqlite3.Error as exc:
        if "full" in str(exc).lower():          # only the copy on the backup disk grows
            raise _disk_error(OSError(errno.ENOSPC, str(exc)), disk, "") from exc
        raise translate_error(exc, source) from exc
    return version, entries


def _check_database(conn: sqlite3.Connection, corrupt: str, broken_log: str) -> tuple[int, int]:
    """SQLite's integrity check and, where the file has one, the event-log chain; returns
    (schema version, event-log entries)."""
    problems = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise StoreCorruptError(f"{corrupt}：{problems[0]}")
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    has_log = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'event_log'").fetchone()
    if not has_log:
        return version, 0
    verdict = log_repo.verify(conn)
    if not verdict.intact:
        raise StoreCorruptError(f"操作日志校验未通过（{verdict.describe()}）{broken_log}")
    return version, verdict.entries


def _make_durable(paths: Iterable[Path]) -> list[int]:
    """fsync every given file and folder (the copy is on disk, not in the page cache, when
    it is reported); returns the files' sizes."""
    sizes = []
    for path in paths:
        if path.is_file():
            fsync_file(path)
            sizes.append(path.stat().st_size)
        elif path.is_dir():
            fsync_dir(path)
    return sizes


# -- restore -----------------------------------------------------------------------------------

# left beside a database by a program that did not close it (a crash): not part of a backup
SIDECARS = ("-wal", "-shm", "-journal")
# data dirs of their own inside a counter's data dir (hall server, 培训模式, platform
# simulator): a counter backup does not hold them, and a restore leaves them where they are
NESTED = ("hall-server", "training", "platform-sim")


@dataclass(frozen=True)
class RestoreResult:
    schema_version: int
    log_entries: int
    files: int
    moved_aside: Path | None          # where the data dir's earlier content went, if any
    ignored: tuple[str, ...]          # stale -wal / -shm files in the backup folder, not copied
    signing_key: bool                 # whether the backup brought a signing-key file


def check_backup(folder: Path, label: str) -> tuple[int, int]:
    """The backup's database as it will be copied — its main file alone, as if no -wal lay
    beside it — checked (integrity, event log, not newer than this program) without
    writing anything; returns (schema version, event-log entries)."""
    source = folder / DB_FILE
    if not folder.is_dir():
        raise StoreError(f"备份目录 {folder} 不存在或不是目录，未恢复：U 盘是否已插好并挂载？")
    if not source.is_file():
        raise StoreError(f"{folder} 里没有数据库文件 {DB_FILE}，不是 hallclient 的备份目录，未恢复："
                         "请选 admin backup 生成的 hallclient-<设备>-<时间> 目录")
    others = ("counter", "training") if label == "hall-server" else ("hall-server",)
    other = next((o for o in others if folder.name.startswith(f"hallclient-{o}-")), "")
    if other:
        other = "counter" if other == "training" else other
        which = "窗口机" if other == "counter" else "大厅服务器"
        command = "hallclient admin restore" if other == "counter" else "hallclient hall-server restore"
        raise StoreError(f"{folder} 是{which}的备份，未恢复：请用 {command} 恢复它")
    try:
        conn = sqlite3.connect(file_uri(source.resolve(), immutable="1"), uri=True,
                               isolation_level=None)
        try:
            version, entries = _check_database(
                conn, f"备份中的数据库 {source} 已损坏，未恢复", "，这份备份不可信，未恢复：请换一份备份")
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise translate_error(exc, source) from exc
    if version > LATEST:
        raise StoreTooNewError(f"备份中的数据库版本 {version} 比本程序支持的 {LATEST} 新，未恢复："
                               "请先把本机的 hallclient 升级到做备份时的版本或更新的版本")
    return version, entries


def restore(folder: Path, data_dir: Path, label: str, now: datetime | None = None) -> RestoreResult:
    """Make ``data_dir`` hold the backup in ``folder``; whatever it held goes to a sibling
    folder ``<data dir>.before-restore-<time>`` first. Nothing in the data dir is touched
    until the backup has been checked and no program has the data dir's database open."""
    folder, data_dir = folder.resolve(), data_dir.resolve()
    if folder == data_dir or data_dir in folder.parents or folder in data_dir.parents:
        raise StoreError(f"备份目录 {folder} 与数据目录 {data_dir} 互相包含，未恢复：请先把备份目录"
                         "放到数据目录之外（如 U 盘上）")
    version, entries = check_backup(folder, label)
    _refuse_while_open(data_dir / DB_FILE)
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    aside = _move_aside(data_dir, data_dir.with_name(f"{data_dir.name}.before-restore-{stamp}"))
    try:
        copied, ignored = _copy_in(folder, data_dir)
        sizes = _make_durable([*copied, data_dir])
    except OSError as exc:
        kept = f"原数据已移到 {aside}（未删除）" if aside else "数据目录原来是空的"
        raise StoreError(f"复制备份时出错（{exc.strerror or type(exc).__name__}：{exc.filename}），"
                         f"恢复没有完成；{kept}。请检查磁盘空间后重新运行恢复命令") from exc
    try:
        conn = connect(data_dir / DB_FILE)
        try:
            _check_database(conn, f"恢复后的数据库 {data_dir / DB_FILE} 校验未通过",
                            "：恢复后的数据库与备份不符")
        finally:
            conn.close()
    except (sqlite3.Error, StoreCorruptError) as exc:
        kept = f"原数据在 {aside}（未删除）" if aside else "数据目录原来是空的"
        raise StoreCorruptError(f"恢复后的数据库校验未通过（磁盘可能有问题），{kept}："
                                f"请换一块磁盘或重新运行恢复命令。（{exc}）") from exc
    return RestoreResult(version, entries, len(sizes), aside, tuple(ignored),
                         any(p.name.endswith("device.secret") for p in copied))


def _refuse_while_open(database: Path) -> None:
    """A program (the counter, the hall server, another admin command) that has the database
    open holds a lock on it: an exclusive lock is then refused at once. Taking it also
    folds a crashed program's own -wal into the file, so what is moved aside is whole."""
    if not database.is_file():
        return
    try:
        probe = sqlite3.connect(str(database), isolation_level=None, timeout=0)
        try:
            probe.execute("PRAGMA locking_mode = EXCLUSIVE")
            probe.execute("BEGIN EXCLUSIVE")
            probe.execute("ROLLBACK")
        finally:
            probe.close()
    except sqlite3.Error as exc:
        if "locked" in str(exc).lower() or "busy" in str(exc).lower():
            raise StoreLockedError(
                f"数据库 {database} 正在被使用（窗口程序、大厅服务器或其他 hallclient 命令在运行），"
                "未恢复：请先关闭本机所有 hallclient 程序（大厅服务器用 Ctrl+C 或 systemctl stop 停止），"
                "再运行恢复命令") from exc
        # a damaged database: no program can use it either; it is moved aside as it is


def _move_aside(data_dir: Path, aside: Path) -> Path | None:
    """Move the data dir's content (not the nested data dirs) into ``aside``; None when there
    was nothing to move. A failure half-way moves back what was moved."""
    items = sorted(p for p in data_dir.iterdir() if p.name not in NESTED) \
        if data_dir.is_dir() else []
    if not items:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        return None
    try:
        aside.mkdir(mode=0o700)
    except OSError as exc:
        raise StoreError(f"无法建立存放原数据的目录 {aside}（{exc.strerror}），"
                         "未恢复，数据目录未改动") from exc
    moved: list[Path] = []
    try:
        for item in items:
            item.rename(aside / item.name)
            moved.append(item)
    except OSError as exc:
        for item in reversed(moved):
            (aside / item.name).rename(item)
        raise StoreError(f"无法移走数据目录中的 {item.name}（{exc.strerror}），未恢复，数据目录未改动："
                         "是否还有程序打开着其中的文件？") from exc
    _make_durable([aside, data_dir])
    return aside


def _copy_in(folder: Path, data_dir: Path) -> tuple[list[Path], list[str]]:
    """Copy the backup's content into the (now empty) data dir: the key files owner-only
    from their first byte, the database last and under its own name only once whole."""
    copied: list[Path] = []
    ignored = sorted(p.name for p in folder.iterdir()
                     if p.name.startswith(DB_FILE) and p.name.endswith(SIDECARS))
    for item in sorted(folder.iterdir()):
        if item.name == DB_FILE or item.name in ignored or item.name in NESTED:
            continue
        target = data_dir / item.name
        if item.is_dir():
            shutil.copytree(item, target)
            copied += [*target.rglob("*"), target]
        elif item.name.endswith("device.secret"):
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(item.read_bytes())
            copied.append(target)
        else:
            shutil.copy2(item, target)
            copied.append(target)
    partial = data_dir / f".{DB_FILE}.restoring"
    shutil.copyfile(folder / DB_FILE, partial)
    _make_durable([partial])
    partial.rename(data_dir / DB_FILE)
    copied.append(data_dir / DB_FILE)
    return copied, ignored
