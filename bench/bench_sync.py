"""Sync benchmark (not a test): drain a backlog to platform_sim on loopback.

    python bench/bench_sync.py [--cases 2000] [--files 3] [--kib 200] [--fault-rate R]

The engine drains ``--cases`` committed cases with ``--files`` attachments of ``--kib`` KiB
each; a bare requests loop then uploads the same bytes (blobs + a case body per case) to a
fresh simulator in the same run. Prints cases/s, MB/s, the ratio (target >= 0.7) and the
client's RSS while draining (it should stay flat). Each simulator is its own process.

With ``--fault-rate R`` the engine drains the same backlog twice in the run, to a clean
simulator and to one that breaks that share of requests (seeded: half answered 500/502/503,
half handled and then cut mid-answer), and prints ``ratio X`` = throughput with faults ÷
throughput without (target >= 0.5 at R = 0.3) and the client's RSS in both. A drain that has
not finished after ``--max-seconds`` is measured by the cases it got up by then.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import requests

from hallclient import resources
from hallclient.core.catalog import parse_item
from hallclient.platform.client import PlatformClient
from hallclient.services.case_desk import CaseDesk
from hallclient.store import catalog_repo, outbox_repo
from hallclient.store.attachments import AttachmentStore
from hallclient.store.db import DB_FILE, open_database
from hallclient.sync.engine import OutboxEngine
from hallclient.sync.mapping import case_body

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # the tests' shared recipes
from tests.recipes import case_draft  # noqa: E402


def rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_sim(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "hallclient", "--data-dir", str(root),
                             "platform-sim", "--port", str(port), "--device", "W01=pw"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.get(url + "/openapi.json", timeout=1)
            return proc, url
        except requests.RequestException:
            time.sleep(0.05)
    raise RuntimeError("platform_sim did not start")


def build_backlog(root: Path, cases: int, files: int, kib: int) -> CaseDesk:
    db = open_database(root / DB_FILE)
    raw = json.loads(resources.path("demo", "catalog.json").read_text(encoding="utf-8"))["items"][0]
    raw = dict(raw, impl_code="BENCH", materials=[
        {"code": f"M{i}", "name": f"材料{i}", "requirement": "required", "form": "copy", "count": 1,
         "standard": "", "condition": ""} for i in range(files)])
    with db.write() as conn:
        catalog_repo.import_items(conn, [raw], "bench")
    item = parse_item(raw)
    desk = CaseDesk(db, AttachmentStore(root / "attachments"), region="330109", device_code="BENCH1")
    rng = random.Random(7)
    for _ in range(cases):
        draft = case_draft(desk, item, scan=lambda _: (
            b"\xff\xd8\xff\xe0" + rng.randbytes(kib * 1024 - 6) + b"\xff\xd9"))
        desk.commit(draft, 1, "bench")
    return desk


def drain(desk: CaseDesk, url: str, faulty: bool = False,
          max_seconds: float = 1e9) -> tuple[float, int, list[float]]:
    """Run the engine until the backlog is up (or ``max_seconds``): (seconds, cases up, RSS)."""
    client = PlatformClient(url, "W01", "pw", timeout=(5, 60))
    # the engine has its own connection, as in the app (outcome marks need no fsync: a lost
    # one only means an idempotent resend)
    engine = OutboxEngine(open_database(Path(desk.db.path), synchronous="NORMAL"), desk.attachments,
                          client)
    samples = [rss_mib()]
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < max_seconds:
        report = engine.run_once(limit=100)
        samples.append(rss_mib())
        assert report.attention == 0 and (faulty or report.retried == 0), report.errors
        if report.touched:
            continue
        if not outbox_repo.counts(desk.db.conn).get("pending", 0):
            break
        due = desk.db.conn.execute(                 # rows backing off: wait for the first
            "SELECT min(next_try_at) FROM outbox WHERE state = 'pending'").fetchone()[0]
        wait = (datetime.fromisoformat(due) - datetime.now(timezone.utc)).total_seconds()
        time.sleep(min(max(wait, 0.01), max_seconds - (time.perf_counter() - t0), 5.0))
    elapsed = time.perf_counter() - t0
    up = outbox_repo.counts(desk.db.conn).get("done", 0)
    client.close()
    engine.db.close()
    return elapsed, up, samples


def set_faults(url: str, rate: float, seed: int) -> None:
    """``rate`` of the API requests broken: half answered 5xx before handling, half handled
    and then cut mid-answer (the fault injector rolls for the second after the first)."""
    errors = rate / 2
    resets = (rate - errors) / (1 - errors)
    requests.put(url + "/api/v1/admin/faults", json={
        "error_rate": errors, "reset_rate": resets, "seed": seed}, timeout=5).raise_for_status()


def again(desk: CaseDesk) -> None:
    """Every row pending again, as if nothing had been sent (for a second drain)."""
    with desk.db.write() as conn:
        conn.execute("UPDATE outbox SET state = 'pending', attempts = 0, next_try_at = NULL,"
                     " last_error = NULL")


def bare(desk: CaseDesk, url: str) -> float:
    """The same bytes with a plain requests loop: blobs, then the case body."""
    s = requests.Session()
    token = s.post(url + "/api/v1/auth/token", json={"device_id": "W01", "secret": "pw"},
                   timeout=5).json()["access_token"]
    s.headers["Authorization"] = f"Bearer {token}"
    cases = [desk.load(r[0]) for r in desk.db.conn.execute("SELECT case_no FROM cases ORDER BY id")]
    item = catalog_repo.get(desk.db.conn, "BENCH")
    t0 = time.perf_counter()
    for case in cases:
        for a in case["attachments"]:
            data = desk.attachments.path(a["sha256"]).read_bytes()
            r = s.put(f"{url}/api/v1/blobs/{a['sha256']}", data=data, timeout=60,
                      headers={"Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"})
            assert r.status_code == 201, r.text
        r = s.put(f"{url}/api/v1/cases/{case['uid']}", json=case_body(case, item), timeout=60,
                  headers={"Idempotency-Key": f"{case['uid']}:1"})
        assert r.status_code == 201, r.text
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--files", type=int, default=3)
    parser.add_argument("--kib", type=int, default=200)
    parser.add_argument("--fault-rate", type=float, default=0.0,
                        help="share of requests broken on the second drain (0..0.9)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-seconds", type=float, default=300.0,
                        help="bound on the drain with faults")
    args = parser.parse_args()
    if not 0 <= args.fault_rate <= 0.9:
        parser.error("--fault-rate must be between 0 and 0.9")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        desk = build_backlog(root / "client", args.cases, args.files, args.kib)
        print(f"backlog: {args.cases} cases x {args.files} x {args.kib} KiB committed in "
              f"{time.perf_counter() - t0:.1f} s")
        megabytes = args.cases * args.files * args.kib / 1024
        if args.fault_rate:
            faulty(desk, root, args, megabytes)
            return
        sim1, url1 = start_sim(root / "sim-engine")
        sim2, url2 = start_sim(root / "sim-bare")
        try:
            engine_s, _, samples = drain(desk, url1)
            bare_s = bare(desk, url2)
        finally:
            for proc in (sim1, sim2):
                proc.terminate()
                proc.wait(timeout=10)
        ours, theirs = args.cases / engine_s, args.cases / bare_s
        print(f"engine: {engine_s:.1f} s, {ours:.1f} cases/s, {megabytes / engine_s:.1f} MB/s")
        print(f"bare requests loop: {bare_s:.1f} s, {theirs:.1f} cases/s, {megabytes / bare_s:.1f} MB/s")
        print(f"ratio {ours / theirs:.2f} (target >= 0.7)")
        print_rss(samples)


def faulty(desk: CaseDesk, root: Path, args: argparse.Namespace, megabytes: float) -> None:
    sim1, url1 = start_sim(root / "sim-clean")
    sim2, url2 = start_sim(root / "sim-faults")
    try:
        clean_s, clean_up, clean_rss = drain(desk, url1)
        again(desk)
        set_faults(url2, args.fault_rate, args.seed)
        bad_s, bad_up, bad_rss = drain(desk, url2, faulty=True, max_seconds=args.max_seconds)
        held = requests.get(url2 + "/api/v1/admin/stats", timeout=5).json()
    finally:
        for proc in (sim1, sim2):
            proc.terminate()
            proc.wait(timeout=10)
    clean, bad = clean_up / clean_s, bad_up / bad_s
    print(f"without faults: {clean_up} cases in {clean_s:.1f} s, {clean:.1f} cases/s, "
          f"{megabytes / clean_s:.1f} MB/s")
    print(f"with {args.fault_rate:.0%} of requests failing: {bad_up} cases in {bad_s:.1f} s, "
          f"{bad:.1f} cases/s (the platform holds {held['cases']} cases)")
    if bad_up == args.cases:     # finished: every case the platform holds is marked done
        assert held["cases"] == bad_up, "a case uploaded twice, or held and not marked done"
    print(f"ratio {bad / clean:.3f} (faults ÷ none, target >= 0.5 at 0.3)")
    print("without faults:", end=" ")
    print_rss(clean_rss)
    print("with faults:", end=" ")
    print_rss(bad_rss)


def print_rss(samples: list[float]) -> None:
    quarter = max(1, len(samples) // 4)
    print(f"client RSS while draining: start {samples[min(1, len(samples) - 1)]:.0f} MiB, after 1/4 "
          f"{samples[quarter]:.0f} MiB, end {samples[-1]:.0f} MiB, max {max(samples):.0f} MiB")


if __name__ == "__main__":
    main()
