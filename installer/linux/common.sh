# Shared settings of the Linux installer scripts (sourced, not run).
# shellcheck shell=bash
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
APPID="cn.hallclient.counter"            # lowercase, the same in the package name and every path
ARCH="${ARCH:-$(dpkg --print-architecture)}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE=bullseye                            # Debian 11, glibc 2.31: the oldest root PySide6 6.8 runs in
BASE="$WORK/roots/$SUITE-$ARCH-base"

need_root() {
    [ "$(id -u)" = 0 ] || die "run as root (debootstrap and chroot need it)"
    for tool in "$@"; do
        command -v "$tool" > /dev/null || die "$tool is missing (apt-get install $tool)"
    done
}

base_root() {   # a minimal Debian 11 root, made once and copied for each use
    if [ ! -x "$BASE/usr/bin/apt-get" ]; then
        step "debootstrap $SUITE ($ARCH) from $MIRROR"
        rm -rf "$BASE"
        mkdir -p "$(dirname "$BASE")"
        local foreign=()
        [ "$ARCH" = "$(dpkg --print-architecture)" ] || foreign=(--foreign)
        debootstrap --variant=minbase --arch="$ARCH" "${foreign[@]}" "$SUITE" "$BASE" "$MIRROR" \
            > "$WORK/debootstrap-$ARCH.log" 2>&1 || die "debootstrap failed, see $WORK/debootstrap-$ARCH.log"
        if [ ${#foreign[@]} -gt 0 ]; then
            cp "/usr/bin/qemu-$(uname -m | sed 's/x86_64/aarch64/')-static" "$BASE/usr/bin/" 2>/dev/null || true
            chroot "$BASE" /debootstrap/debootstrap --second-stage
        fi
    fi
}

MOUNTED=()
enter_root() {   # enter_root DIR: the mounts and network files a chroot needs
    local root="$1"
    mount -t proc proc "$root/proc" && MOUNTED+=("$root/proc")
    mount -t sysfs sys "$root/sys" && MOUNTED+=("$root/sys")
    mount --bind /dev "$root/dev" && MOUNTED+=("$root/dev")
    mount --bind /dev/pts "$root/dev/pts" && MOUNTED+=("$root/dev/pts")
    cp -L /etc/resolv.conf "$root/etc/resolv.conf"
    trap leave_roots EXIT
}

leave_roots() {
    local i
    for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
        umount -l "${MOUNTED[$i]}" 2> /dev/null || true
    done
    MOUNTED=()
}

in_root() {   # in_root DIR COMMAND...: run in the chroot with a clean environment
    local root="$1"; shift
    chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 DEBIAN_MIRROR="$MIRROR" "$@"
}
