"""Hall configuration: services (业务类别), windows and their weighted service lists."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from hallclient.core.hall import Service, WindowInfo
from hallclient.core.queue_policy import WindowPlan


class HallConfigError(ValueError):
    pass


def import_hall(conn: sqlite3.Connection, spec: dict[str, Any]) -> None:
    """Upsert services and windows from a hall description (see hallclient/resources/demo/hall.json)."""
    prefixes: set[str] = set()
    codes: set[str] = set()
    for i, s in enumerate(spec.get("services", [])):
        code, name, prefix = s.get("code"), s.get("name"), s.get("prefix")
        if not code or not name or not prefix or not str(prefix).isalpha():
            raise HallConfigError(f"第 {i + 1} 个业务类别缺少 code/name/prefix，或前缀不是字母")
        if prefix in prefixes:
            raise HallConfigError(f"业务前缀 {prefix} 重复")
        prefixes.add(prefix)
        codes.add(code)
        conn.execute(
            "INSERT INTO services (code, name, prefix, sort) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(code) DO UPDATE SET name = excluded.name, prefix = excluded.prefix,"
            " sort = excluded.sort, active = 1",
            (code, name, prefix.upper(), i),
        )
    for w in spec.get("windows", []):
        number = int(w["number"])
        conn.execute(
            "INSERT INTO windows (number, name) VALUES (?, ?)"
            " ON CONFLICT(number) DO UPDATE SET name = excluded.name",
            (number, w.get("name", "")),
        )
        listed = dict(w.get("services", {}))
        for code, weight in listed.items():
            known = conn.execute("SELECT 1 FROM services WHERE code = ?", (code,)).fetchone()
            if not known:
                raise HallConfigError(f"{number} 号窗口引用了不存在的业务 {code}")
            if not float(weight) > 0:
                raise HallConfigError(f"{number} 号窗口业务 {code} 的权重必须大于 0")
            conn.execute(
                "INSERT INTO window_services (window, service, weight) VALUES (?, ?, ?)"
                " ON CONFLICT(window, service) DO UPDATE SET weight = excluded.weight",
                (number, code, float(weight)),
            )
        marks = ", ".join("?" for _ in listed) or "NULL"
        conn.execute(
            f"DELETE FROM window_services WHERE window = ? AND service NOT IN ({marks})",
            (number, *listed),
        )


def services(conn: sqlite3.Connection) -> list[Service]:
    rows = conn.execute(
        "SELECT code, name, prefix FROM services WHERE active = 1 ORDER BY sort, code"
    ).fetchall()
    return [Service(*r) for r in rows]


def service(conn: sqlite3.Connection, code: str) -> Service | None:
    row = conn.execute(
        "SELECT code, name, prefix FROM services WHERE code = ? AND active = 1", (code,)
    ).fetchone()
    return Service(*row) if row else None


def windows(conn: sqlite3.Connection) -> list[WindowInfo]:
    result = []
    for number, name, state, clerk in conn.execute(
        "SELECT number, name, state, clerk FROM windows ORDER BY number"
    ).fetchall():
        codes = tuple(
            r[0]
            for r in conn.execute(
                "SELECT service FROM window_services WHERE window = ? ORDER BY weight DESC, service",
                (number,),
            )
        )
        result.append(WindowInfo(number, name, state, clerk, codes))
    return result


def window_numbers(conn: sqlite3.Connection) -> list[int]:
    return [int(r[0]) for r in conn.execute("SELECT number FROM windows ORDER BY number")]


def window_plan(conn: sqlite3.Connection, number: int) -> WindowPlan | None:
    row = conn.execute("SELECT vtime FROM windows WHERE number = ?", (number,)).fetchone()
    if row is None:
        return None
    rows = conn.execute(
        "SELECT service, weight, pass FROM window_services WHERE window = ?", (number,)
    ).fetchall()
    return WindowPlan(
        number,
        weights={str(r[0]): float(r[1]) for r in rows},
        passes={str(r[0]): float(r[2]) for r in rows},
        vtime=float(row[0]),
    )


def record_call(
    conn: sqlite3.Connection, number: int, service: str, new_pass: float, vtime: float,
    streak: int,
) -> None:
    """Fair-share state after a call (see core.queue_policy.after_call)."""
    conn.execute(
        "UPDATE window_services SET pass = ? WHERE window = ? AND service = ?",
        (new_pass, number, service),
    )
    conn.execute(
        "UPDATE windows SET vtime = ?, priority_streak = ? WHERE number = ?",
        (vtime, streak, number),
    )


def window_state(conn: sqlite3.Connection, number: int) -> tuple[str, str | None, int] | None:
    row = conn.execute(
        "SELECT state, clerk, priority_streak FROM windows WHERE number = ?", (number,)
    ).fetchone()
    return (row[0], row[1], int(row[2])) if row else None


def set_window_state(
    conn: sqlite3.Connection, number: int, state: str, clerk: str | None
) -> None:
    conn.execute(
        "UPDATE windows SET state = ?, clerk = ? WHERE number = ?", (state, clerk, number)
    )


def read_hall_file(path: Path) -> dict[str, Any]:
    """A hall file (services and windows) read for import; HallConfigError says in Chinese
    what is wrong with it (``admin import-hall`` and ``hall-server import-hall``)."""
    try:
        with open(path, encoding="utf-8") as fh:
            spec = json.load(fh)
    except FileNotFoundError:
        raise HallConfigError(f"找不到大厅配置文件：{path}") from None
    except json.JSONDecodeError as exc:
        raise HallConfigError(f"大厅配置 {path} 不是正确的 JSON：第 {exc.lineno} 行第 {exc.colno} 列"
                              "附近有错") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "不是 UTF-8 文本"
        raise HallConfigError(f"无法读取大厅配置 {path}：{reason}") from None
    if not isinstance(spec, dict):
        raise HallConfigError(f"大厅配置 {path} 应是一个 JSON 对象（含 services 和 windows），"
                              "参见示范大厅 hall.json")
    return spec
