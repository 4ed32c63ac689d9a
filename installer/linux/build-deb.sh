#!/usr/bin/env bash
# Build the .deb for UOS 20 / Kylin V10 (and Debian 11+): the app is frozen inside a Debian 11
# root (glibc 2.31) and packaged in the UOS application layout, with no maintainer scripts.
#
#   sudo installer/linux/build-deb.sh                  # bundle + package, version from hallclient/__init__.py
#   sudo installer/linux/build-deb.sh --version 0.1.1  # the same, the program and package are 0.1.1
#   sudo installer/linux/build-deb.sh --package-only   # re-package the last bundle, at its version
#
# The version is baked into the frozen program (hallclient --version) when the bundle is built,
# so --package-only refuses a --version other than the bundle's: the package would then say one
# version and the program another. A second bundle is quick: the build root is kept, only the
# wheel, pip and the freeze run again.
#
# Needs: root, debootstrap, dpkg-deb, desktop-file-validate, readelf and ar (binutils); a Debian
# mirror (DEBIAN_MIRROR) and PyPI. Output in build/installer/out/. Set ARCH=arm64 on an arm64 machine.
set -euo pipefail
source "$(dirname "$0")/common.sh"

VERSION=""
PACKAGE_ONLY=0
while [ $# -gt 0 ]; do
    case "$1" in
        --version)
            [ $# -ge 2 ] || die "--version needs a version (1.2.3)"
            [[ "$2" =~ ^[0-9]+(\.[0-9]+)*$ ]] || die "version must be numbers and dots (1.2.3), not $2"
            VERSION="$2"; shift 2 ;;
        --package-only) PACKAGE_ONLY=1; shift ;;
        *) die "unknown option $1" ;;
    esac
done
need_root dpkg-deb desktop-file-validate readelf ar xz
BUNDLE="$WORK/bundle-$ARCH"
# UOS 20 has glibc 2.28; on arm64 the last PySide6 6.8 wheel needs 2.31 (Kylin V10 SP1)
GLIBC_MAX=2.28
[ "$ARCH" = amd64 ] || GLIBC_MAX=2.31
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
    copy_checkout "$ROOT/src"
    VERSION="${VERSION:-$APP_VERSION}"
    if [ "$VERSION" != "$APP_VERSION" ]; then   # in the build root's copy only, never the tree
        sed -i "s/^version = \".*\"/version = \"$VERSION\"/" "$ROOT/src/pyproject.toml"
        sed -i "s/^__version__ = \".*\"/__version__ = \"$VERSION\"/" "$ROOT/src/hallclient/__init__.py"
    fi
    in_root "$ROOT" bash /src/installer/linux/inroot-build.sh
    leave_roots

    rm -rf "$BUNDLE" && mkdir -p "$BUNDLE"
    cp -a "$ROOT/src/build/pyinstaller/dist/hallclient" "$BUNDLE/hallclient"
    cp -a "$ROOT/src/build/pyinstaller/icons" "$BUNDLE/icons"
    cp "$ROOT/src/build/pyinstaller/version" "$BUNDLE/version"
fi
[ -x "$BUNDLE/hallclient/hallclient" ] && [ -s "$BUNDLE/version" ] \
    || die "no bundle in $BUNDLE: build it first (without --package-only)"
BUNDLE_VERSION="$(cat "$BUNDLE/version")"
VERSION="${VERSION:-$BUNDLE_VERSION}"
[ "$VERSION" = "$BUNDLE_VERSION" ] || die "the bundle in $BUNDLE reports hallclient $BUNDLE_VERSION" \
    "(hallclient --version), so a package $VERSION would not match its program: build a bundle of" \
    "$VERSION with 'build-deb.sh --version $VERSION' (the build root is reused)"

step "glibc ceiling of the bundle"
GLIBC="$(python3 "$REPO/installer/linux/glibc_ceiling.py" --quiet --max "$GLIBC_MAX" "$BUNDLE/hallclient")" \
    || die "the bundle needs a glibc newer than $GLIBC_MAX (above)"
echo "highest GLIBC symbol version needed: $GLIBC (allowed: $GLIBC_MAX)"
OPENSSL="$(python3 "$REPO/installer/linux/openssl_version.py" "$BUNDLE/hallclient/_internal")"
echo "OpenSSL of the bundled Python: $OPENSSL"

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
# On purge dpkg removes each directory the package lists that is then empty and listed by no
# other package. /opt is made by base-files' postinst and listed by no package, so a package
# listing it would take /opt away where it was empty before. dpkg-deb always writes it, so it
# only makes the control part here (and checks the control file), and the data part is packed
# without that one entry. dpkg unpacks /opt/apps/... into the /opt every Debian, UOS and Kylin
# system has (where there is none, the install stops: "error creating directory").
tmp="$(mktemp -d)"
dpkg-deb --root-owner-group -Znone --build "$PKG" "$tmp/plain.deb" > /dev/null
(cd "$tmp" && ar x plain.deb debian-binary control.tar && xz -9 control.tar)
(cd "$PKG" && find . -path ./DEBIAN -prune -o ! -path ./opt -print | LC_ALL=C sort) > "$tmp/data.list"
tar -C "$PKG" --format=gnu --owner=0 --group=0 --numeric-owner --no-recursion -T "$tmp/data.list" -cf - \
    | xz -6 -T2 -c > "$tmp/data.tar.xz"
rm -f "$DEB"
(cd "$tmp" && ar rcD "$DEB" debian-binary control.tar.xz data.tar.xz)
rm -rf "$tmp" "$PKG"
contents="$(dpkg-deb --contents "$DEB" | awk '{print $NF}')"
! grep -qx './opt/' <<< "$contents" || die "the package still lists /opt"
grep -qx "./opt/apps/$APPID/files/hallclient/hallclient" <<< "$contents" || die "the rebuilt package lost the program"
dpkg-deb --info "$DEB" | sed -n 's/^ *\(Package\|Version\|Architecture\|Installed-Size\): /  \1: /p'
echo "deb: $DEB ($(du -h "$DEB" | cut -f1)); bundle $(du -sh "$BUNDLE/hallclient" | cut -f1);" \
     "glibc ceiling $GLIBC; $OPENSSL; $(($(date +%s) - started)) s"
