"""Helpers the admin commands share: the database check, asking for a secret, saving config.ini."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from hallclient.config import Config
from hallclient.store.db import DB_FILE


def no_database(data_dir: Path) -> bool:
    """True (and says so) when ``data_dir`` holds no database: a command that only reads
    must not make an empty one where a mistyped --data-dir points."""
    if (data_dir / DB_FILE).exists():
        return False
    print(f"没有数据库：{data_dir} 中没有 {DB_FILE}。是不是 --data-dir 写错了？"
          "（这台电脑还没设置时，先运行 hallclient admin import-hall 导入大厅配置）", file=sys.stderr)
    return True


def make_database(data_dir: Path) -> None:
    """A command that sets this PC up makes its database (the reading ones then find it)."""
    from hallclient.store.db import open_database

    open_database(data_dir / DB_FILE).close()


def ask_secret(args: argparse.Namespace, flag: str, what: str, variable: str,
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


def save_config(config: Config, data_dir: Path) -> None:
    """Save config.ini; say which values it held that could not be kept (an invalid value
    was read as its default, an unknown key is not written again)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    config.save()
    for problem in config.problems:
        if "暂用默认值" in problem or "未知配置项" in problem:
            print(f"注意：config.ini 中原有的这一项没有保留：{problem}", file=sys.stderr)
