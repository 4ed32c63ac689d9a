"""Local case record -> the platform contract's case body (GB/T 39046 fields)."""

from __future__ import annotations

from typing import Any

from hallclient.core.cases import MaterialStatus
from hallclient.core.catalog import CatalogItem


def case_body(case: dict[str, Any], item: CatalogItem | None) -> dict[str, Any]:
    files: dict[str, list[str]] = {}
    for a in case["attachments"]:
        files.setdefault(a["material_code"], []).append(a["sha256"])
    return {
        "version": int(case["version"]),
        "case_no": case["case_no"],
        "impl_code": case["impl_code"],
        "item_name": case["item_name"],
        "case_type": int(case["case_type"]),
        "applicant_name": case["applicant_name"],
        "id_type": case["id_type"],
        "id_number": case["id_number"],
        "legal_rep": case["legal_rep"],
        "agent_name": case["agent_name"],
        "agent_id_number": case["agent_id_number"],
        "mobile": case["mobile"],
        "address": case["address"],
        "source": int(case["source"]),
        "accepted_by_unit": item.department if item else "",
        "accepted_by": case["clerk"] or "",
        "accepted_at": case["decided_at"],
        "promised_date": case["promised_date"],
        "status": int(case["status"]),
        "materials": [
            {"code": m["code"], "name": m["name"],
             "received": MaterialStatus(m["status"]).present,
             "receipt": m["status"],
             "form": m["form"], "count": int(m["expected_count"]) if m["status"] != "missing" else 0,
             "received_at": m["received_at"], "attachments": files.get(m["code"], [])}
            for m in case["materials"]
        ],
        "delivery": case["delivery"],
        "post_address": case["post_address"],
    }
