"""Stand-in ID-card reader libraries, compiled from tests/fixtures/idcard_stubs/*.c with gcc
once per test session, so that the readers' real ctypes code is what the tests drive."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

import pytest

SOURCES = Path(__file__).parent / "fixtures" / "idcard_stubs"


class Scenario(IntEnum):
    """The numbers of scenarios.h."""

    PRESENT = 0
    ABSENT = 1
    REMOVED = 2
    RARE_NAME = 3
    EXPIRED = 4
    SLOW = 5
    FOREIGN = 6
    PERMIT = 7
    LATE = 8
    SUBSTITUTE = 9
    ODD_ERROR = 10


@dataclass
class StubLibrary:
    """One compiled stub: its path (for idcard.library) and its steering calls."""

    path: Path

    @property
    def control(self) -> ctypes.CDLL:
        # the same path dlopen()ed again is the same library: the reader sees these settings
        return ctypes.CDLL(str(self.path))

    def scenario(self, value: Scenario, delay_ms: int = 0, port: int = 1001) -> None:
        self.control.stub_set_scenario(int(value))
        self.control.stub_set_delay_ms(delay_ms)
        self.control.stub_set_port(port)

    @property
    def open_ports(self) -> int:
        return int(self.control.stub_open_ports())

    @property
    def last_port(self) -> int:
        return int(self.control.stub_last_port())

    @property
    def finds(self) -> int:
        return int(self.control.stub_finds())


@dataclass
class Stubs:
    sdt: StubLibrary
    cvr: StubLibrary
    wlt: StubLibrary


def compile_stub(source: Path, out_dir: Path) -> StubLibrary:
    gcc = shutil.which("gcc")
    assert gcc is not None, "gcc is needed to build the stub reader libraries (apt-get install gcc libc6-dev)"
    target = out_dir / f"lib{source.stem}.so"
    subprocess.run([gcc, "-shared", "-fPIC", "-std=c11", "-D_DEFAULT_SOURCE", "-Wall", "-Werror",
                    "-I", str(SOURCES), "-o", str(target), str(source)],
                   check=True, capture_output=True, text=True)
    return StubLibrary(target)


@pytest.fixture(scope="session")
def idcard_stubs(tmp_path_factory: pytest.TempPathFactory) -> Stubs:
    out = tmp_path_factory.mktemp("idcard_stubs")
    return Stubs(*(compile_stub(SOURCES / f"{name}_stub.c", out) for name in ("sdt", "cvr", "wlt")))


@pytest.fixture
def stubs(idcard_stubs: Stubs) -> Stubs:
    """The compiled stubs, each back at a card present on USB port 1001."""
    for lib in (idcard_stubs.sdt, idcard_stubs.cvr):
        lib.scenario(Scenario.PRESENT)
    return idcard_stubs
