#!/usr/bin/env bash
# Removes exactly what scripts/install.sh installed under a prefix, as listed in its
# manifest (share/bsnn/install-manifest.txt), then the directories that became empty
# (only those on the manifest's paths, never the prefix itself).
#
#   usage: scripts/uninstall.sh [--prefix P]    (default /usr/local; DESTDIR is honoured)
set -euo pipefail
prefix=/usr/local
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
        --prefix=*) prefix=${1#--prefix=}; shift ;;
        -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
        *) echo "uninstall.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
    esac
done
case "$prefix" in /*) ;; *) echo "uninstall.sh: --prefix must be an absolute path, got $prefix" >&2; exit 64 ;; esac
prefix=${prefix%/}
root="${DESTDIR:-}$prefix"
manifest="$root/share/bsnn/install-manifest.txt"
[ -f "$manifest" ] || { echo "uninstall.sh: no bsnn installation under $root (missing $manifest)" >&2; exit 1; }

removed=0
dirs=()
while IFS= read -r rel; do
    case "$rel" in ''|/*|*..*) echo "uninstall.sh: skipping suspicious manifest entry '$rel'" >&2; continue ;; esac
    path="$root/$rel"
    if [ -L "$path" ] || [ -f "$path" ]; then
        rm -f "$path"
        removed=$((removed + 1))
    fi
    d=$(dirname "$rel")
    while [ "$d" != "." ]; do dirs+=("$d"); d=$(dirname "$d"); done
done <"$manifest"
# Deepest directories first; rmdir leaves any that still hold something else.
if [ ${#dirs[@]} -gt 0 ]; then
    printf '%s\n' "${dirs[@]}" | sort -u | awk '{print gsub("/", "/"), $0}' | sort -rn | cut -d' ' -f2- |
        while IFS= read -r d; do rmdir "$root/$d" 2>/dev/null || true; done
fi
if [ -z "${DESTDIR:-}" ] && [ "$(id -u)" -eq 0 ] && command -v ldconfig >/dev/null; then
    ldconfig
fi
echo "uninstall: removed $removed files under $root"
