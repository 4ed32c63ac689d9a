"""The mutation tool (tools/mutate.py): its mutants are the changes it claims, and — on
demand (``-m mutation``) — the domain modules' tests kill a seeded sample of them."""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load_tool():
    spec = importlib.util.spec_from_file_location("mutate", ROOT / "tools" / "mutate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["mutate"] = module
    spec.loader.exec_module(module)
    return module


mutate = load_tool()

SOURCE = '''"""Docstring, left alone."""
import logging

log = logging.getLogger(__name__)
LIMIT = 3


def judge(a, b):
    """Also left alone."""
    log.info("judging %s", a)
    assert a is not None
    total = a + b
    if not a and b <= LIMIT:
        return "small"
    return f"big {total}"
'''


def changes(source: str) -> list[tuple[int, str]]:
    return [(m.line, m.change) for m in mutate.mutants(source)]


def test_each_kind_of_mutant_is_offered_where_it_applies():
    assert sorted(changes(SOURCE)) == sorted([
        (5, "3 -> 4"),
        (12, "delete `total = a + b`"),
        (12, "Add -> Sub"),
        (13, "and -> or"),
        (13, "not x -> x"),
        (13, "LtE -> Lt"),
        (14, "return value -> return None"),
        (14, "'small' -> ''"),
        (15, "return value -> return None"),
    ])


def test_a_mutant_is_the_source_with_exactly_that_change():
    offered = mutate.mutants(SOURCE)
    index = next(m.index for m in offered if m.change == "LtE -> Lt")
    mutated = mutate.mutated_source(SOURCE, index)
    assert "b < LIMIT" in mutated and "b <= LIMIT" not in mutated
    assert ast.dump(ast.parse(mutated)) != ast.dump(ast.parse(SOURCE))
    deleted = next(m.index for m in offered if m.change.startswith("delete"))
    assert "total = a + b" not in mutate.mutated_source(SOURCE, deleted)
    namespace: dict[str, object] = {}
    exec(compile(mutate.mutated_source(SOURCE, index), "m", "exec"), namespace)
    assert namespace["judge"](0, 3) == "big 3"          # the boundary moved: it behaves so


def test_the_mutants_are_the_same_on_every_run():
    source = (ROOT / "hallclient" / "core" / "cases.py").read_text(encoding="utf-8")
    assert mutate.mutants(source) == mutate.mutants(source)
    assert len(mutate.mutants(source)) > 50


def test_every_domain_module_has_tests_that_exist():
    for module, tests in mutate.DOMAIN_TESTS.items():
        assert (ROOT / module).is_file(), module
        assert all((ROOT / t).is_file() for t in tests), module


@pytest.mark.mutation
def test_the_domain_tests_kill_a_seeded_sample_of_mutants(tmp_path):
    """The tool runs in a process of its own: it forks one pytest per mutant from a process
    that has not imported the project (this one has)."""
    result = tmp_path / "result.json"
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "mutate.py"), "--domain",
                           "--sample", "4", "--seed", "13", "--json", str(result)],
                          cwd=ROOT, capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    modules = json.loads(result.read_text(encoding="utf-8"))
    total = sum(int(m["mutants"]) for m in modules)
    killed = sum(int(m["killed"]) for m in modules)
    assert len(modules) == len(mutate.DOMAIN_TESTS)
    assert total >= 4 * len(mutate.DOMAIN_TESTS) - 4     # tiny modules offer fewer
    assert killed >= total * 0.9, done.stdout
