"""Hall server load benchmark (not a test; loopback only, bounded in time).

    python bench/bench_hall.py [--windows 100] [--kiosks 5] [--seconds 60] [--subscribers 10]
                               [--real-counters]

The hall server runs as its own process (``hallclient hall-server serve``). ``--windows``
simulated counters (threads in 4 client processes, each its own requests Session and
device token) call, start and finish as fast as applicants arrive, with a short service
time; ``--kiosks`` kiosks issue tickets for ``--seconds``; ``--subscribers`` panels follow
the event stream. After the kiosks stop, windows drain the queue. Prints calls/s,
p50/p99/max call latency (target p99 <= 50 ms), double calls, lost tickets, the events
each panel received, and the server's peak and final memory. With ``--real-counters`` each
window is the counter's own HallQueue (event stream, snapshot reads) instead of bare requests.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from queue import Empty, SimpleQueue
from typing import Any

import requests

from hallclient.wire import HALL_API as API

SERVICES = [f"S{i}" for i in range(10)]
WARM_UP_S = 1.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def hall_spec(windows: int) -> dict[str, Any]:
    services = [{"code": c, "name": f"业务{c}", "prefix": chr(ord("A") + i)}
                for i, c in enumerate(SERVICES)]
    # each window serves three services, weighted, so lanes overlap as in a real hall
    spec = []
    for n in range(1, windows + 1):
        mine = {SERVICES[(n + k) % len(SERVICES)]: 3 - k for k in range(3)}
        spec.append({"number": n, "name": f"窗口{n}", "services": mine})
    return {"services": services, "windows": spec}


def prepare(root: Path, windows: int, kiosks: int, subscribers: int) -> dict[str, str]:
    from hallclient.servers.hall_devices import add_device
    from hallclient.servers.hall_store import open_server_db
    from hallclient.store import hall_repo
    from hallclient.wire.hall import DeviceKind

    db = open_server_db(root / "hall-server")
    with db.write() as conn:
        hall_repo.import_hall(conn, hall_spec(windows))
    tokens = {f"W{n}": add_device(db, f"W{n}", DeviceKind.COUNTER, n)
              for n in range(1, windows + 1)}
    tokens |= {f"K{n}": add_device(db, f"K{n}", DeviceKind.KIOSK) for n in range(kiosks)}
    tokens |= {f"P{n}": add_device(db, f"P{n}", DeviceKind.PANEL) for n in range(subscribers)}
    db.close()
    return tokens


def post(session: requests.Session, url: str, body: dict[str, Any]) -> Any:
    r = session.post(url, json=body, timeout=10)
    if r.status_code >= 400:
        raise RuntimeError(f"{url}: {r.status_code} {r.text[:200]}")
    return r.json()


def window_loop(url: str, window: int, token: str, stop_issue: threading.Event,
                go: threading.Event, out: dict[str, list[Any]]) -> None:
    rnd = random.Random(window)
    base = f"{url}{API}/windows/{window}"
    with requests.Session() as s:
        s.headers["Authorization"] = f"Bearer {token}"
        post(s, f"{base}/sign-in", {"clerk": f"c{window}"})
        out["ready"].append(window)
        go.wait()
        time.sleep(rnd.random() * 0.5)      # clerks do not press F1 in lockstep
        while True:
            t0 = time.perf_counter()
            answer = post(s, f"{base}/call-next", {"clerk": f"c{window}"})
            # steady state (kiosks issuing) and the drain after they stop, kept apart
            out["drain" if stop_issue.is_set() else "latency"].append(time.perf_counter() - t0)
            out["when"].append((time.time(), time.perf_counter() - t0, stop_issue.is_set()))
            ticket = answer["result"]
            if ticket is None:
                if stop_issue.is_set():
                    # the kiosks stopped: one more look, then this window is done
                    if post(s, f"{base}/call-next", {"clerk": f"c{window}"})["result"] is None:
                        return
                    raise RuntimeError("unreachable: the last look found someone")
                time.sleep(0.2 + rnd.random() * 0.3)
                continue
            out["called"].append(ticket["id"])
            post(s, f"{base}/start", {"clerk": f"c{window}", "ticket_id": ticket["id"]})
            if not stop_issue.is_set():
                time.sleep(0.5 + rnd.random() * 1.5)       # the service itself
            post(s, f"{base}/finish", {"clerk": f"c{window}", "ticket_id": ticket["id"]})


def counter_loop(url: str, window: int, token: str, stop_issue: threading.Event,
                 go: threading.Event, out: dict[str, list[Any]], work: str) -> None:
    """A window as the counter app runs it: HallQueue with its event stream, each event
    handed to the next snapshot read (as QueueService does with the events it is sent)."""
    from hallclient.core.clock import local_now
    from hallclient.queue.hall import HallQueue
    from hallclient.store.db import open_database

    rnd = random.Random(window)
    db = open_database(Path(work) / f"w{window}.sqlite3")
    heard: SimpleQueue[dict[str, Any]] = SimpleQueue()
    q = HallQueue(db, url, token, local_now, listen=True, on_event=heard.put,
                  on_link=lambda _up: heard.put({"event": "link", "data": {}}))
    clerk = f"c{window}"

    def idle(seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            try:
                news = [heard.get(timeout=left)]
            except Empty:
                return
            while not heard.empty():
                news.append(heard.get())
            q.snapshot(window, news)

    try:
        q.sign_in(window, clerk)
        out["ready"].append(window)
        go.wait()
        idle(rnd.random() * 0.5)
        while True:
            t0 = time.perf_counter()
            ticket = q.call_next(window, clerk)
            out["drain" if stop_issue.is_set() else "latency"].append(time.perf_counter() - t0)
            out["when"].append((time.time(), time.perf_counter() - t0, stop_issue.is_set()))
            q.snapshot(window)
            if ticket is None:
                if stop_issue.is_set():
                    if q.call_next(window, clerk) is None:
                        return
                    raise RuntimeError("unreachable: the last look found someone")
                idle(0.2 + rnd.random() * 0.3)
                continue
            out["called"].append(ticket.id)
            q.start(window, clerk, ticket.id)
            if not stop_issue.is_set():
                idle(0.5 + rnd.random() * 1.5)
            q.finish(window, clerk, ticket.id)
            q.snapshot(window)
    finally:
        out["fetches"].append(q.fetches)
        q.close()
        db.close()


def windows_process(url: str, windows: list[int], tokens: dict[str, str], stop_file: str,
                    go_file: str, queue: Any, real: bool = False) -> None:
    out: dict[str, list[Any]] = {"latency": [], "drain": [], "called": [], "when": [],
                                 "ready": [], "fetches": []}
    stop_issue, go = threading.Event(), threading.Event()
    work = tempfile.mkdtemp(prefix="bench-counters-")
    threads = [threading.Thread(target=counter_loop, args=(url, w, tokens[f"W{w}"], stop_issue,
                                                           go, out, work))
               if real else
               threading.Thread(target=window_loop, args=(url, w, tokens[f"W{w}"], stop_issue,
                                                          go, out)) for w in windows]
    for t in threads:
        t.start()
    while len(out["ready"]) < len(windows):
        time.sleep(0.01)
    Path(f"{go_file}.ready-{os.getpid()}").touch()
    while not Path(go_file).exists():
        time.sleep(0.01)
    go.set()
    while not Path(stop_file).exists():
        time.sleep(0.05)
    stop_issue.set()
    for t in threads:
        t.join()
    queue.put(out)


def kiosk_loop(url: str, token: str, seconds: float, rate: float, out: list[int],
               seed: int) -> None:
    rnd = random.Random(seed)
    end = time.monotonic() + seconds
    with requests.Session() as s:
        s.headers["Authorization"] = f"Bearer {token}"
        while time.monotonic() < end:
            body = {"service": rnd.choice(SERVICES), "priority": rnd.choice((0, 0, 0, 0, 1, 2))}
            out.append(post(s, f"{url}{API}/tickets", body)["ticket"]["id"])
            time.sleep(rnd.expovariate(rate))


def panel_loop(url: str, token: str, stop: threading.Event, counts: list[int]) -> None:
    try:
        with requests.get(f"{url}{API}/events", stream=True, timeout=(5, 60),
                          headers={"Authorization": f"Bearer {token}"}) as r:
            for chunk in r.iter_content(chunk_size=None):
                counts[0] += chunk.count(b"event: queue")
                if stop.is_set():
                    return
    except requests.RequestException:
        return          # the server stopped at the end of the run


def server_memory(pid: int) -> tuple[float, float]:
    fields = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            name, _, value = line.partition(":")
            fields[name] = value.strip()
    return int(fields["VmHWM"].split()[0]) / 1024, int(fields["VmRSS"].split()[0]) / 1024


def server_cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--windows", type=int, default=100)
    parser.add_argument("--kiosks", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--subscribers", type=int, default=10)
    parser.add_argument("--issue-rate", type=float, default=8.0, help="tickets/s per kiosk")
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--real-counters", action="store_true",
                        help="windows run HallQueue as the counter app does: each with its own"
                             " event stream and snapshot reads (200 client threads)")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bench-hall-"))
    tokens = prepare(root, args.windows, args.kiosks, args.subscribers)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "hallclient", "--data-dir", str(root),
                               "hall-server", "serve", "--host", "127.0.0.1", "--port",
                               str(port)], stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            requests.get(url + API + "/health", timeout=1)
            break
        except requests.RequestException:
            time.sleep(0.05)
    print(f"hall server pid {server.pid} on {url}; {args.windows} windows, {args.kiosks} kiosks,"
          f" {args.subscribers} event subscribers, {args.seconds:.0f} s", flush=True)

    stop_panels = threading.Event()
    panel_counts = [[0] for _ in range(args.subscribers)]
    panels = [threading.Thread(target=panel_loop, args=(url, tokens[f"P{i}"], stop_panels,
                                                         panel_counts[i]), daemon=True)
              for i in range(args.subscribers)]
    for p in panels:
        p.start()

    ctx = multiprocessing.get_context("spawn")
    results: Any = ctx.Queue()
    stop_file = root / "kiosks-stopped"
    groups = [list(range(1 + i, args.windows + 1, args.client_processes))
              for i in range(args.client_processes)]
    go_file = root / "go"
    procs = [ctx.Process(target=windows_process, args=(url, g, tokens, str(stop_file),
                                                       str(go_file), results,
                                                       args.real_counters)) for g in groups]
    for p in procs:
        p.start()
    # every window signed in (client processes started) before anyone calls
    while len(list(root.glob("go.ready-*"))) < len(procs):
        time.sleep(0.05)
    go_file.touch()
    issued: list[int] = []
    start = time.monotonic()
    kiosks = [threading.Thread(target=kiosk_loop, args=(url, tokens[f"K{k}"], args.seconds,
                                                       args.issue_rate, issued, k))
              for k in range(args.kiosks)]
    peak = 0.0
    for k in kiosks:
        k.start()
    while any(k.is_alive() for k in kiosks):
        peak = max(peak, server_memory(server.pid)[0])
        time.sleep(0.5)
    stop_file.touch()
    outs = [results.get(timeout=300) for _ in procs]
    elapsed = time.monotonic() - start
    for p in procs:
        p.join()
    time.sleep(0.5)
    stop_panels.set()
    if os.environ.get("BENCH_SERIES"):
        series = sorted(x for o in outs for x in o["when"])
        t0 = series[0][0]
        for second in range(int(series[-1][0] - t0) + 1):
            part = sorted(ms * 1000 for t, ms, _ in series if second <= t - t0 < second + 1)
            if part:
                print(f"  t={second:3d}s n={len(part):4d} p50={statistics.median(part):6.1f}"
                      f" p99={part[int(len(part) * 0.99) - 1 if len(part) > 1 else 0]:6.1f}")
    hwm, rss = server_memory(server.pid)
    cpu = server_cpu_seconds(server.pid)
    server.terminate()
    server.wait(timeout=10)

    latency = sorted(x * 1000 for o in outs for x in o["latency"])
    drain = sorted(x * 1000 for o in outs for x in o["drain"])
    called = [t for o in outs for t in o["called"]]
    doubles = len(called) - len(set(called))
    lost = len(set(issued) - set(called))
    p50 = statistics.median(latency)
    p99 = latency[int(len(latency) * 0.99) - 1]
    events = [c[0] for c in panel_counts]
    print(f"tickets issued {len(issued)}, served {len(set(called))} in {elapsed:.1f} s")
    print(f"call-next requests while issuing {len(latency)} ({len(latency) / args.seconds:.1f}/s);"
          f" calls that got a ticket {len(called) / elapsed:.1f}/s")
    print(f"call-next latency while issuing: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {latency[-1]:.1f} ms"
          f"  (target p99 <= 50 ms: ratio {p99 / 50:.2f})")
    series = sorted(x for o in outs for x in o["when"])
    settled = sorted(ms * 1000 for t, ms, draining in series
                     if t - series[0][0] >= WARM_UP_S and not draining)
    if settled:
        s99 = settled[int(len(settled) * 0.99) - 1]
        print(f"  without the first {WARM_UP_S:.0f} s (every window's first call at once):"
              f" p50 {statistics.median(settled):.1f} ms, p99 {s99:.1f} ms, ratio {s99 / 50:.2f}")
    if drain:
        print(f"drain after the kiosks stopped ({len(drain)} calls, no service time, every window"
              f" calling back to back): p50 {statistics.median(drain):.1f} ms,"
              f" p99 {drain[int(len(drain) * 0.99) - 1]:.1f} ms")
    fetches = [f for o in outs for f in o["fetches"]]
    if fetches:
        print(f"snapshot reads over HTTP per counter: mean {statistics.mean(fetches):.0f},"
              f" max {max(fetches)} (the rest came from actions' answers and the event stream)")
    print(f"double calls {doubles}, lost tickets {lost}")
    print(f"events per panel: min {min(events) if events else 0}, max {max(events) if events else 0}")
    print(f"server CPU: {cpu:.1f} s over {elapsed:.1f} s ({cpu / elapsed * 100:.0f}% of one core)")
    print(f"server memory: peak {max(peak, hwm):.0f} MiB, at end {rss:.0f} MiB")
    print(f"(client processes: {len(procs)} + this one; cores: {os.cpu_count()})")


if __name__ == "__main__":
    main()
