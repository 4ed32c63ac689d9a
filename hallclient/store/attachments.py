"""Content-addressed attachment store (材料附件): files named by their SHA-256.

Bytes are written to a temporary file, fsynced, renamed into place and the directory
fsynced, all BEFORE the transaction that references them commits; a crash can leave an
unreferenced file behind (harmless, swept later) but never a case pointing at nothing.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .durable import fsync_dir

MAX_BYTES = 20 * 1024 * 1024   # one scanned page is ~0.3-3 MB; a 20-page PDF fits


class AttachmentError(ValueError):
    """Why a file cannot be kept, in Chinese, for the clerk."""


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    mime: str


def sniff(data: bytes, name: str = "文件") -> str:
    """The type from the content (never from the file name); truncated files are refused."""
    if not data:
        raise AttachmentError(f"{name} 是空文件")
    tail = data[-1024:]
    if data[:3] == b"\xff\xd8\xff":
        if b"\xff\xd9" not in tail:
            raise AttachmentError(f"{name} 不完整（JPEG 文件被截断），请重新扫描或导入")
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        if b"IEND" not in tail:
            raise AttachmentError(f"{name} 不完整（PNG 文件被截断），请重新扫描或导入")
        return "image/png"
    if data[:5] == b"%PDF-":
        if b"%%EOF" not in tail:
            raise AttachmentError(f"{name} 不完整（PDF 文件被截断），请重新导入")
        return "application/pdf"
    raise AttachmentError(f"{name} 不是 JPG、PNG 或 PDF 文件，无法作为材料保存")


class AttachmentStore:
    def __init__(self, root: Path, max_bytes: int = MAX_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put_bytes(self, data: bytes, name: str = "文件") -> StoredFile:
        if len(data) > self.max_bytes:
            raise AttachmentError(
                f"{name} 有 {len(data) / 1048576:.1f} MB，超过 {self.max_bytes / 1048576:.0f} MB 上限，"
                "请降低扫描分辨率或拆分后导入")
        mime = sniff(data, name)
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.exists() and target.stat().st_size == len(data):
            return StoredFile(digest, len(data), mime)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise AttachmentError(f"无法保存 {name}：{exc.strerror or exc}（磁盘已满或没有权限？）") from exc
        fsync_dir(target.parent)
        return StoredFile(digest, len(data), mime)

    def put_file(self, path: Path) -> StoredFile:
        return self.put_bytes(read_regular_file(path, self.max_bytes), path.name)

    def verify(self, sha256: str) -> bool:
        target = self.path(sha256)
        if not target.exists():
            return False
        h = hashlib.sha256()
        with open(target, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest() == sha256


_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))


def read_regular_file(path: Path, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of the regular file at ``path``, never more than ``max_bytes``.

    A link is not followed (a link to a device reads as endless zeros), a FIFO or a device
    is never read (the open does not wait for a writer: O_NONBLOCK), and what is checked is
    the descriptor actually opened, not the name. The read stops one byte past the limit
    whatever the size said, so a file that grows meanwhile is refused, not read on.
    """
    name = path.name or str(path)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise AttachmentError(f"{name} 是一个链接（快捷方式），不是文件本身，请直接选择原文件") from exc
        if exc.errno == errno.EISDIR:
            raise AttachmentError(f"{name} 是文件夹，不是文件，请选择其中的文件") from exc
        raise AttachmentError(f"无法读取 {name}：{exc.strerror or exc}") from exc
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise AttachmentError(f"{name} 是文件夹，不是文件，请选择其中的文件")
        if not stat.S_ISREG(mode):
            raise AttachmentError(f"{name} 不是普通文件（设备或管道），不能作为材料读取")
        chunks: list[bytes] = []
        total = 0
        while total <= max_bytes:
            block = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not block:
                break
            chunks.append(block)
            total += len(block)
    except OSError as exc:
        raise AttachmentError(f"无法读取 {name}：{exc.strerror or exc}") from exc
    finally:
        os.close(fd)
    if total > max_bytes:
        raise AttachmentError(
            f"{name} 超过 {max_bytes / 1048576:.0f} MB 上限，请降低扫描分辨率或拆分后导入")
    return b"".join(chunks)
