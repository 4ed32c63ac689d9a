#!/usr/bin/env bash
# Runs inside the Debian 11 (bullseye, glibc 2.31) build root made by build-deb.sh.
# Builds OpenSSL 3, SQLite and CPython 3.11 from Debian's own sources (bookworm, with its
# security patches) into /opt/hcpy, installs the pinned requirements and the project's wheel
# and freezes the installed app with PyInstaller into /src/build/pyinstaller/dist/hallclient.
#
# Why not bullseye's own Python, SQLite and OpenSSL: bullseye has Python 3.9 (we need 3.10+),
# SQLite 3.34 (we use RETURNING, 3.35+) and OpenSSL 1.1.1, which gets no more security fixes
# (and Qt 6.8's TLS backend wants OpenSSL 3). Everything compiled here links against glibc 2.31.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
PREFIX=/opt/hcpy
JOBS="$(nproc)"
# UOS 20 has glibc 2.28: keep what we compile below the 2.29 symbol versions (see the header),
# and tell CPython's configure that gettid and sem_clockwait (2.30) are not there
COMPAT="-include /src/installer/linux/glibc-2.28-compat.h"

source "$(dirname "$0")/../common.sh"      # step, die

step "build tools and libraries"
if [ ! -f /var/lib/hallclient-build-deps ]; then
    apt-get update -q
    # compilers and the headers CPython's modules need; tcl builds SQLite's amalgamation;
    # the X11/GL/font/sound libraries are what Qt loads, so the freezer sees them resolve
    apt-get install -y -q --no-install-recommends \
        build-essential pkg-config tcl ca-certificates \
        zlib1g-dev libffi-dev libbz2-dev liblzma-dev uuid-dev libreadline-dev \
        libexpat1-dev libncursesw5-dev \
        libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libfreetype6 libdbus-1-3 \
        libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
        libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 \
        libxcb-xfixes0 libxcb-sync1 libxcb-shm0 libxrender1 libx11-xcb1 libsm6 libice6 \
        libpulse0 libasound2 libcups2 libgssapi-krb5-2
    touch /var/lib/hallclient-build-deps
fi

SRC_CACHE=/var/cache/hallclient-src
mkdir -p "$SRC_CACHE"
SOURCES="openssl python3.11 sqlite3"
if [ ! -f "$SRC_CACHE/.fetched" ] || [ "$(cat "$SRC_CACHE/.fetched")" != "$SOURCES" ]; then
    step "Debian sources (bookworm): $SOURCES"
    echo "deb-src ${DEBIAN_MIRROR:-http://deb.debian.org/debian} bookworm main" \
        > /etc/apt/sources.list.d/bookworm-src.list
    apt-get update -q
    rm -f "$SRC_CACHE"/*.dsc "$SRC_CACHE"/*.tar.*
    # shellcheck disable=SC2086
    (cd "$SRC_CACHE" && apt-get source --download-only $SOURCES)
    rm /etc/apt/sources.list.d/bookworm-src.list
    apt-get update -q
    echo "$SOURCES" > "$SRC_CACHE/.fetched"
fi

unpack() {   # unpack <package> <first patch>: upstream tree plus Debian's security and bug-fix patches
    local pkg="$1" first_patch="$2" dir
    rm -rf "/tmp/$pkg" && mkdir -p "/tmp/$pkg/debian"
    tar -xf "$(ls "$SRC_CACHE/${pkg}"_*.orig.tar.* | grep -v '\.asc$')" -C "/tmp/$pkg"   # not .orig-www (docs)
    tar -xf "$SRC_CACHE/${pkg}"_*.debian.tar.xz -C "/tmp/$pkg/debian"
    dir="$(find "/tmp/$pkg" -mindepth 1 -maxdepth 1 -type d ! -name debian | head -n1)"
    # Debian's own layout patches (multiarch, dist-packages) come first in the series; the
    # upstream fixes and CVE patches follow from $first_patch on and are applied here ("": all).
    local applied=0
    for p in $(sed -n "/^${first_patch}/,\$p" "/tmp/$pkg/debian/debian/patches/series" | sed 's/[ #].*//'); do
        [ -n "$p" ] || continue
        patch -d "$dir" -p1 -s --no-backup-if-mismatch < "/tmp/$pkg/debian/debian/patches/$p" \
            || die "Debian patch $p of $pkg does not apply"
        applied=$((applied + 1))
    done
    echo "$pkg: $applied Debian patches applied" >&2
    echo "$dir"
}

if [ ! -f "$PREFIX/.openssl-complete" ]; then
    step "OpenSSL 3"
    rm -rf "$PREFIX"/lib/lib{ssl,crypto}.so* "$PREFIX/include/openssl" "$PREFIX/.python-complete"
    dir="$(unpack openssl "")"       # all of Debian's patches: there are no layout ones to skip
    # openssldir /usr/lib/ssl: the target's own openssl.cnf and CA certificates (/usr/lib/ssl/certs
    # -> /etc/ssl/certs on Debian, UOS and Kylin), as the system's OpenSSL finds them
    (cd "$dir" && CFLAGS="-O2 $COMPAT" ./config --prefix="$PREFIX" --libdir=lib --openssldir=/usr/lib/ssl \
        shared no-tests "-Wl,-rpath,$PREFIX/lib" > /tmp/openssl-configure.log \
        && make -j"$JOBS" build_sw > /tmp/openssl-make.log 2>&1 && make install_sw > /dev/null) \
        || { tail -n 30 /tmp/openssl-configure.log /tmp/openssl-make.log; exit 1; }
    find "$PREFIX/lib" -maxdepth 1 -name 'lib*.so.3' -type f -exec strip --strip-unneeded {} +
    touch "$PREFIX/.openssl-complete"
fi

if [ ! -f "$PREFIX/.sqlite-complete" ]; then
    step "SQLite"
    dir="$(unpack sqlite3 41-)"
    (cd "$dir" && ./configure --prefix="$PREFIX" --disable-static --enable-fts5 --disable-tcl \
        CFLAGS="-O2 $COMPAT -DSQLITE_ENABLE_COLUMN_METADATA -DSQLITE_ENABLE_FTS3 -DSQLITE_ENABLE_FTS4 \
                -DSQLITE_ENABLE_RTREE -DSQLITE_ENABLE_DBSTAT_VTAB -DSQLITE_MAX_VARIABLE_NUMBER=250000" \
        > /tmp/sqlite-configure.log && make -j"$JOBS" > /tmp/sqlite-make.log 2>&1 && make install > /dev/null) \
        || { tail -n 30 /tmp/sqlite-make.log; exit 1; }
    touch "$PREFIX/.sqlite-complete"
fi

if [ ! -f "$PREFIX/.python-complete" ]; then
    step "CPython 3.11"
    rm -rf "$PREFIX/bin/python3"* "$PREFIX/lib/python3.11" "$PREFIX/lib/libpython3"*
    dir="$(unpack python3.11 shutdown-deadlock.diff)"
    # the CVE-2026-4224 fix calls an internal API from pyexpat; Debian builds that module as a
    # core module, and so does upstream from 3.12 on: say so at the top of the file
    if grep -q pycore_ceval "$dir/Modules/pyexpat.c" && ! grep -q Py_BUILD_CORE_MODULE "$dir/Modules/pyexpat.c"; then
        sed -i '1i #ifndef Py_BUILD_CORE_MODULE\n#  define Py_BUILD_CORE_MODULE 1\n#endif' "$dir/Modules/pyexpat.c"
    fi
    (cd "$dir" && PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" ./configure --prefix="$PREFIX" \
        --enable-shared --with-ensurepip=install --with-openssl="$PREFIX" ac_cv_func_gettid=no ac_cv_func_sem_clockwait=no \
        CFLAGS="$COMPAT" CPPFLAGS="-I$PREFIX/include" LDFLAGS="-L$PREFIX/lib -Wl,-rpath,$PREFIX/lib" \
        > /tmp/python-configure.log && make -j"$JOBS" > /tmp/python-make.log 2>&1 && make install > /tmp/python-install.log 2>&1) \
        || { tail -n 30 /tmp/python-make.log /tmp/python-install.log; exit 1; }
    # every module the app or its libraries load must have been built
    "$PREFIX/bin/python3.11" -c 'import sqlite3, ssl, ctypes, lzma, bz2, uuid, zlib, pyexpat, _decimal, readline'
    # the ssl module must use the OpenSSL 3 built above, not a system one
    ldd "$PREFIX"/lib/python3.11/lib-dynload/_ssl.*.so | grep -q "libssl.so.3 => $PREFIX/lib/" \
        || die "_ssl does not link $PREFIX/lib/libssl.so.3"
    # debug symbols are for developers of CPython, not for clerks' PCs (libpython: 29 MB -> 5 MB)
    find "$PREFIX" \( -name 'libpython3*.so*' -o -name 'libsqlite3.so*' -o -name '*.cpython-311-*.so' \) \
        -type f -exec strip --strip-unneeded {} +
    touch "$PREFIX/.python-complete"
fi
PY="$PREFIX/bin/python3.11"
"$PY" -c 'import sqlite3, ssl; print("python", __import__("sys").version.split()[0], "sqlite", sqlite3.sqlite_version, ssl.OPENSSL_VERSION)'

step "pinned requirements and the project's wheel"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
[ -f /etc/hallclient-build-ca.pem ] && export PIP_CERT=/etc/hallclient-build-ca.pem
"$PY" -m pip install -q --only-binary=:all: -r /src/installer/requirements-build.txt
# the app is frozen from what the wheel installs, as a user's pip would install it: a module the
# wheel leaves out is missing from the bundle too (and the check after the freeze says so)
rm -rf /tmp/wheel /src/build/lib /src/build/bdist.* /src/*.egg-info
"$PY" -m pip wheel -q --no-deps --no-build-isolation -w /tmp/wheel /src
WHEEL="$(ls /tmp/wheel/hallclient-*.whl)"
"$PY" -m pip install -q --no-deps --force-reinstall "$WHEEL"
"$PY" -m pip check
"$PY" -c 'import ssl; print("bundled Python:", ssl.OPENSSL_VERSION)'

step "freeze"
# from a folder that holds only the spec and the entry script, so that nothing of the source
# tree is importable: every hallclient module comes from the installed wheel
FREEZE=/tmp/freeze
rm -rf "$FREEZE" /src/build/pyinstaller && mkdir -p "$FREEZE" /src/build/pyinstaller
cp /src/installer/hallclient.spec /src/installer/hallclient_main.py "$FREEZE/"
# (LD_LIBRARY_PATH: PyInstaller's Qt hooks start Qt, whose TLS backend should find OpenSSL 3
# there, not the build root's 1.1)
(cd "$FREEZE" && LD_LIBRARY_PATH="$PREFIX/lib" "$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --workpath "$FREEZE/work" --distpath /src/build/pyinstaller/dist hallclient.spec)
DIST=/src/build/pyinstaller/dist/hallclient
(cd "$FREEZE" && "$PY" /src/installer/linux/bundle_modules.py --tree /src/hallclient --wheel "$WHEEL" \
    --bundle "$DIST/hallclient")

step "the frozen program"
# the version it reports is the one the package gets (build-deb.sh --package-only reads it here)
QT_QPA_PLATFORM=offscreen "$DIST/hallclient" --version | sed -n 's/^hallclient //p' \
    > /src/build/pyinstaller/version
[ -s /src/build/pyinstaller/version ] || die "the frozen program does not report its version"
echo "hallclient --version: $(cat /src/build/pyinstaller/version)"
ls "$DIST/_internal" | grep -E '^lib(ssl|crypto)\.so' | tr '\n' ' '; echo
[ -f "$DIST/_internal/libssl.so.3" ] && [ -f "$DIST/_internal/libcrypto.so.3" ] \
    || die "libssl.so.3 / libcrypto.so.3 are not in the bundle"
! ls "$DIST/_internal" | grep -q '^lib\(ssl\|crypto\)\.so\.1' || die "OpenSSL 1.1 is in the bundle"
# Qt's TLS backend loads libssl.so.3 by name at run time: the one built here must suit it
LD_LIBRARY_PATH="$PREFIX/lib" QT_QPA_PLATFORM=offscreen "$PY" -c '
from PySide6.QtCore import QCoreApplication
from PySide6.QtNetwork import QSslSocket
app = QCoreApplication([])
print("Qt TLS backend:", QSslSocket.activeBackend(), "with", QSslSocket.sslLibraryVersionString())
raise SystemExit(0 if QSslSocket.supportsSsl() else "Qt has no TLS with this OpenSSL")' 2>&1

step "icons"
"$PY" /src/installer/render_icons.py /src/installer/icons/hallclient.svg /src/build/pyinstaller/icons
echo "bundle: $(du -sh "$DIST" | cut -f1)"
