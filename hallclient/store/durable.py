"""Documents written durably (纸面留存): a notice, receipt, ticket, report or bundle is
written to a temporary file in its own folder, fsynced, checked to be whole, and only then
renamed to its name (and the folder fsynced). A full disk or a writer that stopped half-way
leaves no file under the document's name, and the caller gets a Chinese reason: nothing
is reported as saved that is not.
"""

from __future__ import annotations

import errno
import json
import os
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path


class PaperError(OSError):
    """A document could not be kept on disk; ``message`` says so for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def write_durably(path: Path, produce: Callable[[Path], object], what: str) -> Path:
    """Have ``produce`` write the document to a temporary path beside ``path``; keep it
    under ``path`` once it is on disk and whole, else raise PaperError naming ``what``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".part")
        os.close(fd)
    except OSError as exc:
        raise _failed(what, path, exc) from exc
    tmp = Path(name)
    try:
        produce(tmp)
        fsync_file(tmp)
        problem = document_problem(tmp, path.suffix)
        if problem:
            raise PaperError(f"{what}未能保存（{problem}），可能是磁盘已满，请检查文件夹 {path.parent}"
                             " 后重新打印")
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except PaperError:
        tmp.unlink(missing_ok=True)
        raise
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _failed(what, path, exc) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_bytes_durably(path: Path, data: bytes, what: str) -> Path:
    return write_durably(path, lambda tmp: tmp.write_bytes(data), what)


def document_problem(path: Path, suffix: str | None = None) -> str:
    """"" when the file at ``path`` is plausibly a whole document of its type (by
    ``suffix``, default the file's own); else what is wrong, in Chinese."""
    suffix = (suffix if suffix is not None else path.suffix).lower()
    try:
        size = path.stat().st_size
        if size == 0:
            return "文件是空的"
        with open(path, "rb") as fh:
            head = fh.read(8)
            fh.seek(max(0, size - 1024))
            tail = fh.read()
        if suffix == ".pdf" and (not head.startswith(b"%PDF-") or b"%%EOF" not in tail):
            return "PDF 文件不完整"
        if suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                if book.testzip() is not None or "[Content_Types].xml" not in book.namelist():
                    return "表格文件不完整"
        if suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
    except (zipfile.BadZipFile, ValueError):
        return "文件不完整"
    except OSError as exc:
        return f"无法读回：{exc.strerror or exc}"
    return ""


def fsync_dir(directory: Path) -> None:
    if os.name == "nt":   # directories cannot be opened for fsync on Windows; NTFS journals renames
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    """The file's bytes on disk. Windows flushes only a file open for writing (a read-only
    handle is refused as access denied, which once failed every notice on Windows)."""
    if sys.platform == "win32":
        fd = os.open(path, os.O_RDWR | os.O_BINARY)
    else:
        fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


REASONS = {errno.ENOSPC: "磁盘空间已满", errno.EDQUOT: "超出磁盘配额", errno.EFBIG: "文件超出允许的大小",
           errno.EACCES: "没有写入权限", errno.EPERM: "没有写入权限", errno.EROFS: "磁盘只读",
           errno.EIO: "磁盘读写出错"}


def _failed(what: str, path: Path, exc: OSError) -> PaperError:
    reason = REASONS.get(exc.errno or 0) or f"{exc.strerror or exc}（磁盘已满或没有写入权限？）"
    return PaperError(f"{what}未能保存：{reason}，请腾出空间或检查文件夹 {path.parent} 后重新打印")
