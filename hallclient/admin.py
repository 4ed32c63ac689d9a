"""``hallclient admin ...``: commands for IT staff. No Qt needed."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import re
import socket
import sqlite3
import ssl
import stat
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hallclient.config import CONFIG_FILE, OPTIONS, Config, ConfigError
from hallclient.core.accounts import Role
from hallclient.core.tickets import QueueError
from hallclient.store.db import DB_FILE, StoreError, translate_error
from hallclient.store.hall_repo import HallConfigError


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    admin = sub.add_parser("admin", help="管理命令（信息管理员使用）")
    cmds = admin.add_subparsers(dest="admin_command", required=True)
    verify = cmds.add_parser("verify-log", help="校验操作日志的哈希链")
    verify.add_argument("file", nargs="?", help="数据库文件（默认：数据目录中的数据库）")
    status = cmds.add_parser("status", help="本机状态")
    status.add_argument("--json", action="store_true", help="以 JSON 输出")
    cases = cmds.add_parser("cases", help="列出本机办件（最新在前；身份证号、手机号脱敏）")
    cases.add_argument("search", nargs="?", default="", help="办件编号前缀、申请人姓名或证件号")
    cases.add_argument("--limit", type=int, default=20)
    cases.add_argument("--json", action="store_true", help="以 JSON 输出")
    bak = cmds.add_parser("backup", help="在线备份数据库、配置和办件文件（程序运行中也可）")
    bak.add_argument("out", help="备份存放的目录（如 U 盘或共享目录，须已存在），"
                     "其中新建 hallclient-<设备>-<时间>")
    bak.add_argument("--without-key", action="store_true",
                     help="系统密钥环打不开时也照常结束（备份里没有日志包签名私钥；不加则退出码为 1）")
    res = cmds.add_parser("restore", help="从备份恢复数据目录（先关闭程序；原数据移到旁边的目录，不删除）")
    res.add_argument("folder", help="admin backup 生成的备份目录 hallclient-counter-<时间>")
    clerk = cmds.add_parser("add-clerk", help="新增或修改本地账户")
    clerk.add_argument("username")
    clerk.add_argument("--name", required=True, help="显示姓名")
    clerk.add_argument("--role", choices=[r.value for r in Role], default="clerk")
    clerk.add_argument("--password-stdin", action="store_true",
                       help="从标准输入读密码（脚本中使用；不加则在终端提示输入）")
    sync = cmds.add_parser("sync-now", help="立即上传待上传队列并拉取平台状态")
    sync.add_argument("--json", action="store_true", help="以 JSON 输出")
    secret = cmds.add_parser("set-device", help="登记本机在省平台的设备标识和密钥")
    secret.add_argument("device_id")
    secret.add_argument("--secret-stdin", action="store_true",
                        help="从标准输入读密钥（脚本中使用；不加则在终端提示输入）")
    join = cmds.add_parser("join-hall", help="改用大厅服务器的共享队列：保存地址、设备标识和令牌")
    join.add_argument("url", help="大厅服务器地址，如 http://192.168.1.10:8710")
    join.add_argument("device_id", help="在大厅服务器登记的设备标识（hall-server add-device 时填写的）")
    join.add_argument("--token-stdin", action="store_true",
                      help="从标准输入读令牌（脚本中使用；不加则在终端提示输入）")
    rep = cmds.add_parser("report", help="值班长日报：导出 Excel(xlsx) / CSV / PDF")
    rep.add_argument("--date", required=True, help="日期 YYYY-MM-DD（或区间起点）")
    rep.add_argument("--to", help="区间终点 YYYY-MM-DD（含）")
    rep.add_argument("--format", choices=["xlsx", "csv", "pdf"], default="xlsx")
    rep.add_argument("--out", help="输出文件（默认：数据目录 reports/ 下）")
    rep.add_argument("--from-bundles", action="store_true",
                     help="按导入的各窗口机日志包统计（县级汇总乡镇）")
    key = cmds.add_parser("bundle-key", help="显示本机日志包签名公钥的指纹（县级登记时核对）；"
                          "--rotate 更换签名密钥")
    key.add_argument("--rotate", action="store_true",
                     help="换一把新的签名密钥：旧密钥在时签一份更换声明，随之后的日志包交县级自动核验")
    key.add_argument("--old-key-lost", action="store_true",
                     help="与 --rotate 同用：旧密钥丢失或可能泄露（窗口机或备份丢失），不签更换声明，"
                          "由县级按新指纹重新登记")
    restored = key.add_mutually_exclusive_group()
    restored.add_argument("--use-restored", action="store_true",
                          help="备份恢复的私钥与系统密钥环里的不一致时：改用备份恢复的（县级登记的是它时）")
    restored.add_argument("--keep-keyring", action="store_true",
                          help="备份恢复的私钥与系统密钥环里的不一致时：保留密钥环里的，删除恢复的私钥文件")
    exp = cmds.add_parser("export-bundle", help="导出某天的签名日志包（乡镇窗口交县级）")
    exp.add_argument("--date", required=True, help="日期 YYYY-MM-DD")
    exp.add_argument("--out", help="输出文件（默认：数据目录 bundles/ 下）")
    imp = cmds.add_parser("import-bundle", help="导入并校验其他窗口机的日志包")
    imp.add_argument("files", nargs="+")
    imp.add_argument("--trust", action="store_true",
                     help="首次导入某设备时登记其公钥（先与该设备 bundle-key 的指纹核对）")
    imp.add_argument("--re-register", metavar="DEVICE",
                     help="重新登记该设备的签名公钥（它的旧密钥丢失时）；须同时用 --fingerprint")
    imp.add_argument("--fingerprint",
                     help="与 --re-register 同用：电话向该窗口机核对的 admin bundle-key 新指纹")
    hall = cmds.add_parser("import-hall", help="导入大厅业务与窗口配置（JSON）")
    hall.add_argument("file", nargs="?", help="JSON 文件；省略则导入示范大厅")
    conf = cmds.add_parser("config", help="查看或修改配置")
    conf.add_argument("--list", action="store_true", help="列出全部配置项与说明")
    conf.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")


def run(args: argparse.Namespace, data_dir: Path) -> int:
    # the commands print config problems themselves, in full: not a second time as log lines
    config_log = logging.getLogger("hallclient.config")
    config_log.propagate = False
    config_log.addHandler(silent := logging.NullHandler())
    try:
        return _COMMANDS[args.admin_command](args, data_dir)
    except (StoreError, QueueError) as exc:
        print(exc.message, file=sys.stderr)
        return 3
    except (HallConfigError, ConfigError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    finally:
        config_log.removeHandler(silent)
        config_log.propagate = True


def _no_database(data_dir: Path) -> bool:
    """True (and says so) when ``data_dir`` holds no database: a command that only reads
    must not make an empty one where a mistyped --data-dir points."""
    if (data_dir / DB_FILE).exists():
        return False
    print(f"没有数据库：{data_dir} 中没有 {DB_FILE}。是不是 --data-dir 写错了？"
          "（这台电脑还没设置时，先运行 hallclient admin import-hall 导入大厅配置）", file=sys.stderr)
    return True


def _make_database(data_dir: Path) -> None:
    """A command that sets this PC up makes its database (the reading ones then find it)."""
    from hallclient.store.db import open_database

    open_database(data_dir / DB_FILE).close()


def _verify(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.store import log_repo

    if not args.file and _no_database(data_dir):
        return 2
    path = Path(args.file) if args.file else data_dir / DB_FILE
    if not path.exists():
        print(f"文件不存在：{path}", file=sys.stderr)
        return 2
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            damage = [r[0] for r in conn.execute("PRAGMA integrity_check(20)").fetchall()]
            verdict = None if damage != ["ok"] else log_repo.verify(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        if "malformed" not in str(exc):      # not a database at all, locked, unreadable ...
            raise translate_error(exc, path) from exc
        damage = [str(exc)]
        verdict = None
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


def _status(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.core.clock import local_now
    from hallclient.services.context import HallNotConfiguredError, make_queue
    from hallclient.store import accounts_repo, log_repo, outbox_repo
    from hallclient.store.db import open_database

    if _no_database(data_dir):
        return 2
    config = Config(data_dir / CONFIG_FILE)
    problems = [*config.problems, *config.gaps(), *_secret_gaps(config, data_dir)]
    db = open_database(data_dir / DB_FILE)
    queue: Any = None
    services: dict[str, str] = {}
    try:
        waiting: dict[str, dict[int, int]] | None = None
        windows: list[Any] = []
        try:
            queue = make_queue(db, config, data_dir, local_now)
            waiting = queue.waiting_counts()
            windows = queue.windows()
            services = {s.code: s.name for s in queue.services()}
        except HallNotConfiguredError:
            pass                          # said by the config checks above
        except QueueError as exc:         # the hall server is out of reach, or refuses us
            from hallclient.queue.hall import HallAuthError, HallUnavailableError

            hint = {HallUnavailableError: "：检查网络，以及大厅服务器是否在运行",
                    HallAuthError: "（令牌可能已在服务器上重新生成：再运行一次 admin join-hall）"}
            problems.append(exc.message + hint.get(type(exc), ""))
        tables = db.utils.table_names()
        problems += _region_gaps(config, db.conn)
        verdict = log_repo.verify(db.conn)
        info = {
            "data_dir": str(data_dir),
            "database": str(db.path),
            "schema_version": db.conn.execute("PRAGMA user_version").fetchone()[0],
            "tables": {t: db.utils[t].count for t in tables},
            "device_id": log_repo.device_id(db.conn),
            "queue_source": config["queue.source"],
            "clerks": accounts_repo.count(db.conn),
            "windows": [
                {"number": w.number, "state": w.state, "clerk": w.clerk, "services": list(w.services)}
                for w in windows
            ],
            "waiting": ({svc: sum(c.values()) for svc, c in waiting.items()}
                        if waiting is not None else None),
            "hall": queue.status() if hasattr(queue, "status") else None,
            "event_log": {"intact": verdict.intact, "entries": verdict.entries},
            "sync": {"platform_url": config["platform.url"] or None,
                     "outbox": outbox_repo.counts(db.conn),
                     "oldest_pending": outbox_repo.oldest_pending(db.conn)},
            "config_problems": problems,
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


def _secret_gaps(config: Config, data_dir: Path) -> list[str]:
    """Secrets the settings need but this PC does not hold."""
    from hallclient.services.sync_service import read_secret

    found = []
    if config["platform.url"] and not read_secret(data_dir):
        found.append("已设置省平台地址（platform.url），但本机没有省平台设备密钥："
                     "运行 hallclient admin set-device 设备标识")
    if config["queue.source"] == "hall" and not read_secret(data_dir, kind="hall"):
        found.append("队列来源是大厅服务器（queue.source=hall），但本机没有大厅服务器的设备令牌："
                     "运行 hallclient admin join-hall 地址 设备标识")
    return found


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
        link = "在线" if hall["online"] else "连不上（窗口改为手工接待）"
        lines.append(f"队列：大厅服务器 {hall['url']}，{link}；手工接待待补传 {hall['manual_pending']} 条，"
                     f"操作日志已推送到第 {hall['log_pushed_upto']} 条")
    elif info["queue_source"] == "hall":
        lines.append("队列：大厅服务器（未设置好，见下方的问题）")
    else:
        lines.append("队列：本机队列")
    lines.append(f"窗口：{len(windows)} 个" + ("" if windows else "（未导入大厅配置或取不到）"))
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
    problems = info["config_problems"]
    lines.append("问题：无" if not problems else f"问题：{len(problems)} 个（配置或连接）")
    lines += [f"  - {p}" for p in problems]
    return lines


def _cases(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.core.cases import CaseStatus
    from hallclient.core.validators import mask_id, mask_mobile
    from hallclient.services.context import open_context
    from hallclient.store import case_repo, outbox_repo

    if _no_database(data_dir):
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


def _backup(args: argparse.Namespace, data_dir: Path) -> int:
    return print_backup(data_dir, Path(args.out), "counter", without_key=args.without_key)


_RESTORE_TEXT = {
    "counter": "先关闭本机所有 hallclient 程序，再运行 hallclient admin restore 本备份目录（会先校验备份，"
               "原数据目录的内容移到旁边的 <数据目录>.before-restore-<时间> 目录，不删除）；"
               "不要手工把备份复制为数据目录。",
    "hall-server": "先停止大厅服务器，再运行 hallclient hall-server restore 本备份目录"
                   "（恢复到 数据目录/hall-server，会先校验备份，原有内容移到旁边的"
                   " hall-server.before-restore-<时间> 目录，不删除）；"
                   "不要手工复制。各设备的令牌在数据库里，恢复后不必重新登记。",
}


def print_backup(data_dir: Path, out: Path, label: str, without_key: bool = False) -> int:
    """Back ``data_dir`` up under ``out`` and print the summary (also ``hall-server backup``).
    A counter's log-bundle signing key goes with it (the county knows this counter by it);
    the device secret and hall token do not. When the keyring holding the key fails the
    backup is made without it, said in Chinese, and the exit code is 1 (0 with
    ``without_key``: the administrator knows)."""
    from hallclient.core.bundle import fingerprint, public_key_of
    from hallclient.services.sync_service import KeyringUnavailableError, secret_file, stored_secret
    from hallclient.store.backup import backup

    key, key_failed = "", ""
    if label == "counter":                   # the hall server has no signing key
        try:
            in_ring, in_file = stored_secret(data_dir, kind="signing")
            key = in_ring or in_file
        except KeyringUnavailableError as exc:
            key_failed = str(exc)
    key_file = secret_file(data_dir, "signing").name
    done = backup(data_dir, out.expanduser().resolve(), label, secrets={key_file: key} if key else None)
    keep_safe = "备份里有办件和申请人信息" if label == "counter" else "备份里有大厅的排队记录和设备令牌"
    restore = _RESTORE_TEXT[label]
    if key:
        keep_safe += "，还有本机日志包签名私钥：拿到备份的人能冒充本机给日志包签名"
        restore += "恢复后运行 admin bundle-key（核对指纹；私钥移入系统密钥环，或设为仅本用户可读），"
    keep_safe += "。请存放在加密的 U 盘或只有信息管理员能进的位置，用完锁好"
    if key:
        keep_safe += ("；备份丢失时，在本机运行 admin bundle-key --rotate --old-key-lost，"
                      "并请县级按新指纹重新登记")
    if label == "counter":
        restore += "再用 admin set-device / join-hall 录入设备密钥和令牌"
    summary: dict[str, object] = {
        "backup": str(done.folder), "schema_version": done.schema_version,
        "event_log_entries": done.log_entries, "files": done.files, "bytes": done.bytes,
        "signing_key": {"file": key_file, "fingerprint": fingerprint(public_key_of(key)),
                        "owner_only": done.secrets_owner_only} if key else None,
        "keep_safe": keep_safe,
        "restore": restore,
    }
    if done.secrets_owner_only is False:
        summary["warning"] = ("备份盘不支持文件权限（如 FAT/exFAT 格式的 U 盘）：私钥文件任何能读这个盘的人"
                              "都能读，请改用加密的 U 盘，或 NTFS/ext4 格式的磁盘")
    missing = ""
    if key_failed:
        missing = (f"读不到本机的日志包签名私钥，这份备份里没有它：{key_failed}。用这份备份恢复的窗口机"
                   "没有县级登记的签名密钥；解锁后再运行一次 admin backup，备份里就会有它")
        summary["signing_key_missing"] = missing
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    if missing:
        print(f"注意：{missing}", file=sys.stderr)
        return 0 if without_key else 1
    return 0


def _restore(args: argparse.Namespace, data_dir: Path) -> int:
    return print_restore(Path(args.folder), data_dir, "counter")


def print_restore(folder: Path, data_dir: Path, label: str) -> int:
    """Restore ``data_dir`` from a backup folder and say, in Chinese, what was done and what
    is left to do (also ``hall-server restore``)."""
    from hallclient.store.backup import restore

    done = restore(folder.expanduser(), data_dir, label)
    which = "大厅服务器的数据" if label == "hall-server" else "数据目录"
    lines = [f"已从备份 {folder} 恢复{which} {data_dir}：",
             f"  数据库校验通过（结构版本 {done.schema_version}，操作日志 {done.log_entries} 条，"
             f"哈希链完整），共复制 {done.files} 个文件"]
    lines.append(f"  原来的内容已移到 {done.moved_aside}（未删除；确认恢复无误后可自行归档）"
                 if done.moved_aside else "  数据目录原来是空的，没有移走任何内容")
    if done.ignored:
        lines.append(f"  备份目录里的 {'、'.join(done.ignored)} 不属于备份（程序异常退出留下的），"
                     "没有复制")
    if label == "counter":
        lines.append("接下来：")
        if done.signing_key:
            lines.append("  1. 运行 hallclient admin bundle-key，核对日志包签名公钥指纹与备份时的一致")
        else:
            lines.append("  1. 备份里没有日志包签名私钥：若本机向县级交日志包，运行"
                         " hallclient admin bundle-key 查看；指纹与县级登记的不同时，按其提示处理")
        lines.append("  2. 用 hallclient admin set-device / join-hall 重新录入省平台设备密钥和大厅服务器令牌"
                     "（备份里不带它们）")
        lines.append("  3. 启动程序")
    else:
        lines.append("接下来：启动大厅服务器（hallclient hall-server）")
    print("\n".join(lines))
    return 0


def _sync_now(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.platform.client import AuthError, OfflineError, PlatformError, TransientError
    from hallclient.services.sync_service import make_engine, read_secret
    from hallclient.store import outbox_repo

    if _no_database(data_dir):
        return 2
    config = Config(data_dir / CONFIG_FILE)
    if not config["platform.url"]:
        print("未配置省平台地址（platform.url），办件只保存在本机", file=sys.stderr)
        return 2
    wrong = [p for p in config.problems if "platform." in p]
    if wrong:
        print("\n".join(wrong), file=sys.stderr)
        return 2
    missing = [what for what, held in (("设备标识（platform.device_id）", config["platform.device_id"]),
                                       ("设备密钥", read_secret(data_dir))) if not held]
    if missing:
        print(f"本机还没有登记省平台的{'和'.join(missing)}，没有连接平台：运行 hallclient admin"
              " set-device 设备标识（标识和密钥由省平台分配）", file=sys.stderr)
        return 2
    engine = make_engine(data_dir, config)
    client = engine.client
    with engine.db.write() as conn:      # an IT person asking means: try everything pending now
        for row in outbox_repo.all_rows(conn):
            if row["state"] == "pending":
                outbox_repo.retry_now(conn, row["id"])
    totals = {"done": 0, "retried": 0, "attention": 0, "superseded": 0}
    problems: list[str] = []
    link = "online"                      # online / offline / busy (429, 503 ...) / refused
    changed = 0
    catalog: dict[str, Any] = {"result": "not_tried", "items": None, "reason": None}
    try:
        for _ in range(1000):
            report = engine.run_once()
            for key in totals:
                totals[key] += getattr(report, key)
            problems += report.errors
            if report.auth_failed:
                link = "refused"
            elif report.offline:
                link = "offline"
            if report.touched == 0 or report.offline or report.auth_failed:
                break
        if link == "online":             # also the proof that the platform answers at all
            changed = engine.pull_changes()
            catalog = _refresh_catalog(engine)
    except AuthError as exc:
        problems.append(exc.message)
        link = "refused"
    except OfflineError as exc:
        problems.append(exc.message)
        link = "offline"
    except TransientError as exc:        # it answered: busy, or down for a while
        problems.append(exc.message)
        link = "busy"
    except PlatformError as exc:
        problems.append(exc.message)
    finally:
        status = engine.status()
        client.close()
        engine.db.close()
    result = {**totals, "status_changes": changed, **status, "platform": link,
              "catalog": catalog, "problems": problems[-5:]}
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print("\n".join(_sync_lines(config["platform.url"], totals, result)))
    if link != "online":
        return 4
    return 0 if status["pending"] == 0 and status["attention"] == 0 else 1


def _refresh_catalog(engine: Any) -> dict[str, Any]:
    """The item catalog (事项目录) fetched as the counter's own sync does: result
    "updated" / "unchanged" / "failed", the items this PC now has, the reason it failed."""
    from hallclient.platform.client import PlatformError, TransientError
    from hallclient.store import catalog_repo

    reason = None
    try:
        result = "updated" if engine.refresh_catalog() else "unchanged"
    except TransientError:
        raise                            # said as the platform's state
    except PlatformError as exc:
        result, reason = "failed", exc.message
    except ValueError as exc:            # a catalog the platform sent that we cannot use
        result, reason = "failed", f"平台发来的事项目录无法使用：{exc}"
    return {"result": result, "items": catalog_repo.count(engine.db.conn), "reason": reason}


def _catalog_line(catalog: dict[str, Any]) -> str:
    items = catalog["items"]
    if catalog["result"] == "updated":
        return f"事项目录：已从平台更新，本机共 {items} 个事项"
    if catalog["result"] == "unchanged":
        if not items:
            return ("事项目录：平台没有提供事项目录，本机一个事项也没有，受理列表是空的："
                    "请联系省平台发布事项目录")
        return f"事项目录：平台没有新版本，本机共 {items} 个事项"
    if catalog["result"] == "failed":
        return f"事项目录：更新失败，仍用本机原有的 {items} 个事项：{catalog['reason']}"
    return "事项目录：这次没有更新（平台没有正常应答）"


def _sync_lines(url: str, totals: dict[str, int], result: dict[str, Any]) -> list[str]:
    link = {"online": "已连接", "offline": "连不上（网络、地址或证书有问题，见下方原因）",
            "busy": "暂时繁忙或不可用（平台有应答，但请稍后再来），待上传的办件稍后自动重试",
            "refused": "拒绝了本机的设备凭据（重新登记：hallclient admin set-device 设备标识）"}
    lines = [f"省平台 {url}：{link[result['platform']]}",
             f"本次上传成功 {totals['done']} 件，稍后重试 {totals['retried']} 件，"
             f"被平台退回 {totals['attention']} 件，已被新版本取代 {totals['superseded']} 件；"
             f"平台上的状态变化 {result['status_changes']} 件"]
    lines.append(f"现在：待上传 {result['pending']} 件，需处理 {result['attention']} 件，"
                 f"已上传 {result['done']} 件")
    if result["oldest_pending_s"]:
        lines.append(f"最早一件已等待 {result['oldest_pending_s'] / 60:.0f} 分钟")
    if result["attention"]:
        lines.append("需处理的办件在窗口程序的待上传队列（Ctrl+O）中查看平台的退回原因，修改后重传")
    lines.append(_catalog_line(result["catalog"]))
    lines += [f"问题：{p}" for p in result["problems"]]
    return lines


def _ask_secret(args: argparse.Namespace, flag: str, what: str, variable: str,
                twice: bool = False) -> str | None:
    """The secret from standard input (``--…-stdin``) or typed at the terminal. None when
    there is none (the reason is printed): without a terminal nobody can type it."""
    option = "--" + flag.replace("_", "-")
    if getattr(args, flag):
        if sys.stdin is None:
            return ""
        try:
            return sys.stdin.readline().rstrip("\r\n")
        except UnicodeDecodeError:
            print(f"标准输入传来的{what}不是 UTF-8 文本，未保存任何内容：请用 UTF-8 编码传入"
                  f"（Windows 上先运行 chcp 65001，或设置环境变量 PYTHONUTF8=1）", file=sys.stderr)
            return None
    if sys.stdin is None or not sys.stdin.isatty():
        import shlex

        typed = shlex.join(getattr(args, "argv", []))    # the very command: no option is lost
        example = f"printf '%s\\n' \"${variable}\" | hallclient {typed}"
        print(f"没有终端可以输入{what}（在脚本、计划任务或 CI 中运行时就是这样）：请加 {option}，"
              f"从标准输入传入，如\n  {example} {option}", file=sys.stderr)
        return None
    try:
        value = getpass.getpass(f"{what}：")
        if twice and getpass.getpass("再次输入：") != value:
            print(f"两次输入的{what}不一致，未保存", file=sys.stderr)
            return None
    except (EOFError, KeyboardInterrupt):
        print("\n已取消，未保存任何内容", file=sys.stderr)
        return None
    return value


def _set_device(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.services.sync_service import write_secret

    secret = _ask_secret(args, "secret_stdin", "设备密钥", "SECRET")
    if secret is None:
        return 2
    secret = secret.strip()
    if not secret:
        print("密钥不能为空", file=sys.stderr)
        return 2
    config = Config(data_dir / CONFIG_FILE)
    config.set("platform.device_id", args.device_id)       # checked before anything is stored
    # the secret first: a failure then never leaves the new device id paired with the old secret
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        where = write_secret(data_dir, secret)
    except OSError as exc:
        print(f"设备密钥无法保存（{exc.strerror or exc}），设备标识也没有改：检查数据目录 {data_dir}"
              " 的权限和磁盘空间后再运行一次", file=sys.stderr)
        return 3
    _make_database(data_dir)
    _save(config, data_dir)
    place = "系统密钥环" if where == "keyring" else f"{where}（仅本用户可读）"
    print(f"已登记设备 {args.device_id}，密钥保存在{place}")
    return 0


def _join_hall(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.services.sync_service import write_secret

    config = Config(data_dir / CONFIG_FILE)
    url = args.url.strip().rstrip("/")
    config.set("queue.source", "hall")
    config.set("hall.server_url", url)           # a malformed address is refused here
    config.set("hall.device_id", args.device_id)
    token = _ask_secret(args, "token_stdin", "设备令牌", "TOKEN")
    if token is None:
        return 2
    token = token.strip()
    if not token:
        print("令牌不能为空", file=sys.stderr)
        return 2
    try:
        device = check_hall(url, args.device_id, token, config["hall.ca_bundle"])
    except JoinRefusedError as exc:
        print(f"未加入大厅服务器，没有保存任何设置：{exc}", file=sys.stderr)
        return 2
    _make_database(data_dir)
    _save(config, data_dir)
    where = write_secret(data_dir, token, kind="hall")
    place = "系统密钥环" if where == "keyring" else f"{where}（仅本用户可读）"
    kind = _DEVICE_KINDS.get(device.get("kind", ""), device.get("kind", ""))
    bound = f"，只能操作 {device['window']} 号窗口" if device.get("window") else ""
    print(f"已改用大厅服务器 {url}：设备 {args.device_id}（{kind}{bound}），令牌保存在{place}")
    return 0


_DEVICE_KINDS = {"counter": "窗口机", "kiosk": "取号机", "panel": "综合屏"}
HALL_API = "/api/v1"
PROBE_TIMEOUT_S = (3.0, 8.0)


class JoinRefusedError(Exception):
    """Why this PC cannot join the hall server (in Chinese)."""


def check_hall(url: str, device_id: str, token: str, ca_bundle: str = "") -> dict[str, Any]:
    """Prove that ``url`` is a hall server this PC can reach and trust, and that ``token``
    is ``device_id``'s; returns the device as the server knows it. Raises JoinRefusedError
    with the reason and what to do."""
    import requests

    if ca_bundle:
        try:
            Config().set("hall.ca_bundle", ca_bundle)
        except ConfigError as exc:
            raise JoinRefusedError(str(exc)) from None
    verify: bool | str = ca_bundle or True
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    where = f"{host}:{port}"
    try:
        health = requests.get(url + HALL_API + "/health", timeout=PROBE_TIMEOUT_S, verify=verify)
    except requests.exceptions.SSLError as exc:
        raise JoinRefusedError(_tls_problem(exc, url, where, ca_bundle)) from None
    except requests.exceptions.Timeout:
        raise JoinRefusedError(f"连接大厅服务器 {where} 超时：检查网络、防火墙，以及服务器是否在运行"
                               ) from None
    except requests.exceptions.ConnectionError as exc:
        if parts.scheme == "http" and _speaks_tls(host, port):
            need_ca = ("" if ca_bundle else "；服务器证书由自建 CA 签发时，先配置该 CA：hallclient admin "
                       "config --set hall.ca_bundle=CA证书.pem")
            raise JoinRefusedError(f"{where} 上的服务用的是 https，地址应写成 https://"
                                   f"{parts.netloc}{parts.path}{need_ca}") from None
        raise JoinRefusedError(_unreachable(exc, where)) from None
    except requests.RequestException as exc:
        raise JoinRefusedError(f"无法连接大厅服务器 {where}（{type(exc).__name__}）") from None
    if health.status_code != 200 or not _json_of(health).get("ok"):
        raise JoinRefusedError(f"{url} 不像是大厅服务器（{HALL_API}/health 回答 HTTP {health.status_code}）："
                               "核对地址和端口（大厅服务器默认端口 8710）")
    return _check_token(url, device_id, token, verify)


def _check_token(url: str, device_id: str, token: str, verify: bool | str) -> dict[str, Any]:
    import requests

    headers = {"Authorization": f"Bearer {token}"}
    try:
        answer = requests.get(url + HALL_API + "/device", params={"device_id": device_id},
                              headers=headers, timeout=PROBE_TIMEOUT_S, verify=verify)
        if answer.status_code == 404:            # a hall server from before /device
            answer = requests.get(url + HALL_API + "/hall", headers=headers,
                                  timeout=PROBE_TIMEOUT_S, verify=verify)
            if answer.status_code == 200:
                return {"device_id": device_id}
    except requests.RequestException as exc:
        raise JoinRefusedError(f"大厅服务器中途断开（{type(exc).__name__}），请重试") from None
    again = (f"在大厅服务器上运行 hallclient hall-server add-device {device_id} --kind counter"
             " --window 窗口号（取号机用 --kind kiosk，综合屏用 --kind panel），输入它打印的令牌")
    if answer.status_code in (401, 403):
        detail = _json_of(answer).get("detail")
        registered = detail.get("registered") if isinstance(detail, dict) else None
        if registered is False:
            raise JoinRefusedError(f"大厅服务器上没有登记设备 {device_id}（未知设备）：{again}")
        if registered is True:
            raise JoinRefusedError(
                f"令牌不对：设备 {device_id} 已在大厅服务器登记，但令牌与它不符。令牌只在登记时显示一次；"
                f"找不到正确的令牌就重新登记（旧令牌随即作废）：{again}")
        raise JoinRefusedError(f"大厅服务器拒绝了这个令牌（设备未登记或令牌错误）：{again}")
    if answer.status_code != 200:
        raise JoinRefusedError(f"大厅服务器出错（HTTP {answer.status_code}），请稍后重试或查看服务器日志")
    device = _json_of(answer)
    if device.get("device_id") != device_id:
        raise JoinRefusedError(
            f"这个令牌属于设备 {device.get('device_id')}，不是 {device_id}：核对设备标识，"
            f"或为 {device_id} 登记后用它自己的令牌（{again}）")
    return device


def _json_of(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and everything underneath it (requests wraps urllib3 wraps socket)."""
    seen: list[BaseException] = []
    todo: list[Any] = [exc]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or any(item is s for s in seen):
            continue
        seen.append(item)
        todo += [item.__cause__, item.__context__, getattr(item, "reason", None), *item.args]
    return seen


def _unreachable(exc: BaseException, where: str) -> str:
    causes = _causes(exc)
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return f"大厅服务器 {where} 拒绝连接：服务器没有运行，或端口不对"
    if any(isinstance(c, socket.gaierror) or type(c).__name__ == "NameResolutionError" for c in causes):
        return f"找不到主机 {where.rsplit(':', 1)[0]}：核对地址"
    return f"无法连接大厅服务器 {where}：检查网络、防火墙，以及服务器是否在运行"


def _speaks_tls(host: str, port: int) -> bool:
    """Whether a TLS server answers there (only to tell an http:// address that should be
    https://; nothing is sent, the certificate is not looked at)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=3) as raw, \
                context.wrap_socket(raw, server_hostname=host):
            return True
    except OSError:
        return False


def _tls_problem(exc: BaseException, url: str, where: str, ca_bundle: str) -> str:
    import requests

    parts = urlsplit(url)
    plain = f"http://{parts.netloc}{parts.path}"
    try:
        if requests.get(plain + HALL_API + "/health", timeout=PROBE_TIMEOUT_S).status_code == 200:
            return f"{where} 上的大厅服务器没有用 https，地址应写成 {plain}"
    except requests.RequestException:
        pass
    failed = [c for c in _causes(exc) if isinstance(c, ssl.SSLCertVerificationError)]
    if not failed:
        return f"与大厅服务器 {where} 建立 https 连接失败：{_ssl_reason(exc)}"
    code = failed[0].verify_code
    if code == 62:                                   # X509_V_ERR_HOSTNAME_MISMATCH
        return (f"大厅服务器证书上的名称与地址中的 {parts.hostname} 不符：地址要写证书上的名称或 IP，"
                "或为服务器重新签发含该地址的证书")
    if code == 10:                                   # X509_V_ERR_CERT_HAS_EXPIRED
        return "大厅服务器的证书已过期：请为服务器换发新证书"
    if ca_bundle:
        return (f"大厅服务器的证书不是由 hall.ca_bundle 中的 CA（{ca_bundle}）签发的，本机不信任它："
                "核对 CA 证书文件是否就是签发服务器证书的那一个")
    return ("大厅服务器的证书不受本机信任（自建 CA 签发）：把签发它的 CA 证书（PEM 文件）配置给本机后再试："
            "hallclient admin config --set hall.ca_bundle=CA证书.pem")


def _ssl_reason(exc: BaseException) -> str:
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLError) and cause.reason:
            return str(cause.reason)
    return type(exc).__name__


def _report(args: argparse.Namespace, data_dir: Path) -> int:
    import os
    from datetime import date, datetime, timedelta

    from hallclient.documents import report_tables
    from hallclient.services import reporting
    from hallclient.store import report_repo
    from hallclient.store.db import open_database

    try:
        first = date.fromisoformat(args.date)
        last = date.fromisoformat(args.to) if args.to else first
    except ValueError:
        print("日期不对：应写成 YYYY-MM-DD，且是日历上有的日期（如 2026-11-27）", file=sys.stderr)
        return 2
    if last < first:
        print("区间终点早于起点", file=sys.stderr)
        return 2
    if _no_database(data_dir):
        return 2
    config = Config(data_dir / CONFIG_FILE)
    db = open_database(data_dir / DB_FILE)
    try:
        data, prefix = None, ""
        if args.from_bundles:
            data = report_repo.load_pushed(db.conn, first, last)
            devices = db.conn.execute(
                "SELECT count(DISTINCT device) FROM pushed_log WHERE at >= ? AND at < ?",
                (first.isoformat(), (last + timedelta(days=1)).isoformat())).fetchone()[0]
            prefix = f"来自 {devices} 台窗口机的签名日志包（导入时已逐条校验）；本机日志"
        result = reporting.period_report(
            db.conn, first, last, datetime.now().astimezone(),
            config["report.wait_target_minutes"], config["report.service_target_minutes"],
            data=data, log_prefix=prefix)
    finally:
        db.close()
    tables = result["tables"]
    period = reporting.period_text(first, last)
    heading = reporting.heading(config["hall.name"], first, last) + (
        "（各窗口机日志包）" if args.from_bundles else "")
    name = f"日报-{period.replace(' 至 ', '_')}.{args.format}"
    out = Path(args.out) if args.out else data_dir / "reports" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.format == "csv":
        report_tables.write_csv(tables, out, heading)
    elif args.format == "xlsx":
        report_tables.write_xlsx(tables, out, heading)
    else:
        if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                     or os.environ.get("WAYLAND_DISPLAY")):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtGui import QGuiApplication

        _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
        report_tables.write_pdf(tables, out, heading)
    print(f"已导出 {out}")
    return 0 if result["intact"] else 1


def _signing_key(data_dir: Path, create: bool = True, prefer: str = "") -> str:
    """This counter's Ed25519 key for log bundles: made once, kept like the device secret.

    A restore brings the key back as a file in the data dir (see store.backup). Where this
    PC has a keyring the key moves into it; else the file is made owner-only again (a copy
    off a FAT stick is readable by all). When the keyring already holds another key for this
    data dir, nothing guesses which one the county registered: BundleError says how to choose
    (``prefer`` = "restored" or "keyring")."""
    from hallclient.core.bundle import BundleError, fingerprint, new_private_key, public_key_of
    from hallclient.services.sync_service import secret_file

    in_ring, in_file = _stored_signing_key(data_dir)
    path = secret_file(data_dir, "signing")
    for pem, where in ((in_file, str(path)), (in_ring, "系统密钥环")):
        try:
            public_key_of(pem) if pem else None
        except (ValueError, TypeError, AssertionError) as exc:
            raise BundleError(
                f"{where}中的日志包签名私钥无法读取（已损坏，或不是本程序的密钥）：从备份恢复"
                f" {path.name}，或用 admin bundle-key --rotate --old-key-lost 换新密钥并请县级重新登记"
            ) from exc
    if in_file and in_ring and in_ring != in_file:
        if prefer == "keyring":
            path.unlink()
            return in_ring
        if prefer != "restored":
            raise BundleError(
                f"数据目录里有从备份恢复的签名私钥（指纹 {fingerprint(public_key_of(in_file))}），"
                f"系统密钥环里另有一把（指纹 {fingerprint(public_key_of(in_ring))}）。请向县级核对登记的"
                "指纹：是前者，运行 admin bundle-key --use-restored；是后者，运行 admin bundle-key"
                " --keep-keyring")
    if in_file:
        if in_ring is not None:
            _store_signing_key(data_dir, in_file)                # into the keyring, file removed
        elif os.name != "nt" and stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(0o600)
        return in_file
    if in_ring or not create:
        return in_ring or ""
    key = new_private_key()
    data_dir.mkdir(parents=True, exist_ok=True)
    _store_signing_key(data_dir, key)
    return key


_KEYRING_FAILED = ("本机的日志包签名私钥在系统密钥环里，读不到它就不能签名；为免县级拒收本机的日志包，"
                   "没有生成新密钥，也没有更换密钥（不要为此用 --old-key-lost）")


def _stored_signing_key(data_dir: Path) -> tuple[str | None, str]:
    """stored_secret for the signing key; a keyring that exists but fails is BundleError
    (never "no keyring": a new key in a file would be one the county does not know)."""
    from hallclient.core.bundle import BundleError
    from hallclient.services.sync_service import KeyringUnavailableError, stored_secret

    try:
        return stored_secret(data_dir, kind="signing")
    except KeyringUnavailableError as exc:
        raise BundleError(f"{exc}。{_KEYRING_FAILED}") from exc


def _store_signing_key(data_dir: Path, key: str) -> None:
    from hallclient.core.bundle import BundleError
    from hallclient.services.sync_service import KeyringUnavailableError, write_secret

    try:
        write_secret(data_dir, key, kind="signing")
    except KeyringUnavailableError as exc:
        raise BundleError(f"{exc}。{_KEYRING_FAILED}") from exc


def _bundle_key(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.core.bundle import BundleError, fingerprint, public_key_of
    from hallclient.services.sync_service import secret_file

    if args.old_key_lost and not args.rotate:
        print("--old-key-lost 要与 --rotate 一起用", file=sys.stderr)
        return 2
    if _no_database(data_dir):          # a mistyped --data-dir must not get a key of its own
        return 2
    prefer = "restored" if args.use_restored else ("keyring" if args.keep_keyring else "")
    try:
        if args.rotate:
            return _rotate_key(data_dir, prefer, args.old_key_lost)
        key = _signing_key(data_dir, prefer=prefer)
        in_ring, _ = _stored_signing_key(data_dir)
    except BundleError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"日志包签名公钥指纹：{fingerprint(public_key_of(key))}")
    where = "系统密钥环" if in_ring == key else f"{secret_file(data_dir, 'signing')}（仅本用户可读）"
    print(f"私钥保存在{where}")
    return 0


def _rotate_key(data_dir: Path, prefer: str, old_key_lost: bool) -> int:
    """A new signing key; the old one, when it is here and not given up as leaked, signs the
    rotation statement. Statement and log entry commit before the new key is stored: a
    crash between leaves the old key in use and a statement no bundle relies on."""
    from datetime import datetime

    from hallclient.core import bundle
    from hallclient.store import bundle_repo, log_repo
    from hallclient.store.db import open_database

    _stored_signing_key(data_dir)        # a failing keyring stops us before anything is logged
    old = "" if old_key_lost else _signing_key(data_dir, create=False, prefer=prefer)
    new = bundle.new_private_key()
    new_public = bundle.public_key_of(new)
    at = datetime.now().astimezone().isoformat(timespec="seconds")
    data_dir.mkdir(parents=True, exist_ok=True)
    db = open_database(data_dir / DB_FILE)
    try:
        device = log_repo.device_id(db.conn)
        statement = bundle.rotation_statement(old, new_public, device=device, at=at) if old else None
        with db.write() as conn:
            bundle_repo.record_rotation(conn, at, bundle.public_key_of(old) if old else None,
                                        new_public, statement)
    finally:
        db.close()
    _store_signing_key(data_dir, new)
    new_fp = bundle.fingerprint(new_public)
    if statement is not None:
        old_fp = bundle.fingerprint(statement["old_public_key"])
        print(f"已更换日志包签名密钥（设备 {device}）\n旧指纹：{old_fp}\n新指纹：{new_fp}\n"
              "旧密钥已签更换声明并记入本机操作日志；之后导出的每个日志包都附带它，"
              "县级导入时自动核验并改登新公钥，无需重新登记。请尽快导出下一个日志包交县级。")
    else:
        print(f"已生成新的日志包签名密钥（设备 {device}）\n新指纹：{new_fp}\n"
              f"{'旧密钥已声明丢失' if old_key_lost else '本机没有旧密钥'}，没有签更换声明：县级会拒收本机"
              "之后的日志包，直到县级管理员电话核对上面的新指纹后运行\n"
              f"  hallclient admin import-bundle 日志包文件 --re-register {device}"
              f' --fingerprint "{new_fp}"')
    return 0


def _export_bundle(args: argparse.Namespace, data_dir: Path) -> int:
    from datetime import date

    from hallclient.core.bundle import BundleError
    from hallclient.store import bundle_repo
    from hallclient.store.db import open_database

    if _no_database(data_dir):          # not a new database, device id and key in a typo
        return 2

    try:
        day = date.fromisoformat(args.date)
    except ValueError:
        print("日期不对：应写成 YYYY-MM-DD，且是日历上有的日期（如 2026-11-27）", file=sys.stderr)
        return 2
    config = Config(data_dir / CONFIG_FILE)
    try:
        key = _signing_key(data_dir)
    except BundleError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    db = open_database(data_dir / DB_FILE)
    try:
        doc = bundle_repo.export(db.conn, day, config["hall.name"], key)
    finally:
        db.close()
    out = Path(args.out) if args.out else (
        data_dir / "bundles" / f"日志包-{doc['device']}-{day.isoformat()}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"已导出 {doc['count']} 条日志到 {out}")
    return 0


def _import_bundle(args: argparse.Namespace, data_dir: Path) -> int:
    from datetime import datetime

    from hallclient.core.bundle import BundleError
    from hallclient.store import bundle_repo, log_repo
    from hallclient.store.db import open_database

    if bool(args.re_register) != bool(args.fingerprint):
        print("--re-register 与 --fingerprint 要一起用：写明设备和电话核对的新指纹", file=sys.stderr)
        return 2
    re_register = (args.re_register, args.fingerprint) if args.re_register else None
    db = open_database(data_dir / DB_FILE)
    worst = 0
    try:
        for name in args.files:
            at = datetime.now().astimezone().isoformat(timespec="milliseconds")
            try:
                doc = _read_bundle_file(Path(name))
                with db.write() as conn:
                    result = bundle_repo.import_bundle(conn, doc, at, trust_new=args.trust,
                                                       re_register=re_register)
                    log_repo.append(conn, at=at, action="bundle_imported",
                                    detail={k: result[k] for k in
                                            ("device", "day", "added", "already_had")})
            except BundleError as exc:
                print(f"拒绝 {name}：{exc}", file=sys.stderr)
                worst = 1
                continue
            note = "（已导入过，未重复计入）" if not result["added"] else ""
            if change := result["key_change"]:
                how = "县级重新登记" if change["via"] == "re_registration" else "该设备旧密钥签的更换声明"
                print(f"设备 {change['device']} 的签名公钥已更换：{change['old_fingerprint']} →"
                      f" {change['new_fingerprint']}（依据{how}），已记入操作日志")
            print(f"已导入 {name}：设备 {result['device']} {result['day']}，新增"
                  f" {result['added']} 条，已有 {result['already_had']} 条{note}")
    finally:
        db.close()
    return worst


def _read_bundle_file(path: Path) -> Any:
    """A bundle file's JSON; BundleError in Chinese when it cannot be read or parsed (a
    missing file, a crafted one nested too deep to parse)."""
    from hallclient.core.bundle import BundleError

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BundleError("找不到这个文件：请检查文件名和路径（U 盘是否已插好）") from None
    except IsADirectoryError:
        raise BundleError("这是一个目录，不是日志包文件") from None
    except PermissionError:
        raise BundleError("没有权限读取这个文件") from None
    except UnicodeDecodeError:
        raise BundleError("不是 UTF-8 文本，不是日志包文件") from None
    except OSError as exc:
        raise BundleError(f"无法读取文件（{exc.strerror or type(exc).__name__}）") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise BundleError("文件中的 JSON 嵌套层数过多，不是本程序导出的日志包") from None
    except json.JSONDecodeError as exc:
        raise BundleError(f"不是正确的 JSON（第 {exc.lineno} 行第 {exc.colno} 列附近有错），"
                          "文件可能不完整或被改动过") from None


def _add_clerk(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.services.context import open_context

    for value, what in ((args.username, "账户名"), (args.name, "显示姓名（--name）")):
        if not value.strip():
            print(f"{what}不能为空", file=sys.stderr)
            return 2
        if not value.isprintable():
            print(f"{what}不能含换行或控制字符", file=sys.stderr)
            return 2
    password = _ask_secret(args, "password_stdin", "密码", "PASSWORD", twice=True)
    if password is None:
        return 2
    if len(password) < 4:
        print("密码至少 4 位", file=sys.stderr)
        return 2
    ctx = open_context(data_dir, Config(data_dir / CONFIG_FILE))
    try:
        ctx.add_clerk(args.username, args.name, Role(args.role), password)
    finally:
        ctx.close()
    role = {"clerk": "窗口人员", "supervisor": "值班长", "admin": "管理员"}.get(args.role, args.role)
    print(f"已保存账户 {args.username}（{args.name}，{role}）")
    return 0


def _import_hall(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient import resources
    from hallclient.services.context import open_context

    path = Path(args.file) if args.file else resources.path("demo", "hall.json")
    spec = read_hall_file(path)
    config = Config(data_dir / CONFIG_FILE)
    named = _hall_settings(config, spec, path)          # checked before anything is written
    ctx = open_context(data_dir, config)
    try:
        ctx.import_hall(spec)
    finally:
        ctx.close()
    if named:
        _save(config, data_dir)
    print(f"已导入 {len(spec.get('services', []))} 个业务、{len(spec.get('windows', []))} 个窗口")
    for key in named:
        print(f"已保存 {key} = {config.text(key)}")
    return 0


def _hall_settings(config: Config, spec: dict[str, Any], path: Path) -> list[str]:
    """Set hall.name and hall.region_code from the hall file's "hall" and "region_code";
    the keys set. HallConfigError when a value is not usable."""
    named = []
    for field, key in (("hall", "hall.name"), ("region_code", "hall.region_code")):
        if field not in spec:
            continue
        value = spec[field]
        if not isinstance(value, str):
            raise HallConfigError(f"大厅配置 {path} 中的 {field} 应是文字（如 \"330109\"）")
        try:
            config.set(key, value.strip())
        except ConfigError as exc:
            raise HallConfigError(f"大厅配置 {path} 中的 {field} 不能使用：{exc}") from None
        named.append(key)
    return named


def read_hall_file(path: Path) -> dict[str, Any]:
    """A hall file (services and windows) read for import; HallConfigError says in Chinese
    what is wrong with it (also for ``hall-server import-hall``)."""
    from hallclient.services.context import load_hall_file

    try:
        spec = load_hall_file(path)
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


def _save(config: Config, data_dir: Path) -> None:
    """Save config.ini; say which values it held that could not be kept (an invalid value
    was read as its default, an unknown key is not written again)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    config.save()
    for problem in config.problems:
        if "暂用默认值" in problem or "未知配置项" in problem:
            print(f"注意：config.ini 中原有的这一项没有保留：{problem}", file=sys.stderr)


def _config(args: argparse.Namespace, data_dir: Path) -> int:
    config = Config(data_dir / CONFIG_FILE)
    before = set(config.gaps())
    changed = []
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            print(f"应写成 --set 配置项=值，如 --set queue.recall_limit=3（而不是 {item}）", file=sys.stderr)
            return 2
        config.set(key.strip(), value.strip())      # an invalid value stops here: nothing saved
        changed.append(key.strip())
    if args.set:
        _make_database(data_dir)
        _save(config, data_dir)
        for key in changed:
            print(f"已保存 {key} = {config.text(key)}")
        for gap in config.gaps():
            if gap not in before:
                print(f"注意：{gap}", file=sys.stderr)
    if args.list or not args.set:
        for o in OPTIONS:
            print(f"{o.key} = {config.text(o.key)}    # {o.description}")
        for problem in [*config.problems, *config.gaps()]:
            print(f"问题：{problem}", file=sys.stderr)
    return 0


_COMMANDS = {
    "verify-log": _verify,
    "status": _status,
    "cases": _cases,
    "backup": _backup,
    "restore": _restore,
    "add-clerk": _add_clerk,
    "sync-now": _sync_now,
    "set-device": _set_device,
    "join-hall": _join_hall,
    "report": _report,
    "bundle-key": _bundle_key,
    "export-bundle": _export_bundle,
    "import-bundle": _import_bundle,
    "import-hall": _import_hall,
    "config": _config,
}
