"""预约 tickets only against the day's appointments: imported from the booking system's
export into the hall server (or a township PC's own queue), matched by code or phone,
each used once, for its own service; anything else is refused in words an applicant reads."""

from __future__ import annotations

import pytest
import requests

from hallclient.app import main
from hallclient.core.appointments import read_appointments
from hallclient.core.clock import local_now
from hallclient.core.tickets import PriorityClass, QueueError
from hallclient.queue.local import LocalQueue
from hallclient.store.db import DB_FILE, open_database
from hallclient.wire.hall import DeviceKind

from .hall_fixtures import start_hall

APPOINTMENT = PriorityClass.APPOINTMENT


def _export(tmp_path, day: str | None = None):
    day = day or local_now().date().isoformat()
    path = tmp_path / "预约.csv"
    path.write_text("\ufeff日期,时间,预约码,手机号,业务\n"
                    f"{day},09:30,102938,138 0013 8000,ZH\n"
                    f"{day},10:00,556677,,SC\n", encoding="utf-8")
    return path


@pytest.fixture
def hall(tmp_path, demo_hall):
    h = start_hall(tmp_path, demo_hall)
    yield h
    h.close()


def test_the_hall_server_issues_appointment_tickets_only_against_its_list(tmp_path, hall, capsys):
    assert main(["--data-dir", str(tmp_path), "hall-server", "import-appointments",
                 str(_export(tmp_path))]) == 0
    assert "已导入 2 个预约" in capsys.readouterr().out
    kiosk = hall.kiosk()
    with pytest.raises(QueueError, match="请输入预约码或预约时登记的手机号"):
        kiosk.issue("ZH", APPOINTMENT, "K1")
    with pytest.raises(QueueError, match="没有找到今天的这个预约"):
        kiosk.issue("ZH", APPOINTMENT, "K1", appointment="999999")
    with pytest.raises(QueueError, match="您预约的是“综合受理”"):
        kiosk.issue("SC", APPOINTMENT, "K1", appointment="13800138000")
    # the phone as people type it: full-width digits and spaces
    issued = kiosk.issue("ZH", APPOINTMENT, "K1", appointment="１３８ ００１３ ８０００")
    assert issued.appointment_time == "09:30"
    assert issued.ticket.priority is APPOINTMENT
    with pytest.raises(QueueError, match=f"已经取过号（{issued.ticket.number}）"):
        kiosk.issue("ZH", APPOINTMENT, "K1", appointment="102938")
    # a refused appointment used no number: the next ticket follows the issued one
    normal = kiosk.issue("ZH", PriorityClass.NORMAL, "K1")
    assert normal.appointment_time is None
    assert int(normal.ticket.number[1:]) == int(issued.ticket.number[1:]) + 1


def test_the_appointment_field_is_strict_on_the_wire(hall):
    token = hall.token("K2", DeviceKind.KIOSK)
    answer = requests.post(hall.url + "/api/v1/tickets", timeout=10,
                           headers={"Authorization": f"Bearer {token}"},
                           json={"service": "ZH", "priority": 1, "appointment": 102938})
    assert answer.status_code == 422


def test_a_bad_export_names_its_line_and_imports_nothing(tmp_path, hall, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("日期,时间,预约码,手机号,业务\n2026-12-01,09:30,102938,,ZH\n"
                    "2026-12-01,9点半,556677,,SC\n", encoding="utf-8")
    assert main(["--data-dir", str(tmp_path), "hall-server", "import-appointments", str(path)]) == 2
    assert "第 3 行：时间应写成 09:30" in capsys.readouterr().err
    path.write_text("日期,时间,预约码,手机号,业务\n2026-12-01,09:30,102938,,NOPE\n", encoding="utf-8")
    assert main(["--data-dir", str(tmp_path), "hall-server", "import-appointments", str(path)]) == 3
    assert "大厅没有的业务类别代码：NOPE" in capsys.readouterr().err


def test_a_township_pc_checks_appointments_in_its_own_queue(tmp_path, capsys):
    data = tmp_path / "counter"
    assert main(["--data-dir", str(data), "admin", "import-hall"]) == 0
    assert main(["--data-dir", str(data), "admin", "import-appointments",
                 str(_export(tmp_path))]) == 0
    assert "已导入 2 个预约" in capsys.readouterr().out
    db = open_database(data / DB_FILE)
    try:
        queue = LocalQueue(db)
        with pytest.raises(QueueError, match="没有找到今天的这个预约"):
            queue.issue("SC", APPOINTMENT, appointment="13800138000" + "0")
        issued = queue.issue("SC", APPOINTMENT, appointment="556677")
        assert issued.appointment_time == "10:00"
        assert db.conn.execute("SELECT ticket FROM appointments WHERE code = '556677'"
                               ).fetchone() == (issued.ticket.number,)
    finally:
        db.close()


def test_yesterdays_appointments_do_not_count_today(tmp_path, demo_hall):
    db = open_database(tmp_path / DB_FILE)
    try:
        queue = LocalQueue(db)
        queue.import_hall(demo_hall)
        queue.import_appointments(read_appointments(_export(tmp_path, "2020-01-02").read_text(
            encoding="utf-8")))
        with pytest.raises(QueueError, match="没有找到今天的这个预约"):
            queue.issue("ZH", APPOINTMENT, appointment="102938")
    finally:
        db.close()
