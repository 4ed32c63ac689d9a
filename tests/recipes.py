"""Recipes the tests and the benchmarks share: a case brought to a decision the way a clerk
brings it (an item from the catalog, the applicant, every required material scanned and
kept, the rest marked), so each test says only what is special about its case."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from hallclient.core.cases import Applicant, CaseDraft, Decision, MaterialStatus
from hallclient.core.catalog import CatalogItem
from hallclient.store import catalog_repo

# GB 11643-1999's example number; a credit code with a valid check character
PERSON = Applicant(kind="person", name="王𠮷", id_number="11010519491231002X",
                   mobile="13800138000", address="示范县人民路 1 号")
COMPANY = Applicant(kind="company", name="示范县䶮记餐饮有限公司", id_number="91350100M000100Y43",
                    legal_rep="李䶮", mobile="+86 139 0000 1111")

# the demo catalog's 不动产登记资料查询, found by its pinyin initials
RECORDS_QUERY = "bdcdjzlcx"


def tiny_jpeg(seed: int = 0) -> bytes:
    """A small but structurally complete JPEG-like byte string (SOI ... EOI)."""
    return b"\xff\xd8\xff\xe0" + bytes([seed % 256]) * 64 + seed.to_bytes(4, "big") + b"\xff\xd9"


def tiny_pdf(text: str = "x") -> bytes:
    return b"%PDF-1.4\n% " + text.encode() + b"\n%%EOF\n"


def catalog_item(conn: Any, name: str) -> CatalogItem:
    """The catalog item called ``name`` exactly, or else the only one a search finds
    (pinyin initials such as ``bdcdjzlcx`` work)."""
    found = catalog_repo.search(conn, name)
    exact = [s for s in found if s.name == name]
    (hit,) = exact or found
    item = catalog_repo.get(conn, hit.impl_code)
    assert item is not None
    return item


def fill_materials(desk: Any, draft: CaseDraft, *, skip: Collection[str] = (),
                   missing: int = 0, on_paper: int = 0, seed: int = 0,
                   scan: Callable[[int], bytes] | None = None,
                   otherwise: MaterialStatus = MaterialStatus.NOT_APPLICABLE) -> CaseDraft:
    """Scan and keep every required material, except the codes in ``skip`` and the last
    ``missing`` required ones, which stay missing, and the ``on_paper`` ones before those,
    brought as paper copies; the materials not required are marked ``otherwise``.
    ``scan(i)`` gives the bytes of the draft's i-th material: by default a tiny JPEG that
    differs with ``seed`` (so two cases' scans are not the same blobs)."""
    required = [m.code for m in draft.materials if m.required]
    scanned = max(0, len(required) - missing - on_paper)
    paper = set(required[scanned:max(scanned, len(required) - missing)])
    left_out = set(required[max(0, len(required) - missing):]) | set(skip)
    for i, m in enumerate(draft.materials):
        if not m.required:
            m.status = otherwise
        elif m.code in paper:
            m.status = MaterialStatus.PAPER_COPY
        elif m.code not in left_out:
            data = scan(i) if scan is not None else tiny_jpeg(seed * 100 + i)
            m.files.append(desk.stage_bytes(data, f"{m.name}.jpg"))
            m.status = MaterialStatus.KEPT
    return draft


def case_draft(desk: Any, item: CatalogItem | str = RECORDS_QUERY, *,
               applicant: Applicant = PERSON, decision: Decision | None = Decision.ACCEPT,
               fill: bool = True, **materials: Any) -> CaseDraft:
    """A draft for ``item`` (an item or its name) with the applicant and decision chosen and
    the materials filled as ``fill_materials`` does (its options pass through); with
    ``fill=False`` nothing is brought (every material missing, as for a 补正)."""
    if isinstance(item, str):
        item = catalog_item(desk.db.conn, item)
    draft = CaseDraft.for_item(item)
    draft.applicant = applicant
    draft.decision = decision
    return fill_materials(desk, draft, **materials) if fill else draft


def accepted_case(desk: Any, item: CatalogItem | str = RECORDS_QUERY, *, window: int = 1,
                  clerk: str = "li", **options: Any) -> Any:
    """Commit a case accepted with every required material (``case_draft``'s options)."""
    return desk.commit(case_draft(desk, item, **options), window, clerk)
