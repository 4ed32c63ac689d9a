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


# a real 4x4 JPEG and PNG (Qt-encoded): they decode, as a kept material must
_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010101006400640000ffdb004300100b0c0e0c0a100e0d0e1211101318281a1816"
    "16183123251d283a333d3c3933383740485c4e404457453738506d51575f626768673e4d71797064785c6567"
    "63ffdb0043011112121815182f1a1a2f63423842636363636363636363636363636363636363636363636363"
    "6363636363636363636363636363636363636363636363636363ffc000110800040004030122000211010311"
    "01ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303"
    "020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f024"
    "33627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a63646566"
    "6768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7"
    "b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffc400"
    "1f0100030101010101010101010000000000000102030405060708090a0bffc400b511000201020404030407"
    "05040400010277000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a"
    "162434e125f11718191a262728292a35363738393a434445464748494a535455565758595a63646566676869"
    "6a737475767778797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9"
    "bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9faffda000c030100"
    "02110311003f00cda28a2bd0384fffd9")
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d494844520000000400000004080200000026930929000000097048597300000f"
    "6100000f6101a83fa7690000001349444154085b63344e9bc900034c70165e0e003c62013ac8e0416e000000"
    "0049454e44ae426082")


def tiny_jpeg(seed: int = 0) -> bytes:
    """A small, complete, decodable JPEG; ``seed`` goes in a comment segment, so each seed
    gives other bytes (another attachment) and the same picture."""
    return _JPEG[:2] + b"\xff\xfe\x00\x06" + seed.to_bytes(4, "big") + _JPEG[2:]


def tiny_pdf(text: str = "x") -> bytes:
    """A one-page PDF whose structure (objects, cross-reference table, trailer) is whole;
    ``text`` is written on the page."""
    content = f"BT /F1 12 Tf 20 40 Td ({text.encode('ascii', 'replace').decode()}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


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
