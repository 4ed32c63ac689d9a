"""Hall configuration: services (业务类别), windows and their weighted service lists."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

from hallclient.core.hall import Service, WindowInfo
from hallclient.core.queue_policy import WindowPlan
from hallclient.store import meta


class HallConfigError(ValueError):
    pass


MAX_WINDOW = 9999


ServiceSpec = tuple[str, str, str]                  # code, name, prefix
WindowSpec = tuple[int, str, dict[str, float]]      # number, name, {service code: weight}


def check_hall_spec(spec: object) -> tuple[list[ServiceSpec], list[WindowSpec]]:
    """The services ``(code, name, prefix)`` and windows ``(number, name, {code: weight})``
    of a hall description, or HallConfigError saying in Chinese what is wrong with it (a
    file typed by hand, or sent by anyone: nothing in it reaches the database unchecked)."""
    import math

    if not isinstance(spec, dict):
        raise HallConfigError("大厅配置应是一个 JSON 对象（含 services 和 windows）")
    raw_services, raw_windows = spec.get("services", []), spec.get("windows", [])
    if not isinstance(raw_services, list) or not isinstance(raw_windows, list):
        raise HallConfigError("大厅配置的 services 和 windows 应是列表")
    services: list[ServiceSpec] = []
    prefixes: set[str] = set()
    for i, s in enumerate(raw_services, 1):
        code, name, prefix = (s.get(k) if isinstance(s, dict) else None
                              for k in ("code", "name", "prefix"))
        if not (isinstance(code, str) and isinstance(name, str) and isinstance(prefix, str)
                and code.strip() and name.strip() and prefix.isascii() and prefix.isalpha()):
            raise HallConfigError(f"第 {i} 个业务类别缺少 code/name/prefix，或前缀不是英文字母")
        if len(code) > 20 or len(name) > 60 or len(prefix) > 3:
            raise HallConfigError(f"第 {i} 个业务类别太长：代码最多 20 个字符、名称 60 个、前缀 3 个字母")
        if prefix.upper() in prefixes:
            raise HallConfigError(f"业务前缀 {prefix} 重复")
        prefixes.add(prefix.upper())
        services.append((code, name, prefix.upper()))
    windows: list[WindowSpec] = []
    for i, w in enumerate(raw_windows, 1):
        number = w.get("number") if isinstance(w, dict) else None
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= MAX_WINDOW:
            raise HallConfigError(f"第 {i} 个窗口的 number 应是 1—{MAX_WINDOW} 的整数")
        assert isinstance(w, dict)
        name, listed = w.get("name", ""), w.get("services", {})
        if not isinstance(name, str) or len(name) > 60:
            raise HallConfigError(f"{number} 号窗口的名称应是最多 60 个字的文字")
        if isinstance(listed, list):
            listed = {code: 1 for code in listed if isinstance(code, str)} if all(
                isinstance(code, str) for code in listed) else None
        if not isinstance(listed, dict):
            raise HallConfigError(f"{number} 号窗口的 services 应写成 {{业务代码: 权重}}")
        weights: dict[str, float] = {}
        for code, weight in listed.items():
            if not isinstance(code, str) or len(code) > 20:
                raise HallConfigError(f"{number} 号窗口引用的业务代码不对：{str(code)[:20]}")
            if (not isinstance(weight, int | float) or isinstance(weight, bool)
                    or not math.isfinite(weight) or not 0 < weight <= 1000):
                raise HallConfigError(f"{number} 号窗口业务 {code} 的权重应是大于 0、不超过 1000 的数")
            weights[code] = float(weight)
        windows.append((number, name, weights))
    return services, windows


def hall_identity(conn: sqlite3.Connection) -> tuple[str, str]:
    """The hall's name and region code, as its hall description gave them ("" if not)."""
    return meta.get(conn, "hall_name") or "", meta.get(conn, "hall_region_code") or ""


def import_hall(conn: sqlite3.Connection, spec: dict[str, Any]) -> None:
    """Upsert services and windows from a hall description (see hallclient/resources/demo/hall.json)."""
    services, windows = check_hall_spec(spec)
    for field, key in (("hall", "hall_name"), ("region_code", "hall_region_code")):
        value = spec.get(field)
        if value is None:
            continue
        if field == "hall" and not (isinstance(value, str) and 0 < len(value.strip()) <= 60):
            raise HallConfigError("大厅名称（hall）应是 1–60 个字的文字")
        if field == "region_code" and not (isinstance(value, str) and re.fullmatch(r"\d{6}", value)):
            raise HallConfigError("行政区划代码（region_code）应是 6 位数字的文字，如 \"330109\"")
        meta.put(conn, key, value.strip())
    for i, (code, name, prefix) in enumerate(services):
        conn.execute(
            "INSERT INTO services (code, name, prefix, sort) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(code) DO UPDATE SET name = excluded.name, prefix = excluded.prefix,"
            " sort = excluded.sort, active = 1",
            (code, name, prefix, i),
        )
    for number, name, weights in windows:
        conn.execute(
            "INSERT INTO windows (number, name) VALUES (?, ?)"
            " ON CONFLICT(number) DO UPDATE SET name = excluded.name",
            (number, name),
        )
        for code, weight in weights.items():
            known = conn.execute("SELECT 1 FROM services WHERE code = ?", (code,)).fetchone()
            if not known:
                raise HallConfigError(f"{number} 号窗口引用了不存在的业务 {code}")
            conn.execute(
                "INSERT INTO window_services (window, service, weight) VALUES (?, ?, ?)"
                " ON CONFLICT(window, service) DO UPDATE SET weight = excluded.weight",
                (number, code, weight),
            )
        marks = ", ".join("?" for _ in weights) or "NULL"
        conn.execute(
            f"DELETE FROM window_services WHERE window = ? AND service NOT IN ({marks})",
            (number, *weights),
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
