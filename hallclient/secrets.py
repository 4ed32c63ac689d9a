"""Device secrets (设备密钥): the provincial platform's device secret, the hall server's
device token and the log-bundle signing key.

Each lives in the OS keyring where this PC has a usable one, else in an owner-only file in
the data directory — never in config.ini. A keyring that exists but fails is said as
KeyringUnavailableError, never taken for "no keyring". No Qt here: the admin commands, the
counter and the services all read secrets through this module.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SECRET_FILE = "device.secret"
KEYRING_SERVICE = "hallclient"


def _keyring() -> Any:
    """The OS keyring when this PC has a usable one, else None."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or "null" in type(backend).__module__:
        return None
    return keyring


_SYSTEM = object()
FOLDER_ONLY = "secrets-in-folder"    # a throw-away folder's mark: its secrets never leave it
THROWAWAY_PREFIX, OWNER_FILE = "hallclient-demo-", "owner.pid"     # process.py's, written out


def keep_in_folder(data_dir: Path) -> None:
    """Mark a throw-away data folder (demo, self-test): its secrets live in files inside it
    and go with it; the OS keyring is neither written nor read (nor even loaded) for it."""
    (data_dir / FOLDER_ONLY).write_text("", encoding="ascii")


def _ring(data_dir: Path, ring: Any) -> Any:
    if ring is not _SYSTEM:
        return ring
    return None if _throw_away(data_dir) else _keyring()


def _throw_away(data_dir: Path) -> bool:
    """Marked, and a throw-away folder indeed (a demo's or self-test's, with its owner): a
    mark found in a PC's real data folder is not obeyed (its secrets stay in the keyring)."""
    return ((data_dir / FOLDER_ONLY).exists() and data_dir.name.startswith(THROWAWAY_PREFIX)
            and (data_dir / OWNER_FILE).exists())


class KeyringUnavailableError(Exception):
    """This PC has a keyring, but it failed (locked, its service not answering): not the
    same as "no keyring". A secret that may be in it must not be guessed at, replaced or
    written beside it. The message says in Chinese what to do."""

    def __init__(self, cause: BaseException) -> None:
        self.cause = type(cause).__name__
        super().__init__(
            f"系统密钥环打不开（{self.cause}：可能已锁定，或密钥环服务没有运行）。"
            "请先解锁系统密钥环（在桌面上登录本机账户，按提示输入密钥环密码），再重试")


# Windows' Credential Manager takes a user name of at most 513 characters (CRED_MAX_USERNAME_
# LENGTH; UTF-16 code units), and keyring gives it the account; a data dir's path under
# long paths can be much longer
LONGEST_ACCOUNT = 513
HASHED_ACCOUNT = "hallclient-data-dir-sha256:"


def _secret_place(data_dir: Path, kind: str) -> tuple[str, Path]:
    """Keyring account and fallback file of a secret: "platform" (the provincial platform's
    device secret), "hall" (the hall server's device token) or "signing" (the log-bundle
    signing key). The account is the data dir's path (with #kind), or where that is too long
    for Windows' Credential Manager, a stable hash of it (_accounts: the path is still read)."""
    file = data_dir / (SECRET_FILE if kind == "platform" else f"{kind}-device.secret")
    return _fitting(_path_account(data_dir, kind)), file


def _path_account(data_dir: Path, kind: str) -> str:
    return str(data_dir) if kind == "platform" else f"{data_dir}#{kind}"


def _fitting(account: str) -> str:
    if len(account.encode("utf-16-le")) // 2 <= LONGEST_ACCOUNT:
        return account
    return HASHED_ACCOUNT + hashlib.sha256(account.encode("utf-8")).hexdigest()


def _accounts(data_dir: Path, kind: str) -> list[str]:
    """The accounts a secret may be under, the one written first: a hashed account's
    secret may still be under the whole path, where a keyring without Windows' limit
    (Linux's Secret Service) kept it before."""
    return list(dict.fromkeys([_secret_place(data_dir, kind)[0], _path_account(data_dir, kind)]))


def secret_file(data_dir: Path, kind: str = "platform") -> Path:
    """The owner-only file a secret lives in when there is no keyring (a backup carries the
    signing key in a file of the same name, so a restored data dir finds it there)."""
    return _secret_place(data_dir, kind)[1]


def stored_secret(data_dir: Path, ring: Any = _SYSTEM,
                  kind: str = "platform") -> tuple[str | None, str]:
    """Both places a secret may be: (the keyring's value — None when this PC has no usable
    keyring, "" when it holds none for this data dir —, the file's value or "").
    KeyringUnavailableError when the keyring exists but fails."""
    path = _secret_place(data_dir, kind)[1]
    ring = _ring(data_dir, ring)
    in_ring: str | None = None
    if ring is not None:
        try:
            for account in _accounts(data_dir, kind):
                in_ring = str(ring.get_password(KEYRING_SERVICE, account) or "")
                if in_ring:
                    break
        except Exception as exc:         # the caller says so, in Chinese
            raise KeyringUnavailableError(exc) from exc
    return in_ring, _file_secret(path)


def _file_secret(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def read_secret(data_dir: Path, ring: Any = _SYSTEM, kind: str = "platform") -> str:
    """A device secret: from the OS keyring where one exists, else from an owner-only
    file in the data directory — never from config.ini. A failing keyring falls back to the
    file, except for the signing key (KeyringUnavailableError)."""
    try:
        in_ring, in_file = stored_secret(data_dir, ring, kind)
    except KeyringUnavailableError as exc:
        if kind == "signing":     # never another signing key than the county's
            raise
        log.warning("keyring unavailable: %s", exc.cause)
        return _file_secret(secret_file(data_dir, kind))
    return in_ring or in_file


def write_secret(data_dir: Path, secret: str, ring: Any = _SYSTEM, kind: str = "platform") -> str:
    """Store the secret; returns where ("keyring" or the file path). The signing key is
    never written beside a keyring that failed (KeyringUnavailableError): the keyring may
    still hold the key the county registered, and two keys would then compete."""
    account, path = _secret_place(data_dir, kind)
    ring = _ring(data_dir, ring)
    if ring is not None:
        try:
            ring.set_password(KEYRING_SERVICE, account, secret)
        except Exception as exc:
            if kind == "signing":
                raise KeyringUnavailableError(exc) from exc
            log.warning("keyring unavailable: %s", type(exc).__name__)
        else:
            path.unlink(missing_ok=True)
            return "keyring"
    _write_owner_only(path, secret)
    return str(path)


def _write_owner_only(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in a file only its owner can read from the first byte,
    whole or not at all: a crash while a new signing key is written must not leave half a
    key where the old one was."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):       # the rename itself on disk, not in the page cache
        dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
