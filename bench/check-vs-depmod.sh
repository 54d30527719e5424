#!/usr/bin/env bash
# Benchmark (issue 2): whole-process time and peak RSS of `kmodkit check` judging every module of
# one kernel tree against the next kernel's ABI, paired in one run with kmod's `depmod -e -E` over
# the same modules placed under the newer tree's extra/ (the question depmod answers there).
#
#   bench/check-vs-depmod.sh [cloud|amd64|all] [RUNS]      (default: all 7)
#   KMODKIT_BASE_JAR=/tmp/base/kmodkit.jar bench/check-vs-depmod.sh ...
#   COMPRESS=xz|zstd bench/check-vs-depmod.sh ...
#
# With KMODKIT_BASE_JAR (a copy of another build's kmodkit-cli/target: the jar and its lib/), that
# build runs too, as "base", in the same rounds: a before/after pairing on one noisy machine.
#
# cloud: the corpus's cloud-amd64 6.1.0-53 modules (1,121) against 6.1.0-54;
# amd64: the amd64 flavour 6.1.0-53 modules (4,022, ~390 MB) against 6.1.0-54, fetched with
#        apt-get download into $KMODKIT_CACHE (default ~/.cache/kmodkit)/bench.
# Runs alternate kmodkit/depmod so machine noise hits both alike; reports medians and the ratio.
#
# COMPRESS=xz or zstd: both trees with every module compressed as the kernel's own `make
# modules_install` compresses them (CONFIG_MODULE_COMPRESS_XZ: `xz --check=crc32 --lzma2=dict=1MiB`,
# Debian 13's 6.12 and RHEL 9; _ZSTD: `zstd`, as Fedora and Arch ship) into .ko.xz / .ko.zst, made
# once beside the plain trees: kmodkit's reader and depmod's libkmod then both decompress every module.
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

compressed() { # dir → a copy (hard links, then each module replaced by its compressed file) in $dir-$COMPRESS
  local from=$1 to=$1-$COMPRESS
  if [ ! -f "$to/.done" ]; then
    rm -rf "$to"; cp -al "$from" "$to"; rm -f "$to/.done"
    case $COMPRESS in  # xz and zstd write a new file and unlink the link: the plain tree is untouched
      xz) find "$to" -name '*.ko' -print0 | xargs -0 -n 64 -P "$(nproc)" xz -f -q --check=crc32 --lzma2=dict=1MiB ;;
      zstd) find "$to" -name '*.ko' -print0 | xargs -0 -n 64 -P "$(nproc)" zstd -f -q --rm ;;
      *) echo "COMPRESS is xz or zstd, not '$COMPRESS'" >&2; exit 2 ;;
    esac
    touch "$to/.done"
  fi
  echo "$to"
}

measure() { # label cmd... → appends "label wall rss cpu" to $out
  local label=$1; shift
  /usr/bin/time -f "$label %e %M %U %S" -o "$work/time.$$" "$@" >/dev/null 2>&1 || true
  tail -1 "$work/time.$$" >> "$out"
}

bench() { # flavour image_suffix
  prepare "$1" "$2"
  local n; n=$(find "$old/lib/modules/6.1.0-53-$1/kernel" -name '*.ko*' | wc -l)
  out=$work/$1.times; : > "$out"
  local tree=$old/lib/modules/6.1.0-53-$1/kernel label=$1
  if [ -n "${COMPRESS:-}" ]; then
    tree=$(compressed "$old")/lib/modules/6.1.0-53-$1/kernel
    root=$(compressed "$root")
    label="$1 ($COMPRESS)"
  fi
  local contenders=(kmodkit depmod)
  [ -n "${KMODKIT_BASE_JAR:-}" ] && contenders=(kmodkit depmod base)
  run() { # contender
    case $1 in
      kmodkit) measure kmodkit "$kmodkit" check -q --kernel "$symvers" "$tree" ;;
      base) KMODKIT_JAR=$KMODKIT_BASE_JAR measure base "$kmodkit" check -q --kernel "$symvers" "$tree" ;;
      depmod) measure depmod depmod -b "$root" -C "$root/depmod.d" -e -E "$symvers" "$rel_new" ;;
    esac
  }
  for c in "${contenders[@]}"; do  # warm the class-data archives and the page cache
    out=/dev/null run "$c"
  done
  : > "$out"
  for i in $(seq "$runs"); do  # each round starts with the next contender, so none always goes first
    local k=${#contenders[@]}
    for j in $(seq 0 $((k - 1))); do
      run "${contenders[$(((i + j) % k))]}"
    done
  done
  python3 - "$out" "$label" "$n" "$runs" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 5]
def of(label):
    r = [(float(w), int(m), float(u) + float(s)) for l, w, m, u, s in rows if l == label]
    return statistics.median(w for w, _, _ in r), max(m for _, m, _ in r) / 1024, statistics.median(c for _, _, c in r)
dw, dm, dc = of("depmod")
for label in ("base", "kmodkit"):
    if any(r[0] == label for r in rows):
        w, m, c = of(label)
        print(f"| {sys.argv[2]} | {sys.argv[3]} | {sys.argv[4]} | {label} | {w:.3f} s | {dw:.3f} s | **{w/dw:.2f}x** | {c:.2f} s | {dc:.2f} s | {m:.0f} MB | {dm:.0f} MB |")
PY
}

echo "| tree | modules | runs | build | kmodkit check, wall (median) | depmod -e -E, wall (median) | ratio | kmodkit CPU (user+sys, median) | depmod CPU | kmodkit peak RSS | depmod peak RSS |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
case $which in
  cloud) bench cloud-amd64 -unsigned ;;
  amd64) bench amd64 "" ;;
  all) bench cloud-amd64 -unsigned; bench amd64 "" ;;
esac
