#!/usr/bin/env bash
# Build the Windows installer (64-bit) on Linux: Windows wheels from PyPI, unpacked into a
# staging folder next to the Windows embeddable Python, packed by NSIS (makensis).
#
#   installer/windows/build-windows.sh [--embed python-3.11.9-embed-amd64.zip]
#
# Manual step (no Windows Python can be fetched from PyPI or Debian): download the
# "Windows embeddable package (64-bit)" of Python 3.11 from python.org on a machine with
# internet access, check its SHA-256 against the one python.org lists, and pass it with
# --embed or put it in installer/windows/. Without it the script stages everything else, checks
# that the NSIS script compiles, and stops with a message: it never produces an installer
# without Python.
#
# Needs: python3 with pip and packaging, makensis (apt-get install nsis). Output: build/installer/out/.
set -euo pipefail
source "$(dirname "$0")/../common.sh"
STAGE="$WORK/windows/stage"
WHEELS="$WORK/windows/wheels"
VERSION="$APP_VERSION"
EMBED="$(ls "$REPO"/installer/windows/python-3.11.*-embed-amd64.zip 2> /dev/null | tail -n1 || true)"
while [ $# -gt 0 ]; do
    case "$1" in
        --embed) EMBED="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
command -v makensis > /dev/null || { echo "makensis is missing (apt-get install nsis)" >&2; exit 2; }
started=$(date +%s)

step "Windows wheels (win_amd64, CPython 3.11)"
rm -rf "$STAGE" && mkdir -p "$STAGE/site-packages" "$WHEELS" "$OUT"
python3 "$REPO/installer/windows/resolve_requirements.py" "$REPO/installer/requirements-bundle.txt" \
    > "$WORK/windows/requirements-win.txt"
python3 -m pip download -q --no-deps --only-binary=:all: --platform win_amd64 --python-version 3.11 \
    --implementation cp --abi cp311 --abi abi3 --abi none -r "$WORK/windows/requirements-win.txt" -d "$WHEELS"
rm -f "$WHEELS"/hallclient-*.whl
python3 -m pip wheel -q --no-deps "$REPO" -w "$WHEELS"

step "unpack into site-packages"
python3 -m pip install -q --no-deps --no-compile --only-binary=:all: --platform win_amd64 \
    --python-version 3.11 --implementation cp --target "$STAGE/site-packages" "$WHEELS"/*.whl
# what the desktop does not need on Windows: Qt's other languages, WebEngine (and its
# resources and locales), the developer tools and headers, QML modules
qt="$STAGE/site-packages/PySide6"
find "$qt/translations" -name '*.qm' ! -name '*_zh_CN.qm' ! -name '*_en.qm' -delete
rm -rf "$qt"/{Qt6WebEngine*,QtWebEngine*,qml,resources,translations/qtwebengine_locales,metatypes,include} \
       "$qt"/{typesystems,glue,scripts,doc,examples} "$qt"/*.exe "$STAGE/site-packages/bin"

step "launcher and icon"
printf '@echo off\r\n"%%~dp0python\\python.exe" -m hallclient %%*\r\n' > "$STAGE/hallclient.cmd"
QT_QPA_PLATFORM=offscreen python3 "$REPO/installer/render_icons.py" "$REPO/installer/icons/hallclient.svg" \
    "$WORK/windows/icons" > /dev/null
cp "$WORK/windows/icons/hallclient.ico" "$STAGE/hallclient.ico"

if [ -z "$EMBED" ] || [ ! -f "$EMBED" ]; then
    step "NSIS script check (no embeddable Python)"
    makensis -V2 -DVERSION="$VERSION" -DSTAGE="$STAGE" -DVERIFY_ONLY \
        -DOUTFILE="$WORK/windows/verify-only.exe" "$REPO/installer/windows/hallclient.nsi"
    rm -f "$WORK/windows/verify-only.exe"
    echo "staged: $(du -sh "$STAGE" | cut -f1) in $STAGE ($(ls "$WHEELS" | wc -l) wheels); NSIS script compiles."
    echo "NOT BUILT: the Windows embeddable Python 3.11 (python-3.11.x-embed-amd64.zip) is needed;" \
         "see the manual step at the top of this script." >&2
    exit 3
fi

step "embeddable Python: $(basename "$EMBED")"
mkdir -p "$STAGE/python"
python3 -m zipfile -e "$EMBED" "$STAGE/python"
pth="$(ls "$STAGE"/python/python3*._pth)"
# the embeddable Python ignores PYTHONPATH and site; its ._pth file is the whole search path
printf 'python311.zip\r\n.\r\n..\\site-packages\r\nimport site\r\n' > "$pth"

step "makensis"
makensis -V2 -DVERSION="$VERSION" -DSTAGE="$STAGE" -DOUTFILE="$OUT/hallclient-setup-$VERSION.exe" \
    "$REPO/installer/windows/hallclient.nsi"
echo "installer: $OUT/hallclient-setup-$VERSION.exe ($(du -h "$OUT/hallclient-setup-$VERSION.exe" | cut -f1));" \
     "staged $(du -sh "$STAGE" | cut -f1); $(($(date +%s) - started)) s"
