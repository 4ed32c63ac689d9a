"""``admin verify-log``, ``admin status`` and ``admin cases``: what this PC holds, in words an IT
admin or supervisor can act on."""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
from pathlib import Path
from typing import Any

from hallclient.config import CONFIG_FILE, Config, long_paths_enabled, path_length_problems
from hallclient.core.tickets import QueueError
from hallclient.store.db import DB_FILE

from .common import no_database

ON_WINDOWS = sys.platform == "win32"     # where paths stop at MAX_PATH without long paths


def run_verify_log(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.store import log_repo

    if not args.file and no_database(data_dir):
        return 2
    path = Path(args.file) if args.file else data_dir / DB_FILE
    if not path.exists():
        print(f"文件不存在：{path}", file=sys.stderr)
        return 2
    damage, verdict = log_repo.verify_file(path)
    if verdict is None:
        print(describe_damage(path, damage))
        return 1
    print(describe_log(verdict.intact, verdict.entries, verdict.broken_seq, verdict.reason))
    return 0 if verdict.intact else 1


def describe_damage(path: Path, damage: list[str]) -> str:
    """What SQLite's integrity check found, and what to do about it."""
    shown = "；".join(damage[:3]) + ("……" if len(damage) > 3 else "")
    return (f"数据库文件已损坏：{path}\nSQLite 完整性检查发现问题（{shown}）。操作日志无法作为可信的"
            "工作记录核对。请关闭本程序，把该文件原样复制一份留存（不要再修改），然后从最近的备份恢复"
            "（hallclient admin restore 备份目录），并告知信息管理员和值班长。")


# what each break of the hash chain means (core.eventlog.verify names them in English)
_BREAKS = (
    (re.compile(r"missing entry \(expected #(\d+), found #(\d+)\)"),
     "缺失：应是第 {0} 条，接下来却是第 {1} 条——中间的记录被删除了"),
    (re.compile(r"entry out of order \(expected #(\d+), found #(\d+)\)"),
     "顺序错乱：应是第 {0} 条，却是第 {1} 条——记录被调换或重复"),
    (re.compile(r"previous-hash link does not match"),
     "与前一条接不上——前一条被删除、替换或改动过"),
    (re.compile(r"content does not match its hash"),
     "内容与它的哈希值不符——这一条被改动过"),
    (re.compile(r"log ends at #(\d+) but #(\d+) was recorded"),
     "日志到第 {0} 条就结束了，而本机记下的最后一条是第 {1} 条——末尾的记录被删除了"),
    (re.compile(r"missing entry before the period"), "这段时间之前的一条记录缺失"),
)


def describe_log(intact: bool, entries: int, broken_seq: int | None, reason: str) -> str:
    """The event log check in words an IT admin or supervisor can act on."""
    if intact:
        return f"操作日志完整：共 {entries} 条，哈希链逐条核对无误"
    what = reason
    for pattern, text in _BREAKS:
        found = pattern.search(reason)
        if found:
            what = text.format(*found.groups())
            break
    return (f"操作日志不完整：第 {broken_seq} 条{what}。\n"
            f"前 {entries} 条核对无误；从第 {broken_seq} 条起的记录不能再作为可信的工作记录。"
            "这说明数据库文件在本程序之外被改动过。请保留该文件原样（复制一份，不要再修改），"
            "并告知信息管理员和值班长。")


def run_status(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.core.clock import local_now
    from hallclient.services.context import HallNotConfiguredError, make_queue
    from hallclient.store import accounts_repo, catalog_repo, log_repo, outbox_repo
    from hallclient.store.db import open_database, schema_version, table_counts

    if no_database(data_dir):
        return 2
    config = Config(data_dir / CONFIG_FILE)
    counter_dir = data_dir.parent if getattr(args, "training", False) else data_dir
    problems = [*config.problems, *config.gaps(), *_secret_gaps(config, data_dir),
                # (the budget counts from the counter's data dir: training/ is in it)
                *path_length_problems(counter_dir, ON_WINDOWS, long_paths_enabled())]
    db = open_database(data_dir / DB_FILE)
    queue: Any = None
    services: dict[str, str] = {}
    try:
        waiting: dict[str, dict[int, int]] | None = None
        windows: list[Any] = []
        try:
            queue = make_queue(db, config, data_dir, local_now)
            windows = queue.windows()                 # the hall's layout, kept on this PC too
            services = {s.code: s.name for s in queue.services()}
            waiting = queue.waiting_counts()
        except HallNotConfiguredError:
            pass                          # said by the config checks above
        except QueueError as exc:         # the hall server is out of reach, or refuses us
            from hallclient.queue.hall_link import HallRefusedError, HallUnavailableError

            if isinstance(exc, HallRefusedError):
                problems.append(f"大厅服务器不再接受本机的令牌（已停用或已更换）：{REKEY}")
            else:
                hint = "：检查网络，以及大厅服务器是否在运行" if type(exc) is HallUnavailableError else ""
                problems.append(exc.message + hint)
        problems += _region_gaps(config, db.conn)
        verdict = log_repo.verify(db.conn)
        hall = queue.status() if hasattr(queue, "status") else None
        info = {
            "data_dir": str(data_dir),
            "database": str(db.path),
            "schema_version": schema_version(db.conn),
            "tables": table_counts(db),
            "device_id": log_repo.device_id(db.conn),
            "queue_source": config["queue.source"],
            "clerks": accounts_repo.count(db.conn),
            "windows": [
                {"number": w.number, "state": w.state, "clerk": w.clerk, "services": list(w.services)}
                for w in windows
            ],
            "waiting": ({svc: sum(c.values()) for svc, c in waiting.items()}
                        if waiting is not None else None),
            "hall": hall,
            "event_log": {"intact": verdict.intact, "entries": verdict.entries},
            "sync": {"platform_url": config["platform.url"] or None,
                     "outbox": outbox_repo.counts(db.conn),
                     "oldest_pending": outbox_repo.oldest_pending(db.conn),
                     "catalog": {"items": catalog_repo.count(db.conn),
                                 "refused": catalog_repo.refusal(db.conn)}},
            "config_problems": problems + _log_push_problem(hall),
        }
    finally:
        closer = getattr(queue, "close", None)
        if closer is not None:
            closer()
        db.close()
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
    else:
        print("\n".join(_status_lines(info, windows, services, verdict)))
    return 0


def _region_gaps(config: Config, conn: sqlite3.Connection) -> list[str]:
    """A region code still unset once case numbers (办件编号) are made or go to the platform."""
    from hallclient.store import case_repo

    if config["hall.region_code"] != "000000":
        return []
    if not config["platform.url"] and not case_repo.search(conn, "", limit=1):
        return []
    return ["行政区划代码（hall.region_code）还是 000000：本机办件编号会以 000000 开头，省平台无法"
            "归属到本地。运行 hallclient admin config --set hall.region_code=本地6位代码（如 330109），"
            "或用含 region_code 的大厅配置重新 admin import-hall"]


def _log_push_problem(hall: dict[str, Any] | None) -> list[str]:
    """The hall server refuses this counter's log for good (its records are then missing
    from the hall's report)."""
    refused = hall.get("log_refused") if hall is not None else ""
    if not refused:
        return []
    return [f"大厅服务器拒收本机的操作日志（{refused}），本机的办理记录进不了全大厅的统计：把这条"
            "提示和 admin status --json 的 device_id 交给大厅服务器的管理员核查"]


def _secret_gaps(config: Config, data_dir: Path) -> list[str]:
    """Secrets the settings need but this PC does not hold."""
    from hallclient.secrets import read_secret

    found = []
    if config["platform.url"] and not read_secret(data_dir):
        found.append("已设置省平台地址（platform.url），但本机没有省平台设备密钥："
                     "运行 hallclient admin set-device 设备标识")
    if config["queue.source"] == "hall" and not read_secret(data_dir, kind="hall"):
        found.append("队列来源是大厅服务器（queue.source=hall），但本机没有大厅服务器的设备令牌："
                     "运行 hallclient admin join-hall 地址 设备标识")
    return found


REKEY = ("在大厅服务器上用 hallclient hall-server add-device 为本机重新发令牌，再在本机运行"
         " hallclient admin join-hall 地址 设备标识（运行中的窗口程序会自动改用新令牌）")

_WINDOW_STATES = {"open": "开放", "paused": "暂停服务", "closed": "关闭"}


_OUTBOX_STATES = {"pending": "待上传", "needs_attention": "需处理", "done": "已上传",
                  "superseded": "已被新版本取代"}


def _status_lines(info: dict[str, Any], windows: list[Any], services: dict[str, str],
                  verdict: Any) -> list[str]:
    lines = [f"数据目录：{info['data_dir']}",
             f"数据库：{info['database']}（结构版本 {info['schema_version']}）",
             f"本机设备标识：{info['device_id']}",
             f"本机账户：{info['clerks']} 个"]
    hall = info["hall"]
    if hall is not None:
        link = ("在线" if hall["online"]
                else "不再接受本机的令牌（已停用或已更换），窗口改为手工接待"
                if hall.get("refused") else "连不上（窗口改为手工接待）")
        lines.append(f"队列：大厅服务器 {hall['url']}，{link}；手工接待待补传 {hall['manual_pending']} 条，"
                     f"操作日志已推送到第 {hall['log_pushed_upto']} 条")
    elif info["queue_source"] == "hall":
        lines.append("队列：大厅服务器（未设置好，见下方的问题）")
    else:
        lines.append("队列：本机队列")
    stale = hall is not None and not hall["online"] and windows
    lines.append(f"窗口：{len(windows)} 个" + ("" if windows else "（未导入大厅配置或取不到）")
                 + ("（大厅服务器此刻不可用：这是本机上次取到的情况）" if stale else ""))
    for w in windows:
        state = _WINDOW_STATES.get(w.state, w.state)
        who = f"，{w.clerk}" if w.clerk else ""
        offered = "、".join(services.get(c, c) for c in w.services) or "无"
        name = f" {w.name}" if w.name else ""
        lines.append(f"  {w.number} 号窗口{name}：{state}{who}；业务：{offered}")
    waiting = info["waiting"]
    if waiting is None:
        lines.append("等候：取不到（见下方问题）")
    else:
        order = [*services, *sorted(set(waiting) - set(services))]     # as the hall lists them
        each = "，".join(f"{services.get(c, c)} {waiting[c]} 人" for c in order if waiting.get(c))
        lines.append(f"等候：共 {sum(waiting.values())} 人" + (f"（{each}）" if each else ""))
    lines.append(describe_log(verdict.intact, verdict.entries, verdict.broken_seq,
                              verdict.reason).split("\n")[0])
    sync = info["sync"]
    lines.append(f"省平台：{sync['platform_url']}" if sync["platform_url"]
                 else "省平台：未配置（办件只保存在本机）")
    outbox = sync["outbox"]
    order = [*_OUTBOX_STATES, *sorted(set(outbox) - set(_OUTBOX_STATES))]
    figures = "，".join(f"{_OUTBOX_STATES.get(k, k)} {outbox[k]} 件" for k in order if k in outbox)
    lines.append(f"上传队列：{figures or '空'}")
    if sync["oldest_pending"]:
        lines.append(f"  最早一件待上传的办件从 {sync['oldest_pending'][:16].replace('T', ' ')} 起等待")
    lines += _catalog_lines(sync["catalog"])
    problems = info["config_problems"]
    lines.append("问题：无" if not problems else f"问题：{len(problems)} 个（配置或连接）")
    lines += [f"  - {p}" for p in problems]
    return lines


def _catalog_lines(catalog: dict[str, Any]) -> list[str]:
    from hallclient.sync.engine import catalog_refusal_text

    lines = [f"事项目录：本机 {catalog['items']} 个事项"]
    refused = catalog["refused"]
    if refused:
        lines.append(f"  {refused['at'][:16].replace('T', ' ')} 起，"
                     + catalog_refusal_text(refused["reason"], bool(refused.get("held"))))
    return lines


def run_cases(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.core.cases import CaseStatus
    from hallclient.core.validators import mask_id, mask_mobile
    from hallclient.services.context import open_context
    from hallclient.store import case_repo, outbox_repo

    if no_database(data_dir):
        return 2
    ctx = open_context(data_dir, Config(data_dir / CONFIG_FILE))
    try:
        rows = case_repo.search(ctx.db.conn, args.search, limit=args.limit)
        pending = outbox_repo.pending_case_numbers(ctx.db.conn)
        outbox = outbox_repo.counts(ctx.db.conn)
    finally:
        ctx.close()
    listed = [{
        "case_no": r["case_no"], "status": CaseStatus(r["status"]).label, "item": r["item_name"],
        "applicant": r["applicant_name"], "id_number": mask_id(r["id_number"]),
        "mobile": mask_mobile(r["mobile"]), "received_at": r["received_at"], "window": r["window"],
        "clerk": r["clerk"], "uploaded": r["case_no"] not in pending,
    } for r in rows]
    if args.json:
        print(json.dumps({"cases": listed, "outbox": outbox}, ensure_ascii=False, indent=2))
        return 0
    if not listed:
        print("没有办件" + (f"（查询：{args.search}）" if args.search else ""))
    for c in listed:
        window = f"窗口{c['window']}  " if c["window"] else ""
        print(f"{c['case_no']}  {c['received_at'][:16]}  {c['status']}  {c['item']}  {c['applicant']}"
              f" {c['id_number'] or ''}  {window}{'已上传' if c['uploaded'] else '待上传'}")
    return 0
