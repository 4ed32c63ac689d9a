"""The wheel carries the whole program: every module and every resource file of the tree.

A wheel is built the way ``pip install .`` builds one (isolated build, from a copy of the
tree so that no earlier ``build/`` folder can fill a gap), and its file list is compared
with the source tree. The second test plants the fault that once shipped a counter
without uploads (a subpackage the build leaves out) and checks that the comparison names it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "hallclient"
NOT_SHIPPED = ("__pycache__", ".pyc", ".pyo")


def tree_files(root: Path = ROOT) -> set[str]:
    """Every file under hallclient/ that an installed program needs, as wheel paths."""
    found = set()
    for path in (root / PACKAGE).rglob("*"):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not any(part in rel for part in NOT_SHIPPED):
            found.add(rel)
    return found


def copy_tree(dest: Path) -> Path:
    """What a fresh clone holds: the project without build products."""
    ignore = shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__", "*.pyc", ".git",
                                    ".venv", ".pytest_cache", ".mypy_cache", ".ruff_cache")
    shutil.copytree(ROOT, dest, ignore=ignore)
    return dest


def build_wheel(source: Path, out: Path) -> Path:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out),
         str(source)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = out.glob("hallclient-*.whl")
    return wheel


def wheel_files(wheel: Path) -> tuple[set[str], dict[str, str]]:
    """(files of the package, the dist-info files by name)."""
    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        meta = {n.rsplit("/", 1)[1]: zf.read(n).decode("utf-8")
                for n in names if ".dist-info/" in n}
    return {n for n in names if ".dist-info/" not in n}, meta


def compare(tree: set[str], shipped: set[str]) -> tuple[list[str], list[str]]:
    """(in the tree but not in the wheel, in the wheel but not in the tree)."""
    return sorted(tree - shipped), sorted(shipped - tree)


def test_the_wheel_carries_every_module_and_resource_of_the_tree(tmp_path):
    wheel = build_wheel(copy_tree(tmp_path / "src"), tmp_path / "dist")
    shipped, meta = wheel_files(wheel)
    tree = tree_files()
    missing, extra = compare(tree, shipped)
    assert not missing, f"left out of the wheel: {missing}"
    assert not extra, f"in the wheel but not in the tree: {extra}"
    # the pieces whose absence shipped a counter that never uploaded, named once more
    for module in ("hallclient/sync/engine.py", "hallclient/platform/client.py",
                   "hallclient/resources/platform/openapi.json",
                   "hallclient/resources/demo/catalog.json"):
        assert module in shipped
    assert "hallclient = hallclient.app:run" in meta["entry_points.txt"]


def test_the_comparison_names_a_subpackage_the_build_left_out(tmp_path):
    source = copy_tree(tmp_path / "src")
    (source / PACKAGE / "sync" / "__init__.py").unlink()   # the build no longer sees sync/
    shipped, _meta = wheel_files(build_wheel(source, tmp_path / "dist"))
    missing, _extra = compare(tree_files(), shipped)
    assert "hallclient/sync/__init__.py" in missing
    assert "hallclient/sync/engine.py" in missing
