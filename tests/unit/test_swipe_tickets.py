"""Tickets taken by ID card: 绿色通道 reasons checked, 预约 found by the card, and the
ticket keeping only a masked number and a salted hash (never the number, never a name)."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from hallclient.core import swipe as sw
from hallclient.core.appointments import Appointment
from hallclient.core.tickets import PriorityClass, QueueError
from hallclient.store import appointment_repo

GREEN, APPOINTMENT, NORMAL = PriorityClass.GREEN, PriorityClass.APPOINTMENT, PriorityClass.NORMAL
OLD = sw.CardSwipe("11010519491231002X", date(1949, 12, 31))       # 76 on 2026-11-27
YOUNG = sw.CardSwipe("110105199003071239", date(1990, 3, 7))


def _valid(body17: str) -> str:
    from hallclient.core.validators import id_check_char

    return body17 + id_check_char(body17)


def test_card_numbers_of_the_three_card_kinds_are_taken_and_bad_ones_refused():
    assert sw.card_number(" 11010519491231002x ") == "11010519491231002X"
    assert sw.card_number(_valid("81000019800101123")).startswith("810000")   # 港澳居民居住证
    assert sw.card_number(_valid("93301119800101123")).startswith("9")        # 外国人永久居留 2023
    assert sw.card_number("USA338001010123") == "USA338001010123"            # 2017 版 15 位
    foreign = _valid("93301119800101123")
    wrong_check = foreign[:17] + ("1" if foreign[17] != "1" else "2")
    for bad in ("11010519491231002Y", "110105194912310021", "12345", wrong_check):
        with pytest.raises(sw.SwipeError):
            sw.card_number(bad)


def test_age_mask_and_salted_check():
    assert sw.age_on(date(1961, 11, 28), date(2026, 11, 27)) == 64
    assert sw.age_on(date(1961, 11, 27), date(2026, 11, 27)) == 65
    assert sw.mask("11010519491231002X") == "**************002X"
    check = sw.ticket_check("11010519491231002X")
    assert "11010519491231002X" not in check and "19491231" not in check
    assert sw.same_person(check, "11010519491231002x")
    assert not sw.same_person(check, "110105199003071234")
    assert not sw.same_person("", "11010519491231002X")
    assert sw.ticket_check("11010519491231002X") != check          # a new salt each time
    assert sw.birth_matches(OLD.id_number, OLD.birth)
    assert not sw.birth_matches(OLD.id_number, date(1950, 1, 1))
    assert sw.birth_matches("USA338001010123", date(1980, 1, 1))


def test_a_green_ticket_by_card_keeps_only_the_masked_number_and_the_check(queue, db):
    issued = queue.issue("ZH", GREEN, "K1", swipe=OLD, reason=sw.ELDER)
    t = issued.ticket
    assert (t.priority, t.reason, t.id_masked) == (GREEN, "老年人", "**************002X")
    assert sw.same_person(t.id_check, OLD.id_number)
    # nothing in the database holds the whole number or the birth date
    dump = "\n".join(db.conn.iterdump())
    assert OLD.id_number not in dump and "19491231" not in dump
    # the counter sees it when the ticket is called
    queue.sign_in(1, "clerk")
    called = queue.call_next(1, "clerk")
    assert called is not None and called.reason == "老年人" and called.id_masked == t.id_masked


def test_green_reasons_are_checked(queue):
    with pytest.raises(QueueError, match="请选择原因"):
        queue.issue("ZH", GREEN, "K1", reason="VIP")
    assert queue.issue("ZH", GREEN, "K1").ticket.reason == ""       # staff gave it, no reason
    with pytest.raises(QueueError, match="请刷身份证"):
        queue.issue("ZH", GREEN, "K1", reason=sw.ELDER)
    with pytest.raises(QueueError, match="未满 60 周岁"):
        queue.issue("ZH", GREEN, "K1", swipe=YOUNG, reason=sw.ELDER)
    assert queue.issue("ZH", GREEN, "K1", reason="残疾人").ticket.reason == "残疾人"
    # a normal ticket carries no reason whatever was sent
    assert queue.issue("ZH", NORMAL, "K1", swipe=YOUNG, reason="残疾人").ticket.reason == ""


def test_a_card_whose_birth_date_disagrees_with_its_number_is_refused(queue):
    with pytest.raises(QueueError, match="出生日期与号码不符"):
        queue.issue("ZH", NORMAL, "K1", swipe=sw.CardSwipe(OLD.id_number, date(1950, 1, 1)))
    with pytest.raises(QueueError, match="号码不对"):
        queue.issue("ZH", NORMAL, "K1", swipe=sw.CardSwipe("11010519491231002Y", OLD.birth))


def test_an_appointment_is_found_by_the_card_and_used_once(queue, db):
    day = "2026-11-27"
    appointment_repo.apply_platform_day(db, day, [
        Appointment(day, "10:30", "P1001", "", "SC", YOUNG.id_number),
        Appointment(day, "09:30", "P1002", "", "ZH", OLD.id_number)])
    found = queue.card_appointment(OLD)
    assert found is not None and (found.service, found.at_time) == ("ZH", "09:30")
    assert queue.card_appointment(sw.CardSwipe(_valid("11010519800101123"), date(1980, 1, 1))) is None
    issued = queue.issue("ZH", APPOINTMENT, "K1", swipe=OLD)
    assert (issued.appointment_time, issued.ticket.appointment_time) == ("09:30", "09:30")
    with pytest.raises(QueueError, match="已经取过号"):
        queue.card_appointment(OLD)
    with pytest.raises(QueueError, match="没有找到您今天这项业务的预约"):
        queue.issue("ZH", APPOINTMENT, "K1", swipe=YOUNG)
    # the stored card is a keyed hash, not the number
    dump = "\n".join(db.conn.iterdump())
    assert YOUNG.id_number not in dump


def test_the_platform_list_replaces_the_day_but_keeps_used_and_imported_ones(queue, db):
    day = "2026-11-27"
    with db.write() as conn:
        appointment_repo.import_appointments(conn, [Appointment(day, "08:30", "F1", "", "ZH")])
    first = appointment_repo.apply_platform_day(db, day, [
        Appointment(day, "09:00", "P1", "", "ZH", OLD.id_number),
        Appointment(day, "09:10", "P2", "", "ZH"),
        Appointment(day, "09:20", "P3", "", "NOPE"),
        Appointment(day, "11:00", "F1", "", "SC", YOUNG.id_number)])   # the file's code
    assert (first.listed, first.removed, first.unknown) == (3, 0, ("NOPE",))
    # the file's F1 is left as the file gave it
    assert db.conn.execute("SELECT service, at_time, source FROM appointments WHERE code = 'F1'"
                           ).fetchall() == [("ZH", "08:30", "file")]
    queue.issue("ZH", APPOINTMENT, "K1", appointment="P1")
    again = appointment_repo.apply_platform_day(db, day, [
        Appointment(day, "09:00", "P1", "", "ZH", OLD.id_number)])
    assert again.removed == 1            # P2 cancelled; P1 was used; F1 came from the file
    codes = {r[0] for r in db.conn.execute("SELECT code FROM appointments")}
    assert codes == {"F1", "P1"}


def test_help_calls_show_on_every_window_until_one_answers(queue, clock):
    call = queue.call_help("K1", "一楼东侧")
    assert [h.place for h in queue.snapshot(1).help_calls] == ["一楼东侧"]
    assert [h.seq for h in queue.snapshot(2).help_calls] == [call.seq]
    queue.sign_in(2, "clerk")
    queue.answer_help(2, "clerk", call.seq)
    assert queue.snapshot(1).help_calls == ()
    with pytest.raises(QueueError, match="已有窗口处理"):
        queue.answer_help(1, "clerk", call.seq)
    queue.call_help("K1")
    clock.advance(minutes=121)
    assert queue.snapshot(1).help_calls == ()         # two hours on, nobody is waiting there


def test_migration_adds_the_columns(db):
    cols = {r[1] for r in db.conn.execute("PRAGMA table_info(tickets)")}
    assert {"reason", "appointment_time", "id_masked", "id_check"} <= cols
    assert isinstance(db.conn, sqlite3.Connection)


def test_help_calls_are_read_through_their_index_and_one_kiosk_has_one_open(queue, db):
    plan = db.conn.execute(
        "EXPLAIN QUERY PLAN SELECT seq, at, action, detail FROM event_log"
        " WHERE action IN ('help_call', 'help_answer') AND at >= ?", ("2026",)).fetchall()
    assert "event_log_help" in str(plan)
    first = queue.call_help("K1", "一楼东侧")
    assert queue.call_help("K1", "一楼东侧").seq == first.seq        # pressed again: the same call
    other = queue.call_help("K2", "二楼")
    assert [h.seq for h in queue.help_calls()] == [first.seq, other.seq]


def test_an_appointment_file_naming_a_code_twice_is_refused():
    from hallclient.core.appointments import AppointmentFileError, read_appointments

    with pytest.raises(AppointmentFileError, match="第 3 行：预约码 102938"):
        read_appointments("日期,时间,预约码,手机号,业务\n2026-12-01,09:30,102938,,ZH\n"
                          "2026-12-01,10:30,102938,,RS\n")


def test_a_help_call_says_whether_any_window_is_signed_in(queue):
    assert queue.call_help("K1").staffed is False          # nobody at any window yet
    queue.sign_in(1, "clerk")
    assert queue.call_help("K1").staffed is True           # (the same open call)


def test_a_card_is_kept_for_its_day_only(queue, db, clock):
    queue.issue("ZH", NORMAL, "K1", swipe=OLD)
    clock.advance(minutes=24 * 60)                   # the next morning, a clerk signs in
    queue.sign_in(1, "clerk")
    assert db.conn.execute("SELECT id_masked, id_check FROM tickets").fetchall() == [("", "")]
