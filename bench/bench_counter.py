"""Counter benchmarks (not tests): start-up, call-next latency, peak memory.

    python bench/bench_counter.py [--runs 7] [--waiting 10000] [--calls 1000]

Start-up is timed from process spawn to the first paint event of the main window, for
`hallclient --self-test` and for a bare PySide6 QMainWindow in the same run; the target
ratio is <= 2.0. Peak memory: the self-test's own process <= 160 MiB (its platform
simulator and module walk run as processes of their own and are shown apart); a normal
start (the counter with its own data folder, at the sign-in page, settled) <= 110 MiB.
Call-next is timed on a real SQLite file (WAL, synchronous=FULL) holding ``--waiting``
waiting tickets; the target p99 is <= 5 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

BARE = r"""
import sys
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow
app = QApplication(sys.argv[:1])
w = QMainWindow()
w.setCentralWidget(QLabel("bare"))
class P(QObject):
    def eventFilter(self, o, e):
        if e.type() == QEvent.Type.Paint:
            print("FIRST_PAINT", file=sys.stderr, flush=True)
            app.quit()
        return False
p = P()
w.installEventFilter(p)
w.show()
app.exec()
"""


def time_to_first_paint(argv: list[str], env: dict[str, str]) -> tuple[float, float, int, int]:
    """(seconds to FIRST_PAINT, seconds to exit, peak RSS in KiB of the child alone, and
    of the child or any process it started — the platform simulator, the module walk)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, env=env)
    first, own = None, 0
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("FIRST_PAINT") and first is None:
            first = time.perf_counter() - start
        if line.startswith("PEAK_RSS_KIB "):
            own = int(line.split()[1])
    _, status, usage = os.wait4(proc.pid, 0)
    total = time.perf_counter() - start
    if first is None or os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{argv} did not paint / exit cleanly")
    return first, total, own or usage.ru_maxrss, usage.ru_maxrss


def bench_startup(runs: int) -> dict[str, float]:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
           "HALLCLIENT_STARTUP_TRACE": "1"}      # the self-test says FIRST_PAINT on stderr
    bare, app, app_total, rss, tree_rss = [], [], [], [], []
    for _ in range(runs):   # interleaved, so machine noise hits both alike
        b = time_to_first_paint([sys.executable, "-c", BARE], env)
        a = time_to_first_paint([sys.executable, "-m", "hallclient", "--self-test"], env)
        bare.append(b[0])
        app.append(a[0])
        app_total.append(a[1])
        rss.append(a[2])
        tree_rss.append(a[3])
    return {
        "bare_first_paint_ms": statistics.median(bare) * 1000,
        "app_first_paint_ms": statistics.median(app) * 1000,
        "ratio": statistics.median(app) / statistics.median(bare),
        "app_selftest_total_ms": statistics.median(app_total) * 1000,
        "app_peak_rss_mib": max(rss) / 1024,
        "app_tree_peak_rss_mib": max(tree_rss) / 1024,
    }


def normal_start_rss(runs: int, settle_s: float = 5.0) -> dict[str, float]:
    """``hallclient --data-dir D`` (a counter PC's start): once its log says the sign-in page
    is ready and it had ``settle_s`` to finish what follows, its resident memory; then
    SIGTERM. The first run creates the database, the others open it."""
    import signal

    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    peaks = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        for _ in range(runs):
            proc = subprocess.Popen([sys.executable, "-m", "hallclient", "--data-dir", str(data)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            log = data / "logs" / "hallclient.log"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
                if text.count("sign-in page ready") > len(peaks):
                    break
                time.sleep(0.05)
            else:
                proc.kill()
                raise RuntimeError("the counter did not reach its sign-in page")
            time.sleep(settle_s)
            status = Path(f"/proc/{proc.pid}/status").read_text()
            peaks.append(int(next(line for line in status.splitlines()
                                  if line.startswith("VmHWM")).split()[1]))
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    return {"normal_start_peak_rss_mib": max(peaks) / 1024}


def fill_queue(path: Path, waiting: int) -> None:
    """Put ``waiting`` tickets in the queue in one transaction (as a busy day would)."""
    from hallclient.core.clock import local_now
    from hallclient.core.tickets import PriorityClass, TicketState, format_number
    from hallclient.queue.local import LocalQueue
    from hallclient.store import queue_repo
    from hallclient.store.db import open_database

    db = open_database(path)
    q = LocalQueue(db)
    q.import_hall({
        "services": [{"code": c, "name": c, "prefix": p}
                     for c, p in (("ZH", "A"), ("SC", "B"), ("RS", "C"), ("BDC", "D"))],
        "windows": [{"number": 1, "services": {"ZH": 3, "SC": 1, "RS": 1, "BDC": 1}}],
    })
    now = local_now()
    day, base_ms = now.date().isoformat(), int(now.timestamp() * 1000) - waiting * 1000
    with db.write() as conn:
        for i in range(waiting):
            prefix, code = (("A", "ZH"), ("B", "SC"), ("C", "RS"), ("D", "BDC"))[i % 4]
            seq = queue_repo.next_seq(conn, day, prefix)
            queue_repo.insert(
                conn, uid=str(uuid.uuid4()), day=day, seq=seq, number=format_number(prefix, seq),
                service=code, priority=int(PriorityClass.GREEN if i % 11 == 0 else PriorityClass.NORMAL),
                state=TicketState.WAITING.value, issued_at=now.isoformat(), sort_at_ms=base_ms + i * 1000,
            )
    db.close()


def bench_call_next(waiting: int, calls: int) -> dict[str, float]:
    from hallclient.queue.local import LocalQueue
    from hallclient.store.db import open_database

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        fill_queue(path, waiting)
        db = open_database(path)
        q = LocalQueue(db)
        q.sign_in(1, "bench")
        timings = []
        for _ in range(calls):
            t0 = time.perf_counter()
            ticket = q.call_next(1, "bench")
            timings.append(time.perf_counter() - t0)
            assert ticket is not None
            q.no_show(1, "bench", ticket.id)
            q.reactivate(1, "bench", ticket.number)   # keep the queue at ``waiting``
        remaining = sum(sum(c.values()) for c in q.waiting_counts().values())
        db.close()
    timings.sort()
    return {
        "waiting_tickets": remaining,
        "calls": calls,
        "call_next_median_ms": statistics.median(timings) * 1000,
        "call_next_p99_ms": timings[int(len(timings) * 0.99) - 1] * 1000,
        "call_next_max_ms": timings[-1] * 1000,
        "bench_peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--waiting", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {**bench_startup(args.runs), **normal_start_rss(max(2, args.runs // 2)),
               **bench_call_next(args.waiting, args.calls)}
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"start-up to first paint: bare PySide6 {results['bare_first_paint_ms']:.0f} ms,"
          f" hallclient {results['app_first_paint_ms']:.0f} ms,"
          f" ratio {results['ratio']:.2f} (target <= 2.0)")
    print(f"self-test total: {results['app_selftest_total_ms']:.0f} ms;"
          f" peak RSS {results['app_peak_rss_mib']:.0f} MiB (target <= 160;"
          f" with its simulator and module walk {results['app_tree_peak_rss_mib']:.0f} MiB)")
    print(f"normal start, settled at the sign-in page: peak RSS"
          f" {results['normal_start_peak_rss_mib']:.0f} MiB (target <= 110)")
    print(f"call next with {results['waiting_tickets']} waiting, {results['calls']} calls:"
          f" median {results['call_next_median_ms']:.2f} ms, p99 {results['call_next_p99_ms']:.2f} ms"
          f" (target <= 5), max {results['call_next_max_ms']:.2f} ms;"
          f" peak RSS {results['bench_peak_rss_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
