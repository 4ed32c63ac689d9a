"""IT staff: ``admin set-device``, ``admin sync-now`` and sync figures in ``admin status``."""

from __future__ import annotations

import io
import json
import socket
import stat

import requests

from hallclient import resources
from hallclient.app import main
from hallclient.servers.platform_sim import RunningServer, create_app
from hallclient.servers.sim_faults import Faults
from hallclient.store import catalog_repo
from hallclient.store.db import DB_FILE, open_database

from ..recipes import accepted_case
from .test_platform_sim import API


def test_sync_now_from_the_command_line(tmp_path, db, desk, capsys, monkeypatch):
    sim = RunningServer(create_app(tmp_path / "platform"))
    try:
        requests.post(sim.url + API + "/admin/devices", json={"device_id": "W01", "secret": "pw"},
                      timeout=5).raise_for_status()
        data = str(tmp_path)
        assert main(["--data-dir", data, "admin", "sync-now"]) == 2          # not configured
        assert "未配置" in capsys.readouterr().err
        assert main(["--data-dir", data, "admin", "config", "--set", f"platform.url={sim.url}"]) == 0
        monkeypatch.setattr("sys.stdin", io.StringIO("pw\n"))
        assert main(["--data-dir", data, "admin", "set-device", "W01", "--secret-stdin"]) == 0
        secret = tmp_path / "device.secret"
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        assert "pw" not in (tmp_path / "config.ini").read_text(encoding="utf-8")
        accepted_case(desk, seed=1)
        accepted_case(desk, seed=2)
        capsys.readouterr()
        assert main(["--data-dir", data, "admin", "status", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["sync"]["outbox"] == {"pending": 2}
        assert main(["--data-dir", data, "admin", "sync-now", "--json"]) == 0
        result = json.loads(capsys.readouterr().out)
        assert result["done"] == 2 and result["pending"] == 0 and result["problems"] == []
        assert result["platform"] == "online"
        assert requests.get(sim.url + API + "/admin/stats", timeout=5).json()["cases"] == 2
        accepted_case(desk, seed=3)
        assert main(["--data-dir", data, "admin", "sync-now"]) == 0
        assert capsys.readouterr().out.splitlines() == [
            f"省平台 {sim.url}：已连接",
            "本次上传成功 1 件，稍后重试 0 件，被平台退回 0 件，已被新版本取代 0 件；平台上的状态变化 0 件",
            "现在：待上传 0 件，需处理 0 件，已上传 3 件",
            "事项目录：平台没有新版本，本机共 33 个事项",
        ]
    finally:
        sim.stop()


def set_up_platform(data, url, capsys, monkeypatch, device="W01", secret="pw"):
    assert main(["--data-dir", data, "admin", "config", "--set", f"platform.url={url}"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(secret + "\n"))
    assert main(["--data-dir", data, "admin", "set-device", device, "--secret-stdin"]) == 0
    capsys.readouterr()


def test_sync_now_fails_when_the_platform_cannot_be_reached_even_with_nothing_to_send(
        tmp_path, capsys, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]                 # closed again: nothing listens there
    data = str(tmp_path)
    open_database(tmp_path / DB_FILE).close()
    set_up_platform(data, f"http://127.0.0.1:{port}", capsys, monkeypatch)
    assert main(["--data-dir", data, "admin", "sync-now"]) == 4
    out = capsys.readouterr().out
    assert out.startswith(f"省平台 http://127.0.0.1:{port}：连不上")
    assert "问题：连接平台失败" in out and "现在：待上传 0 件" in out
    assert main(["--data-dir", data, "admin", "sync-now", "--json"]) == 4
    result = json.loads(capsys.readouterr().out)
    assert result["platform"] == "offline" and result["pending"] == 0


def test_sync_now_fails_when_the_platform_refuses_this_device(tmp_path, sim, desk, capsys,
                                                              monkeypatch):
    data = str(tmp_path)
    set_up_platform(data, sim.url, capsys, monkeypatch, device="W99", secret="nope")
    accepted_case(desk, seed=1)
    assert main(["--data-dir", data, "admin", "sync-now"]) == 4
    out = capsys.readouterr().out
    assert f"省平台 {sim.url}：拒绝了本机的设备凭据" in out and "admin set-device" in out
    assert "现在：待上传 1 件" in out
    assert requests.get(sim.url + API + "/admin/stats", timeout=5).json()["cases"] == 0


def test_sync_now_refuses_an_address_that_breaks_the_https_rule(tmp_path, capsys):
    open_database(tmp_path / DB_FILE).close()
    (tmp_path / "config.ini").write_text("[platform]\nurl = http://10.0.0.5\n", encoding="utf-8")
    assert main(["--data-dir", str(tmp_path), "admin", "sync-now"]) == 2
    err = capsys.readouterr().err
    assert "platform.url" in err and "必须使用 https" in err and "Traceback" not in err


def test_sync_now_before_set_device_says_the_device_is_not_registered_here(tmp_path, sim, capsys):
    open_database(tmp_path / DB_FILE).close()
    data = str(tmp_path)
    assert main(["--data-dir", data, "admin", "config", "--set", f"platform.url={sim.url}"]) == 0
    capsys.readouterr()
    assert main(["--data-dir", data, "admin", "sync-now"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("本机还没有登记省平台的设备标识（platform.device_id）和设备密钥，没有连接平台")
    assert "admin set-device" in err and "拒绝" not in err
    assert requests.get(sim.url + API + "/admin/stats", timeout=5).json()["cases"] == 0


def test_a_busy_platform_is_not_called_unreachable(tmp_path, desk, capsys, monkeypatch):
    server = RunningServer(create_app(tmp_path / "platform", Faults(retry_after_rate=1.0, seed=1)))
    try:
        server.sim.store.add_device("W01", "pw")
        data = str(tmp_path)
        set_up_platform(data, server.url, capsys, monkeypatch)
        accepted_case(desk, seed=1)
        assert main(["--data-dir", data, "admin", "sync-now"]) == 4
        out = capsys.readouterr().out.splitlines()
        assert out[0] == (f"省平台 {server.url}：暂时繁忙或不可用（平台有应答，但请稍后再来），"
                          "待上传的办件稍后自动重试")
        assert "连不上" not in "\n".join(out) and "现在：待上传 1 件，需处理 0 件，已上传 0 件" in out
        assert main(["--data-dir", data, "admin", "sync-now", "--json"]) == 4
        result = json.loads(capsys.readouterr().out)
        assert result["platform"] == "busy" and result["pending"] == 1
        assert result["catalog"]["result"] == "not_tried"
    finally:
        server.stop()


def test_sync_now_brings_the_catalog_as_the_counter_does(tmp_path, db, sim, capsys, monkeypatch):
    data = str(tmp_path)
    set_up_platform(data, sim.url, capsys, monkeypatch)
    assert main(["--data-dir", data, "admin", "sync-now"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert ("事项目录：平台没有提供事项目录，本机一个事项也没有，受理列表是空的："
            "请联系省平台发布事项目录") in out
    catalog = resources.path("demo", "catalog.json").read_bytes()
    requests.put(sim.url + API + "/admin/catalog", data=catalog, timeout=5).raise_for_status()
    assert main(["--data-dir", data, "admin", "sync-now", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["catalog"] == {"result": "updated", "items": 33, "reason": None}
    assert {"done", "retried", "attention", "superseded", "status_changes", "pending",
            "platform", "problems"} <= set(result)
    assert main(["--data-dir", data, "admin", "sync-now"]) == 0
    assert "事项目录：平台没有新版本，本机共 33 个事项" in capsys.readouterr().out.splitlines()
    unusable = json.dumps({"version": "x", "items": [{"name": "没有编码的事项"}]}).encode()
    requests.put(sim.url + API + "/admin/catalog", data=unusable, timeout=5).raise_for_status()
    assert main(["--data-dir", data, "admin", "sync-now", "--json"]) == 0
    failed = json.loads(capsys.readouterr().out)["catalog"]
    assert failed["result"] == "failed" and failed["items"] == 33
    assert failed["reason"].startswith("平台发来的事项目录无法使用：")


def catalog_on(sim, body):
    requests.put(sim.url + API + "/admin/catalog", json=body, timeout=5).raise_for_status()


def sync_now(data, capsys, *extra):
    assert main(["--data-dir", data, "admin", "sync-now", *extra]) == 0
    out = capsys.readouterr().out
    assert "Traceback" not in out
    return out


def test_a_catalog_whose_items_are_not_a_list_is_refused_whole(tmp_path, db, sim, capsys,
                                                              monkeypatch, demo_catalog):
    data = str(tmp_path)
    set_up_platform(data, sim.url, capsys, monkeypatch)
    catalog_on(sim, demo_catalog)
    sync_now(data, capsys)
    catalog_on(sim, {"items": "x"})
    out = sync_now(data, capsys).splitlines()
    assert ("事项目录：更新失败，仍用本机原有的 33 个事项：平台发来的事项目录无法使用："
            "共 1 处问题：「items」应是事项的列表。整份未采用，请联系省平台更正") in out
    assert main(["--data-dir", data, "admin", "status"]) == 0
    status = capsys.readouterr().out
    assert "事项目录：本机 33 个事项" in status and "「items」应是事项的列表" in status
    assert main(["--data-dir", data, "admin", "status", "--json"]) == 0
    refused = json.loads(capsys.readouterr().out)["sync"]["catalog"]["refused"]
    assert refused["held"] is False and refused["reason"] == "共 1 处问题：「items」应是事项的列表"
    sync_now(data, capsys, "--accept-catalog")       # accepting never applies a malformed one
    assert catalog_repo.count(db.conn) == 33
    refusals = db.conn.execute(
        "SELECT count(*) FROM event_log WHERE action = 'catalog_refused'").fetchone()[0]
    assert refusals == 1                             # the same catalog is logged once


def test_bad_items_are_named_by_number_code_and_field(tmp_path, db, sim, capsys, monkeypatch,
                                                      demo_catalog):
    data = str(tmp_path)
    set_up_platform(data, sim.url, capsys, monkeypatch)
    catalog_on(sim, demo_catalog)
    sync_now(data, capsys)
    items = [dict(i) for i in demo_catalog["items"]]
    items[1]["case_type"] = "快"
    items[4] = "不是事项"
    items[7] = dict(items[6])
    catalog_on(sim, {"version": "2026-12", "items": items})
    assert main(["--data-dir", data, "admin", "sync-now", "--json"]) == 0
    catalog = json.loads(capsys.readouterr().out)["catalog"]
    code = items[1]["impl_code"]
    assert catalog["result"] == "failed" and catalog["items"] == 33
    assert catalog["reason"].startswith(
        f"平台发来的事项目录无法使用：共 3 处问题：第 2 个事项（实施编码 {code}）办件类型或时限无效："
        "「case_type」应是 1 到"
        " 9 之间的整数；第 5 个事项不是一个对象；第 8 个事项（实施编码 ")
    assert "的实施编码与第 7 个事项重复" in catalog["reason"]


def test_an_empty_catalog_is_held_until_an_admin_accepts_it(tmp_path, db, sim, capsys,
                                                           monkeypatch, demo_catalog):
    data = str(tmp_path)
    set_up_platform(data, sim.url, capsys, monkeypatch)
    catalog_on(sim, demo_catalog)
    sync_now(data, capsys)
    catalog_on(sim, {"version": "2099-01-01", "items": []})
    out = sync_now(data, capsys).splitlines()
    assert ("事项目录：未更新，仍用本机原有的 33 个事项：平台发来的事项目录暂不采用：这份事项目录是空的"
            "（0 个事项），采用后受理列表将一个事项也没有。请先与省平台核实；确认平台确实如此后，"
            "运行 hallclient admin sync-now --accept-catalog 采用这份目录") in out
    assert "事项目录：已从平台更新，本机共 0 个事项" not in out
    assert main(["--data-dir", data, "admin", "status"]) == 0
    assert "--accept-catalog" in capsys.readouterr().out
    out = sync_now(data, capsys, "--accept-catalog").splitlines()
    assert "事项目录：已从平台更新，本机共 0 个事项" in out
    assert main(["--data-dir", data, "admin", "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sync"]["catalog"] == {"items": 0, "refused": None}
    actions = [a for (a,) in db.conn.execute(
        "SELECT action FROM event_log WHERE action LIKE 'catalog%' ORDER BY seq")]
    assert actions == ["catalog_refused", "catalog_accepted"]


def test_a_catalog_that_would_retire_most_items_is_held(tmp_path, db, sim, capsys, monkeypatch,
                                                        demo_catalog):
    data = str(tmp_path)
    set_up_platform(data, sim.url, capsys, monkeypatch)
    catalog_on(sim, demo_catalog)
    sync_now(data, capsys)
    items = demo_catalog["items"]
    catalog_on(sim, {"version": "2026-12", "items": items[:16]})      # 17 of 33 would go
    assert main(["--data-dir", data, "admin", "sync-now", "--json"]) == 0
    catalog = json.loads(capsys.readouterr().out)["catalog"]
    assert catalog["result"] == "held" and catalog["items"] == 33
    assert "会一次停用本机 33 个事项中的 17 个（超过一半），只保留 16 个" in catalog["reason"]
    catalog_on(sim, {"version": "2026-12", "items": items[:17]})      # 16 of 33: a revision
    assert "事项目录：已从平台更新，本机共 17 个事项" in sync_now(data, capsys).splitlines()
