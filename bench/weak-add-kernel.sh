#!/usr/bin/env bash
# Benchmark (issue 16): `kmodkit weak-modules --add-kernel K` against its floor, depmod's own run on
# the changed kernel, on the root of bench/rhel-referee.sh (= kmodkit-e2e's WeakRealRootIT): corpus
# kernels 53 and 55, 55's mlx stack in 55's extra/mlnx, hello modules for 53 in 53's extra/hello.
#
#   bench/weak-add-kernel.sh [RUNS]        (default 5)
#   HEADERS=1      each kernel also has its headers installed (linux-headers-K and -common), and its
#                  build and source links resolve inside the root, as on the installed system (in
#                  the plain root they are absolute links that lead nowhere on this machine)
#   BEFORE_JAR=…   a third contender: another build's kmodkit.jar (e.g. main's), same launcher
#
# Each round makes a fresh copy of that root per contender (cp -al), installs kernel 54 into each
# and times `kmodkit weak-modules --root A --no-initramfs --add-kernel 54` on one and, on another,
# `depmod -a -b B -C … 54` with the configuration kmodkit gives depmod (the root's depmod.d
# directories, or -C /dev/null when it has none); then the same for kernel 56. The contenders take
# turns going first, round by round. After each step it checks the links each kmodkit made (54:
# only hello_nonet in 54; 56: the 7 mlx modules in 56, hello_nonet still in 54) and fails on any
# other result. Both tools write only new files and rename them into place; the script checks that
# no file of the shared base or the extracted corpus changed (inode, size, mtime) through a hard link.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
work=${BENCH_WORK:-/tmp/kmodkit-weakbench}
headers=${HEADERS:-0}
mkdir -p "$work"
# shellcheck source=bench/weak-root.sh
. "$here/bench/weak-root.sh"
kmodkit=$here/bin/kmodkit
[ -f "$here/kmodkit-cli/target/kmodkit.jar" ] || (cd "$here" && mvn -q -DskipTests -Dfuzz.skip=true package)

common() { # abi → directory holding linux-headers-<abi>-common extracted (made once)
  local d=$work/corpus-common-$1
  if [ ! -f "$d/.done" ]; then
    rm -rf "$d"; mkdir -p "$d"
    dpkg-deb -x "$(corpus_deb "linux-headers-6.1.0-$1-common")" "$d"
    touch "$d/.done"
  fi
  echo "$d"
}
add_headers() { # root abi: the -common headers too, and build/source links that resolve inside the root
  local rel; rel=$(rel_of "$2")
  cp -al "$(common "$2")/usr/src/linux-headers-6.1.0-$2-common" "$1/usr/src/"
  ln -sfn "../../../usr/src/linux-headers-$rel" "$1/lib/modules/$rel/build"
  ln -sfn "../../../usr/src/linux-headers-6.1.0-$2-common" "$1/lib/modules/$rel/source"
}
install() { # root abi: the kernel as its packages install it (HEADERS=1: with all its headers)
  install_kernel "$1" "$2"
  if [ "$headers" = 1 ]; then add_headers "$1" "$2"; fi
}

base=$work/addk-base-h$headers
if [ ! -f "$base/.done" ]; then
  mlx_root "$base"
  if [ "$headers" = 1 ]; then
    for abi in 53 55; do add_headers "$base" "$abi"; done
  fi
  touch "$base/.done"
fi
for abi in 54 56; do
  extracted "$abi" > /dev/null
  if [ "$headers" = 1 ]; then common "$abi" > /dev/null; fi
done
snapshot() { find "$base" "$work"/corpus-* -printf '%i %s %T@ %y %p\n' | sort -k5 | sha256sum; }
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
run_kmodkit() { # jar root release → the command, in the array cmd
  cmd=(env KMODKIT_JAR="$1" "$kmodkit" weak-modules --root "$2" --no-initramfs --add-kernel "$3")
}
expect54="53=none 54=hello_nonet 55=none"
expect56="53=none 54=hello_nonet 55=none 56=ib_core,ib_uverbs,mlx5_core,mlx5_ib,mlxfw,rdma_cm,rdma_ucm"
declare -A jar=([kmodkit]=$here/kmodkit-cli/target/kmodkit.jar)
contenders=(kmodkit depmod)
if [ -n "${BEFORE_JAR:-}" ]; then jar[before]=$(readlink -f "$BEFORE_JAR"); contenders=(kmodkit before depmod); fi

# warm each launcher's class-data archive (made by the first run of a command) and the page cache
for c in "${!jar[@]}"; do
  fresh "$work/addk-warm"; install "$work/addk-warm" 54
  run_kmodkit "${jar[$c]}" "$work/addk-warm" "$(rel_of 54)"
  "${cmd[@]}" > /dev/null
done
bad=0
n=${#contenders[@]}
for i in $(seq "$runs"); do
  order=()
  for j in $(seq 0 $((n - 1))); do order+=("${contenders[$(((i + j) % n))]}"); done
  for c in "${contenders[@]}"; do fresh "$work/addk-$c"; done
  for abi in 54 56; do
    rel=$(rel_of "$abi")
    for c in "${contenders[@]}"; do install "$work/addk-$c" "$abi"; done
    sync
    for c in "${order[@]}"; do
      if [ "$c" = depmod ]; then
        depmod_floor "$work/addk-depmod" "$rel"
        measure "depmod-$abi" "${floor[@]}"
      else
        run_kmodkit "${jar[$c]}" "$work/addk-$c" "$rel"
        measure "$c-$abi" "${cmd[@]}"
      fi
    done
    for c in "${!jar[@]}"; do
      got=$(for k in 53 54 55 56; do if [ -d "$work/addk-$c/lib/modules/$(rel_of "$k")" ]; then echo "$k=$(links_of "$work/addk-$c" "$(rel_of "$k")" | names)"; fi; done | tr '\n' ' ')
      want=expect$abi
      [ "${got% }" = "${!want}" ] || { bad=1; echo "round $i, $c, add $abi: links $got; expected ${!want}" >&2; }
      [ "$i" -eq 1 ] && [ "$c" = kmodkit ] && echo "links after add $abi: $got"
    done
  done
done
after=$(snapshot)
touched=0
[ "$before" = "$after" ] || { touched=1; echo "a file of the base ($base) or of the extracted corpus changed through a hard link" >&2; }
python3 - "$times" "$runs" "$bad" "$touched" "$headers" "${contenders[@]}" <<'PY'
import statistics, sys
times, runs, bad, touched, headers, *who = sys.argv[1:]
rows = [l.split() for l in open(times) if len(l.split()) == 3]
col = lambda label, i: [int(r[i]) for r in rows if r[0] == label]
med = lambda label, i: statistics.median(col(label, i)) / 1000
print(f"{runs} rounds, order rotating; root: rhel-referee.sh's{' with headers installed (build/source resolve)' if headers == '1' else ''}; "
      f"links {'WRONG' if bad == '1' else 'as expected in every round'}; base untouched: {'NO' if touched == '1' else 'yes'}")
tools = [w for w in who if w != "depmod"]
print("| step | " + " | ".join(f"{t} wall" for t in tools) + " | depmod floor wall | " + " | ".join(f"{t}/depmod (per round)" for t in tools) + " | CPU " + ", ".join(tools + ["depmod"]) + " |")
print("|---|" + "---|" * (2 * len(tools) + 2))
for abi in ("54", "56"):
    d = med(f"depmod-{abi}", 1)
    walls = " | ".join(f"{med(f'{t}-{abi}', 1):.3f} s" for t in tools)
    ratios = " | ".join(f"**{med(f'{t}-{abi}', 1) / d:.1f}x** (" + ", ".join(f"{a / b:.1f}" for a, b in zip(col(f'{t}-{abi}', 1), col(f'depmod-{abi}', 1))) + ")" for t in tools)
    cpu = ", ".join(f"{med(f'{t}-{abi}', 2):.2f}" for t in tools + ["depmod"])
    print(f"| add {abi} | {walls} | {d:.3f} s | {ratios} | {cpu} s |")
PY
exit $((bad | touched))
