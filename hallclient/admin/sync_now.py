"""``admin sync-now``: upload the outbox and pull the platform's changes and catalog now."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from hallclient.config import CONFIG_FILE, Config

from .common import no_database


def run_sync_now(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.platform.client import AuthError, OfflineError, PlatformError, TransientError
    from hallclient.secrets import read_secret
    from hallclient.services.sync_service import make_engine
    from hallclient.store import outbox_repo

    if no_database(data_dir):
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
    booked: dict[str, Any] | None = None          # the day's 预约 (a PC with its own queue)
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
            catalog = _refresh_catalog(engine, bool(getattr(args, "accept_catalog", False)))
            day = engine.pull_appointments(force=True)
            if day is not None:
                booked = {"listed": day.listed, "removed": day.removed, "unknown": list(day.unknown)}
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
              "catalog": catalog, "appointments": booked, "problems": problems[-5:]}
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print("\n".join(_sync_lines(config["platform.url"], totals, result)))
    if link != "online":
        return 4
    return 0 if status["pending"] == 0 and status["attention"] == 0 else 1


def _refresh_catalog(engine: Any, accept: bool = False) -> dict[str, Any]:
    """The item catalog (事项目录) fetched as the counter's own sync does: result
    "updated" / "unchanged" / "failed" (malformed) / "held" (sound, but empty or retiring
    most items: ``accept`` applies it), the items this PC now has, the reason."""
    from hallclient.core.catalog import CatalogRefusedError
    from hallclient.platform.client import PlatformError, TransientError
    from hallclient.store import catalog_repo
    from hallclient.sync.engine import catalog_refusal_text

    reason = None
    try:
        result = "updated" if engine.refresh_catalog(accept) else "unchanged"
    except TransientError:
        raise                            # said as the platform's state
    except PlatformError as exc:
        result, reason = "failed", exc.message
    except CatalogRefusedError as exc:   # a catalog the platform sent that we do not apply
        result = "held" if exc.held else "failed"
        reason = catalog_refusal_text(exc.reason, exc.held)
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
    if catalog["result"] == "held":
        return f"事项目录：未更新，仍用本机原有的 {items} 个事项：{catalog['reason']}"
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
    booked = result.get("appointments")
    if booked is not None and (booked["listed"] or booked["removed"] or booked["unknown"]):
        line = f"今天的预约：平台名单 {booked['listed']} 个，已取消 {booked['removed']} 个"
        if booked["unknown"]:
            line += "；本大厅没有的业务类别：" + "、".join(booked["unknown"])
        lines.append(line)
    lines += [f"问题：{p}" for p in result["problems"]]
    return lines
