"""Declared settings (配置项): each key once, with type, default and description.

IT staff edit ``config.ini`` in the data directory (or use ``hallclient admin config``);
window geometry and other UI state live apart in ``state.ini`` (see ui/).
"""

from __future__ import annotations

import configparser
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CONFIG_FILE = "config.ini"


@dataclass(frozen=True)
class Option:
    key: str            # "section.name"
    type: Callable[[str], Any]
    default: Any
    description: str
    choices: tuple[str, ...] = ()


def _bool(text: str) -> bool:
    if text.strip().lower() in {"1", "true", "yes", "on", "是"}:
        return True
    if text.strip().lower() in {"0", "false", "no", "off", "否"}:
        return False
    raise ValueError(f"不是布尔值：{text!r}")


def _dates(text: str) -> tuple[date, ...]:
    try:
        return tuple(sorted(date.fromisoformat(t.strip()) for t in text.split(",") if t.strip()))
    except ValueError as exc:
        raise ValueError(f"日期应写成 YYYY-MM-DD，用逗号分隔：{exc}") from exc


OPTIONS: tuple[Option, ...] = (
    Option("hall.name", str, "政务服务中心", "大厅名称，显示在取号票和窗口上"),
    Option("hall.region_code", str, "000000", "大厅所在地 6 位行政区划代码（用于办件编号）"),
    Option("hall.device_code", str, "", "本机设备代码（县内唯一，用于办件编号；留空则由数据库设备标识生成）"),
    Option("queue.source", str, "local",
           "队列来源：local=本机 SQLite 队列；hall=大厅服务器（多窗口共用一个队列）", ("local", "hall")),
    Option("hall.server_url", str, "",
           "大厅服务器地址，如 http://192.168.1.10:8710（queue.source=hall 时必填）"),
    Option("hall.device_id", str, "",
           "本机在大厅服务器登记的设备标识（令牌用 admin join-hall 保存）"),
    Option("hall.ca_bundle", str, "", "大厅服务器用 https 时的自有 CA 证书文件（PEM），留空=系统证书"),
    Option("queue.recall_limit", int, 3, "重呼次数上限，超过后自动过号"),
    Option("queue.fairness", str, "ratio",
           "防饿死规则：ratio=每N个优先号后叫一个普通号；aging=普通号等候超时后提升", ("ratio", "aging")),
    Option("queue.priority_ratio", int, 3, "ratio 模式：连续优先呼叫次数上限"),
    Option("queue.aging_minutes", float, 20.0, "aging 模式：普通号等候多少分钟后视为优先"),
    Option("announce.template", str, "请{number}号到{window}号窗口办理",
           "叫号播报模板，可用 {number} {window}"),
    Option("announce.speech", _bool, True, "是否语音播报（无语音引擎时自动改为提示音+闪烁）"),
    Option("announce.engine", str, "", "语音引擎名（留空自动选择）"),
    Option("ui.idle_lock_minutes", float, 10.0, "无操作多少分钟后自动锁屏（0=不锁）"),
    Option("kiosk.printer", str, "", "取号票打印机名称；留空=系统默认；pdf=打印到数据目录 tickets/ 下的 PDF"),
    Option("kiosk.ticket_width_mm", float, 80.0, "取号票纸宽（毫米），热敏打印机通常为 80"),
    Option("notice.printer", str, "",
           "通知书（A4）打印机名称；留空=系统默认；pdf=只生成数据目录 notices/ 下的 PDF"),
    Option("scanner.device", str, "", "SANE 扫描仪设备名（留空=第一台），见 scanimage -L"),
    Option("scanner.resolution", int, 200, "扫描分辨率 dpi（材料一般 200-300）"),
    Option("scanner.mode", str, "Color", "扫描模式：Color 彩色 / Gray 灰度 / Lineart 黑白",
           ("Color", "Gray", "Lineart")),
    Option("calendar.holidays", _dates, (),
           "法定节假日（不计入办理时限），逗号分隔，如 2026-10-01,2026-10-02"),
    Option("calendar.workdays", _dates, (), "调休上班的周末，逗号分隔，如 2026-09-27"),
    Option("platform.url", str, "", "省平台接口地址（https；留空=暂不上传，办件只保存在本机）"),
    Option("platform.device_id", str, "", "本机在省平台登记的设备标识"),
    Option("platform.ca_bundle", str, "", "政务外网自有 CA 证书文件（PEM），留空=系统证书"),
    Option("sync.interval_seconds", float, 30.0, "自动上传间隔（秒）"),
    Option("sync.warn_after_minutes", float, 60.0, "办件超过多少分钟未上传时醒目提示"),
    Option("evaluation.after_finish", _bool, True, "办结后自动在评价器（副屏）上请申请人评价"),
    Option("evaluation.rectify_days", int, 5, "差评整改时限（工作日，各省 5-15 天不等）"),
    Option("report.wait_target_minutes", float, 20.0, "日报：等候时间目标（分钟），超过即计入超时占比"),
    Option("report.service_target_minutes", float, 30.0, "日报：办理时间目标（分钟）"),
    Option("keys.call_next", str, "F1", "快捷键：呼叫下一位"),
    Option("keys.recall", str, "F2", "快捷键：重呼"),
    Option("keys.no_show", str, "F3", "快捷键：过号"),
    Option("keys.start", str, "F4", "快捷键：开始办理"),
    Option("keys.finish", str, "F5", "快捷键：办结"),
    Option("keys.transfer", str, "F6", "快捷键：转移"),
    Option("keys.hold", str, "F7", "快捷键：挂起/恢复"),
    Option("keys.pause", str, "F8", "快捷键：暂停/恢复服务"),
    Option("keys.call_specific", str, "F9", "快捷键：指定号码呼叫"),
    Option("keys.reactivate", str, "F10", "快捷键：激活过号"),
    Option("keys.lock", str, "F12", "快捷键：锁屏"),
    Option("keys.intake", str, "F11", "快捷键：打开受理"),
    Option("keys.cases", str, "Ctrl+F", "快捷键：办件查询"),
    Option("keys.sync", str, "Ctrl+U", "快捷键：立即同步（上传）"),
    Option("keys.outbox", str, "Ctrl+O", "快捷键：待上传队列"),
    Option("keys.supervisor", str, "Ctrl+R", "快捷键：值班长日报（需值班长登录）"),
)
BY_KEY = {o.key: o for o in OPTIONS}


class ConfigError(ValueError):
    pass


class Config:
    """Values of the declared options, read from and written to ``config.ini``."""

    def __init__(self, path: Path | None = None, values: dict[str, Any] | None = None) -> None:
        self.path = path
        self._values: dict[str, Any] = {o.key: o.default for o in OPTIONS}
        self.problems: list[str] = []
        if path is not None and path.exists():
            self._load(path)
        for key, value in (values or {}).items():
            self.set(key, value)

    def _load(self, path: Path) -> None:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError) as exc:
            self.problems.append(f"配置文件无法读取，使用默认值：{exc}")
            return
        for section in parser.sections():
            for name, text in parser.items(section):
                key = f"{section}.{name}"
                try:
                    self.set(key, text)
                except ConfigError as exc:
                    self.problems.append(str(exc))
        for problem in self.problems:
            log.warning("config: %s", problem)

    def set(self, key: str, value: Any) -> None:
        option = BY_KEY.get(key)
        if option is None:
            raise ConfigError(f"未知配置项：{key}")
        try:
            converted = option.type(value) if isinstance(value, str) else value
        except ValueError as exc:
            raise ConfigError(f"配置项 {key} 的值无效：{value!r}（{exc}）") from exc
        if option.choices and str(converted) not in option.choices:
            raise ConfigError(f"配置项 {key} 只能是 {'/'.join(option.choices)}，而不是 {value!r}")
        self._values[key] = converted

    def get(self, key: str) -> Any:
        return self._values[key]

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def save(self) -> None:
        if self.path is None:
            return
        parser = configparser.ConfigParser(interpolation=None)
        for option in OPTIONS:
            section, name = option.key.split(".", 1)
            if not parser.has_section(section):
                parser.add_section(section)
            value = self._values[option.key]
            if isinstance(value, bool):
                text = str(value).lower()
            elif isinstance(value, tuple):
                text = ",".join(v.isoformat() for v in value)
            else:
                text = str(value)
            parser.set(section, name, text)
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write("# hallclient 配置文件 — 说明见 `hallclient admin config --list`\n")
            parser.write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("hallclient", appauthor=False))
