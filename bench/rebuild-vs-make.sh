#!/usr/bin/env bash
# Benchmark: kmodkit rebuild vs the same builds one after another with make (DKMS's model).
#
# 3 drivers (Debian's vpoll, acpi-call and dpdk-kmods *-dkms sources) x 4 kernels (corpus
# 6.1.0-53..56 cloud-amd64, headers packages prepared once by kmodkit into its cache) = 12 builds.
#   make:    for each (kernel, driver): fresh copy of the source, then the dkms.conf MAKE line with
#            plain make, one build after another (DKMS's model: one build at a time)
#   make-jN: the same with `make -j$(nproc)`, as DKMS 3 actually runs each build
#   kmodkit: `kmodkit rebuild -j $(nproc)` on the same unpacked sources and the same prepared headers,
#            including what DKMS does not do: checking every module against its kernel, the report.
# The three run as a set, rotating which goes first, after one unmeasured warm-up of each (page
# cache, kmodkit's class-data archive). The machine may be shared: a set sees the same noise.
# Reports per set and medians: wall times, speed-up, and kmodkit's own CPU (its JVM, from the
# report's kmodkit_cpu_seconds) as a share of all CPU the run used (/usr/bin/time, children included).
#
# Usage: bench/rebuild-vs-make.sh [SETS]      (default 5)
# Env:   DEBS=dir with the corpus .debs (default ../shared/debian, else ~/.cache/kmodkit/corpus)
#        WORK=scratch dir (default /tmp/kmodkit-bench-rebuild)   JOBS=job slots (default nproc)
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
PAIRS=${1:-5} # sets of three runs
JOBS=${JOBS:-$(nproc)}
WORK=${WORK:-/tmp/kmodkit-bench-rebuild}
DEBS=${DEBS:-}
if [ -z "$DEBS" ]; then
  for d in "$here/../shared/debian" "${KMODKIT_CACHE:-$HOME/.cache/kmodkit}/corpus"; do
    [ -f "$d/vpoll-dkms_0.1-3_all.deb" ] && DEBS=$(cd "$d" && pwd) && break
  done
fi
[ -n "$DEBS" ] || { echo "bench: no corpus found; run the end-to-end tier once (it fetches it) or set DEBS" >&2; exit 3; }
kmodkit=$here/bin/kmodkit
[ -f "$here/kmodkit-cli/target/kmodkit.jar" ] || (cd "$here" && mvn -q -DskipTests package)
for t in make gcc-12 dpkg-deb /usr/bin/time; do command -v "$t" >/dev/null || { echo "bench: $t missing (apt-get install make gcc-12 dpkg-dev time)" >&2; exit 3; }; done
export LC_ALL=C

rm -rf "$WORK"; mkdir -p "$WORK/src"
sources=()
for p in vpoll-dkms_0.1-3_all.deb acpi-call-dkms_1.2.2-2.1_all.deb 'dpdk-kmods-dkms_0~20220829+git-3_amd64.deb'; do
  dpkg-deb -x "$DEBS/$p" "$WORK/src"
done
for d in "$WORK"/src/usr/src/*/; do sources+=("${d%/}"); done

# kernels: headers packages prepared (unpacked, Makefile include pointed inside) by kmodkit, once
kargs=(--kernel "$DEBS"/linux-kbuild-6.1_6.1.192-2_amd64.deb)
for abi in 53 54 55 56; do
  kargs+=(--kernel "$(ls "$DEBS"/linux-headers-6.1.0-$abi-cloud-amd64_*.deb)" --kernel "$(ls "$DEBS"/linux-headers-6.1.0-$abi-common_*.deb)")
done
sargs=(); for s in "${sources[@]}"; do sargs+=(--source "$s"); done
mapfile -t kdirs < <("$kmodkit" rebuild --dry-run "${sargs[@]}" "${kargs[@]}" --out "$WORK/plan" | sed -n 's/^  kernel \([^ ]*\) .*: make -C \(.*\)$/\1 \2/p')
[ ${#kdirs[@]} -eq 4 ] || { echo "bench: expected 4 prepared kernels, got: ${kdirs[*]}" >&2; exit 1; }
kdirargs=(); for k in "${kdirs[@]}"; do kdirargs+=(--kernel "${k#* }"); done

serial() { # the DKMS model: one build after another, each its MAKE line, make given $1 (-j1 or -jN)
  local j=$1 k rel kdir s b extra
  for k in "${kdirs[@]}"; do
    rel=${k%% *}; kdir=${k#* }
    for s in "${sources[@]}"; do
      b=$WORK/serial/$rel/$(basename "$s")/build
      rm -rf "$b"; mkdir -p "$(dirname "$b")"; cp -r "$s" "$b"
      extra=(); case $s in *dpdk-kmods*) extra=(MODULE_CFLAGS=-fno-PIE modules) ;; esac
      make "$j" KERNELRELEASE="$rel" -C "$kdir" M="$b" "${extra[@]}" >"$b.log" 2>&1 || { echo "bench: serial build failed: $b.log" >&2; exit 1; }
      ls "$b"/*.ko >/dev/null
    done
  done
}

run_serial() {
  local t0 t1; t0=$(date +%s.%N); serial "$1"; t1=$(date +%s.%N)
  echo "$t0 $t1" | awk '{printf "%.2f", $2-$1}'
}

run_kmodkit() { # prints "wall total_cpu kmodkit_cpu"
  rm -rf "$WORK/out"
  /usr/bin/time -o "$WORK/time.txt" -f '%e %U %S' "$kmodkit" rebuild -j "$JOBS" --json --out "$WORK/out" "${sargs[@]}" "${kdirargs[@]}" >"$WORK/report.json" 2>"$WORK/progress.txt" \
    || { echo "bench: kmodkit rebuild failed: $WORK/progress.txt" >&2; exit 1; }
  local cpu; cpu=$(sed -n 's/.*"kmodkit_cpu_seconds" : \([0-9.]*\).*/\1/p' "$WORK/report.json")
  grep -q '"built" : 12' "$WORK/report.json" || { echo "bench: kmodkit did not build all 12" >&2; exit 1; }
  awk -v c="$cpu" '{printf "%.2f %.2f %.2f", $1, $2+$3, c}' "$WORK/time.txt"
}

echo "warm-up (not measured)..." >&2
run_serial -j1 >/dev/null; run_kmodkit >/dev/null
printf 'set\tmake_s\tmake_jN_s\tkmodkit_s\tspeedup_vs_make\tspeedup_vs_make_jN\tkmodkit_cpu_s\tall_cpu_s\toverhead_share\tload_before\n' | tee "$WORK/results.tsv"
for i in $(seq 1 "$PAIRS"); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  case $((i % 3)) in
    1) s1=$(run_serial -j1); sN=$(run_serial -j"$(nproc)"); read -r kw kcpu_all kcpu < <(run_kmodkit; echo) ;;
    2) read -r kw kcpu_all kcpu < <(run_kmodkit; echo); s1=$(run_serial -j1); sN=$(run_serial -j"$(nproc)") ;;
    0) sN=$(run_serial -j"$(nproc)"); read -r kw kcpu_all kcpu < <(run_kmodkit; echo); s1=$(run_serial -j1) ;;
  esac
  awk -v i="$i" -v s="$s1" -v n="$sN" -v k="$kw" -v kc="$kcpu" -v a="$kcpu_all" -v l="$load" 'BEGIN{printf "%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.3f\t%s\n", i, s, n, k, s/k, n/k, kc, a, kc/a, l}' | tee -a "$WORK/results.tsv"
done
awk -F'\t' 'NR>1{s[NR]=$2; n[NR]=$3; k[NR]=$4; r[NR]=$5; rn[NR]=$6; o[NR]=$9; c++}
  function med(a,  m,i,j,t,x){m=0; for(i in a) x[++m]=a[i]; for(i=1;i<=m;i++) for(j=i+1;j<=m;j++) if(x[j]<x[i]){t=x[i];x[i]=x[j];x[j]=t}; return m%2? x[(m+1)/2] : (x[m/2]+x[m/2+1])/2}
  END{printf "median over %d sets: make %.2f s, make -jN %.2f s, kmodkit %.2f s; speed-up %.2fx vs make, %.2fx vs make -jN (medians of ratios); kmodkit own CPU %.1f%% of all CPU\n", c, med(s), med(n), med(k), med(r), med(rn), 100*med(o)}' "$WORK/results.tsv"
echo "cores: $(nproc), jobs: $JOBS, results: $WORK/results.tsv" >&2
