"""The OpenSSL version a bundle's Python reports as ``ssl.OPENSSL_VERSION``.

    python3 installer/linux/openssl_version.py build/installer/bundle-amd64/hallclient/_internal

The frozen program runs no Python code given on its command line, so this asks the bundled
libcrypto itself, as the ssl module does when it loads (``OpenSSL_version(OPENSSL_VERSION)``).
Exit status 1 when the folder has no libcrypto.so.3.
"""

from __future__ import annotations

import ctypes
import sys
from pathlib import Path


def openssl_version(folder: Path) -> str:
    libcrypto = ctypes.CDLL(str((folder / "libcrypto.so.3").resolve()))
    libcrypto.OpenSSL_version.restype = ctypes.c_char_p
    libcrypto.OpenSSL_version.argtypes = [ctypes.c_int]
    return libcrypto.OpenSSL_version(0).decode()     # 0: OPENSSL_VERSION, "OpenSSL 3.0.x  <date>"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    folder = Path(args[0])
    if not (folder / "libcrypto.so.3").is_file():
        print(f"no libcrypto.so.3 in {folder}", file=sys.stderr)
        return 1
    print(openssl_version(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
