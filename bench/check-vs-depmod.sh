#!/usr/bin/env bash
# Benchmark (issue 2): whole-process time and peak RSS of `kmodkit check` judging every module of
# one kernel tree against the next kernel's ABI, paired in one run with kmod's `depmod -e -E` over
# the same modules placed under the newer tree's extra/ (the question depmod answers there).
#
#   bench/check-vs-depmod.sh [cloud|amd64|all] [RUNS]      (default: all 7)
#
# cloud: the corpus's cloud-amd64 6.1.0-53 modules (1,121) against 6.1.0-54;
# amd64: the amd64 flavour 6.1.0-53 modules (4,022, ~390 MB) against 6.1.0-54, fetched with
#        apt-get download into $KMODKIT_CACHE (default ~/.cache/kmodkit)/bench.
# Runs alternate kmodkit/depmod so machine noise hits both alike; reports medians and the ratio.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
which=${1:-all}; runs=${2:-7}
cache=${KMODKIT_CACHE:-$HOME/.cache/kmodkit}/bench
work=${BENCH_WORK:-/tmp/kmodkit-bench}
mkdir -p "$cache" "$work"
kmodkit=$here/bin/kmodkit
[ -f "$here/kmodkit-cli/target/kmodkit.jar" ] || (cd "$here" && mvn -q -DskipTests package)

corpus_deb() { # name-prefix → path (shared corpus, or apt-get download into the cache)
  local f
  for d in "${KMODKIT_CORPUS:-}" "$here/../shared/debian" "$cache"; do
    [ -n "$d" ] || continue
    f=$(ls "$d"/$1_*.deb 2>/dev/null | head -1) || true
    [ -n "$f" ] && { echo "$f"; return; }
  done
  (cd "$cache" && apt-get download "$1" >/dev/null 2>&1) || { echo "cannot get $1 (apt-get download failed)" >&2; exit 3; }
  ls "$cache"/$1_*.deb | head -1
}

prepare() { # flavour → sets $old $new $symvers $root $rel_new
  local fl=$1 image_suffix=$2
  old=$work/$fl-53; new=$work/$fl-54
  for abi in 53 54; do
    local d=$work/$fl-$abi
    [ -f "$d/.done" ] && continue
    rm -rf "$d"; mkdir -p "$d"
    dpkg-deb -x "$(corpus_deb linux-image-6.1.0-$abi-$fl$image_suffix)" "$d"
    dpkg-deb -x "$(corpus_deb linux-headers-6.1.0-$abi-$fl)" "$d"
    touch "$d/.done"
  done
  rel_new=6.1.0-54-$fl
  symvers=$new/usr/src/linux-headers-$rel_new/Module.symvers
  root=$work/$fl-depmod-root
  if [ ! -f "$root/.done" ]; then
    rm -rf "$root"; mkdir -p "$root/lib/modules" "$root/depmod.d"
    cp -al "$new/lib/modules/$rel_new" "$root/lib/modules/$rel_new"
    mkdir -p "$root/lib/modules/$rel_new/extra"
    cp -al "$old/lib/modules/6.1.0-53-$fl/kernel" "$root/lib/modules/$rel_new/extra/kernel"
    echo "search extra built-in" > "$root/depmod.d/search.conf"
    touch "$root/.done"
  fi
}

measure() { # label cmd... → appends "label wall rss" to $out
  local label=$1; shift
  /usr/bin/time -f "$label %e %M" -o "$work/time.$$" "$@" >/dev/null 2>&1 || true
  cat "$work/time.$$" >> "$out"
}

bench() { # flavour image_suffix
  prepare "$1" "$2"
  local n; n=$(find "$old/lib/modules/6.1.0-53-$1/kernel" -name '*.ko*' | wc -l)
  out=$work/$1.times; : > "$out"
  "$kmodkit" check -q --kernel "$symvers" "$old/lib/modules/6.1.0-53-$1/kernel" >/dev/null 2>&1 || true  # warm the class-data archive and page cache
  depmod -b "$root" -C "$root/depmod.d" -e -E "$symvers" "$rel_new" >/dev/null 2>&1
  for i in $(seq "$runs"); do
    if [ $((i % 2)) -eq 1 ]; then
      measure kmodkit "$kmodkit" check -q --kernel "$symvers" "$old/lib/modules/6.1.0-53-$1/kernel"
      measure depmod depmod -b "$root" -C "$root/depmod.d" -e -E "$symvers" "$rel_new"
    else
      measure depmod depmod -b "$root" -C "$root/depmod.d" -e -E "$symvers" "$rel_new"
      measure kmodkit "$kmodkit" check -q --kernel "$symvers" "$old/lib/modules/6.1.0-53-$1/kernel"
    fi
  done
  python3 - "$out" "$1" "$n" "$runs" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 3 and l.split()[0] in ("kmodkit", "depmod")]
k = [(float(w), int(m)) for l, w, m in rows if l == "kmodkit"]
d = [(float(w), int(m)) for l, w, m in rows if l == "depmod"]
mk, md = statistics.median(w for w, _ in k), statistics.median(w for w, _ in d)
print(f"| {sys.argv[2]} | {sys.argv[3]} | {sys.argv[4]} | {mk:.3f} s | {md:.3f} s | {mk/md:.2f}x | {max(m for _, m in k)/1024:.0f} MB | {max(m for _, m in d)/1024:.0f} MB |")
PY
}

echo "| tree | modules | runs | kmodkit check (median) | depmod -e -E (median) | ratio | kmodkit peak RSS | depmod peak RSS |"
echo "|---|---|---|---|---|---|---|---|"
case $which in
  cloud) bench cloud-amd64 -unsigned ;;
  amd64) bench amd64 "" ;;
  all) bench cloud-amd64 -unsigned; bench amd64 "" ;;
esac
