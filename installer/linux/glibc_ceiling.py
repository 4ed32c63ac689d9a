"""The highest GLIBC symbol version any ELF file in a folder needs, and what each target has.

    python3 installer/linux/glibc_ceiling.py build/installer/bundle-amd64/hallclient
    python3 installer/linux/glibc_ceiling.py --max 2.31 --quiet DIR    # prints the ceiling only

Reads the version-needs section with ``readelf -V`` (binutils), so it works on any
architecture's binaries. Exit status 1 when a file needs more than ``--max``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

TARGETS = (("UOS 20", (2, 28)), ("Kylin V10 SP1", (2, 31)), ("Debian 11", (2, 31)))
NEEDS = re.compile(r"Name: GLIBC_(\d+)\.(\d+)(?:\.(\d+))?")


def is_elf(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"\x7fELF"
    except OSError:
        return False


def needs(path: Path) -> tuple[int, ...]:
    """Highest GLIBC_x.y this file asks for; () when it asks for none."""
    out = subprocess.run(["readelf", "-V", "--wide", str(path)], capture_output=True, text=True,
                         check=False).stdout
    versions = [tuple(int(p) for p in m.groups() if p is not None) for m in NEEDS.finditer(out)]
    return max(versions, default=())


def scan(folder: Path) -> dict[Path, tuple[int, ...]]:
    return {p: v for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink() and is_elf(p) and (v := needs(p))}


def text(version: tuple[int, ...]) -> str:
    return ".".join(str(v) for v in version)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--max", default="2.31", help="highest GLIBC version allowed (default 2.31)")
    parser.add_argument("--quiet", action="store_true", help="print only the ceiling")
    args = parser.parse_args(argv)
    limit = tuple(int(p) for p in args.max.split("."))
    found = scan(args.folder)
    if not found:
        print(f"no ELF files needing glibc under {args.folder}", file=sys.stderr)
        return 1
    ceiling = max(found.values())
    if args.quiet:
        print(text(ceiling))
    else:
        print(f"{len(found)} ELF files; highest GLIBC symbol version needed: {text(ceiling)}")
        for name, have in TARGETS:
            over = {p: v for p, v in found.items() if v > have}
            verdict = "OK" if not over else f"{len(over)} files need more"
            print(f"  {name} (glibc {text(have)}): {verdict}")
            for path, version in sorted(over.items(), key=lambda kv: kv[1], reverse=True)[:8]:
                print(f"      GLIBC_{text(version)}  {path.relative_to(args.folder)}")
    too_new = {p: v for p, v in found.items() if v > limit}
    for path, version in too_new.items():
        print(f"too new: {path} needs GLIBC_{text(version)} (> {args.max})", file=sys.stderr)
    return 1 if too_new else 0


if __name__ == "__main__":
    sys.exit(main())
