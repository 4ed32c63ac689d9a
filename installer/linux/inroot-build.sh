#!/usr/bin/env bash
# Runs inside the Debian 11 (bullseye, glibc 2.31) build root made by build-deb.sh.
# Builds SQLite and CPython 3.11 from Debian's own sources (bookworm, with its security
# patches) into /opt/hcpy, installs the pinned requirements and freezes the app with
# PyInstaller into /src/build/pyinstaller/dist/hallclient.
#
# Why not bullseye's own Python and SQLite: bullseye has Python 3.9 (we need 3.10+) and
# SQLite 3.34 (we use RETURNING, 3.35+). Everything compiled here links against glibc 2.31.
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
        libssl-dev zlib1g-dev libffi-dev libbz2-dev liblzma-dev uuid-dev libreadline-dev \
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
if [ ! -f "$SRC_CACHE/.fetched" ]; then
    step "Debian sources (bookworm): python3.11, sqlite3"
    echo "deb-src ${DEBIAN_MIRROR:-http://deb.debian.org/debian} bookworm main" \
        > /etc/apt/sources.list.d/bookworm-src.list
    apt-get update -q
    (cd "$SRC_CACHE" && apt-get source --download-only python3.11 sqlite3)
    rm /etc/apt/sources.list.d/bookworm-src.list
    apt-get update -q
    touch "$SRC_CACHE/.fetched"
fi

unpack() {   # unpack <package>: upstream tree plus Debian's security and bug-fix patches
    local pkg="$1" first_patch="$2" dir
    rm -rf "/tmp/$pkg" && mkdir -p "/tmp/$pkg/debian"
    tar -xf "$SRC_CACHE/${pkg}"_*.orig.tar.* -C "/tmp/$pkg"     # not the .orig-www (docs) tarball
    tar -xf "$SRC_CACHE/${pkg}"_*.debian.tar.xz -C "/tmp/$pkg/debian"
    dir="$(find "/tmp/$pkg" -mindepth 1 -maxdepth 1 -type d ! -name debian | head -n1)"
    # Debian's own layout patches (multiarch, dist-packages) come first in the series; the
    # upstream fixes and CVE patches follow from $first_patch on and are applied here.
    local applied=0
    for p in $(sed -n "/^${first_patch}/,\$p" "/tmp/$pkg/debian/debian/patches/series" | sed 's/[ #].*//'); do
        [ -n "$p" ] || continue
        patch -d "$dir" -p1 -s --no-backup-if-mismatch < "/tmp/$pkg/debian/debian/patches/$p"
        applied=$((applied + 1))
    done
    echo "$pkg: $applied Debian patches applied" >&2
    echo "$dir"
}

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
        --enable-shared --with-ensurepip=install ac_cv_func_gettid=no ac_cv_func_sem_clockwait=no \
        CFLAGS="$COMPAT" CPPFLAGS="-I$PREFIX/include" LDFLAGS="-L$PREFIX/lib -Wl,-rpath,$PREFIX/lib" \
        > /tmp/python-configure.log && make -j"$JOBS" > /tmp/python-make.log 2>&1 && make install > /tmp/python-install.log 2>&1) \
        || { tail -n 30 /tmp/python-make.log /tmp/python-install.log; exit 1; }
    # every module the app or its libraries load must have been built
    "$PREFIX/bin/python3.11" -c 'import sqlite3, ssl, ctypes, lzma, bz2, uuid, zlib, pyexpat, _decimal, readline'
    # debug symbols are for developers of CPython, not for clerks' PCs (libpython: 29 MB -> 5 MB)
    find "$PREFIX" \( -name 'libpython3*.so*' -o -name 'libsqlite3.so*' -o -name '*.cpython-311-*.so' \) \
        -type f -exec strip --strip-unneeded {} +
    touch "$PREFIX/.python-complete"
fi
PY="$PREFIX/bin/python3.11"
"$PY" -c 'import sqlite3, ssl; print("python", __import__("sys").version.split()[0], "sqlite", sqlite3.sqlite_version, ssl.OPENSSL_VERSION)'

step "pinned requirements"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
[ -f /etc/hallclient-build-ca.pem ] && export PIP_CERT=/etc/hallclient-build-ca.pem
"$PY" -m pip install -q --only-binary=:all: -r /src/installer/requirements-build.txt
"$PY" -m pip install -q --no-deps --no-build-isolation --force-reinstall /src
"$PY" -m pip check

step "freeze"
cd /src
rm -rf build/pyinstaller
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --workpath build/pyinstaller/work --distpath build/pyinstaller/dist installer/hallclient.spec

step "icons"
"$PY" installer/render_icons.py installer/icons/hallclient.svg build/pyinstaller/icons
echo "bundle: $(du -sh build/pyinstaller/dist/hallclient | cut -f1)"
