"""``admin add-clerk``, ``admin import-hall`` and ``admin config``: setting this PC up."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from hallclient.config import CONFIG_FILE, OPTIONS, Config, ConfigError
from hallclient.core.accounts import Role
from hallclient.store.hall_repo import HallConfigError, read_hall_file

from .common import ask_secret, make_database, save_config


def run_add_clerk(args: argparse.Namespace, data_dir: Path) -> int:
    from hallclient.services.context import open_context

    for value, what in ((args.username, "账户名"), (args.name, "显示姓名（--name）")):
        if not value.strip():
            print(f"{what}不能为空", file=sys.stderr)
            return 2
        if not value.isprintable():
            print(f"{what}不能含换行或控制字符", file=sys.stderr)
            return 2
    password = ask_secret(args, "password_stdin", "密码", "PASSWORD", twice=True)
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


def run_import_hall(args: argparse.Namespace, data_dir: Path) -> int:
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
        save_config(config, data_dir)
    print(f"已导入 {len(spec.get('services', []))} 个业务、{len(spec.get('windows', []))} 个窗口")
    for key in named:
        print(f"已保存 {key} = {config.text(key)}")
    return 0


def run_import_appointments(args: argparse.Namespace, data_dir: Path) -> int:
    """预约名单 for this PC's own queue (a township centre without a hall server); with a
    hall server the list goes there (hallclient hall-server import-appointments)."""
    from hallclient.queue.appointments import import_appointments
    from hallclient.store.db import DB_FILE, open_database

    db = open_database(data_dir / DB_FILE)
    try:
        print(import_appointments(db, Path(args.file)))
    except (ValueError, OSError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    finally:
        db.close()
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


def run_config(args: argparse.Namespace, data_dir: Path) -> int:
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
        make_database(data_dir)
        save_config(config, data_dir)
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
