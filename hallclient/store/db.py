"""Opening the counter database: pragmas, migrations, transactions, clear errors."""

from __future__ import annotations

import logging
import sqlite3
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote, urlencode

from . import meta
from .migrations import LATEST, MIGRATIONS

log = logging.getLogger(__name__)

DB_FILE = "hallclient.sqlite3"
BUSY_TIMEOUT_MS = 5000


class StoreError(Exception):
    """A storage problem with a message the clerk or IT staff can act on (Chinese)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StoreCorruptError(StoreError):
    pass


class StoreLockedError(StoreError):
    pass


class StoreFullError(StoreError):
    pass


class StoreTooNewError(StoreError):
    pass


# the longest path SQLite opens, in UTF-8 bytes (its VFS's mxPathname: 512 on Unix; on
# Windows MAX_PATH x 4), with room for the "-journal" it puts beside a database
SQLITE_PATH_BYTES = 1040 if sys.platform == "win32" else 512


def path_too_long_for_sqlite(path: Path | str) -> bool:
    return len(str(path).encode("utf-8")) + len("-journal") > SQLITE_PATH_BYTES


def translate_error(exc: sqlite3.Error, path: Path | str) -> StoreError:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return StoreLockedError(
            f"数据库 {path} 正被其他程序占用，请稍后重试；如持续出现，请关闭其他 hallclient 程序。"
        )
    if "full" in text:
        return StoreFullError(f"磁盘已满，无法写入数据库 {path}。请清理磁盘空间后重试，已录入的数据未丢失。")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StoreCorruptError(
            f"数据库文件 {path} 已损坏或不是 hallclient 数据库。请联系信息管理员从备份恢复；"
            "原文件未被改动。"
        )
    if "unable to open" in text and path_too_long_for_sqlite(path):
        return StoreError(
            f"无法打开数据库 {path}：这个路径按 UTF-8 计有 {len(str(path).encode('utf-8'))} 字节"
            f"（一个汉字算 3 字节），SQLite 最多只能打开 {SQLITE_PATH_BYTES - len('-journal')} 字节的"
            "路径。请把数据目录放到路径短一些的位置，启动时用 hallclient --data-dir 目录 指定它。")
    if "readonly" in text or "unable to open" in text or "permission" in text:
        return StoreError(f"无法打开或写入数据库 {path}：没有权限或路径不存在。")
    return StoreError(f"数据库错误（{exc}），文件：{path}")


class Database:
    """One SQLite connection with our pragmas. Not thread-safe: one thread owns it.

    Writes go through ``write()`` with plain sqlite3 statements: sqlite-utils' own write
    helpers open ``with conn:`` blocks that would commit our outer transaction early.
    sqlite-utils serves introspection and dict-shaped reads (``utils``, ``query``).
    """

    def __init__(self, conn: sqlite3.Connection, path: Path | str) -> None:
        self.conn = conn
        self.commits = 0          # write transactions committed on this connection
        self.path = path

    @cached_property
    def utils(self) -> Any:
        import sqlite_utils  # loaded on first use: it pulls in numpy, not wanted at start-up

        return sqlite_utils.Database(self.conn)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE) so concurrent writers
        queue on the lock instead of failing half-way."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise translate_error(exc, self.path) from exc
        try:
            yield self.conn
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise translate_error(exc, self.path) from exc
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise translate_error(exc, self.path) from exc
        self.commits += 1

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        try:
            return list(self.utils.query(sql, params))
        except sqlite3.Error as exc:
            raise translate_error(exc, self.path) from exc

    def one(self, sql: str, params: Any = ()) -> dict[str, Any] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def data_version(self) -> int:
        """Changes when another connection commits (cheap change detection); SQLite leaves
        it alone for this connection's own commits (see ``commits``)."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        self.conn.close()


def schema_version(conn: sqlite3.Connection) -> int:
    """The migration a database is at (PRAGMA user_version)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def table_counts(db: Database) -> dict[str, int]:
    """Rows in each table, for ``admin status``."""
    return {name: int(db.utils[name].count) for name in db.utils.table_names()}


def integrity_problems(conn: sqlite3.Connection, limit: int = 20) -> list[str]:
    """What SQLite's integrity check finds (["ok"] for a sound file)."""
    return [str(r[0]) for r in conn.execute(f"PRAGMA integrity_check({int(limit)})").fetchall()]


def open_read_only(path: Path | str) -> sqlite3.Connection:
    """A connection that can never change the file (checking someone's copy of a log)."""
    return sqlite3.connect(file_uri(path, mode="ro"), uri=True)


def file_uri(path: PurePath | str, **query: str) -> str:
    """SQLite's URI of a file (for mode=ro, immutable=1). The path is percent-encoded: a
    folder named with # ? % & or a space (C:\\Users\\张三 #2\\...) is opened where it is,
    not cut at the # into another file. The authority is always empty (file:///C:/x, and
    file:////server/share/x for a Windows share), since SQLite refuses a host name there."""
    pure = path if isinstance(path, PurePath) else Path(path)
    if isinstance(pure, Path):
        pure = pure.absolute()
    text = pure.as_posix()
    if not text.startswith("/"):
        text = "/" + text                  # C:/x -> /C:/x, as SQLite reads a drive
    return "file://" + quote(text, safe="/:") + (f"?{urlencode(query)}" if query else "")


def connect(path: Path | str, *, synchronous: str = "FULL") -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    return conn


def migrate(conn: sqlite3.Connection, target: int = LATEST) -> int:
    """Apply migrations up to ``target``; return the version before."""
    before = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if before > LATEST:
        raise StoreTooNewError(
            f"数据库版本 {before} 比本程序支持的 {LATEST} 新，请升级 hallclient 后再打开。"
        )
    for version in range(before + 1, target + 1):
        _begin_migration(conn)
        try:
            # another connection (the upload thread at first start) may have got the write
            # lock first and applied this version already: look again under the lock
            if int(conn.execute("PRAGMA user_version").fetchone()[0]) >= version:
                conn.execute("COMMIT")
                continue
            for statement in _statements(MIGRATIONS[version - 1]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        log.info("database migrated to version %d", version)
    return before


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _begin_migration(conn: sqlite3.Connection) -> None:
    """Take the write lock for the next migration. Two first opens at once (the worker and
    the upload thread at first start): the one that got the lock first applies version after
    version, taking the lock again at once after each commit, so the other's busy timeout
    can run out while the work goes on (a slow disk makes each commit slow). So the waiter
    gives up only when the schema version did not move for a whole busy timeout."""
    seen = _user_version(conn)
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            now = _user_version(conn)           # WAL: reading never waits for the writer
            if "locked" not in str(exc) or now == seen:
                raise
            seen = now


def _ensure_wal(conn: sqlite3.Connection) -> str:
    """Switch a new file to WAL (the mode stays in the file). Two first opens at once (the
    worker and the upload thread at first start) race for the switch, and SQLite answers
    "database is locked" to the loser at once, without waiting for the busy timeout: so the
    loser looks again, as a busy handler would, until the file is in WAL or time is up."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
                return "wal"
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def _statements(script: str) -> list[str]:
    """The script's statements one by one; a trigger's body (its own ``;`` inside BEGIN ...
    END) stays whole."""
    statements: list[str] = []
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n\t;"):
                statements.append(pending.strip().removesuffix(";").strip())
            pending = ""
    if pending.strip(" \n\t;"):
        statements.append(pending.strip().removesuffix(";").strip())
    return statements


def open_database(
    path: Path | str, *, check: bool = True, target: int = LATEST, synchronous: str = "FULL"
) -> Database:
    """Open (creating if needed) and migrate the counter database.

    Raises StoreError subclasses with Chinese messages; never leaves a half-migrated file.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = connect(path, synchronous=synchronous)
    except sqlite3.Error as exc:
        raise translate_error(exc, path) from exc
    except OSError as exc:
        raise StoreError(f"无法打开数据库 {path}：{exc}") from exc
    try:
        if check:
            result = conn.execute("PRAGMA quick_check").fetchone()[0]
            if result != "ok":
                raise StoreCorruptError(
                    f"数据库文件 {path} 已损坏（{result}）。请联系信息管理员从备份恢复；原文件未被改动。"
                )
        mode = _ensure_wal(conn)
        if mode != "wal":
            log.warning("journal_mode is %s, not WAL", mode)
        migrate(conn, target)
        if target >= 1:
            meta.put_once(conn, "device_id", uuid.uuid4().hex)
    except StoreError:
        conn.close()
        raise
    except sqlite3.Error as exc:
        conn.close()
        raise translate_error(exc, path) from exc
    return Database(conn, path)
