"""Calls are spoken through QtTextToSpeech, or chimed and flashed when no engine speaks."""

from __future__ import annotations

from PySide6.QtTextToSpeech import QTextToSpeech

from hallclient.devices.speech import Announcer


def test_without_a_usable_engine_it_chimes_and_flashes(qtbot):
    announcer = Announcer("请{number}号到{window}号窗口办理", speech=True, engine="speechd")
    assert not announcer.speaks
    flashes, calls = [], []
    announcer.flash_requested.connect(flashes.append)
    announcer.announced.connect(lambda *a: calls.append(a))
    announcer.announce("A023", 3)
    assert flashes == ["请A023号到3号窗口办理"]
    assert calls == [("请A023号到3号窗口办理", "请A 零 二 三号到三号窗口办理", "chime")]


def test_auto_selection_ignores_test_engines(qtbot):
    announcer = Announcer(speech=True, engine="")
    # this machine has no Chinese voice; the mock engine must never be picked by itself
    assert announcer.voice_description == "提示音" or "mock" not in announcer.voice_description


def words_of_two_calls(qtbot, announcer: Announcer) -> list[tuple[int, str]]:
    """Announce two calls back to back; (utterance, word) as the engine says each word."""
    tts = announcer._tts
    words: list[tuple[int, str]] = []
    tts.sayingWord.connect(lambda word, utterance, _start, _length: words.append((utterance, word)))
    announcer.announce("A001", 1)
    announcer.announce("A002", 2)
    qtbot.waitUntil(lambda: bool(words) and tts.state() == QTextToSpeech.State.Ready, timeout=10000)
    return words


def test_a_configured_engine_speaks_and_queues_calls(qtbot):
    announcer = Announcer(speech=True, engine="mock")
    assert announcer.speaks and announcer.voice_description.startswith("mock")
    words = words_of_two_calls(qtbot, announcer)
    # queued, not cut off: the first call is said to its last word, then the second
    utterances = [u for u, _ in words]
    assert utterances == sorted(utterances) and set(utterances) == {0, 1}
    first, second = ([w for u, w in words if u == n] for n in (0, 1))
    assert len(first) == len(second) > 0       # the same sentence, the number apart


def test_the_queue_check_sees_a_call_cut_off(qtbot):
    """What the test above guards against: an engine told to ``say`` the second call stops
    the first, and only one utterance is heard."""
    announcer = Announcer(speech=True, engine="mock")
    announcer._tts.enqueue = announcer._tts.say        # a planted cut
    words = words_of_two_calls(qtbot, announcer)
    assert {u for u, _ in words} == {0}


def test_counter_flashes_the_call(qtbot, start_app):
    from PySide6.QtCore import Qt

    from .conftest import sign_in

    app = start_app()
    sign_in(qtbot, app)
    with qtbot.waitSignal(app.announcer.announced) as spoken:
        qtbot.keyClick(app.window, Qt.Key.Key_F1)
    assert spoken.args[0] == "请A001号到1号窗口办理"
    assert spoken.args[2] in ("speech", "chime")
    qtbot.waitUntil(lambda: app.window.counter_page.ticket_number.property("flash") == "true")
    qtbot.waitUntil(lambda: app.window.counter_page.ticket_number.property("flash") == "false", timeout=4000)


def test_sound_is_ruled_out_only_when_there_is_no_card_and_no_server(tmp_path, monkeypatch):
    import sys

    from hallclient.devices.speech import sound_possible

    monkeypatch.setattr(sys, "platform", "linux")
    (tmp_path / "proc" / "asound").mkdir(parents=True)
    (tmp_path / "proc" / "asound" / "cards").write_text("--- no soundcards ---\n")
    assert sound_possible({}, tmp_path) is False
    assert sound_possible({"PULSE_SERVER": "tcp:10.0.0.2"}, tmp_path) is True
    (tmp_path / "run" / "user" / "1000").mkdir(parents=True)
    env = {"XDG_RUNTIME_DIR": "/run/user/1000"}
    assert sound_possible(env, tmp_path) is False
    (tmp_path / "run" / "user" / "1000" / "pipewire-0").touch()
    assert sound_possible(env, tmp_path) is True
    (tmp_path / "run" / "user" / "1000" / "pipewire-0").unlink()
    (tmp_path / "proc" / "asound" / "cards").write_text(" 0 [PCH ]: HDA-Intel - HDA Intel PCH\n")
    assert sound_possible(env, tmp_path) is True
    (tmp_path / "proc" / "asound" / "cards").unlink()
    (tmp_path / "dev" / "snd").mkdir(parents=True)
    assert sound_possible(env, tmp_path) is True
    monkeypatch.setattr(sys, "platform", "win32")
    assert sound_possible({}, tmp_path / "nowhere") is True


def test_cameras_are_ruled_out_only_on_linux_without_video_devices(tmp_path, monkeypatch):
    import sys

    from hallclient.devices.camera import video_devices_possible

    monkeypatch.setattr(sys, "platform", "linux")
    assert video_devices_possible(tmp_path) is False
    (tmp_path / "video0").touch()
    assert video_devices_possible(tmp_path) is True
    monkeypatch.setattr(sys, "platform", "win32")
    assert video_devices_possible(tmp_path / "nowhere") is True
