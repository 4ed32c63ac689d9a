"""Local clerk accounts: roles and password hashing with a slow KDF (scrypt, RFC 7914)."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from enum import Enum

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1


class Role(str, Enum):
    CLERK = "clerk"            # 窗口人员
    SUPERVISOR = "supervisor"  # 值班长
    ADMIN = "admin"            # 管理员


@dataclass(frozen=True)
class Clerk:
    username: str
    display_name: str
    role: Role


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: bytes, *, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
    # OpenSSL's hashlib is loaded at the first password, not with the window's first frame
    import hashlib

    return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, dklen=dklen)


def hash_password(password: str, *, n: int = SCRYPT_N, salt: bytes | None = None) -> str:
    """Return ``scrypt$N$r$p$salt$hash`` for storage."""
    if not password:
        raise ValueError("密码不能为空")
    salt = salt if salt is not None else os.urandom(16)
    digest = _scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = _scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=32,
        )
    except (ValueError, TypeError):
        return False
    import hmac

    return hmac.compare_digest(actual, base64.b64decode(digest))
