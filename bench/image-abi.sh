#!/usr/bin/env bash
# Benchmark (issue 7): what recovering the vmlinux ABI from the kernel image costs inside a whole
# `kmodkit check`. Paired in one run, alternating: the same check of the committed real modules
# (kmodkit-core/src/test/resources/real/6.1.0-53) against corpus kernel 56 given as
#   A: its vmlinuz (14 MB bzImage, LZ4 payload: decompress, parse ELF, read __ksymtab*/__kcrctab)
#   B: its Module.symvers (the vmlinux rows only, so both see the same symbols)
# The difference of the medians is the image's cost; goal: ≤ 0.5 s.
#
#   bench/image-abi.sh [RUNS]     (default 9)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-9}
work=${BENCH_WORK:-/tmp/kmodkit-bench}/image-abi
mkdir -p "$work"
kmodkit=$here/bin/kmodkit
[ -f "$here/kmodkit-cli/target/kmodkit.jar" ] || (cd "$here" && mvn -q -DskipTests package)
deb() {
  for d in "${KMODKIT_CORPUS:-}" "$here/../shared/debian" "${KMODKIT_CACHE:-$HOME/.cache/kmodkit}/corpus"; do
    [ -n "$d" ] && ls "$d"/$1_*.deb 2>/dev/null | head -1 && return
  done
  echo "cannot find $1 in the corpus (scripts/test fetches it)" >&2; exit 3
}
rel=6.1.0-56-cloud-amd64
if [ ! -f "$work/.done" ]; then
  dpkg-deb -x "$(deb linux-image-$rel-unsigned)" "$work/root"
  dpkg-deb -x "$(deb linux-headers-$rel)" "$work/root"
  awk -F'\t' '$3 == "vmlinux"' "$work/root/usr/src/linux-headers-$rel/Module.symvers" > "$work/vmlinux.symvers"
  touch "$work/.done"
fi
vmlinuz=$work/root/boot/vmlinuz-$rel
mods=$here/kmodkit-core/src/test/resources/real/6.1.0-53
echo "vmlinuz: $(stat -c %s "$vmlinuz") bytes; $(wc -l < "$work/vmlinux.symvers") vmlinux symbols in Module.symvers"
"$kmodkit" check --kernel "$vmlinuz" "$mods" >/dev/null 2>&1 || true   # warm the class-data archive
out=$work/times; : > "$out"
t() { local s e; s=$(date +%s.%N); "$kmodkit" check --kernel "$2" "$mods" >/dev/null 2>&1 || true; e=$(date +%s.%N); awk -v a="$s" -v b="$e" -v l="$1" 'BEGIN {printf "%s %.3f\n", l, b - a}' >> "$out"; }
for i in $(seq "$runs"); do
  if [ $((i % 2)) = 1 ]; then t image "$vmlinuz"; t symvers "$work/vmlinux.symvers"; else t symvers "$work/vmlinux.symvers"; t image "$vmlinuz"; fi
done
median() { grep "^$1 " "$out" | awk '{print $2}' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mi=$(median image); ms=$(median symvers)
echo "check with vmlinuz:        median ${mi} s ($(grep -c '^image ' "$out") runs: $(grep '^image ' "$out" | awk '{printf "%s ", $2}'))"
echo "check with Module.symvers: median ${ms} s ($(grep '^symvers ' "$out" | awk '{printf "%s ", $2}'))"
echo "image ABI cost (difference of medians): $(awk -v a="$mi" -v b="$ms" 'BEGIN {printf "%.3f", a - b}') s   (goal ≤ 0.5 s)"
