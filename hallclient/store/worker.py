"""One thread that owns a context (a SQLite connection, a device, a link) and runs submitted jobs
in order: a lane of the counter (services/lanes.py) or the hall server's writer."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

C = TypeVar("C")
T = TypeVar("T")


class Worker(Generic[C]):
    """Runs jobs ``fn(context)`` one at a time on its own thread.

    ``open_context`` runs first on that thread (opening the database there, so the
    connection never crosses threads); if it fails, every job fails with that error.
    """

    def __init__(self, open_context: Callable[[], C], close_context: Callable[[C], None],
                 name: str = "db-writer") -> None:
        self._close = close_context
        self._context: C | None = None
        self._open_error: BaseException | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self.opened: Future[C] = self._executor.submit(self._open, open_context)

    def _open(self, open_context: Callable[[], C]) -> C:
        try:
            self._context = open_context()
        except BaseException as exc:
            self._open_error = exc
            raise
        return self._context

    def submit(self, fn: Callable[[C], T]) -> Future[T]:
        return self._executor.submit(self._run, fn)

    def _run(self, fn: Callable[[C], T]) -> T:
        if self._open_error is not None:
            raise self._open_error
        assert self._context is not None
        return fn(self._context)

    @property
    def thread_name(self) -> str:
        return threading.current_thread().name

    def close(self, wait: bool = True) -> None:
        def _shutdown() -> None:
            if self._context is not None:
                try:
                    self._close(self._context)
                finally:
                    self._context = None

        self._executor.submit(_shutdown)
        self._executor.shutdown(wait=wait)
