"""``hallclient admin ...``: commands for IT staff. No Qt needed."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sqlite3
import stat
import sys
from pathlib import Path

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
    bak.add_argument("out", help="备份存放的目录（如 U 盘或共享目录），其中新建 hallclient-<设备>-<时间>")
    clerk = cmds.add_parser("add-clerk", help="新增或修改本地账户")
    clerk.add_argument("username")
    clerk.add_argument("--name", required=True, help="显示姓名")
    clerk.add_argument("--role", choices=[r.value for r in Role], default="clerk")
    clerk.add_argument("--password-stdin", action="store_true", help="从标准输入读密码")
    cmds.add_parser("sync-now", help="立即上传待上传队列并拉取平台状态")
    secret = cmds.add_parser("set-device", help="登记本机在省平台的设备标识和密钥")
    secret.add_argument("device_id")
    secret.add_argument("--secret-stdin", action="store_true", help="从标准输入读密钥")
    join = cmds.add_parser("join-hall", help="改用大厅服务器的共享队列：保存地址、设备标识和令牌")
    join.add_argument("url", help="大厅服务器地址，如 http://192.168.1.10:8710")
    join.add_argument("device_id", help="在大厅服务器登记的设备标识（hall-server add-device 时填写的）")
    join.add_argument("--token-stdin", action="store_true", help="从标准输入读令牌")
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
    try:
        return _COMMANDS[args.admin_command](args, data_dir)
    except (StoreError, QueueError) as exc:
        print(exc.message, file=sys.stderr)
        return 3
    except (HallConfigError, ConfigError) as exc:
        print(str(exc), file=sys.stderr)
        return 2


def _verify(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.store import log_repo

    path = Path(args.file) if args.file else data_dir / DB_FILE
    if not path.exists():
        print(f"文件不存在：{path}", file=sys.stderr)
        return 2
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        verdict = log_repo.verify(conn)
        conn.close()
    except sqlite3.Error as exc:
        raise translate_error(exc, path) from exc
    print(verdict.describe())
    return 0 if verdict.intact else 1


def _status(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.services.context import open_context
    from hallclient.store import log_repo, outbox_repo

    config = Config(data_dir / CONFIG_FILE)
    ctx = open_context(data_dir, config)
    try:
        try:
            waiting: dict[str, dict[int, int]] | None = ctx.queue.waiting_counts()
            windows = ctx.queue.windows()
        except QueueError as exc:        # the hall server is out of reach
            waiting, windows = None, []
            config.problems.append(exc.message)
        tables = ctx.db.utils.table_names()
        verdict = log_repo.verify(ctx.db.conn)
        info = {
            "data_dir": str(data_dir),
            "database": str(ctx.db.path),
            "schema_version": ctx.db.conn.execute("PRAGMA user_version").fetchone()[0],
            "tables": {t: ctx.db.utils[t].count for t in tables},
            "device_id": log_repo.device_id(ctx.db.conn),
            "queue_source": config["queue.source"],
            "clerks": ctx.clerk_count(),
            "windows": [
                {"number": w.number, "state": w.state, "clerk": w.clerk, "services": list(w.services)}
                for w in windows
            ],
            "waiting": ({svc: sum(c.values()) for svc, c in waiting.items()}
                        if waiting is not None else None),
            "hall": ctx.queue.status() if hasattr(ctx.queue, "status") else None,
            "event_log": {"intact": verdict.intact, "entries": verdict.entries},
            "sync": {"platform_url": config["platform.url"] or None,
                     "outbox": outbox_repo.counts(ctx.db.conn),
                     "oldest_pending": outbox_repo.oldest_pending(ctx.db.conn)},
            "config_problems": config.problems,
        }
    finally:
        ctx.close()
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
    else:
        for key, value in info.items():
            print(f"{key}: {value}")
    return 0


def _cases(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.core.cases import CaseStatus
    from hallclient.core.validators import mask_id, mask_mobile
    from hallclient.services.context import open_context
    from hallclient.store import case_repo, outbox_repo

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
        print(f"{c['case_no']}  {c['received_at'][:16]}  {c['status']}  {c['item']}  {c['applicant']}"
              f" {c['id_number']}  窗口{c['window']}  {'已上传' if c['uploaded'] else '待上传'}")
    return 0


def _backup(args: argparse.Namespace, data_dir: Path) -> int:
    return print_backup(data_dir, Path(args.out), "counter")


def print_backup(data_dir: Path, out: Path, label: str) -> int:
    """Back ``data_dir`` up under ``out`` and print the summary (also ``hall-server backup``).
    The log-bundle signing key goes with it (the county knows this counter by it); the
    device secret and hall token do not."""
    from hallclient.core.bundle import fingerprint, public_key_of
    from hallclient.services.sync_service import read_secret, secret_file
    from hallclient.store.backup import backup

    key = read_secret(data_dir, kind="signing")
    key_file = secret_file(data_dir, "signing").name
    done = backup(data_dir, out.expanduser().resolve(), label, secrets={key_file: key} if key else None)
    keep_safe = "备份里有办件和申请人信息"
    restore = "程序关闭后，把该目录的内容复制为数据目录；"
    if key:
        keep_safe += "，还有本机日志包签名私钥：拿到备份的人能冒充本机给日志包签名"
        restore += "再运行 admin bundle-key（核对指纹；私钥移入系统密钥环，或设为仅本用户可读），"
    keep_safe += "。请存放在加密的 U 盘或只有信息管理员能进的位置，用完锁好"
    if key:
        keep_safe += ("；备份丢失时，在本机运行 admin bundle-key --rotate --old-key-lost，"
                      "并请县级按新指纹重新登记")
    summary: dict[str, object] = {
        "backup": str(done.folder), "schema_version": done.schema_version,
        "event_log_entries": done.log_entries, "files": done.files, "bytes": done.bytes,
        "signing_key": {"file": key_file, "fingerprint": fingerprint(public_key_of(key)),
                        "owner_only": done.secrets_owner_only} if key else None,
        "keep_safe": keep_safe,
        "restore": restore + "用 admin set-device / join-hall 录入设备密钥和令牌",
    }
    if done.secrets_owner_only is False:
        summary["warning"] = ("备份盘不支持文件权限（如 FAT/exFAT 格式的 U 盘）：私钥文件任何能读这个盘的人"
                              "都能读，请改用加密的 U 盘，或 NTFS/ext4 格式的磁盘")
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


def _sync_now(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.platform.client import PlatformError
    from hallclient.services.sync_service import make_engine
    from hallclient.store import outbox_repo

    config = Config(data_dir / CONFIG_FILE)
    if not config["platform.url"]:
        print("未配置省平台地址（platform.url），办件只保存在本机", file=sys.stderr)
        return 2
    engine = make_engine(data_dir, config)
    client = engine.client
    with engine.db.write() as conn:      # an IT person asking means: try everything pending now
        for row in outbox_repo.all_rows(conn):
            if row["state"] == "pending":
                outbox_repo.retry_now(conn, row["id"])
    totals = {"done": 0, "retried": 0, "attention": 0, "superseded": 0}
    problems: list[str] = []
    try:
        for _ in range(1000):
            report = engine.run_once()
            for key in totals:
                totals[key] += getattr(report, key)
            problems += report.errors
            if report.touched == 0 or report.offline or report.auth_failed:
                break
        changed = engine.pull_changes()
    except PlatformError as exc:
        problems.append(exc.message)
        changed = 0
    finally:
        status = engine.status()
        client.close()
        engine.db.close()
    print(json.dumps({**totals, "status_changes": changed, **status, "problems": problems[-5:]},
                     ensure_ascii=False, indent=2))
    return 0 if status["pending"] == 0 and status["attention"] == 0 else 1


def _set_device(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.services.sync_service import write_secret

    secret = sys.stdin.readline().strip() if args.secret_stdin else getpass.getpass("设备密钥：")
    if not secret:
        print("密钥不能为空", file=sys.stderr)
        return 2
    config = Config(data_dir / CONFIG_FILE)
    config.set("platform.device_id", args.device_id)
    data_dir.mkdir(parents=True, exist_ok=True)
    config.save()
    where = write_secret(data_dir, secret)
    place = "系统密钥环" if where == "keyring" else f"{where}（仅本用户可读）"
    print(f"已登记设备 {args.device_id}，密钥保存在{place}")
    return 0


def _join_hall(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.services.sync_service import write_secret

    token = sys.stdin.readline().strip() if args.token_stdin else getpass.getpass("设备令牌：")
    if not token:
        print("令牌不能为空", file=sys.stderr)
        return 2
    if not args.url.startswith(("http://", "https://")):
        print("大厅服务器地址应以 http:// 或 https:// 开头", file=sys.stderr)
        return 2
    config = Config(data_dir / CONFIG_FILE)
    config.set("queue.source", "hall")
    config.set("hall.server_url", args.url)
    config.set("hall.device_id", args.device_id)
    data_dir.mkdir(parents=True, exist_ok=True)
    config.save()
    where = write_secret(data_dir, token, kind="hall")
    place = "系统密钥环" if where == "keyring" else f"{where}（仅本用户可读）"
    print(f"已改用大厅服务器 {args.url}（设备 {args.device_id}），令牌保存在{place}")
    return 0


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
        print("日期应写成 YYYY-MM-DD", file=sys.stderr)
        return 2
    if last < first:
        print("区间终点早于起点", file=sys.stderr)
        return 2
    config = Config(data_dir / CONFIG_FILE)
    path = data_dir / DB_FILE
    if not path.exists():
        print(f"没有数据库：{path}", file=sys.stderr)
        return 3
    db = open_database(path)
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
    from hallclient.services.sync_service import secret_file, stored_secret, write_secret

    in_ring, in_file = stored_secret(data_dir, kind="signing")
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
            write_secret(data_dir, in_file, kind="signing")       # into the keyring, file removed
        elif os.name != "nt" and stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(0o600)
        return in_file
    if in_ring or not create:
        return in_ring or ""
    key = new_private_key()
    data_dir.mkdir(parents=True, exist_ok=True)
    write_secret(data_dir, key, kind="signing")
    return key


def _bundle_key(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.core.bundle import BundleError, fingerprint, public_key_of
    from hallclient.services.sync_service import secret_file, stored_secret

    if args.old_key_lost and not args.rotate:
        print("--old-key-lost 要与 --rotate 一起用", file=sys.stderr)
        return 2
    prefer = "restored" if args.use_restored else ("keyring" if args.keep_keyring else "")
    try:
        if args.rotate:
            return _rotate_key(data_dir, prefer, args.old_key_lost)
        key = _signing_key(data_dir, prefer=prefer)
    except BundleError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"日志包签名公钥指纹：{fingerprint(public_key_of(key))}")
    in_ring, _ = stored_secret(data_dir, kind="signing")
    where = "系统密钥环" if in_ring == key else f"{secret_file(data_dir, 'signing')}（仅本用户可读）"
    print(f"私钥保存在{where}")
    return 0


def _rotate_key(data_dir: Path, prefer: str, old_key_lost: bool) -> int:
    """A new signing key; the old one, when it is here and not given up as leaked, signs the
    rotation statement. Statement and log entry commit before the new key is stored: a
    crash between leaves the old key in use and a statement no bundle relies on."""
    from datetime import datetime

    from hallclient.core import bundle
    from hallclient.services.sync_service import write_secret
    from hallclient.store import bundle_repo, log_repo
    from hallclient.store.db import open_database

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
    write_secret(data_dir, new, kind="signing")
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

    try:
        day = date.fromisoformat(args.date)
    except ValueError:
        print("日期应写成 YYYY-MM-DD", file=sys.stderr)
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
                doc = json.loads(Path(name).read_text(encoding="utf-8"))
                with db.write() as conn:
                    result = bundle_repo.import_bundle(conn, doc, at, trust_new=args.trust,
                                                       re_register=re_register)
                    log_repo.append(conn, at=at, action="bundle_imported",
                                    detail={k: result[k] for k in
                                            ("device", "day", "added", "already_had")})
            except (OSError, ValueError) as exc:       # BundleError and bad JSON included
                reason = str(exc) if isinstance(exc, BundleError) else f"无法读取：{exc}"
                print(f"拒绝 {name}：{reason}", file=sys.stderr)
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


def _add_clerk(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.services.context import open_context

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("密码：")
        if getpass.getpass("再次输入：") != password:
            print("两次输入的密码不一致", file=sys.stderr)
            return 2
    if len(password) < 4:
        print("密码至少 4 位", file=sys.stderr)
        return 2
    ctx = open_context(data_dir, Config(data_dir / CONFIG_FILE))
    try:
        ctx.add_clerk(args.username, args.name, Role(args.role), password)
    finally:
        ctx.close()
    print(f"已保存账户 {args.username}（{args.role}）")
    return 0


def _import_hall(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient import resources
    from hallclient.services.context import load_hall_file, open_context

    path = Path(args.file) if args.file else resources.path("demo", "hall.json")
    try:
        spec = load_hall_file(path)
    except (OSError, json.JSONDecodeError) as exc:
        print(f"无法读取大厅配置 {path}：{exc}", file=sys.stderr)
        return 2
    ctx = open_context(data_dir, Config(data_dir / CONFIG_FILE))
    try:
        ctx.import_hall(spec)
    finally:
        ctx.close()
    print(f"已导入 {len(spec.get('services', []))} 个业务、{len(spec.get('windows', []))} 个窗口")
    return 0


def _config(args: argparse.Namespace, data_dir: Path) -> int:
    config = Config(data_dir / CONFIG_FILE)
    for item in args.set:
        key, _, value = item.partition("=")
        config.set(key.strip(), value.strip())
    if args.set:
        data_dir.mkdir(parents=True, exist_ok=True)
        config.save()
    if args.list or not args.set:
        for o in OPTIONS:
            print(f"{o.key} = {config[o.key]!s}    # {o.description}")
    return 0


_COMMANDS = {
    "verify-log": _verify,
    "status": _status,
    "cases": _cases,
    "backup": _backup,
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
