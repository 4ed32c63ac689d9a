"""Fuzz one of the project's HTTP servers with schemathesis, seeded, and count what matters.

    python tools/fuzz_api.py http://127.0.0.1:8720 [--token T] [--seed 1] [--examples 20]
        [--steps 10] [--exclude REGEX] [--json]

Reads ``/openapi.json`` from the base URL and runs every phase (examples, coverage, fuzzing
and the stateful phase that chains the answers of one operation into the next) with every
check schemathesis has (``--checks all``); event streams are read for at most a few events,
each request has a time limit. ``--token`` sends ``Authorization: Bearer T`` on every
request (without it the run is an anonymous client's). Prints:

    requests N
    responses >= 500: N
    schema violations: N        (status code, content type, headers or body not as documented)
    other failed checks: N      (accepted invalid data, refused valid data, ignored auth ...)

and one line per distinct failure (check, operation, status, a body excerpt). The exit code
is 1 when a response was >= 500 or a schema violation was found.

``fuzz()`` does the same from Python, for a base URL or an ASGI application (served on a
loopback port for the run), and returns the counts; the test suite runs it sized to fit.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

SCHEMA_CHECKS = frozenset({"status_code_conformance", "content_type_conformance",
                           "response_headers_conformance", "response_schema_conformance",
                           "allow_header_conformance"})


@dataclass
class FuzzResult:
    requests: int = 0
    server_errors: int = 0                   # responses >= 500 (or no answer at all)
    schema_violations: int = 0
    other_failures: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    findings: dict[tuple[str, str, str], str] = field(default_factory=dict)  # distinct ones
    errors: list[str] = field(default_factory=list)    # the run itself failed somewhere

    @property
    def clean(self) -> bool:
        return not self.server_errors and not self.schema_violations and not self.errors

    def summary(self) -> str:
        lines = [f"requests {self.requests}", f"responses >= 500: {self.server_errors}",
                 f"schema violations: {self.schema_violations}",
                 f"other failed checks: {self.other_failures}",
                 "statuses: " + ", ".join(f"{k}×{v}" for k, v in sorted(self.statuses.items()))]
        for (check, operation, status), excerpt in sorted(self.findings.items()):
            lines.append(f"  {check}  {operation}  [{status}]  {excerpt}")
        lines += [f"  run error: {e}" for e in self.errors]
        return "\n".join(lines)


def fuzz(target: Any, token: str | None = None, *, seed: int = 1, examples: int = 20,
         steps: int = 10, request_timeout: float = 10.0, stream_events: int = 3,
         openapi_path: str = "/openapi.json", exclude: str | None = None,
         progress: bool = False) -> FuzzResult:
    """Run schemathesis against ``target`` (a base URL, or an ASGI application) and count;
    ``exclude`` is a regular expression of paths left alone."""
    if isinstance(target, str):
        return _run(target.rstrip("/"), token, seed, examples, steps, request_timeout,
                    stream_events, openapi_path, exclude, progress)
    with _served(target) as url:
        return _run(url, token, seed, examples, steps, request_timeout, stream_events,
                    openapi_path, exclude, progress)


def _run(base: str, token: str | None, seed: int, examples: int, steps: int,
         request_timeout: float, stream_events: int, openapi_path: str,
         exclude: str | None, progress: bool) -> FuzzResult:
    import schemathesis
    from schemathesis.config import SchemathesisConfig
    from schemathesis.engine import events, from_schema

    config = SchemathesisConfig.from_dict({
        "seed": seed, "workers": 1, "continue-on-failure": True,
        "request-timeout": request_timeout, "max-stream-events": stream_events,
        "headers": {"Authorization": f"Bearer {token}"} if token else {},
        "generation": {"mode": "all", "max-examples": examples, "database": "none"},
        "checks": {"enabled": True},
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True},
                   "fuzzing": {"enabled": True},
                   "stateful": {"enabled": True, "max-steps": steps}},
        "suppress-health-check": ["all"],
        "warnings": False,
    })
    schema = schemathesis.openapi.from_url(base + openapi_path, config=config)
    if exclude:
        schema = schema.exclude(path_regex=exclude)
    result = FuzzResult()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            _count(result, event.recorder)
            if progress:
                print(f"{event.phase.name if hasattr(event.phase, 'name') else event.phase}"
                      f" {event.recorder.label}: {result.requests} requests so far",
                      file=sys.stderr, flush=True)
        elif isinstance(event, events.NonFatalError):
            result.errors.append(f"{event.label}: {event.info.message}"[:300])
        elif isinstance(event, events.FatalError):
            result.errors.append(f"fatal: {event.exception!r}"[:300])
    return result


def _count(result: FuzzResult, recorder: Any) -> None:
    operations = {case_id: node.value.operation.label for case_id, node in recorder.cases.items()}
    for case_id, interaction in recorder.interactions.items():
        result.requests += 1
        response = interaction.response
        status = response.status_code if response is not None else 0
        result.statuses[status] += 1
        if status >= 500 or response is None:
            result.server_errors += 1
            excerpt = (response.content[:160].decode("utf-8", "replace") if response is not None
                       else "no answer")
            result.findings.setdefault(("server_error", operations.get(case_id, "?"),
                                        str(status)), excerpt)
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.failure_info is None or check.name == "not_a_server_error":
                continue
            if check.name in SCHEMA_CHECKS:
                result.schema_violations += 1
            else:
                result.other_failures += 1
            failure = check.failure_info.failure
            interaction = recorder.interactions.get(case_id)
            status = (str(interaction.response.status_code)
                      if interaction is not None and interaction.response is not None else "-")
            key = (check.name, operations.get(case_id, "?"), status)
            result.findings.setdefault(key, " ".join(
                f"{failure.title}: {failure.message}".split())[:200])


@contextmanager
def _served(app: Any) -> Iterator[str]:
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="fuzz-target", daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the application could not be served")
        threading.Event().wait(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url", help="the server's base URL, e.g. http://127.0.0.1:8720")
    parser.add_argument("--token", help="a device token sent as Authorization: Bearer")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--examples", type=int, default=20, help="test cases per operation")
    parser.add_argument("--steps", type=int, default=10, help="stateful steps per scenario")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    parser.add_argument("--exclude", metavar="REGEX",
                        help="paths to leave alone, e.g. the simulator's fault switch: /admin/faults")
    parser.add_argument("--progress", action="store_true", help="say each operation done (stderr)")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    args = parser.parse_args(argv)
    result = fuzz(args.base_url, args.token, seed=args.seed, examples=args.examples,
                  steps=args.steps, request_timeout=args.timeout, exclude=args.exclude,
                  progress=args.progress)
    if args.json:
        print(json.dumps({"requests": result.requests, "server_errors": result.server_errors,
                          "schema_violations": result.schema_violations,
                          "other_failures": result.other_failures,
                          "findings": [list(k) + [v] for k, v in sorted(result.findings.items())],
                          "errors": result.errors}, ensure_ascii=False, indent=1))
    else:
        print(result.summary())
    return 0 if result.clean else 1


if __name__ == "__main__":
    sys.exit(main())
