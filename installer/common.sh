# Settings shared by the installer scripts (sourced, not run).
# shellcheck shell=bash
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${HALLCLIENT_BUILD_DIR:-$REPO/build/installer}"
OUT="$WORK/out"
APP_VERSION="$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$REPO/hallclient/__init__.py")"

step() { printf '\n== %s (%s)\n' "$*" "$(date +%T)"; }
die() { echo "error: $*" >&2; exit 1; }
