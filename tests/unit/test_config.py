from __future__ import annotations

import pytest

from hallclient.config import BY_KEY, OPTIONS, Config, ConfigError


def test_every_option_is_declared_once_with_a_description():
    keys = [o.key for o in OPTIONS]
    assert len(keys) == len(set(keys))
    assert all(o.description and "." in o.key for o in OPTIONS)
    assert BY_KEY["queue.recall_limit"].default == 3


def test_values_round_trip_through_the_file(tmp_path):
    path = tmp_path / "config.ini"
    c = Config(path, {"queue.recall_limit": "4", "announce.speech": "否", "hall.name": "𠮷镇便民服务中心"})
    c.save()
    again = Config(path)
    assert again["queue.recall_limit"] == 4
    assert again["announce.speech"] is False
    assert again["hall.name"] == "𠮷镇便民服务中心"
    assert again.problems == []


def test_bad_values_are_reported_and_defaults_kept(tmp_path):
    path = tmp_path / "config.ini"
    path.write_text("[queue]\nrecall_limit = lots\nfairness = sometimes\n[nope]\nx = 1\n",
                    encoding="utf-8")
    c = Config(path)
    assert c["queue.recall_limit"] == 3 and c["queue.fairness"] == "ratio"
    assert len(c.problems) == 3
    assert any("queue.recall_limit" in p for p in c.problems)
    assert any("未知配置项：nope.x" in p for p in c.problems)


def test_unknown_key_is_refused():
    with pytest.raises(ConfigError, match="未知配置项"):
        Config(values={"queue.colour": "red"})


def test_unreadable_file_falls_back_to_defaults(tmp_path):
    path = tmp_path / "config.ini"
    path.write_bytes(b"\xff\xfe[queue\x00")
    c = Config(path)
    assert c["queue.recall_limit"] == 3 and c.problems


def test_holiday_calendar_round_trips_and_reaches_intake(tmp_path):
    from datetime import date

    from hallclient.services.context import open_context

    path = tmp_path / "config.ini"
    c = Config(path, {"calendar.holidays": "2026-10-02, 2026-10-01", "calendar.workdays": "2026-09-27"})
    c.save()
    again = Config(path)
    assert again["calendar.holidays"] == (date(2026, 10, 1), date(2026, 10, 2))
    ctx = open_context(tmp_path, again)
    assert date(2026, 10, 1) in ctx.desk.holidays and date(2026, 9, 27) in ctx.desk.workdays
    ctx.close()
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        Config(values={"calendar.holidays": "10/1"})
