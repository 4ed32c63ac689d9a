"""An exact text layer for the PDFs Qt writes (可检索、可复制的 PDF 文字层).

Qt's PDF engine draws glyphs by their number in a font subset and says which text each
glyph stands for in the font's ToUnicode CMap. It builds that map backwards, from the
glyph to a character (QFontSubset::getReverseMap, Qt 5 and 6): it walks the code points
U+0000..U+FFFF in order and keeps, for each glyph, the first code point the font maps to
it. Two faults follow:

- a glyph reached only from outside the BMP (𠮷 U+20BB7 and the rest of CJK Ext. B-G) gets
  no entry, so text extraction drops it (王𠮷 reads 「王」);
- a glyph the font maps from several code points gets the lowest one: Noto CJK and the
  Windows CJK fonts map the Kangxi radicals (U+2F00..) to the ideographs' own glyphs, so
  月 U+6708 reads back as ⽉ U+2F49, 工 as ⼯, 人 as ⼈ (and compatibility ideographs
  U+F900.. likewise).

The glyphs drawn are right; only the map is wrong. So after Qt has written the file we
write each font's map anew from what was laid out: :class:`TextLayer` collects, from the
QTextDocument / QTextLayout that were drawn, which characters every glyph of every font
stood for (Qt's glyph runs keep the string index of each glyph, so ligatures and
characters outside the BMP come out whole); :func:`correct` then maps each subset glyph
to its font glyph and that glyph to its characters, and appends the new CMaps to the PDF
as an incremental update (ISO 32000-1 §7.5.6), leaving Qt's fonts, pages and the
barcode untouched.

A subset glyph's font glyph is found from Qt's own entry (the font's cmap of that code
point is the glyph). Glyphs Qt left without an entry are placed by the order in which
they were first drawn: Qt numbers subset glyphs in that order, and the glyphs Qt did map
anchor the count on both sides. Glyphs drawn by no collected layout keep Qt's entry,
turned into the unified ideograph it stands for (NFKC: ⽉ → 月) where the font draws both
with one glyph.
"""

from __future__ import annotations

import logging
import re
import struct
import unicodedata
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtGui import QRawFont, QTextDocument, QTextLayout

log = logging.getLogger(__name__)

_ALL = QTextLayout.GlyphRunRetrievalFlag.RetrieveGlyphIndexes


@dataclass
class _FontText:
    raw: QRawFont
    text: dict[int, str] = field(default_factory=dict)      # font glyph -> characters
    order: list[int] = field(default_factory=list)          # glyphs in the order first drawn
    fresh: bool = False                                     # its last glyph was new


class TextLayer:
    """The characters each glyph stood for, per font (by PostScript name), as laid out."""

    def __init__(self) -> None:
        self.fonts: dict[str, _FontText] = {}

    def add_document(self, doc: QTextDocument) -> None:
        """Every block of ``doc`` (table cells included), in the order they are drawn."""
        doc.documentLayout().documentSize()         # laid out before its runs are read
        block = doc.begin()
        while block.isValid():
            layout = block.layout()
            if layout is not None:
                self.add_layout(layout, block.text())
            block = block.next()

    def add_layout(self, layout: QTextLayout, text: str | None = None) -> None:
        """The glyphs of ``layout`` (whose text is ``text``) and what each stands for.

        Asked one character at a time: Qt's string indexes for a run of several items
        restart in each item. A character that adds no glyph to the one before it is of
        the same cluster (a ligature such as ﬁ), so both are that glyph's text."""
        chars = layout.text() if text is None else text
        cluster: list[tuple[_FontText, int]] = []
        cluster_at, cluster_len, pos = 0, 0, 0
        for char in chars:
            size = 2 if ord(char) > 0xFFFF else 1
            glyphs = self._glyphs(layout, pos, size)
            if cluster and len(self._glyphs(layout, cluster_at, cluster_len + size)) == len(cluster):
                for font, glyph in cluster[:1]:
                    if font.order and font.order[-1] == glyph and font.fresh:
                        font.text[glyph] += char
                cluster_len += size
            else:
                cluster, cluster_at, cluster_len = glyphs, pos, size
                for n, (font, glyph) in enumerate(glyphs):
                    font.fresh = glyph not in font.text and glyph != 0
                    if font.fresh:
                        font.order.append(glyph)
                        font.text[glyph] = char if n == 0 else ""
            pos += size

    def _glyphs(self, layout: QTextLayout, at: int, size: int) -> list[tuple[_FontText, int]]:
        found = []
        for run in layout.glyphRuns(at, size, _ALL):
            font = self._font(run.rawFont())
            if font is not None:
                found += [(font, int(g)) for g in run.glyphIndexes()]
        return found

    def _font(self, raw: QRawFont) -> _FontText | None:
        name = postscript_name(raw)
        if not name:
            return None
        if name not in self.fonts:
            self.fonts[name] = _FontText(raw)
        return self.fonts[name]


def postscript_name(raw: QRawFont) -> str:
    """The font's PostScript name (name table, name ID 6), the name Qt gives the PDF font."""
    table = bytes(raw.fontTable("name").data())
    if len(table) >= 6:
        count, offset = struct.unpack(">HH", table[2:6])
        for i in range(count):
            rec = table[6 + 12 * i:18 + 12 * i]
            if len(rec) < 12:
                break
            platform, _enc, _lang, name_id, length, at = struct.unpack(">HHHHHH", rec)
            if name_id != 6:
                continue
            value = table[offset + at:offset + at + length]
            return (value.decode("utf-16-be", "replace") if platform in (0, 3)
                    else value.decode("latin-1"))
    return str(raw.familyName()).replace(" ", "")


# --- the PDF side -------------------------------------------------------------------

_OBJ = re.compile(rb"(\d+) 0 obj\b")
_HEX = re.compile(rb"<([0-9A-Fa-f]+)>")


def _objects(data: bytes) -> dict[int, tuple[int, int]]:
    """Object number -> (start, end) of its body, for a file as Qt writes it: where each
    object starts is read from the cross-reference table, never searched for — a font's
    compressed bytes can hold "7 0 obj" or "endobj" by chance, which once cut a stream short
    (now and then, as the subset's bytes changed with the text)."""
    offsets = _xref(data)
    if offsets is None:             # (not as Qt writes it: the search is all there is)
        found: dict[int, tuple[int, int]] = {}
        for match in _OBJ.finditer(data):
            end = data.find(b"endobj", match.end())
            if end > 0:
                found.setdefault(int(match.group(1)), (match.end(), end))
        return found
    table_at = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    starts = sorted(set(offsets.values()) | {table_at})
    following = {a: b for a, b in zip(starts, starts[1:], strict=False)}
    found = {}
    for number, at in offsets.items():
        header = _OBJ.match(data, at)
        if header is None or int(header.group(1)) != number:
            continue
        end = data.rfind(b"endobj", header.end(), following.get(at, len(data)))
        if end > 0:
            found[number] = (header.end(), end)
    return found


def _xref(data: bytes) -> dict[int, int] | None:
    """The offsets in the file's last classic cross-reference table (object -> offset)."""
    found = re.findall(rb"startxref\s+(\d+)", data)
    if not found:
        return None
    at = int(found[-1])
    if data[at:at + 4] != b"xref":
        return None
    end = data.find(b"trailer", at)
    if end < 0:
        return None
    tokens = data[at + 4:end].split()
    offsets: dict[int, int] = {}
    i = 0
    while i + 1 < len(tokens):
        first, count = int(tokens[i]), int(tokens[i + 1])
        i += 2
        for n in range(count):
            offset, _gen, kind = tokens[i:i + 3]
            if kind == b"n":
                offsets[first + n] = int(offset)
            i += 3
    return offsets


def _stream(body: bytes, data: bytes = b"", objects: dict[int, tuple[int, int]] | None = None) -> bytes:
    """A stream object's data, decompressed: exactly /Length bytes (an indirect length looked
    up in ``objects``). Only where the length cannot be had is it cut before "endstream",
    less one end-of-line — a compressed stream may itself end in \r or \n."""
    start = body.index(b"stream") + len(b"stream")
    if body[start:start + 2] == b"\r\n":
        start += 2
    elif body[start:start + 1] in (b"\n", b"\r"):
        start += 1
    head = body[:start]
    size: int | None = None
    direct = re.search(rb"/Length (\d+)(?!\d)(?!\s+\d+\s+R)", head)
    indirect = re.search(rb"/Length (\d+) 0 R", head)
    if direct:
        size = int(direct.group(1))
    elif indirect and objects is not None and int(indirect.group(1)) in objects:
        s, e = objects[int(indirect.group(1))]
        number = re.search(rb"\d+", data[s:e])
        size = int(number.group(0)) if number else None
    if size is not None:
        raw = body[start:start + size]
    else:
        raw = body[start:body.rindex(b"endstream")]
        raw = raw[:-1] if raw.endswith((b"\n", b"\r")) else raw
    return zlib.decompress(raw) if b"/FlateDecode" in head else raw


def _utf16(hexa: bytes) -> str:
    return bytes.fromhex(hexa.decode()).decode("utf-16-be", "replace")


def read_cmap(cmap: bytes) -> dict[int, str]:
    """A ToUnicode CMap's bfchar / bfrange entries as subset glyph -> text."""
    out: dict[int, str] = {}
    for section in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        pairs = _HEX.findall(section)
        for src, dst in zip(pairs[::2], pairs[1::2], strict=False):
            out[int(src, 16)] = _utf16(dst)
    for section in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for line in re.finditer(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(\[[^\]]*\]|<[0-9A-Fa-f]+>)",
                                section):
            lo, hi, dst = int(line.group(1), 16), int(line.group(2), 16), line.group(3)
            if dst.startswith(b"["):
                for i, item in enumerate(_HEX.findall(dst)):
                    out[lo + i] = _utf16(item)
            else:
                first = bytes.fromhex(dst[1:-1].decode())
                base = int.from_bytes(first[-2:], "big")
                for i in range(hi - lo + 1):
                    out[lo + i] = (first[:-2] + (base + i).to_bytes(2, "big")).decode(
                        "utf-16-be", "replace")
    return out


def write_cmap(mapping: dict[int, str]) -> bytes:
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
             b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def",
             b"1 begincodespacerange", b"<0000> <FFFF>", b"endcodespacerange"]
    items = [(cid, text) for cid, text in sorted(mapping.items()) if cid and text]
    for at in range(0, len(items), 100):           # at most 100 entries a section
        chunk = items[at:at + 100]
        lines.append(f"{len(chunk)} beginbfchar".encode())
        lines += [f"<{cid:04X}> <{text.encode('utf-16-be').hex().upper()}>".encode()
                  for cid, text in chunk]
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end", b""]
    return b"\n".join(lines)


def _glyph_of(raw: QRawFont, text: str) -> int:
    glyphs = raw.glyphIndexesForString(text)
    return int(glyphs[0]) if len(glyphs) == 1 else 0


def _unified(raw: QRawFont | None, text: str) -> str:
    """⽉ → 月 when the font draws both with one glyph (Qt took the lower code point)."""
    if len(text) != 1:
        return text
    plain = unicodedata.normalize("NFKC", text)
    if plain == text or len(plain) != 1:
        return text
    if raw is None or _glyph_of(raw, plain) == _glyph_of(raw, text):
        return plain
    return text


def font_map(qt_map: dict[int, str], count: int, font: _FontText | None) -> dict[int, str]:
    """Subset glyph (CID) -> text, for a font Qt subset with ``count`` glyphs."""
    if font is None:
        return {cid: _unified(None, text) for cid, text in qt_map.items()}
    gid: dict[int, int] = {0: 0}
    for cid, text in qt_map.items():
        g = _glyph_of(font.raw, text) if text else 0
        if g:
            gid[cid] = g
    # glyphs Qt did not map: in the order first drawn, between the glyphs it did map
    position = {g: i for i, g in enumerate(font.order)}
    known = set(gid.values())
    cid = 1
    while cid < count:
        if cid in gid:
            cid += 1
            continue
        gap_end = cid
        while gap_end < count and gap_end not in gid:
            gap_end += 1
        before = max((position.get(gid[c], -1) for c in gid if 0 < c < cid), default=-1)
        after = min((position.get(gid[c], len(font.order)) for c in gid if c >= gap_end),
                    default=len(font.order))
        candidates = [g for g in font.order[before + 1:after] if g not in known]
        if len(candidates) != gap_end - cid:
            log.warning("pdf text layer: %d unmapped glyphs of %s, %d drawn between",
                        gap_end - cid, postscript_name(font.raw), len(candidates))
        for c, g in zip(range(cid, gap_end), candidates, strict=False):
            gid[c] = g
            known.add(g)
        cid = gap_end
    out: dict[int, str] = {}
    for cid in range(1, count):
        found = gid.get(cid)
        text = font.text.get(found, "") if found is not None else ""
        out[cid] = text or _unified(font.raw, qt_map.get(cid, ""))
    return out


def _font_size(data: bytes, objects: dict[int, tuple[int, int]], descendant: int) -> int:
    """How many glyphs the subset has (its CIDSet / widths are not always there: the
    embedded TrueType's maxp table says it)."""
    start, end = objects[descendant]
    desc = re.search(rb"/FontDescriptor (\d+) 0 R", data[start:end])
    if desc:
        s, e = objects[int(desc.group(1))]
        ff = re.search(rb"/FontFile2 (\d+) 0 R", data[s:e])
        if ff:
            s, e = objects[int(ff.group(1))]
            ttf = _stream(data[s:e], data, objects)
            tables, = struct.unpack(">H", ttf[4:6])
            for i in range(tables):
                tag, _sum, at, _len = struct.unpack(">4sIII", ttf[12 + 16 * i:28 + 16 * i])
                if tag == b"maxp":
                    return int(struct.unpack(">H", ttf[at + 4:at + 6])[0])
    return 0


def correct(path: Path, layer: TextLayer) -> int:
    """Give every Type0 font in the PDF at ``path`` a ToUnicode map of the text ``layer``
    saw drawn. Returns how many maps were rewritten."""
    data = path.read_bytes()
    objects = _objects(data)
    replaced: dict[int, bytes] = {}
    for start, end in objects.values():
        body = data[start:end]
        if b"/Subtype /Type0" not in body:
            continue
        name = re.search(rb"/BaseFont /([^\s/<>\[\]]+)", body)
        touc = re.search(rb"/ToUnicode (\d+) 0 R", body)
        desc = re.search(rb"/DescendantFonts \[\s*(\d+) 0 R", body)
        if not (name and touc and desc):
            continue
        ref = int(touc.group(1))
        s, e = objects[ref]
        qt_map = read_cmap(_stream(data[s:e], data, objects))
        count = max(_font_size(data, objects, int(desc.group(1))), max(qt_map, default=0) + 1)
        base = name.group(1).decode("latin-1").split("+", 1)[-1]
        fixed = font_map(qt_map, count, layer.fonts.get(base))
        if fixed != qt_map:
            cmap = write_cmap(fixed)
            replaced[ref] = (b"<< /Length %d >>\nstream\n" % len(cmap) + cmap
                             + b"\nendstream\n")
    if replaced:
        path.write_bytes(data + _update(data, replaced))
    return len(replaced)


def _update(data: bytes, replaced: dict[int, bytes]) -> bytes:
    """An incremental update replacing the objects in ``replaced``."""
    prev = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    trailer = re.findall(rb"trailer\s*<<(.*?)>>", data, re.S)[-1]
    keep = b"".join(m.group(0) + b"\n" for m in
                    re.finditer(rb"/(Size|Root|Info|ID)\s+(\d+ \d+ R|\d+|\[[^\]]*\])", trailer))
    out = bytearray(b"\n" if not data.endswith(b"\n") else b"")
    offsets: dict[int, int] = {}
    for number, body in sorted(replaced.items()):
        offsets[number] = len(data) + len(out)
        out += b"%d 0 obj\n" % number + body + b"endobj\n"
    xref_at = len(data) + len(out)
    out += b"xref\n"
    for number, offset in sorted(offsets.items()):
        out += b"%d 1\n%010d 00000 n \n" % (number, offset)
    out += b"trailer\n<<\n" + keep + b"/Prev %d\n>>\nstartxref\n%d\n%%%%EOF\n" % (prev, xref_at)
    return bytes(out)

