"""The program log: a plain file while the window starts, rotating from its first paint."""

from __future__ import annotations

import logging
import logging.handlers

import pytest

from hallclient import logs


@pytest.fixture
def root_handlers():
    root = logging.getLogger()
    before = list(root.handlers)
    yield root
    for handler in list(root.handlers):
        if handler not in before:
            root.removeHandler(handler)
            handler.close()


def test_the_start_up_log_becomes_rotating_on_the_same_file_and_rotates_at_its_size(tmp_path,
                                                                                     root_handlers):
    logs.setup_logging(tmp_path, rotate_later=True)
    path = tmp_path / "logs" / "hallclient.log"
    logging.getLogger("hallclient.test").info("before the first paint")
    logs.setup_logging(tmp_path, rotate_later=True)          # a second start-up: no second handler
    ours = [h for h in root_handlers.handlers if getattr(h, "baseFilename", "") == str(path)]
    assert len(ours) == 1 and not isinstance(ours[0], logging.handlers.RotatingFileHandler)

    logs.make_log_rotating()
    ours = [h for h in root_handlers.handlers if getattr(h, "baseFilename", "") == str(path)]
    assert len(ours) == 1 and isinstance(ours[0], logging.handlers.RotatingFileHandler)
    line = "x" * 1000
    for _ in range(2100):                   # a little over the 2 MB limit
        logging.getLogger("hallclient.test").info(line)
    assert "before the first paint" in (tmp_path / "logs" / "hallclient.log.1").read_text("utf-8")
    assert path.stat().st_size < 2_000_000
