"""Seeded mutation sampling: do the tests notice when the code is wrong?

    python tools/mutate.py hallclient/core/cases.py --tests tests/unit/test_case_desk.py \
        [--tests ...] [--sample N] [--seed S] [--timeout SECONDS] [--json FILE]

Each mutant is the module with one small change made through its syntax tree: a
comparison or boolean operator swapped, a constant changed, a ``not`` removed, a return
value replaced by None, a statement deleted, an arithmetic operator swapped. The chosen
tests run in a fresh interpreter against a copy of the package holding the mutant; a test
failure (or a run past the time limit) kills it. The survivors are printed with their line
and change: each is a test worth writing, or an equivalent mutant (same behaviour).

Docstrings, ``__all__``, log calls and ``assert`` lines are left alone (changing them
tells nothing about behaviour). The sample is drawn with ``--seed``, so a run can be
repeated exactly.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SWAP_COMPARE: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.LtE, ast.LtE: ast.Lt,
    ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.In: ast.NotIn, ast.NotIn: ast.In,
    ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}
SWAP_BINOP: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult, ast.Mod: ast.FloorDiv,
}
SIMPLE_STATEMENTS = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Raise,
                     ast.Return, ast.Continue, ast.Break)
LOG_NAMES = {"log", "logger", "logging"}


@dataclass(frozen=True)
class Mutant:
    index: int          # position among all the module's mutation sites (stable per source)
    line: int
    change: str


@dataclass
class Outcome:
    mutant: Mutant
    killed: bool
    how: str            # "tests failed", "timeout", "survived", "broken" (did not compile)
    seconds: float


def _is_docstring(node: ast.AST, parent: ast.AST | None) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            and isinstance(parent, ast.Module | ast.ClassDef | ast.FunctionDef
                           | ast.AsyncFunctionDef))


def _is_log_call(node: ast.AST) -> bool:
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return False
    func = node.value.func
    return (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
            and func.value.id in LOG_NAMES)


def _skipped(tree: ast.Module) -> set[int]:
    """Ids of the nodes whose subtrees are never mutated."""
    skip: set[int] = set()
    for parent in ast.walk(tree):
        for child in ast.iter_child_nodes(parent):
            if (_is_docstring(child, parent) or _is_log_call(child)
                    or isinstance(child, ast.Assert | ast.Import | ast.ImportFrom)
                    or (isinstance(child, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == "__all__" for t in child.targets))):
                skip.update(id(n) for n in ast.walk(child))
        if isinstance(parent, ast.JoinedStr):       # f-string pieces: text, not logic
            skip.update(id(n) for n in ast.walk(parent) if n is not parent)
        if isinstance(parent, ast.arg | ast.arguments) or (
                isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef)):
            # annotations and decorators are not behaviour
            for sub in [*getattr(parent, "decorator_list", []), getattr(parent, "returns", None),
                        getattr(parent, "annotation", None)]:
                if sub is not None:
                    skip.update(id(n) for n in ast.walk(sub))
        if isinstance(parent, ast.AnnAssign):
            skip.update(id(n) for n in ast.walk(parent.annotation))
    return skip


def _constant_changes(value: object) -> list[tuple[object, str]]:
    if isinstance(value, bool):
        return [(not value, f"{value} -> {not value}")]
    if isinstance(value, int):
        return [(value + 1, f"{value} -> {value + 1}")]
    if isinstance(value, float):
        return [(value * 2 + 1, f"{value} -> {value * 2 + 1}")]
    if isinstance(value, str):
        return [("", f"{value[:20]!r} -> ''")] if value else [("X", "'' -> 'X'")]
    return []


def _sites(tree: ast.Module) -> Iterator[tuple[ast.AST, str, object]]:
    """Every possible single change, in a fixed order: (node, kind, argument)."""
    skip = _skipped(tree)
    # statements are deleted only inside functions: deleting a declaration (a field, an
    # enum member, a module constant) only breaks the import, which any test notices
    in_functions = {id(n) for f in ast.walk(tree)
                    if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
                    for stmt in f.body for n in ast.walk(stmt)}
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in SWAP_COMPARE:
                    yield node, "compare", i
        elif isinstance(node, ast.BoolOp):
            yield node, "boolop", None
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node, "not", None
        elif isinstance(node, ast.BinOp) and type(node.op) in SWAP_BINOP:
            yield node, "binop", None
        elif isinstance(node, ast.Constant) and node.value is not None:
            for i, _ in enumerate(_constant_changes(node.value)):
                yield node, "constant", i
        elif isinstance(node, ast.Return) and node.value is not None and not (
                isinstance(node.value, ast.Constant) and node.value.value is None):
            yield node, "return", None
        if (isinstance(node, SIMPLE_STATEMENTS) and not isinstance(node, ast.Return)
                and id(node) in in_functions):
            yield node, "delete", None


def _describe(node: ast.AST, kind: str, arg: object) -> str:
    if kind == "compare":
        assert isinstance(node, ast.Compare) and isinstance(arg, int)
        op = node.ops[arg]
        return f"{type(op).__name__} -> {SWAP_COMPARE[type(op)].__name__}"
    if kind == "boolop":
        assert isinstance(node, ast.BoolOp)
        return "and -> or" if isinstance(node.op, ast.And) else "or -> and"
    if kind == "not":
        return "not x -> x"
    if kind == "binop":
        assert isinstance(node, ast.BinOp)
        return f"{type(node.op).__name__} -> {SWAP_BINOP[type(node.op)].__name__}"
    if kind == "constant":
        assert isinstance(node, ast.Constant) and isinstance(arg, int)
        return _constant_changes(node.value)[arg][1]
    if kind == "return":
        return "return value -> return None"
    return f"delete `{ast.unparse(node).splitlines()[0][:60]}`"


def _apply(node: ast.AST, kind: str, arg: object) -> ast.AST:
    """The replacement for ``node`` (the tree is a private copy)."""
    if kind == "compare":
        assert isinstance(node, ast.Compare) and isinstance(arg, int)
        node.ops[arg] = SWAP_COMPARE[type(node.ops[arg])]()
    elif kind == "boolop":
        assert isinstance(node, ast.BoolOp)
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif kind == "not":
        assert isinstance(node, ast.UnaryOp)
        return node.operand
    elif kind == "binop":
        assert isinstance(node, ast.BinOp)
        node.op = SWAP_BINOP[type(node.op)]()
    elif kind == "constant":
        assert isinstance(node, ast.Constant) and isinstance(arg, int)
        node.value = _constant_changes(node.value)[arg][0]
    elif kind == "return":
        assert isinstance(node, ast.Return)
        node.value = ast.Constant(None)
    elif kind == "delete":
        return ast.Pass()
    return node


class _Replace(ast.NodeTransformer):
    def __init__(self, target: ast.AST, replacement: ast.AST) -> None:
        self.target, self.replacement = target, replacement

    def visit(self, node: ast.AST) -> ast.AST:
        if node is self.target:
            return self.replacement
        return super().visit(node)


def mutants(source: str) -> list[Mutant]:
    tree = ast.parse(source)
    return [Mutant(i, getattr(node, "lineno", 0), _describe(node, kind, arg))
            for i, (node, kind, arg) in enumerate(_sites(tree))]


def mutated_source(source: str, index: int) -> str:
    tree = ast.parse(source)
    node, kind, arg = list(_sites(tree))[index]
    target = node
    node = _apply(copy.deepcopy(node), kind, arg)
    new_tree = ast.fix_missing_locations(_Replace(target, node).visit(tree))
    return ast.unparse(new_tree) + "\n"


def _copy_project(into: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", ".pytest_cache")
    for name in ("hallclient", "tests"):
        shutil.copytree(ROOT / name, into / name, ignore=ignore)
    for name in ("pyproject.toml", "conftest.py"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, into / name)


# the preloaded hypothesis cannot have its plugin's asserts rewritten: harmless here
PYTEST_ARGS = ["-x", "-q", "-p", "no:cacheprovider", "--hypothesis-seed=0",
               "-W", "ignore::pytest.PytestAssertRewriteWarning"]


def _preload() -> None:
    """Import the test machinery once in this process; each mutant's run forks from it, so
    only the project's own modules are imported per mutant. The project itself must not
    be imported here (the child imports the copy that holds the mutant)."""
    for name in ("pytest", "hypothesis", "hypothesis.strategies", "PySide6.QtCore",
                 "PySide6.QtGui", "PySide6.QtWidgets"):
        try:
            __import__(name)
        except ImportError:
            pass
    assert not any(m == "hallclient" or m.startswith("hallclient.") for m in sys.modules)


def _forked_pytest(work: Path, tests: list[str]) -> None:
    """In the forked child: run the tests against ``work`` and exit with pytest's code."""
    code = 3
    try:
        os.chdir(work)
        sys.path.insert(0, str(work))
        sys.dont_write_bytecode = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        import pytest

        code = int(pytest.main([*PYTEST_ARGS, *tests]))
    finally:
        os._exit(code)


def _run_tests(work: Path, tests: list[str], timeout: float) -> tuple[str, float]:
    started = time.monotonic()
    if hasattr(os, "fork"):
        os.environ["PYTHONHASHSEED"] = "0"
        pid = os.fork()
        if pid == 0:
            _forked_pytest(work, tests)
        status = None
        while time.monotonic() - started < timeout:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.05)
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return "timeout", time.monotonic() - started
        returncode = os.waitstatus_to_exitcode(status)
    else:
        env = {**os.environ, "PYTHONPATH": str(work), "PYTHONDONTWRITEBYTECODE": "1"}
        try:
            returncode = subprocess.run(
                [sys.executable, "-m", "pytest", *PYTEST_ARGS, *tests], cwd=work, env=env,
                capture_output=True, timeout=timeout, check=False).returncode
        except subprocess.TimeoutExpired:
            return "timeout", time.monotonic() - started
    seconds = time.monotonic() - started
    if returncode == 0:
        return "passed", seconds
    if returncode == 1:
        return "failed", seconds
    return f"error {returncode}", seconds


def run(module: str, tests: list[str], sample: int | None, seed: int,
        timeout: float | None = None, echo: bool = True) -> list[Outcome]:
    """Mutate ``module`` (a path under the project), run ``tests`` against each sampled
    mutant, and return what happened to each."""
    path = (ROOT / module).resolve()
    relative = path.relative_to(ROOT)
    source = path.read_text(encoding="utf-8")
    every = mutants(source)
    chosen = (sorted(random.Random(seed).sample(every, sample), key=lambda m: m.index)
              if sample is not None and sample < len(every) else every)
    _preload()
    with tempfile.TemporaryDirectory(prefix="mutants-") as tmp:
        work = Path(tmp)
        _copy_project(work)
        target = work / relative
        baseline, base_s = _run_tests(work, tests, timeout or 600)
        if baseline != "passed":
            raise SystemExit(f"the tests do not pass on the unchanged code ({baseline})")
        limit = timeout or max(30.0, base_s * 5)
        outcomes = []
        for m in chosen:
            try:
                text = mutated_source(source, m.index)
                compile(text, str(relative), "exec")
            except (SyntaxError, ValueError) as err:
                outcomes.append(Outcome(m, True, f"broken ({err})", 0.0))
                continue
            target.write_text(text, encoding="utf-8")
            result, seconds = _run_tests(work, tests, limit)
            target.write_text(source, encoding="utf-8")
            killed = result != "passed"
            outcome = Outcome(m, killed, "survived" if not killed else
                              ("tests failed" if result == "failed" else result), seconds)
            outcomes.append(outcome)
            if echo:
                mark = "killed  " if killed else "SURVIVED"
                print(f"  {mark} {relative}:{m.line}  {m.change}", flush=True)
    return outcomes


# The domain modules and the fast tests that should catch their mistakes (``--domain``)
DOMAIN_TESTS: dict[str, list[str]] = {
    "hallclient/core/accounts.py": ["tests/unit/test_core_bits.py"],
    "hallclient/core/announce.py": ["tests/unit/test_core_bits.py"],
    "hallclient/core/bundle.py": ["tests/unit/test_stored_bundle.py",
                                  "tests/unit/test_bundles.py"],
    "hallclient/core/cases.py": ["tests/unit/test_cases.py", "tests/unit/test_case_desk.py"],
    "hallclient/core/catalog.py": ["tests/unit/test_catalog.py"],
    "hallclient/core/clock.py": ["tests/unit/test_core_bits.py"],
    "hallclient/core/evaluation.py": ["tests/unit/test_evaluation.py"],
    "hallclient/core/eventlog.py": ["tests/unit/test_stored_bundle.py",
                                    "tests/unit/test_event_log.py"],
    "hallclient/core/hall.py": ["tests/unit/test_local_queue.py"],
    "hallclient/core/queue_policy.py": ["tests/unit/test_queue_policy.py"],
    "hallclient/core/scancodes.py": ["tests/unit/test_core_bits.py"],
    "hallclient/core/tickets.py": ["tests/unit/test_core_bits.py",
                                   "tests/unit/test_local_queue.py"],
    "hallclient/core/validators.py": ["tests/unit/test_validators.py"],
    "hallclient/core/workdays.py": ["tests/unit/test_case_desk.py"],
    "hallclient/reports/records.py": ["tests/unit/test_report_replay.py"],
    "hallclient/reports/replay.py": ["tests/unit/test_report_replay.py",
                                     "tests/unit/test_stored_bundle.py",
                                     "tests/unit/test_report.py"],
    "hallclient/reports/figures.py": ["tests/unit/test_report.py"],
}


def summary(module: str, outcomes: list[Outcome]) -> dict[str, object]:
    killed = sum(1 for o in outcomes if o.killed)
    return {"module": module, "mutants": len(outcomes), "killed": killed,
            "survived": [asdict(o.mutant) for o in outcomes if not o.killed],
            "score": round(killed / len(outcomes), 3) if outcomes else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", nargs="?",
                        help="the module to mutate, e.g. hallclient/core/cases.py")
    parser.add_argument("--tests", action="append",
                        help="a test file or node id to run per mutant (repeatable; default:"
                             " the module's tests in DOMAIN_TESTS)")
    parser.add_argument("--domain", action="store_true",
                        help="every module in DOMAIN_TESTS, each with its own tests")
    parser.add_argument("--sample", type=int, help="mutants to draw (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, help="seconds per mutant (default 5x baseline)")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--json", type=Path, help="also write the result as JSON here")
    args = parser.parse_args(argv)
    modules = list(DOMAIN_TESTS) if args.domain else [args.module]
    if not modules or modules == [None]:
        parser.error("name a module, or --domain")
    if args.list:
        for module in modules:
            for m in mutants((ROOT / module).read_text(encoding="utf-8")):
                print(f"{m.index:4d} {module}:{m.line}  {m.change}")
        return 0
    results = []
    for module in modules:
        tests = args.tests or DOMAIN_TESTS.get(module)
        if not tests:
            parser.error(f"no tests known for {module}: give --tests")
        outcomes = run(module, tests, args.sample, args.seed, args.timeout)
        result = summary(module, outcomes)
        results.append(result)
        print(f"{module}: {result['killed']}/{result['mutants']} killed"
              + (f" ({result['score']:.0%})" if outcomes else ""), flush=True)
    if len(results) > 1:
        killed = sum(int(str(r["killed"])) for r in results)
        total = sum(int(str(r["mutants"])) for r in results)
        print(f"all: {killed}/{total} killed ({killed / total:.0%})" if total else "all: none")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n",
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
