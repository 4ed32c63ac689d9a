"""``admin backup`` and ``admin restore`` (also ``hall-server backup`` / ``restore``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def run_backup(args: argparse.Namespace, data_dir: Path) -> int:
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
    from hallclient.secrets import KeyringUnavailableError, secret_file, stored_secret
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


def run_restore(args: argparse.Namespace, data_dir: Path) -> int:
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
        lines.append(f"接下来：启动大厅服务器（hallclient --data-dir {data_dir.parent} hall-server）")
    print("\n".join(lines))
    return 0
