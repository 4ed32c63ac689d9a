"""What is installed: the package's files against its wheel's RECORD, and every module of
it importing. The self-test runs both (``hallclient --self-test``); each reads the installed
copy, never the checkout it was built from."""

from __future__ import annotations

import base64
import hashlib
import importlib
import logging
import os
import pkgutil
import sys
from pathlib import Path

log = logging.getLogger(__name__)

WALK_TIMEOUT_S = 20       # the self-test gives up at 30 s: the walk must end before


def installation_problems() -> tuple[list[str], int]:
    """The package's files against the RECORD its wheel installed: (what is missing or
    changed, how many files were checked). A development checkout or a frozen bundle has
    no such list for the running copy: (nothing, 0), and the module check stands alone."""
    from importlib import metadata

    import hallclient

    if getattr(sys, "frozen", False):       # the .deb / Windows bundle: checked when it is built
        return [], 0
    try:
        dist = metadata.distribution("hallclient")
    except metadata.PackageNotFoundError:
        return [], 0
    running = Path(hallclient.__file__).resolve().parent
    listed = [f for f in dist.files or () if f.hash is not None and f.parts[0] == "hallclient"
              and "__pycache__" not in f.parts]
    if not listed or Path(str(dist.locate_file("hallclient"))).resolve() != running:
        return [], 0
    problems: list[str] = []
    for f in listed:
        try:
            data = Path(str(dist.locate_file(f))).read_bytes()
        except OSError:
            problems.append(f"{f}（缺失）")
            continue
        assert f.hash is not None
        digest = base64.urlsafe_b64encode(hashlib.new(f.hash.mode, data).digest()).rstrip(b"=")
        if digest.decode("ascii") != f.hash.value:
            problems.append(f"{f}（内容被改动）")
    return problems, len(listed)


def modules_that_fail_apart() -> list[str]:
    """``modules_that_fail`` in a process of its own: importing every module (the servers'
    FastAPI among them) would otherwise stay in this program's memory for the rest of its
    run. A walk that does not come back is itself a failure, with its last words."""
    import json
    import subprocess

    from hallclient.process import program_folder

    if getattr(sys, "frozen", False):     # the bundled program takes no -c: walk here
        return modules_that_fail()

    code = ("import json, sys\n"
            "from hallclient.installation import modules_that_fail\n"
            "sys.stdout.write('\\n' + json.dumps(modules_that_fail()) + '\\n')\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              encoding="utf-8", errors="replace", timeout=WALK_TIMEOUT_S, env=env,
                              cwd=program_folder())
    except subprocess.TimeoutExpired:
        return [f"（逐个载入程序模块超过 {WALK_TIMEOUT_S} 秒未完成）"]
    lines = done.stdout.strip().splitlines()
    try:
        broken = json.loads(lines[-1]) if done.returncode == 0 and lines else None
    except json.JSONDecodeError:
        broken = None
    if not isinstance(broken, list):
        last = (done.stderr.strip().splitlines() or [f"退出码 {done.returncode}"])[-1]
        return [f"（逐个载入程序模块的进程异常结束：{last}）"]
    return [str(name) for name in broken]


def modules_that_fail() -> list[str]:
    """Import every module of the installed package; the names that do not import."""
    import hallclient

    broken: list[str] = []

    def failed(name: str) -> None:
        broken.append(name)

    for info in pkgutil.walk_packages(hallclient.__path__, "hallclient.", onerror=failed):
        if info.name == "hallclient.__main__":
            continue
        try:
            importlib.import_module(info.name)
        except Exception as exc:          # ImportError above all; the name is what IT needs
            log.error("self-test: module %s does not import", info.name, exc_info=exc)
            broken.append(f"{info.name}（{type(exc).__name__}: {exc}）")
    return broken
