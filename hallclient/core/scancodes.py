"""What a scanned barcode is, so the window can route it (扫码分流)."""

from __future__ import annotations

import re
from enum import Enum

from .validators import check_resident_id

_TICKET = re.compile(r"^[A-Z]\d{3,4}$")
_CASE = re.compile(r"^\d{14}[0-9A-Z]{6}\d{4}$")         # see core.cases.case_number
_PREAPPLICATION = re.compile(r"^YS[0-9A-Z]{10,32}$")      # online pre-application (网上预申请)


class ScanKind(str, Enum):
    TICKET = "ticket"
    CASE = "case"
    PREAPPLICATION = "preapplication"
    ID_NUMBER = "id_number"
    MATERIAL = "material"


def classify(code: str) -> ScanKind:
    text = code.strip().upper()
    if _TICKET.match(text):
        return ScanKind.TICKET
    if _CASE.match(text):
        return ScanKind.CASE
    if _PREAPPLICATION.match(text):
        return ScanKind.PREAPPLICATION
    if len(text) == 18 and check_resident_id(text).ok:
        return ScanKind.ID_NUMBER
    return ScanKind.MATERIAL
