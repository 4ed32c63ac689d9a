"""Intake benchmarks (not tests).

    python bench/bench_intake.py [--runs 30] [--cases 200000]

1. Commit of a case with 10 materials, 3 of them carrying a 2 MB scan: stage (write, fsync,
   rename) + one-transaction commit through CaseDesk, versus the same bytes written by a bare
   script (file write + fsync + rename, then one sqlite3 transaction, WAL, synchronous=FULL).
   Target ratio <= 1.5.
2. Case search over ``--cases`` stored cases: by case-number prefix, name prefix, ID number,
   status + date range. Target p99 <= 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from hallclient import resources
from hallclient.services.case_desk import CaseDesk
from hallclient.store import catalog_repo
from hallclient.store.attachments import AttachmentStore
from hallclient.store.db import DB_FILE, open_database

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # the tests' shared recipes
from tests.recipes import case_draft  # noqa: E402

SCAN = 2 * 1024 * 1024


def scan(rng: random.Random) -> bytes:
    return b"\xff\xd8\xff\xe0" + rng.randbytes(SCAN - 6) + b"\xff\xd9"


def ten_material_item(desk: CaseDesk):
    from hallclient.core.catalog import parse_item

    raw = json.loads(resources.path("demo", "catalog.json").read_text(encoding="utf-8"))["items"][0]
    raw = dict(raw, impl_code="BENCH-10", materials=[
        {"code": f"M{i:02d}", "name": f"材料{i}", "requirement": "required", "form": "copy",
         "count": 1, "standard": "A4", "condition": ""} for i in range(1, 11)])
    with desk.db.write() as conn:
        catalog_repo.import_items(conn, [raw], "bench")
    return parse_item(raw)


def p99(values: list[float]) -> float:
    values = sorted(values)
    return values[max(0, int(len(values) * 0.99) - 1)]


def bench_commit(runs: int) -> dict[str, float]:
    rng = random.Random(1)
    ours, bare = [], []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        db = open_database(root / "ours" / DB_FILE)
        desk = CaseDesk(db, AttachmentStore(root / "ours" / "attachments"), region="330109")
        item = ten_material_item(desk)
        bare_conn = sqlite3.connect(root / "bare.sqlite3", isolation_level=None)
        bare_conn.execute("PRAGMA journal_mode = WAL")
        bare_conn.execute("PRAGMA synchronous = FULL")
        bare_conn.execute("CREATE TABLE c (id INTEGER PRIMARY KEY, uid TEXT, body TEXT)")
        bare_conn.execute("CREATE TABLE m (case_id INTEGER, code TEXT, sha TEXT)")
        bare_conn.execute("CREATE TABLE o (case_id INTEGER, key TEXT)")
        (root / "bare").mkdir()
        for _ in range(runs):
            scans = [scan(rng) for _ in range(3)]
            # ours
            t0 = time.perf_counter()
            draft = case_draft(desk, item, scan=scans.__getitem__, on_paper=len(item.materials) - 3)
            desk.commit(draft, 1, "bench")
            ours.append(time.perf_counter() - t0)
            # bare: same bytes, same fsyncs, one transaction
            t0 = time.perf_counter()
            names = []
            for data in scans:
                name = uuid.uuid4().hex
                tmpf = root / "bare" / (name + ".tmp")
                with open(tmpf, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmpf, root / "bare" / name)
                names.append(name)
            fd = os.open(root / "bare", os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)
            bare_conn.execute("BEGIN IMMEDIATE")
            cid = bare_conn.execute("INSERT INTO c (uid, body) VALUES (?, ?)",
                                    (str(uuid.uuid4()), "x" * 600)).lastrowid
            bare_conn.executemany("INSERT INTO m VALUES (?, ?, ?)",
                                  [(cid, f"M{i}", names[i] if i < 3 else None) for i in range(10)])
            bare_conn.execute("INSERT INTO o VALUES (?, ?)", (cid, "k"))
            bare_conn.execute("COMMIT")
            bare.append(time.perf_counter() - t0)
        db.close()
        bare_conn.close()
    return {"commit_median_ms": statistics.median(ours) * 1000, "commit_p99_ms": p99(ours) * 1000,
            "bare_median_ms": statistics.median(bare) * 1000, "bare_p99_ms": p99(bare) * 1000,
            "ratio_median": statistics.median(ours) / statistics.median(bare)}


def bench_search(count: int, queries: int = 200) -> dict[str, float]:
    rng = random.Random(2)
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(Path(tmp) / DB_FILE)
        desk = CaseDesk(db, AttachmentStore(Path(tmp) / "att"), region="330109")
        rows = []
        for i in range(count):
            day = f"2026-{1 + i * 11 // count:02d}-{1 + i % 28:02d}"
            rows.append((str(uuid.uuid4()), f"3301092026{day[5:7]}{day[8:10]}BENCH0{i:06d}",
                         "I", "事项", 1, rng.choice((3, 3, 3, 5, 6)), "accept", "person",
                         rng.choice(surnames) + rng.choice(surnames) + "某", "111",
                         f"1101051990{i:08d}", "13800138000", f"{day}T09:00:00", "t", "123456", "t"))
        with db.write() as conn:
            conn.executemany(
                "INSERT INTO cases (uid, case_no, impl_code, item_name, case_type, status, decision,"
                " applicant_kind, applicant_name, id_type, id_number, mobile, received_at, decided_at,"
                " query_password, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        db.conn.execute("ANALYZE")
        kinds = {
            "case_no_prefix": lambda: desk.search(rng.choice(rows)[1][:18]),
            "name_prefix": lambda: desk.search(rng.choice(surnames) + rng.choice(surnames)),
            "id_number": lambda: desk.search("11010519491231002X"),
            "status_and_dates": lambda: desk.search(status=6, day_from="2026-03-01", day_to="2026-03-31"),
            "by_day": lambda: desk.search(day_from="2026-06-15", day_to="2026-06-15"),
        }
        result: dict[str, float] = {"cases": count}
        worst = []
        for name, query in kinds.items():
            timings = []
            for _ in range(queries):
                t0 = time.perf_counter()
                query()
                timings.append(time.perf_counter() - t0)
            result[f"search_{name}_p99_ms"] = p99(timings) * 1000
            worst.append(p99(timings))
        result["search_p99_worst_ms"] = max(worst) * 1000
        db.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--cases", type=int, default=200_000)
    args = parser.parse_args()
    c = bench_commit(args.runs)
    print(f"intake commit (10 materials, 3 x 2 MB scans), {args.runs} runs: median "
          f"{c['commit_median_ms']:.1f} ms, p99 {c['commit_p99_ms']:.1f} ms; bare sqlite3 + files: "
          f"median {c['bare_median_ms']:.1f} ms, p99 {c['bare_p99_ms']:.1f} ms; "
          f"ratio {c['ratio_median']:.2f} (target <= 1.5)")
    s = bench_search(args.cases)
    per_kind = {k[7:-7]: v for k, v in s.items()
                if k.startswith("search_") and k != "search_p99_worst_ms"}
    detail = ", ".join(f"{k} {v:.2f}" for k, v in per_kind.items())
    print(f"case search over {s['cases']:.0f} cases, p99 ms: {detail}; worst "
          f"{s['search_p99_worst_ms']:.2f} ms (target <= 50)")


if __name__ == "__main__":
    main()
