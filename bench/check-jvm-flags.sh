#!/usr/bin/env bash
# Benchmark (issue 16): the same `kmodkit check` of a bench tree under several sets of extra JVM
# options (KMODKIT_JAVA_OPTS, added to the launcher's own), paired in one run: each round runs
# every set, the first one rotating; reports per set the median wall and CPU (user+sys), the
# median number of GC pauses and their total, and the peak RSS.
#
#   bench/check-jvm-flags.sh cloud|amd64 RUNS "OPTS1" "OPTS2" ...     e.g. "" "-Xmn256m"
#
# The trees are those bench/check-vs-depmod.sh prepares (run it once first); KMODKIT_JAR picks the build.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_WORK:-/tmp/kmodkit-bench}
fl=$1; runs=$2; shift 2
case $fl in
  cloud) fl=cloud-amd64 ;;
  amd64) ;;
  *) echo "usage: $0 cloud|amd64 RUNS OPTS..." >&2; exit 2 ;;
esac
symvers=$work/$fl-54/usr/src/linux-headers-6.1.0-54-$fl/Module.symvers
tree=$work/$fl-53/lib/modules/6.1.0-53-$fl/kernel
[ -f "$symvers" ] && [ -d "$tree" ] || { echo "$work has no $fl trees: run bench/check-vs-depmod.sh first" >&2; exit 3; }
out=$(mktemp); gc=$(mktemp); t=$(mktemp)
trap 'rm -f "$out" "$gc" "$t"' EXIT
"$here/bin/kmodkit" check -q --kernel "$symvers" "$tree" >/dev/null 2>&1 || true  # the class-data archive, the page cache
sets=("$@")
for i in $(seq "$runs"); do
  for j in $(seq 0 $((${#sets[@]} - 1))); do
    o=${sets[$(((i + j) % ${#sets[@]}))]}
    rm -f "$gc"
    KMODKIT_JAVA_OPTS="$o -Xlog:gc:file=$gc::filecount=0" /usr/bin/time -f "%e %U %S %M" -o "$t" "$here/bin/kmodkit" check -q --kernel "$symvers" "$tree" >/dev/null 2>&1 || true
    pauses=$(grep -c Pause "$gc" || true)
    ms=$({ grep -o '[0-9.]*ms' "$gc" || true; } | tr -d ms | paste -sd+ | bc)
    printf '%s\t%s %s %s\n' "$o" "$(tail -1 "$t")" "$pauses" "${ms:-0}" >> "$out"
  done
done
echo "| tree | extra options | wall (median) | CPU (median) | GC pauses (median) | pause total (median) | peak RSS | runs |"
echo "|---|---|---|---|---|---|---|---|"
python3 - "$out" "$fl" <<'PY'
import collections, statistics, sys
d = collections.defaultdict(list)
for line in open(sys.argv[1]):
    opts, rest = line.rstrip("\n").split("\t")
    w, u, s, m, n, ms = rest.split()
    d[opts].append((float(w), float(u) + float(s), int(m), int(n), float(ms)))
for opts, v in d.items():
    med = lambda i: statistics.median(x[i] for x in v)
    print(f"| {sys.argv[2]} | {opts or '(launcher only)'} | {med(0):.3f} s | {med(1):.2f} s | {med(3):g} | {med(4):.0f} ms | {max(x[2] for x in v) // 1024} MB | {len(v)} |")
PY
