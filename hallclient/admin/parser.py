"""The ``hallclient admin`` command line."""

from __future__ import annotations

import argparse

# core.accounts.Role's values, written out: every start builds this parser, and the account
# module (hashlib, scrypt) is not needed for that (tests/unit/test_core_bits.py compares them)
ROLES = ("clerk", "supervisor", "admin")

def fill_parser(admin: argparse.ArgumentParser) -> None:
    """The options of ``hallclient admin`` (its own parser made by cli.build_parser)."""
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
    clerk.add_argument("--role", choices=ROLES, default="clerk")
    clerk.add_argument("--password-stdin", action="store_true",
                       help="从标准输入读密码（脚本中使用；不加则在终端提示输入）")
    hand = cmds.add_parser("handover", help="登记办件结果待领取（取件地点）或已邮寄（快递单号），"
                           "取号机办件查询随之显示")
    hand.add_argument("case_no", help="办件编号")
    how = hand.add_mutually_exclusive_group(required=True)
    how.add_argument("--place", help="待领取：取件地点，如「一楼 3 号窗口」")
    how.add_argument("--waybill", help="已邮寄：快递单号")
    hand.add_argument("--clerk", help="登记人（写入操作日志）")
    sync = cmds.add_parser("sync-now", help="立即上传待上传队列并拉取平台状态")
    sync.add_argument("--json", action="store_true", help="以 JSON 输出")
    sync.add_argument("--accept-catalog", action="store_true",
                      help="采用平台发来的事项目录，即使它是空的或会一次停用本机一半以上的事项"
                           "（格式有误的目录仍不采用）")
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
    appt = cmds.add_parser("import-appointments",
                           help="本机队列（不连大厅服务器）：导入预约名单（CSV：日期,时间,预约码,手机号,业务）")
    appt.add_argument("file", help="预约系统导出的 CSV 文件（UTF-8）")
    conf = cmds.add_parser("config", help="查看或修改配置")
    conf.add_argument("--list", action="store_true", help="列出全部配置项与说明")
    conf.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
