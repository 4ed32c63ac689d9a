"""Check that a frozen bundle carries every ``hallclient`` module of the source tree.

    python installer/linux/bundle_modules.py --tree hallclient \\
        --wheel dist/hallclient-0.1.0-py3-none-any.whl --bundle build/pyinstaller/dist/hallclient/hallclient

The tree's modules must all be in the wheel, and the wheel's all in the executable's PYZ
archive (read with PyInstaller's own reader, so run it with the Python that froze the bundle).
PyInstaller only collects what it finds importable: a module missing from the wheel, or one it
did not see, would fail only on the clerk's PC, the first time that code runs. Exit status 1
and the missing module names when anything is missing.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

PACKAGE = "hallclient"


def module_name(relative: str) -> str:
    """``hallclient/ui/__init__.py`` -> ``hallclient.ui``; ``hallclient/app.py`` -> ``hallclient.app``."""
    parts = relative.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def tree_modules(package_dir: Path) -> set[str]:
    return {module_name(p.relative_to(package_dir.parent).as_posix())
            for p in package_dir.rglob("*.py") if "__pycache__" not in p.parts}


def wheel_modules(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as zf:
        return {module_name(n) for n in zf.namelist() if n.startswith(PACKAGE + "/") and n.endswith(".py")}


def bundle_modules(executable: Path) -> set[str]:
    """The modules of the PYZ archive embedded in a PyInstaller executable."""
    from PyInstaller.archive.readers import PKG_ITEM_PYZ, CArchiveReader

    pkg = CArchiveReader(str(executable))
    names: set[str] = set()
    for name, entry in pkg.toc.items():
        if entry[-1] == PKG_ITEM_PYZ:
            names |= set(pkg.open_embedded_archive(name).toc)
    return {n for n in names if n == PACKAGE or n.startswith(PACKAGE + ".")}


def missing(tree: set[str], wheel: set[str], bundle: set[str]) -> list[str]:
    """Human-readable lines, one per module that is not carried all the way into the bundle."""
    lines = [f"not in the wheel: {m}" for m in sorted(tree - wheel)]
    lines += [f"not in the bundle: {m}" for m in sorted(wheel - bundle)]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, required=True, help="the package folder of the source tree")
    parser.add_argument("--wheel", type=Path, required=True)
    parser.add_argument("--bundle", type=Path, required=True, help="the frozen executable")
    args = parser.parse_args(argv)
    tree, wheel, bundle = tree_modules(args.tree), wheel_modules(args.wheel), bundle_modules(args.bundle)
    problems = missing(tree, wheel, bundle)
    for line in problems:
        print(line, file=sys.stderr)
    if not tree:
        print(f"no modules under {args.tree}", file=sys.stderr)
        return 1
    print(f"{PACKAGE} modules: {len(tree)} in the tree, {len(wheel)} in the wheel, "
          f"{len(bundle)} in the bundle" + ("" if problems else ": all there"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
