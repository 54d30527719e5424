#!/usr/bin/env bash
# Proof for issue 11 items 5 and 6 on real kernels of every architecture Debian ships: each
# kernel's own modules must load against its own headers directory (0 vermagic refusals), and an
# arm64 module must be refused against the amd64 kernel (exit 2). Writes the table for bench/ARCH.md.
#
#   bench/arch-vermagic.sh [ARCH…]        (default: amd64 arm64 armhf i386 mips64el ppc64el s390x)
#
# Needs root once for `dpkg --add-architecture A && apt-get update` (done here when missing);
# packages go to ${KMODKIT_CACHE:-~/.cache/kmodkit}/arch/A (apt-get download, no install).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${KMODKIT_CACHE:-$HOME/.cache/kmodkit}/arch
kmodkit=$here/bin/kmodkit
archs=${*:-amd64 arm64 armhf i386 mips64el ppc64el s390x}
# the flavour per architecture: the one with the most common hardware (arm64: Grace/ConnectX servers)
flavour() { case $1 in amd64) echo cloud-amd64;; arm64) echo arm64;; armhf) echo armmp;; i386) echo 686;;
  mips64el) echo mips64r2el;; ppc64el) echo powerpc64le;; s390x) echo s390x;; esac; }

# fetch A: download and extract the newest bookworm 6.1 image + headers of A's flavour; prints the release
fetch() {
  local a=$1 f; f=$(flavour "$a")
  dpkg --print-foreign-architectures | grep -qx "$a" || [ "$a" = "$(dpkg --print-architecture)" ] || {
    dpkg --add-architecture "$a"; apt-get -qq update; }
  local abi; abi=$(apt-cache search --names-only "^linux-image-6\.1\.0-[0-9]+-$f\$" | awk '{print $1}' \
    | sed -E "s/^linux-image-(6\.1\.0-[0-9]+)-$f\$/\1/" | sort -V | tail -1)
  [ -n "$abi" ] || { echo "no linux-image-6.1.0-*-$f for $a in apt's lists" >&2; exit 3; }
  local rel=$abi-$f dir=$cache/$a
  if [ ! -f "$dir/$rel.done" ]; then
    mkdir -p "$dir/debs" && (cd "$dir/debs" && apt-get -qq download "linux-image-$rel:$a" "linux-headers-$rel:$a" "linux-headers-$abi-common" >&2)
    for d in "$dir"/debs/linux-*"$abi"*.deb; do dpkg-deb -x "$d" "$dir/root"; done
    touch "$dir/$rel.done"
  fi
  echo "$rel"
}

if [ "${1:-}" = --fetch-only ]; then shift; for a in ${*:-$archs}; do fetch "$a"; done; exit 0; fi

[ -f "$here/kmodkit-cli/target/kmodkit.jar" ] || (cd "$here" && mvn -q -DskipTests -Dfuzz.skip=true package)
out=${BENCH_WORK:-/tmp/kmodkit-bench}/arch-vermagic; mkdir -p "$out"
echo "| arch | kernel | modules | ok | refused | vermagic refusals | derived vermagic | modules' vermagic | time |"
echo "|---|---|---|---|---|---|---|---|---|"
for a in $archs; do
  rel=$(fetch "$a")
  root=$cache/$a/root
  s=$(date +%s.%N)
  "$kmodkit" check --json --kernel "$root/usr/src/linux-headers-$rel" "$root/lib/modules/$rel/kernel" > "$out/$a.json" 2> "$out/$a.err" || true
  e=$(date +%s.%N)
  python3 - "$out/$a.json" "$a" "$rel" "$(awk -v a="$s" -v b="$e" 'BEGIN {printf "%.1f s", b - a}')" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); arch, rel, took = sys.argv[2:5]
mods = [m for s in j["sets"] for m in s["modules"]]
ok = sum(m["loads"] for m in mods)
vm = sum(any(p["kind"] == "vermagic" for p in m["problems"]) for m in mods)
seen = sorted({m["vermagic"] for m in mods})
print(f"| {arch} | {rel} | {len(mods)} | {ok} | {len(mods) - ok} | {vm} | `{j['kernel']['vermagic']}` | {', '.join('`' + v + '`' for v in seen)} | {took} |")
for n in j["kernel"].get("notes", []): print(f"|   note | {n} |")
PY
done
# the cross-architecture pair: an arm64 module against the amd64 kernel's headers must be refused, exit 2
amd=$(fetch amd64); arm=$(fetch arm64)
set +e
"$kmodkit" check --kernel "$cache/amd64/root/usr/src/linux-headers-$amd" "$(find "$cache/arm64/root/lib/modules/$arm" -name nls_ascii.ko)" > "$out/cross.out" 2> "$out/cross.err"
code=$?
set -e
echo
echo "cross-architecture: arm64 nls_ascii.ko against the amd64 headers: exit $code; $(cat "$out/cross.err")"
