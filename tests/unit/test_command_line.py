"""The command line is built in part for a window's start, in full for what argv names."""

from __future__ import annotations

import pytest

from hallclient.cli import build_parser

SAMPLES = [
    [], ["--demo"], ["--self-test", "kiosk"], ["--window", "2", "counter"],
    ["kiosk", "--windowed", "--screen", "2"], ["panel", "--demo"],
    ["admin", "status", "--json"], ["--data-dir", "/x", "admin", "cases", "王", "--limit", "3"],
    ["hall-server", "add-device", "W2", "--kind", "counter", "--window", "2"],
    ["platform-sim", "--port", "0", "--error-rate", "0.3", "--listen-fd", "5"],
]


@pytest.mark.parametrize("argv", SAMPLES)
def test_a_parser_built_for_argv_parses_it_as_the_whole_parser_does(argv):
    assert vars(build_parser(argv).parse_args(argv)) == vars(build_parser().parse_args(argv))


def test_help_of_a_window_start_still_lists_every_command():
    text = build_parser(["--help"]).format_help()
    for name in ("counter", "kiosk", "platform-sim", "hall-server", "panel", "admin"):
        assert name in text


def test_an_unknown_admin_command_is_refused_by_the_partly_built_parser(capsys):
    with pytest.raises(SystemExit) as stop:
        build_parser(["admin", "no-such"]).parse_args(["admin", "no-such"])
    assert stop.value.code == 2 and "no-such" in capsys.readouterr().err
