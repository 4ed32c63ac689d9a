"""办件查询 through the hall server: a counter publishes the progress of its cases (a minimal
record, the query password only as a salted hash), a kiosk asks by case number and password.

What to publish is what changed since the server last got it (``progress_repo``: a trigger
counts every change the kiosk shows, whoever made it: intake, the platform's change feed of
办结, the clerk's 待领取 / 已邮寄). A counter that cannot reach the server publishes later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from hallclient.core.progress import QueryAnswer, Verdict, hash_query_password
from hallclient.store import progress_repo
from hallclient.store.db import Database
from hallclient.store.progress_repo import StoredProgress
from hallclient.wire import hall as wire

log = logging.getLogger(__name__)

PUBLISH_BATCH = 20        # each record hashes its password (slow on purpose): a short batch
Call = Callable[..., Any]  # HallQueue._call(method, path, answer type, body)


def _wire_record(stored: StoredProgress) -> wire.ProgressRecordIn | None:
    """The record as the server takes it; None (logged) for one it never could."""
    try:
        return wire.ProgressRecordIn.model_validate({
            **wire.ProgressWire.fields_of(stored.record),
            "password_hash": hash_query_password(stored.password)})
    except ValidationError as exc:
        log.error("progress of case id %d cannot be published: %s", stored.case_id,
                  "; ".join(str(e["loc"]) for e in exc.errors()[:3]))
        return None


def publish(db: Database, call: Call) -> int:
    """Send every unpublished case's progress; returns how many the server kept."""
    sent = 0
    while True:
        batch = progress_repo.unpublished(db.conn, PUBLISH_BATCH)
        if not batch:
            return sent
        records = [(s, r) for s in batch if (r := _wire_record(s)) is not None]
        if records:
            answer = call("POST", "/progress", wire.ProgressPublishOut,
                          wire.ProgressPublishIn(records=[r for _, r in records]))
            sent += answer.stored
            if answer.refused:          # published before by another device: not ours to change
                log.warning("hall server kept the progress of %d case(s) from another device",
                            len(answer.refused))
        with db.write() as conn:
            for stored in batch:          # one that can never go is not retried for ever
                progress_repo.mark_published(conn, stored.case_id, stored.rev)


def query(call: Call, case_no: str, password: str) -> QueryAnswer:
    """Ask the hall server (the same ``refused`` for an unknown case and a wrong password)."""
    answer = call("POST", "/progress/query", wire.ProgressOut,
                  wire.ProgressQueryIn(case_no=case_no[:64], password=password[:16]))
    return QueryAnswer(Verdict(answer.verdict),
                       answer.progress.record() if answer.progress is not None else None,
                       answer.tries_left, answer.locked_until)
