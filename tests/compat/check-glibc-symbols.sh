#!/usr/bin/env bash
# check-glibc-symbols.sh LIB [MAX]
#
# Prints the highest GLIBC_x.y symbol version LIB requires (its ELF "version
# needs", i.e. exactly what ld.so checks at dlopen time), the symbols that need
# versions above 2.17 and any GLIBCXX_/CXXABI_/GCC_ requirements (libstdc++ /
# libgcc_s), plus the DT_NEEDED list. Exits 1 if a GLIBC_ version above MAX
# (default 2.31 = Debian 11; override with arg 2 or $MAX_GLIBC) is required,
# 2 on usage errors.
set -euo pipefail

lib=${1:-}
max=${2:-${MAX_GLIBC:-2.31}}
if [[ -z $lib || ! -f $lib ]]; then
  echo "usage: $0 LIB [MAX_GLIBC_VERSION]" >&2
  exit 2
fi
command -v objdump >/dev/null || { echo "objdump (binutils) not found" >&2; exit 2; }

# "Version References" lists, per needed library, each version node required.
refs=$(objdump -p "$lib" | awk '/^Version References:/ {f = 1; next} f && NF == 0 {f = 0} f')
versions() { grep -oE "\\b$1_[0-9][0-9.]*\\b" <<<"$refs" | sed "s/^$1_//" | sort -uV || true; }

glibc=$(versions GLIBC)
if [[ -z $glibc ]]; then
  echo "$lib: requires no GLIBC_ symbol versions (static or not glibc-linked?)"
  exit 0
fi
highest=$(tail -n1 <<<"$glibc")

echo "file:            $lib"
echo "DT_NEEDED:       $(objdump -p "$lib" | awk '$1 == "NEEDED" {printf "%s ", $2}')"
echo "GLIBC versions:  $(tr '\n' ' ' <<<"$glibc")"
echo "highest GLIBC:   $highest (allowed <= $max)"
for kind in GLIBCXX CXXABI GCC; do
  v=$(versions "$kind")
  [[ -n $v ]] && echo "$kind versions: $(tr '\n' ' ' <<<"$v")(highest $(tail -n1 <<<"$v"))"
done
# Which symbols pull in the newer versions (helps when the check fails).
objdump -T "$lib" | awk '$0 ~ /\(GLIBC_2\.(1[89]|[2-9][0-9])/ {gsub(/[()]/, "", $(NF-1)); print "  " $(NF-1) "  " $NF}' | sort -V -k1,1 | uniq

if [[ $(printf '%s\n%s\n' "$max" "$highest" | sort -V | tail -n1) != "$max" ]]; then
  echo "FAIL: $lib requires GLIBC_$highest > GLIBC_$max; it will not load on older glibc" >&2
  exit 1
fi
echo "OK: GLIBC_$highest <= GLIBC_$max"
