"""Intake on the db lane (受理台): stage material files, commit a decided case.

A commit writes the case, its materials, attachment links, the outbox row and the event
log entry in ONE transaction (synchronous=FULL); the attachment bytes were already fsynced
into the content-addressed store when they were staged.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import unicodedata
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from hallclient.core.cases import (
    REPEAT_REASON_NEEDED,
    Applicant,
    CaseDraft,
    CaseStatus,
    Decision,
    MaterialStatus,
    StagedFile,
    applicant_problems,
    case_number,
    decision_problems,
    new_query_password,
)
from hallclient.core.clock import Clock, local_now
from hallclient.core.validators import plain
from hallclient.core.workdays import add_working_days
from hallclient.store import case_repo, log_repo
from hallclient.store.attachments import AttachmentError, AttachmentStore
from hallclient.store.db import Database

log = logging.getLogger(__name__)


class CaseError(ValueError):
    """The case cannot be committed as it stands; ``problems`` lists why, in Chinese."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("；".join(problems))
        self.problems = problems
        self.message = "；".join(problems)


@dataclass(frozen=True)
class CommittedCase:
    id: int
    uid: str
    case_no: str
    version: int
    status: CaseStatus
    query_password: str
    received_at: str
    promised_date: str | None


def applicant_from_case(case: dict[str, Any]) -> Applicant:
    """The applicant of a stored case record (case_repo.get_case)."""
    return Applicant(case["applicant_kind"], case["applicant_name"], case["id_number"],
                     case["legal_rep"] or "", case["mobile"], case["address"] or "",
                     case["agent_name"] or "", case["agent_id_number"] or "")


def derive_device_code(device_id: str) -> str:
    """Six characters from the database's random device id (A-Z, 2-7)."""
    digest = hashlib.sha256(device_id.encode("ascii")).digest()
    return base64.b32encode(digest)[:6].decode("ascii")


class CaseDesk:
    def __init__(self, db: Database, attachments: AttachmentStore, *, region: str = "000000",
                 device_code: str = "", clock: Clock = local_now,
                 holidays: Collection[date] = (), workdays: Collection[date] = (),
                 correction_days: int = 10) -> None:
        self.db = db
        self.correction_days = correction_days    # 补正期限 on the notice, in working days
        self.attachments = attachments
        self.region = region
        self.device_code = device_code or derive_device_code(log_repo.device_id(db.conn))
        self.clock = clock
        self.holidays = holidays
        self.workdays = workdays

    # -- materials ---------------------------------------------------------------------

    def stage_file(self, path: Path) -> StagedFile:
        stored = self.attachments.put_file(path)
        return StagedFile(stored.sha256, path.name, stored.size, stored.mime)

    def stage_bytes(self, data: bytes, name: str) -> StagedFile:
        stored = self.attachments.put_bytes(data, name)
        return StagedFile(stored.sha256, name, stored.size, stored.mime)

    def _check_files(self, draft: CaseDraft) -> None:
        lost = [f.original_name for m in draft.materials for f in m.files
                if not self.attachments.path(f.sha256).exists()]
        if lost:
            raise AttachmentError(f"材料文件丢失：{'、'.join(lost)}，请重新扫描或导入")

    # -- committing --------------------------------------------------------------------

    def _ready(self, draft: CaseDraft) -> tuple[datetime, str, str | None]:
        """Refuse a draft that cannot be committed; else (now, now as text, promised date)."""
        problems = decision_problems(draft)
        if problems:
            raise CaseError(problems)
        self._check_files(draft)
        now = self.clock()
        return now, now.isoformat(timespec="milliseconds"), self._promised(draft, now.date())

    def commit(self, draft: CaseDraft, window: int | None, clerk: str) -> CommittedCase:
        now, at, promised = self._ready(draft)
        assert draft.decision is not None
        day = now.date().isoformat()
        uid = str(uuid.uuid4())
        password = new_query_password()
        a = draft.applicant
        with self.db.write() as conn:
            serial = case_repo.next_serial(conn, day)
            case_no = case_number(self.region, day, self.device_code, serial)
            case_id = case_repo.insert_case(conn, {
                "uid": uid, "case_no": case_no, "version": 1, "impl_code": draft.item.impl_code,
                "item_name": draft.item.name, "case_type": int(draft.item.case_type),
                "status": int(draft.decision.status), "decision": draft.decision.value,
                "applicant_kind": a.kind, "applicant_name": a.name.strip(), "id_type": a.id_type,
                "id_number": plain(a.id_number), "legal_rep": a.legal_rep.strip() or None,
                "agent_name": a.agent_name.strip() or None,
                "agent_id_number": plain(a.agent_id_number) or None,
                "mobile": unicodedata.normalize("NFKC", a.mobile).strip(),
                "address": a.address.strip() or None, "source": 1,
                "window": window, "clerk": clerk, "ticket": draft.ticket or None,
                "preapplication_code": draft.preapplication_code or None,
                "received_at": at, "decided_at": at, "promised_date": promised,
                **self._deadline(draft, at),
                "query_password": password, "refusal_reason": draft.refusal_reason.strip() or None,
                "refusal_agency": draft.refusal_agency.strip() or None,
                "delivery": draft.delivery, "post_address": draft.post_address.strip() or None,
                "post_recipient": draft.post_recipient.strip() or None,
                "post_phone": draft.post_phone.strip() or None, "updated_at": at,
            })
            self._write_materials(conn, case_id, draft, at)
            case_repo.enqueue(conn, case_id, "case_upsert", 1, f"{uid}:1", at)
            if draft.preapplication_code:
                case_repo.enqueue(conn, case_id, "preapplication_lookup", 1,
                                  f"{uid}:pre:{draft.preapplication_code}", at)
            log_repo.append(conn, at=at, action=f"intake_{draft.decision.value}", window=window,
                            clerk=clerk, ticket=draft.ticket or None,
                            detail={"case_no": case_no, "impl_code": draft.item.impl_code,
                                    "item": draft.item.name,
                                    "department": draft.item.department,
                                    "online": bool(draft.preapplication_code) or None,
                                    "missing": len(draft.missing())})
        return CommittedCase(case_id, uid, case_no, 1, draft.decision.status, password, at, promised)

    def resume_correction(self, case_no: str, draft: CaseDraft, window: int | None,
                          clerk: str) -> CommittedCase:
        """The applicant came back with the missing materials (补正): continue the same case."""
        if draft.decision is Decision.CORRECT and not draft.repeat_reason.strip():
            raise CaseError([REPEAT_REASON_NEEDED])    # whoever built the draft, never silently
        _, at, promised = self._ready(draft)
        assert draft.decision is not None
        with self.db.write() as conn:
            case = case_repo.get_case(conn, case_no)
            if case is None:
                raise CaseError([f"找不到办件 {case_no}"])
            if case["status"] != CaseStatus.CORRECTION_STARTED:
                label = CaseStatus(case["status"]).label
                raise CaseError([f"办件 {case_no} 当前状态为「{label}」，不在补正中"])
            version = int(case["version"]) + 1
            changed = case_repo.update_case(conn, case["id"], case["version"], {
                "status": int(draft.decision.status if draft.decision is not Decision.CORRECT
                              else CaseStatus.CORRECTION_STARTED),
                "decision": draft.decision.value, "decided_at": at, "promised_date": promised,
                **self._deadline(draft, at),
                "refusal_reason": draft.refusal_reason.strip() or None,
                "refusal_agency": draft.refusal_agency.strip() or None,
                "window": window, "clerk": clerk, "updated_at": at,
                "visits": int(case.get("visits") or 1) + 1,   # the applicant came back (跑了一次)
            })
            if not changed:
                raise CaseError([f"办件 {case_no} 刚被其他窗口修改，请重新打开"])
            self._write_materials(conn, case["id"], draft, at)
            case_repo.enqueue(conn, case["id"], "case_upsert", version, f"{case['uid']}:{version}", at)
            log_repo.append(conn, at=at, action="correction_ended", window=window, clerk=clerk,
                            detail={"case_no": case_no})
            if draft.decision is Decision.CORRECT:
                # 一次性告知 was not enough: a second round is the supervisor's to see (二次补正)
                log_repo.append(conn, at=at, action="correction_repeat", window=window,
                                clerk=clerk, detail={"case_no": case_no,
                                                     "reason": draft.repeat_reason.strip()})
            log_repo.append(conn, at=at, action=f"intake_{draft.decision.value}", window=window,
                            clerk=clerk, detail={"case_no": case_no, "item": case["item_name"],
                                                 "missing": len(draft.missing())})
        return CommittedCase(case["id"], case["uid"], case_no, version, draft.decision.status,
                             case["query_password"], case["received_at"], promised)

    AMENDABLE = ("applicant_name", "id_number", "legal_rep", "mobile", "address")

    def amend(self, case_no: str, changes: dict[str, str], window: int | None,
              clerk: str) -> CommittedCase:
        """Correct applicant fields the platform refused (修改后重传): a new version of the
        same case, with a new upload that supersedes the refused one."""
        unknown = set(changes) - set(self.AMENDABLE)
        if unknown:
            raise CaseError([f"不能修改：{'、'.join(sorted(unknown))}"])
        case = self.load(case_no)
        if case is None:
            raise CaseError([f"找不到办件 {case_no}"])
        applicant = applicant_from_case(case)
        for key, value in changes.items():
            setattr(applicant, "name" if key == "applicant_name" else key, value.strip())
        problems = applicant_problems(applicant)
        if problems:
            raise CaseError(problems)
        at = self.clock().isoformat(timespec="milliseconds")
        fields = {"applicant_name": applicant.name, "id_number": plain(applicant.id_number),
                  "legal_rep": applicant.legal_rep or None,
                  "mobile": unicodedata.normalize("NFKC", applicant.mobile),
                  "address": applicant.address or None, "updated_at": at}
        with self.db.write() as conn:
            if not case_repo.update_case(conn, case["id"], case["version"], fields):
                raise CaseError([f"办件 {case_no} 刚被修改，请重新打开"])
            version = int(case["version"]) + 1
            case_repo.enqueue(conn, case["id"], "case_upsert", version, f"{case['uid']}:{version}", at)
            log_repo.append(conn, at=at, action="case_amended", window=window, clerk=clerk,
                            detail={"case_no": case_no, "fields": sorted(changes)})
        return CommittedCase(case["id"], case["uid"], case_no, version, CaseStatus(case["status"]),
                             case["query_password"], case["received_at"], case["promised_date"])

    def _write_materials(self, conn: Any, case_id: int, draft: CaseDraft, at: str) -> None:
        known = case_repo.linked_files(conn, case_id)
        for m in draft.materials:
            case_repo.put_material(conn, case_id, {
                "code": m.code, "name": m.name, "requirement": m.requirement.value,
                "form": m.form.value, "expected_count": m.expected_count, "standard": m.standard,
                "status": m.status.value, "received_at": at if m.status.present else None,
                "scanned_codes": json.dumps(m.scanned_codes, ensure_ascii=False),
                # a reason is the material's only while it is missing (brought since: gone)
                "correction_reason": (m.correction_reason.strip()
                                      if m.status is MaterialStatus.MISSING else ""),
            })
            for f in m.files:
                if (m.code, f.sha256) in known:
                    continue
                case_repo.register_attachment(conn, f.sha256, f.size, f.mime, at)
                case_repo.link_attachment(conn, case_id, m.code, f.sha256, f.original_name)

    def _promised(self, draft: CaseDraft, today: date) -> str | None:
        if draft.decision is not Decision.ACCEPT:
            return None
        days = draft.item.promised_days
        if not days:   # 即办件: completed the same day
            return today.isoformat()
        return add_working_days(today, days, self.holidays, self.workdays).isoformat()

    # -- reading -----------------------------------------------------------------------

    def _deadline(self, draft: CaseDraft, at: str) -> dict[str, Any]:
        """The 补正期限 a 补正 decision gives (``correction.working_days`` working days from
        it, by the hall's calendar), kept with the case; none for other decisions or when
        no deadline is set."""
        if draft.decision is not Decision.CORRECT:
            return {"correction_due": None, "correction_days": None}
        if not self.correction_days:                 # none was set: none is printed, ever
            return {"correction_due": None, "correction_days": 0}
        due = add_working_days(datetime.fromisoformat(at).date(), self.correction_days,
                               self.holidays, self.workdays)
        return {"correction_due": due.isoformat(), "correction_days": self.correction_days}

    def load(self, case_no: str) -> dict[str, Any] | None:
        """The stored case; ``correction_due`` / ``correction_days`` as its 补正 notice gave
        them (none for a notice printed before deadlines were printed: a reprint says what
        the applicant was told, nothing more)."""
        return case_repo.get_case(self.db.conn, case_no)

    def search(self, text: str = "", **filters: Any) -> list[dict[str, Any]]:
        return case_repo.search(self.db.conn, text, **filters)

