#!/usr/bin/env bash
# Benchmark (issue 16): `kmodkit weak-modules --add-kernel K` against its floor, depmod's own run on
# the changed kernel, on the root of bench/rhel-referee.sh (= kmodkit-e2e's WeakRealRootIT): corpus
# kernels 53 and 55, 55's mlx stack in 55's extra/mlnx, hello modules for 53 in 53's extra/hello.
#
#   bench/weak-add-kernel.sh [RUNS]        (default 5; KMODKIT_JAR=… times another build's jar)
#
# Each round makes two fresh copies of that root (cp -al), installs kernel 54 into both and times
# `kmodkit weak-modules --root A --no-initramfs --add-kernel 54` on one and, on the other,
# `depmod -a -b B -C … 54` with the configuration kmodkit gives depmod (the root's depmod.d
# directories, or -C /dev/null when it has none); then the same for kernel 56. The two alternate
# which goes first, round by round. After each step it prints the links kmodkit made (54: only
# hello_nonet in 54; 56: the 7 mlx modules in 56, hello_nonet still in 54) and fails on any other
# result. Both tools write only new files and rename them into place; the script checks that no
# file of the shared base changed (inode, size, mtime) through a hard link. Medians and ratios.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
work=${BENCH_WORK:-/tmp/kmodkit-weakbench}
mkdir -p "$work"
# shellcheck source=bench/weak-root.sh
. "$here/bench/weak-root.sh"
kmodkit=$here/bin/kmodkit
[ -f "${KMODKIT_JAR:-$here/kmodkit-cli/target/kmodkit.jar}" ] || (cd "$here" && mvn -q -DskipTests -Dfuzz.skip=true package)

base=$work/addk-base
if [ ! -f "$base/.done" ]; then
  mlx_root "$base"
  touch "$base/.done"
fi
extracted 54 > /dev/null; extracted 56 > /dev/null
snapshot() { find "$base" "$work"/corpus-5[3-6] -printf '%i %s %T@ %y %p\n' | sort -k5 | sha256sum; }
before=$(snapshot)

# what kmodkit gives depmod for ROOT (HostSystemTools.depmodCommand): the root's depmod.d dirs, else /dev/null
depmod_floor() { # root release → the command, in the array floor
  local root=$1 d
  floor=(depmod -a -b "$root")
  for d in /etc/depmod.d /run/depmod.d /usr/local/lib/depmod.d /lib/depmod.d /usr/lib/depmod.d; do
    [ -d "$root$d" ] && floor+=(-C "$(readlink -f "$root$d")")
  done
  [ ${#floor[@]} -gt 4 ] || floor+=(-C /dev/null)
  floor+=("$2")
}
names() { awk '{n=split($1,a,"/"); m=a[n]; sub(/\.ko.*/,"",m); printf "%s%s", (NR>1?",":""), m} END{if(NR==0) printf "none"}'; }
times=$work/addk.times; : > "$times"
measure() { # label cmd... → "label wall-ms cpu-ms" appended to $times
  local label=$1; shift
  /usr/bin/time -o "$work/addk.t" -f '%e %U %S' "$@" > "$work/addk-$label.log" 2>&1 \
    || { echo "$label failed:" >&2; cat "$work/addk-$label.log" >&2; exit 1; }
  awk -v l="$label" '{printf "%s %d %d\n", l, $1 * 1000, ($2 + $3) * 1000}' "$work/addk.t" >> "$times"
}
fresh() { rm -rf "$1"; cp -al "$base" "$1"; }
A=$work/addk-kmodkit; B=$work/addk-depmod
expect54="53=none 54=hello_nonet 55=none"
expect56="53=none 54=hello_nonet 55=none 56=ib_core,ib_uverbs,mlx5_core,mlx5_ib,mlxfw,rdma_cm,rdma_ucm"

# warm the launcher's class-data archive (made by the first run of a command) and the page cache
fresh "$A"; install_kernel "$A" 54
"$kmodkit" weak-modules --root "$A" --no-initramfs --add-kernel "$(rel_of 54)" > /dev/null
bad=0
for i in $(seq "$runs"); do
  fresh "$A"; fresh "$B"
  order=(kmodkit depmod); [ $((i % 2)) -eq 0 ] && order=(depmod kmodkit)
  for abi in 54 56; do
    rel=$(rel_of "$abi")
    install_kernel "$A" "$abi"; install_kernel "$B" "$abi"
    sync
    for t in "${order[@]}"; do
      if [ "$t" = kmodkit ]; then
        measure "kmodkit-$abi" "$kmodkit" weak-modules --root "$A" --no-initramfs --add-kernel "$rel"
      else
        depmod_floor "$B" "$rel"
        measure "depmod-$abi" "${floor[@]}"
      fi
    done
    got=$(for k in 53 54 55 56; do if [ -d "$A/lib/modules/$(rel_of "$k")" ]; then echo "$k=$(links_of "$A" "$(rel_of "$k")" | names)"; fi; done | tr '\n' ' ')
    want=expect$abi
    [ "${got% }" = "${!want}" ] || { bad=1; echo "round $i, add $abi: links $got; expected ${!want}" >&2; }
    [ "$i" -eq 1 ] && echo "links after add $abi: $got"
  done
done
after=$(snapshot)
touched=0
[ "$before" = "$after" ] || { touched=1; echo "a file of the base ($base) or of the extracted corpus changed through a hard link" >&2; }
python3 - "$times" "$runs" "$bad" "$touched" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 3]
def med(label, col):
    return statistics.median(int(r[col]) for r in rows if r[0] == label) / 1000
def pairs(abi):
    k = [int(r[1]) for r in rows if r[0] == f"kmodkit-{abi}"]
    d = [int(r[1]) for r in rows if r[0] == f"depmod-{abi}"]
    return ", ".join(f"{a / b:.1f}x" for a, b in zip(k, d))
print(f"{sys.argv[2]} rounds, order alternating; links {'WRONG' if sys.argv[3] == '1' else 'as expected in every round'}; base untouched: {'NO' if sys.argv[4] == '1' else 'yes'}")
print("| step | kmodkit wall (median) | depmod floor wall | ratio | per-round ratios | kmodkit CPU | depmod CPU |")
print("|---|---|---|---|---|---|---|")
for abi in ("54", "56"):
    k, d = med(f"kmodkit-{abi}", 1), med(f"depmod-{abi}", 1)
    print(f"| add {abi} | {k:.3f} s | {d:.3f} s | {k / d:.1f}x | {pairs(abi)} | {med(f'kmodkit-{abi}', 2):.2f} s | {med(f'depmod-{abi}', 2):.2f} s |")
PY
exit $((bad | touched))
