#!/usr/bin/env bash
# Benchmark (issue 3): `kmodkit weak-modules --add-kernel` and `kmodkit status` against RHEL's
# weak-modules script on identical copies of one root, paired in one run (the two tools alternate
# run by run, so machine noise hits both alike). Reports medians and ratios; exit 1 if the links
# ever differ.
#
#   bench/weak-vs-rhel.sh /path/to/weak-modules [RUNS]     (default 3; RHEL 9 kmod-28-9.el9's script)
#
# The root: 10 kernels (real corpus trees of 6.1.0-53…56, in turn, installed as 6.1.0-201…210-bench-amd64
# with System.map, config and symvers-K.gz), and 20 out-of-tree modules (5 vendor sets × 4: one
# dependency pair and two loners each, written by bench/WeakBenchRoot.java with real CRCs) built
# for kernels 201 and 203 under their extra/.
#   add-kernel: on a fresh copy, `--add-kernel 6.1.0-210-bench-amd64 --no-initramfs` with each tool.
#   status:     kmodkit status (all 20 modules × 10 kernels) against the least RHEL needs to tell
#               what one kernel would get: `--dry-run --add-kernel 6.1.0-210-bench-amd64`.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
script=$(readlink -f "${1:?usage: $0 /path/to/weak-modules [RUNS]}")
runs=${2:-3}
work=${BENCH_WORK:-/tmp/kmodkit-weakbench}
mkdir -p "$work"
# shellcheck source=bench/weak-root.sh
. "$here/bench/weak-root.sh"
kmodkit=$here/bin/kmodkit
[ -f "$here/kmodkit-cli/target/kmodkit.jar" ] || (cd "$here" && mvn -q -DskipTests package)
testkit=$(ls "$here"/kmodkit-testkit/target/kmodkit-testkit-*.jar | grep -v -e sources -e javadoc | head -1)
cp=$testkit:$here/kmodkit-cli/target/kmodkit.jar  # kmodkit.jar's class path brings xz and zstd-jni, which KoBuilder links

abis=(53 54 55 56)
bench_rel() { printf '6.1.0-%d-bench-amd64' $((200 + $1)); }
base=$work/bench-base
new=$(bench_rel 10)
if [ ! -f "$base/.done" ]; then
  rm -rf "$base"; mkdir -p "$base"
  for i in $(seq 1 10); do
    install_kernel "$base" "${abis[$(((i - 1) % 4))]}" "$(bench_rel "$i")"
  done
  for i in 1 3; do
    java -cp "$cp" "$here/bench/WeakBenchRoot.java" "$base" "$(bench_rel "$i")"
  done
  touch "$base/.done"
fi
n=$(find "$base/lib/modules" -path '*/extra/*' -name '*.ko' | wc -l)

times=$work/weak-vs-rhel.times; : > "$times"
measure() { # label dir cmd... → "label seconds" appended to $times
  local label=$1; shift
  local s e
  s=$(date +%s%N)
  "$@" > "$work/last-$label.log" 2>&1 || true
  e=$(date +%s%N)
  echo "$label $(( (e - s) / 1000000 ))" >> "$times"
}
fresh() { rm -rf "$1"; cp -al "$base" "$1"; }
differ=0

"$kmodkit" status --root "$base" > /dev/null 2>&1 || true   # warm the class-data archive and the page cache
for i in $(seq "$runs"); do
  fresh "$work/run-rhel"; fresh "$work/run-kmodkit"
  order=(rhel kmodkit); [ $((i % 2)) -eq 0 ] && order=(kmodkit rhel)
  for t in "${order[@]}"; do
    if [ "$t" = rhel ]; then
      measure rhel-add rhel_weak_modules "$script" "$work/run-rhel" --add-kernel "$new"
      measure rhel-status rhel_weak_modules "$script" "$work/run-rhel" --dry-run --add-kernel "$new"
    else
      measure kmodkit-add "$kmodkit" weak-modules --root "$work/run-kmodkit" --no-initramfs --add-kernel "$new"
      measure kmodkit-status "$kmodkit" status --root "$work/run-kmodkit"
    fi
  done
  links_of "$work/run-rhel" "$new" > "$work/links-rhel"
  links_of "$work/run-kmodkit" "$new" > "$work/links-kmodkit"
  if ! cmp -s "$work/links-rhel" "$work/links-kmodkit"; then
    differ=1; echo "run $i: the links of $new differ (RHEL < > kmodkit):" >&2; diff "$work/links-rhel" "$work/links-kmodkit" >&2 || true
  fi
done
linked=$(wc -l < "$work/links-kmodkit")
python3 - "$times" "$runs" "$n" "$linked" "$differ" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 2]
med = lambda label: statistics.median(int(ms) for l, ms in rows if l == label) / 1000
print(f"10 kernels, {sys.argv[3]} out-of-tree module files (20 modules × 2 builds), {sys.argv[2]} paired runs; {sys.argv[4]} links made in the added kernel, links {'DIFFER' if sys.argv[5] == '1' else 'identical'}")
print("| operation | RHEL weak-modules (median) | kmodkit (median) | kmodkit is faster by |")
print("|---|---|---|---|")
for op, what in (("add", "--add-kernel (fresh copy)"), ("status", "status (RHEL: --dry-run --add-kernel of one kernel)")):
    r, k = med("rhel-" + op), med("kmodkit-" + op)
    print(f"| {what} | {r:.2f} s | {k:.2f} s | {r / k:.1f}× |")
PY
exit $differ
