#!/usr/bin/env bash
# bench/verify-vm.sh - how long `kmodkit verify --vm` takes per kernel under TCG (no KVM) for a batch
# of 50 modules (bench/verify-vm.modules: the mlx5 stack, uio, block and char drivers, file systems,
# libraries, crypto), each loaded in dependency order, unloaded, reloaded. Three runs per kernel and
# form; the median is reported. Target: <= 10 s per kernel.
#
# Measured: the whole command as a user runs it (bin/kmodkit: JVM start, reading the kernel's
# 1,121-module tree, planning, writing the initramfs, booting, parsing), and, from its JSON, the
# VM's own run (QEMU start to power-off) and the guest uptime when init started.
#
# Usage: bench/verify-vm.sh [ABI...]     (default: 54 55 56; corpus kernels 6.1.0-ABI-cloud-amd64)
# Env:   KMODKIT_CORPUS  directory with the corpus .debs (default: ../shared/debian beside the repo)
#        BENCH_WORK      scratch directory (default: /tmp/kmodkit-bench-verify)
#        RUNS            runs per measurement (default: 3)
#        FORMS           which --kernel forms to time: root vmlinuz deb (default: root; deb adds the
#                        unpacking of a 26 MB image package to every run)
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
repo=$(dirname "$here")
corpus=${KMODKIT_CORPUS:-$repo/../shared/debian}
work=${BENCH_WORK:-/tmp/kmodkit-bench-verify}
runs=${RUNS:-3}
forms=${FORMS:-root}
abis=("$@")
[ ${#abis[@]} -gt 0 ] || abis=(54 55 56)
export KMODKIT_CACHE=$work/cache   # the launcher's class-data archive: keep it out of the user's cache

for tool in qemu-system-x86_64 busybox dpkg-deb python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool missing (scripts/install-test-deps installs the tools)" >&2; exit 3; }
done
[ -f "$repo/kmodkit-cli/target/kmodkit.jar" ] || (cd "$repo" && mvn -q -DskipTests package)
mkdir -p "$work"

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

results=$work/results.md
{
  echo "| kernel | --kernel form | modules | loaded+reloaded | whole command, wall (median of $runs) | its CPU time, user+sys (median) | VM run (median) | guest boot to init (median) | runs, wall | load average before |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
} > "$results"

for abi in "${abis[@]}"; do
  rel=6.1.0-$abi-cloud-amd64
  deb=$(ls "$corpus"/linux-image-$rel-unsigned_*.deb 2>/dev/null | head -1)
  [ -n "$deb" ] || { echo "bench: no image package for $rel in $corpus (set KMODKIT_CORPUS)" >&2; exit 2; }
  root=$work/root-$abi
  if [ ! -f "$root/.done" ]; then
    rm -rf "$root"; dpkg-deb -x "$deb" "$root"; touch "$root/.done"
  fi
  batch=$work/batch-$abi
  rm -rf "$batch"; mkdir -p "$batch"
  n=0
  find "$root/lib/modules/$rel" -name '*.ko' > "$work/index-$abi"
  while read -r name; do
    case "$name" in ''|'#'*) continue ;; esac
    # module names use '_' where file names may use '-' (pci-hyperv-intf.ko is pci_hyperv_intf)
    f=$(awk -v n="$name" '{ b = $0; sub(/.*\//, "", b); sub(/\.ko$/, "", b); gsub(/-/, "_", b); if (b == n) { print; exit } }' "$work/index-$abi")
    [ -n "$f" ] || { echo "bench: $rel has no module $name" >&2; exit 2; }
    cp "$f" "$batch/"; n=$((n+1))
  done < "$here/verify-vm.modules"
  # load in the order the list gives (the mlx5 stack as modprobe loads it)
  load=$(grep -v '^#' "$here/verify-vm.modules" | paste -sd, -)

  for form in $forms; do
    case $form in
      root) kargs=(--root "$root" --kernel "$rel") ;;
      vmlinuz) kargs=(--kernel "$root/boot/vmlinuz-$rel") ;;
      deb) kargs=(--kernel "$deb") ;;
      *) echo "bench: unknown form $form (root, vmlinuz or deb)" >&2; exit 2 ;;
    esac
    : > "$work/times"
    loadavg=$(cut -d' ' -f1 /proc/loadavg)
    for i in $(seq "$runs"); do
      set +e
      /usr/bin/time -f "%e %U %S" -o "$work/time.txt" "$repo/bin/kmodkit" verify --vm --json --accel tcg "${kargs[@]}" --modules "$batch" --load "$load" --work-dir "$work/run" > "$work/out.json" 2> "$work/err.txt"
      rc=$?
      set -e
      [ $rc -eq 0 ] || { echo "bench: run failed (exit $rc) for $rel ($form):" >&2; cat "$work/err.txt" >&2; exit 1; }
      python3 - "$work/out.json" "$work/time.txt" >> "$work/times" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
wall, user, sys_ = (float(x) for x in open(sys.argv[2]).read().split()[-3:])
print(f'{wall:.2f} {user + sys_:.2f} {j["run"]["wall_seconds"]:.2f} {j["run"]["boot_seconds"]:.2f} {j["summary"]["ok"]}')
PY
    done
    whole=$(cut -d' ' -f1 "$work/times" | median)
    cpu=$(cut -d' ' -f2 "$work/times" | median)
    vm=$(cut -d' ' -f3 "$work/times" | median)
    boot=$(cut -d' ' -f4 "$work/times" | median)
    ok=$(cut -d' ' -f5 "$work/times" | sort -u | paste -sd/ -)
    all=$(cut -d' ' -f1 "$work/times" | paste -sd' ' -)
    echo "| $rel | $form | $n | $ok | $whole s | $cpu s | $vm s | $boot s | $all | $loadavg |" | tee -a "$results"
  done
done
echo
cat "$results"
echo "(machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(qemu-system-x86_64 --version | head -1); accel tcg)"
