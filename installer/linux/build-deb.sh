#!/usr/bin/env bash
# Build the .deb for UOS 20 / Kylin V10 (and Debian 11+): the app is frozen inside a Debian 11
# root (glibc 2.31) and packaged in the UOS application layout, with no maintainer scripts.
#
#   sudo installer/linux/build-deb.sh                  # bundle + package, version from hallclient/__init__.py
#   sudo installer/linux/build-deb.sh --package-only --version 0.1.1   # re-package the last bundle
#
# Needs: root, debootstrap, dpkg-deb, desktop-file-validate, readelf (binutils); a Debian mirror
# (DEBIAN_MIRROR) and PyPI. Output in build/installer/out/. Set ARCH=arm64 on an arm64 machine.
set -euo pipefail
source "$(dirname "$0")/common.sh"

VERSION="$APP_VERSION"
PACKAGE_ONLY=0
while [ $# -gt 0 ]; do
    case "$1" in
        --version) VERSION="$2"; shift 2 ;;
        --package-only) PACKAGE_ONLY=1; shift ;;
        *) die "unknown option $1" ;;
    esac
done
need_root dpkg-deb desktop-file-validate readelf
BUNDLE="$WORK/bundle-$ARCH"
started=$(date +%s)

if [ "$PACKAGE_ONLY" = 0 ]; then
    need_root debootstrap
    base_root
    ROOT="$WORK/roots/$SUITE-$ARCH-build"
    if [ ! -d "$ROOT/usr" ]; then
        step "build root from the $SUITE base"
        cp -a "$BASE" "$ROOT"
    fi
    enter_root "$ROOT"
    ca="${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}"
    [ -f "$ca" ] && cp "$ca" "$ROOT/etc/hallclient-build-ca.pem"

    step "source into the build root"
    rm -rf "$ROOT/src" && mkdir -p "$ROOT/src"
    (cd "$REPO" && git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$ROOT/src")
    in_root "$ROOT" bash /src/installer/linux/inroot-build.sh
    leave_roots

    rm -rf "$BUNDLE" && mkdir -p "$BUNDLE"
    cp -a "$ROOT/src/build/pyinstaller/dist/hallclient" "$BUNDLE/hallclient"
    cp -a "$ROOT/src/build/pyinstaller/icons" "$BUNDLE/icons"
fi
[ -x "$BUNDLE/hallclient/hallclient" ] || die "no bundle in $BUNDLE: build it first (without --package-only)"

step "glibc ceiling of the bundle"
GLIBC="$(python3 "$REPO/installer/linux/glibc_ceiling.py" --quiet "$BUNDLE/hallclient")"
echo "highest GLIBC symbol version needed: $GLIBC"

step "package $APPID $VERSION ($ARCH)"
PKG="$WORK/pkg/${APPID}_${VERSION}_$ARCH"
rm -rf "$PKG"
APPDIR="$PKG/opt/apps/$APPID"
mkdir -p "$APPDIR/files" "$APPDIR/entries/applications" "$PKG/usr/share/applications" "$PKG/usr/bin" \
    "$PKG/DEBIAN"
cp -a "$BUNDLE/hallclient" "$APPDIR/files/hallclient"
ln -s "/opt/apps/$APPID/files/hallclient/hallclient" "$PKG/usr/bin/hallclient"

sed -e "s/@APPID@/$APPID/g" -e "s/@VERSION@/$VERSION/g" "$REPO/installer/linux/hallclient.desktop.in" \
    > "$APPDIR/entries/applications/$APPID.desktop"
cp "$APPDIR/entries/applications/$APPID.desktop" "$PKG/usr/share/applications/$APPID.desktop"
for icons in "$APPDIR/entries/icons/hicolor" "$PKG/usr/share/icons/hicolor"; do
    for png in "$BUNDLE"/icons/*/hallclient.png; do
        size="$(basename "$(dirname "$png")")"
        install -D -m 0644 "$png" "$icons/$size/apps/$APPID.png"
    done
    install -D -m 0644 "$REPO/installer/icons/hallclient.svg" "$icons/scalable/apps/$APPID.svg"
done
sed -e "s/@APPID@/$APPID/g" -e "s/@VERSION@/$VERSION/g" -e "s/@ARCH@/$ARCH/g" \
    "$REPO/installer/linux/info.in" > "$APPDIR/info"

for desktop in "$APPDIR/entries/applications/$APPID.desktop" "$PKG/usr/share/applications/$APPID.desktop"; do
    desktop-file-validate "$desktop" || die "desktop-file-validate: $desktop"
done

# permissions as dpkg expects them: directories 755, files 644, programs and libraries 755
find "$PKG" -type d -exec chmod 0755 {} +
find "$PKG" -type f ! -perm -u+x -exec chmod 0644 {} +
find "$PKG" -type f -perm -u+x -exec chmod 0755 {} +

installed_kib="$(du -sk --exclude=DEBIAN "$PKG" | cut -f1)"
sed -e "s/@APPID@/$APPID/g" -e "s/@VERSION@/$VERSION/g" -e "s/@ARCH@/$ARCH/g" \
    -e "s/@SIZE@/$installed_kib/g" -e "s/@GLIBC@/$GLIBC/g" \
    "$REPO/installer/linux/control.in" > "$PKG/DEBIAN/control"
(cd "$PKG" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z \
    | xargs -0 md5sum > DEBIAN/md5sums)

mkdir -p "$OUT"
DEB="$OUT/${APPID}_${VERSION}_$ARCH.deb"
dpkg-deb --root-owner-group -Zxz --build "$PKG" "$DEB" > /dev/null
rm -rf "$PKG"
dpkg-deb --info "$DEB" | sed -n 's/^ *\(Package\|Version\|Architecture\|Installed-Size\): /  \1: /p'
echo "deb: $DEB ($(du -h "$DEB" | cut -f1)); bundle $(du -sh "$BUNDLE/hallclient" | cut -f1);" \
     "glibc ceiling $GLIBC; $(($(date +%s) - started)) s"
