#!/usr/bin/env bash
# check-glibc-symbols.sh [--addin] LIB [MAX]
#
# Reads what the dynamic loader checks when it loads LIB: its ELF version needs (.gnu.version_r,
# every version node of every needed library) and its NEEDED list. Prints the highest GLIBC_x.y
# required, the symbols that pull in anything above 2.17, and the NEEDED list. Exits 1 if a GLIBC_
# version above MAX (default 2.17; or $MAX_GLIBC) is required, 2 on usage errors.
#
# --addin: the rules for the add-in library itself: every NEEDED library must be part of glibc
# (libc, libm, libdl, libpthread, librt, the loader), and no version of any other namespace
# (GLIBCXX_, CXXABI_, GCC_ ...) may be needed: a 1C server may have an older libstdc++ than ours.
# Without it (test hosts built against the sysroot) other namespaces are listed, not refused.
set -euo pipefail

addin=
if [[ ${1:-} == --addin ]]; then
  addin=1
  shift
fi
lib=${1:-}
max=${2:-${MAX_GLIBC:-2.17}}
if [[ -z $lib || ! -f $lib ]]; then
  echo "usage: $0 [--addin] LIB [MAX_GLIBC_VERSION]" >&2
  exit 2
fi
command -v objdump >/dev/null || { echo "objdump (binutils) not found" >&2; exit 2; }

headers=$(objdump -p "$lib")
# "Version References" lists, per needed library, each version node required (.gnu.version_r).
refs=$(awk '/^Version References:/ {f = 1; next} f && NF == 0 {f = 0} f' <<<"$headers")
needed=$(awk '$1 == "NEEDED" {print $2}' <<<"$headers")
failed=

echo "file:            $lib"
echo "NEEDED:          $(tr '\n' ' ' <<<"$needed")"

if [[ -n $addin ]]; then
  while read -r library; do
    [[ -z $library ]] && continue
    case $library in
      libc.so.6 | libm.so.6 | libdl.so.2 | libpthread.so.0 | librt.so.1 | ld-linux-x86-64.so.2) ;;
      *) echo "FAIL: $lib needs $library, which is not part of glibc" >&2; failed=1 ;;
    esac
  done <<<"$needed"
fi

# Every version node, as NAMESPACE_VERSION (e.g. GLIBC_2.17, GLIBCXX_3.4.21).
nodes=$(awk '$1 ~ /^0x/ && NF >= 4 {print $4}' <<<"$refs" | sort -u)
glibc=$(grep -oE '^GLIBC_[0-9][0-9.]*$' <<<"$nodes" | sed 's/^GLIBC_//' | sort -uV || true)
others=$(grep -vE '^GLIBC_(PRIVATE|[0-9][0-9.]*)$' <<<"$nodes" || true)
if grep -qx 'GLIBC_PRIVATE' <<<"$nodes"; then
  echo "FAIL: $lib needs GLIBC_PRIVATE symbols, which differ between every glibc build" >&2
  failed=1
fi
if [[ -n $others ]]; then
  echo "other versions:  $(tr '\n' ' ' <<<"$others")"
  if [[ -n $addin ]]; then
    echo "FAIL: the add-in must need no versions outside glibc's" >&2
    failed=1
  fi
fi

if [[ -z $glibc ]]; then
  echo "$lib: requires no GLIBC_ symbol versions (static or not glibc-linked?)"
  [[ -z $failed ]] || exit 1
  exit 0
fi
highest=$(tail -n1 <<<"$glibc")
echo "GLIBC versions:  $(tr '\n' ' ' <<<"$glibc")"
echo "highest GLIBC:   $highest (allowed <= $max)"
# Which symbols pull in versions above 2.17 (helps when the check fails).
objdump -T "$lib" | awk '$0 ~ /\(GLIBC_2\.(1[89]|[2-9][0-9])/ {gsub(/[()]/, "", $(NF-1)); print "  " $(NF-1) "  " $NF}' | sort -V -k1,1 | uniq

if [[ $(printf '%s\n%s\n' "$max" "$highest" | sort -V | tail -n1) != "$max" ]]; then
  echo "FAIL: $lib requires GLIBC_$highest > GLIBC_$max; it will not load on older glibc" \
    "(bind the symbols above to older versions: tools/sysroot/glibc-compat.c)" >&2
  failed=1
fi
[[ -z $failed ]] || exit 1
echo "OK: GLIBC_$highest <= GLIBC_$max"
