#!/usr/bin/env bash
# Build (once, then reuse) a minimal Debian 11 "bullseye" sysroot for linking
# the NativeAOT shared library against glibc 2.31.
#
#   tools/sysroot/make-bullseye-sysroot.sh [DIR]
#
# DIR defaults to <repo>/.work/sysroot-bullseye. On success the sysroot path is
# printed as the last line of stdout (everything else goes to stderr), so a
# caller can do:  SYSROOT=$(tools/sysroot/make-bullseye-sysroot.sh | tail -n1)
#
# How: no debootstrap, no chroot, no mounts. A private apt instance (its own
# sources/lists/cache under a temp dir; the host's apt state is untouched)
# fetches and signature-checks bullseye's index, downloads just the handful of
# .debs the link needs, and `dpkg-deb -x` unpacks them. Absolute symlinks in
# the unpacked tree are rewritten to relative ones - otherwise e.g.
# usr/lib/x86_64-linux-gnu/libdl.so -> /lib/x86_64-linux-gnu/libdl.so.2 would
# silently resolve to the HOST's glibc 2.36 and the link would pick up
# GLIBC_2.34 symbols again.
#
# Idempotent: a stamp file records the package list; if it matches, the script
# exits at once without touching the network. Set FORCE=1 to rebuild.
# Needs: apt-get, dpkg-deb, and /usr/share/keyrings/debian-archive-keyring.gpg
# (all present on Debian 12). Root is not required.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
DIR=$(realpath -m "${1:-$repo/.work/sysroot-bullseye}")  # apt needs absolute paths
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bullseye
ARCH=amd64
KEYRING=${DEBIAN_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}

# What the NativeAOT link needs:
#   libc6, libc6-dev      crt1/crti/crtn, libc.so/libm.so/libdl.so/librt.so/
#                         libpthread.so (+ the .so.N they point to), libc_nonshared.a
#   libgcc-10-dev         usr/lib/gcc/x86_64-linux-gnu/10/{crtbeginS.o,crtendS.o,
#                         libgcc.a,libgcc_s.so}; clang finds the "GCC installation"
#                         inside --sysroot through this directory
#   libgcc-s1             libgcc_s.so.1 (target of libgcc_s.so)
# Not needed by the NativeAOT link itself (it links libstdc++compat.a from the
# ILCompiler package, never -lstdc++, and zlib/brotli come as .a files from the
# runtime pack), but cheap (~3 MB) and lets C/C++ test hosts be built against
# the same sysroot so they run on Debian 11 too:
#   linux-libc-dev        kernel headers that glibc's headers include
#   libstdc++-10-dev      C++ headers and libstdc++.so/.a
#   libstdc++6            libstdc++.so.6
PACKAGES=(libc6 libc6-dev libgcc-10-dev libgcc-s1 linux-libc-dev libstdc++-10-dev libstdc++6)
# EXTRA_PACKAGES="a b ...": more bullseye packages (no dependency resolution: list them all), for a
# separate sysroot DIR, e.g. the native test host's build deps (tests/compat/debian11-stage.sh).
# Unset or empty: the stamp and the sysroot are exactly as without it.
read -r -a extra_packages <<<"${EXTRA_PACKAGES:-}"
PACKAGES+=("${extra_packages[@]}")
STAMP_CONTENT="v1 $SUITE $ARCH ${PACKAGES[*]}"

log() { printf '[sysroot] %s\n' "$*" >&2; }
is_current() { [[ -f $DIR/.sysroot-complete && "$(cat "$DIR/.sysroot-complete")" == "$STAMP_CONTENT" ]]; }

if [[ -z ${FORCE:-} ]] && is_current; then
  log "up to date: $DIR"
  echo "$DIR"
  exit 0
fi

# Serialise concurrent callers (e.g. two projects published in parallel).
mkdir -p "$(dirname "$DIR")"
exec 9>"$DIR.lock"
flock 9
if [[ -z ${FORCE:-} ]] && is_current; then
  log "up to date: $DIR (made by a concurrent run)"
  echo "$DIR"
  exit 0
fi

for tool in apt-get dpkg-deb; do
  command -v "$tool" >/dev/null || { log "missing $tool"; exit 1; }
done
[[ -r $KEYRING ]] || { log "missing keyring $KEYRING (apt-get install debian-archive-keyring)"; exit 1; }

# Never replace a directory this script did not make (guards against DIR=/ or a typo).
if [[ -e $DIR && ! -f $DIR/.sysroot-complete ]] && [[ -n "$(ls -A "$DIR" 2>/dev/null)" ]]; then
  log "refusing to replace $DIR: it exists, is not empty and has no .sysroot-complete stamp"
  exit 1
fi
mkdir -p "$(dirname "$DIR")"
work=$(mktemp -d "$DIR.tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT
apt_dir=$work/apt
stage=$work/root
mkdir -p "$apt_dir"/{lists/partial,cache/archives/partial,etc/apt.conf.d,etc/preferences.d,etc/trusted.gpg.d,debs} "$stage"
: >"$apt_dir/status"
echo "deb [arch=$ARCH signed-by=$KEYRING] $MIRROR $SUITE main" >"$apt_dir/etc/sources.list"

apt_opts=(
  -q
  -o "Dir::Etc=$apt_dir/etc"
  -o "Dir::Etc::SourceList=$apt_dir/etc/sources.list"
  -o "Dir::Etc::SourceParts=$apt_dir/etc/sources.list.d"
  -o "Dir::Etc::Parts=$apt_dir/etc/apt.conf.d"
  -o "Dir::Etc::PreferencesParts=$apt_dir/etc/preferences.d"
  -o "Dir::State=$apt_dir"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::State::status=$apt_dir/status"
  -o "Dir::Cache=$apt_dir/cache"
  -o "APT::Architecture=$ARCH"
  -o "APT::Architectures=$ARCH"
  -o "Acquire::Languages=none"
  -o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false"
  -o "Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false"
  -o "APT::Sandbox::User=$(id -un)"
  -o "Debug::NoLocking=1"
)

t0=$SECONDS
log "fetching $SUITE index from $MIRROR"
apt-get "${apt_opts[@]}" update >&2
log "downloading: ${PACKAGES[*]}"
(cd "$apt_dir/debs" && apt-get "${apt_opts[@]}" download "${PACKAGES[@]}" >&2)

for deb in "$apt_dir"/debs/*.deb; do
  log "unpack $(basename "$deb")"
  dpkg-deb -x "$deb" "$stage"
done

# Absolute symlinks -> relative (see header). Linker scripts (libc.so, libm.so,
# libpthread.so) keep their absolute paths: ld.bfd and lld both prefix those
# with --sysroot when the script itself lives inside the sysroot.
while IFS= read -r -d '' link; do
  target=$(readlink "$link")
  [[ $target == /* ]] || continue
  rel=$(realpath -m -s --relative-to="$(dirname "$link")" "$stage$target")
  ln -sfn "$rel" "$link"
done < <(find "$stage" -type l -print0)

# Drop what a sysroot never needs (docs, locales, binaries).
rm -rf "$stage"/usr/share/{doc,man,info,locale,lintian} "$stage"/usr/bin "$stage"/usr/sbin "$stage"/sbin "$stage"/usr/lib/x86_64-linux-gnu/gconv "$stage"/usr/libexec

# Sanity: the pieces the link resolves must exist inside the sysroot.
for f in usr/lib/x86_64-linux-gnu/crti.o usr/lib/x86_64-linux-gnu/libc.so lib/x86_64-linux-gnu/libc.so.6 \
         usr/lib/gcc/x86_64-linux-gnu/10/crtbeginS.o usr/lib/gcc/x86_64-linux-gnu/10/libgcc_s.so; do
  [[ -e $stage/$f ]] || { log "sysroot incomplete: $f missing"; exit 1; }
done
if [[ $(readlink -f "$stage/usr/lib/x86_64-linux-gnu/libdl.so") != "$stage"/* ]]; then
  log "libdl.so still points outside the sysroot"; exit 1
fi

echo "$STAMP_CONTENT" >"$stage/.sysroot-complete"
rm -rf --one-file-system "$DIR"
mv "$stage" "$DIR"
log "ready in $((SECONDS - t0)) s: $DIR ($(du -sh "$DIR" | cut -f1))"
echo "$DIR"
