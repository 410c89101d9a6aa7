#!/usr/bin/env bash
# Run a command inside a Debian 11 (bullseye, glibc 2.31, OpenSSL 1.1) chroot.
#
#   tests/compat/run-in-debian11.sh [options] [--] COMMAND [ARGS...]
#
# Options:
#   --root DIR        the cached Debian 11 root (default: <repo>/.work/debian11-root,
#                     or $DEBIAN11_ROOT)
#   --copy SRC        copy file or directory SRC into /work/ of the chroot (repeatable;
#                     a directory is copied as /work/<basename>). /work is emptied
#                     at the start of every run.
#   --env NAME=VALUE  set an environment variable for COMMAND (repeatable). The
#                     command otherwise gets a clean environment: PATH, HOME=/root,
#                     LANG=C.UTF-8.
#   --prepare-only    build/refresh the root and exit
#
# COMMAND runs via `bash -c` with /work as the working directory, so it may be
# a small script: run-in-debian11.sh --copy h -- './h lib.so && python3 t.py'.
# Exit status is COMMAND's.
#
# The root is made once with debootstrap (--variant=minbase) plus what a test
# host needs: libssl1.1 + ca-certificates (loaded at run time by .NET's
# System.Security.Cryptography.Native), libstdc++6/libgcc-s1 (a C++ native
# test host), python3 + python3-websockets (bullseye's 8.1, as test peer).
# A stamp file records the package list; a matching root is reused as is.
# FORCE=1 rebuilds it. Needs root (debootstrap, chroot, mount) and debootstrap.
# /proc, /dev and /sys are mounted for the command and always unmounted again
# (trap); a lock file serialises concurrent runs on the same root.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
ROOT=${DEBIAN11_ROOT:-$repo/.work/debian11-root}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
INCLUDE=libssl1.1,ca-certificates,libstdc++6,libgcc-s1,python3,python3-websockets
STAMP_CONTENT="v1 bullseye minbase $INCLUDE"

copies=()
envs=()
prepare_only=
while (($#)); do
  case $1 in
    --root) ROOT=$2; shift 2 ;;
    --copy) copies+=("$2"); shift 2 ;;
    --env) envs+=("$2"); shift 2 ;;
    --prepare-only) prepare_only=1; shift ;;
    --) shift; break ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
if [[ -z $prepare_only && $# -eq 0 ]]; then
  sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi

log() { printf '[debian11] %s\n' "$*" >&2; }
[[ $(id -u) == 0 ]] || { log "must run as root (debootstrap/chroot/mount)"; exit 1; }
ROOT=$(realpath -m "$ROOT")
mkdir -p "$(dirname "$ROOT")"

exec 9>"$ROOT.lock"
flock 9

# Unmount anything left mounted below DIR (a run killed with SIGKILL skips its
# trap). Must happen before any rm -rf there: a live bind of /dev would be
# emptied on the host.
unmount_below() {
  local dir=$1
  awk -v d="$dir/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
}
unmount_below "$ROOT"

if [[ -n ${FORCE:-} || ! -f $ROOT/.debian11-complete || "$(cat "$ROOT/.debian11-complete")" != "$STAMP_CONTENT" ]]; then
  command -v debootstrap >/dev/null || { log "debootstrap missing (apt-get install debootstrap)"; exit 1; }
  t0=$SECONDS
  tmp=$ROOT.tmp
  # A half-made root may still have mounts if a previous debootstrap was killed.
  if [[ -d $tmp ]]; then
    unmount_below "$tmp"
    rm -rf --one-file-system "$tmp"
  fi
  if [[ -e $ROOT && ! -f $ROOT/.debian11-complete ]] && [[ -n "$(ls -A "$ROOT" 2>/dev/null)" ]]; then
    log "refusing to replace $ROOT: not empty and no .debian11-complete stamp"; exit 1
  fi
  log "debootstrap bullseye into $tmp (include: $INCLUDE)"
  debootstrap --variant=minbase --include="$INCLUDE" bullseye "$tmp" "$MIRROR" >"$ROOT.debootstrap.log" 2>&1 || {
    tail -n 30 "$ROOT.debootstrap.log" >&2; log "debootstrap failed (full log: $ROOT.debootstrap.log)"; exit 1; }
  # Trim: the .deb cache and docs are dead weight in a test root.
  rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/* "$tmp"/usr/share/{doc,man,info}/*
  grep -q localhost "$tmp/etc/hosts" 2>/dev/null || printf '127.0.0.1 localhost\n::1 localhost ip6-localhost\n' >"$tmp/etc/hosts"
  echo "$STAMP_CONTENT" >"$tmp/.debian11-complete"
  [[ -d $ROOT ]] && rm -rf --one-file-system "$ROOT"
  mv "$tmp" "$ROOT"
  log "root ready in $((SECONDS - t0)) s ($(du -sh "$ROOT" | cut -f1))"
else
  log "reusing $ROOT"
fi
[[ -n $prepare_only ]] && exit 0

mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount -R "${mounted[i]}" 2>/dev/null || umount -R -l "${mounted[i]}" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mnt() { # mnt TARGET mount-args...
  local target=$1; shift
  mount "$@" "$target"
  mounted+=("$target")
}

rm -rf "$ROOT/work"
mkdir -p "$ROOT/work"
for src in "${copies[@]}"; do
  cp -a "$src" "$ROOT/work/"
done

mnt "$ROOT/proc" -t proc proc
mnt "$ROOT/dev" --rbind /dev
mount --make-rslave "$ROOT/dev"
mnt "$ROOT/sys" --rbind /sys
mount --make-rslave "$ROOT/sys"

env_args=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8)
env_args+=("${envs[@]}")
set +e
chroot "$ROOT" /usr/bin/env -i "${env_args[@]}" /bin/bash -c 'cd /work && eval "$1"' bash "$*"
rc=$?
set -e
exit $rc
