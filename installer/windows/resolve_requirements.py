"""The pinned requirements as they apply to 64-bit Windows, one ``name==version`` per line.

``pip download --platform win_amd64`` picks Windows wheels but still judges environment markers
(``sys_platform == "win32"``) by the machine it runs on; this resolves them for Windows first.
"""

from __future__ import annotations

import sys
from pathlib import Path

from packaging.requirements import Requirement

WINDOWS = {
    "sys_platform": "win32", "platform_system": "Windows", "os_name": "nt",
    "platform_machine": "AMD64", "python_version": "3.13", "python_full_version": "3.13.2",
    "implementation_name": "cpython", "platform_python_implementation": "CPython",
    "extra": "",
}


def resolve(path: Path) -> list[str]:
    pins = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(WINDOWS):
            pins.append(f"{requirement.name}{requirement.specifier}")
    return pins


if __name__ == "__main__":
    print("\n".join(resolve(Path(sys.argv[1]))))
