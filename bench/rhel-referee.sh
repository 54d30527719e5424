#!/usr/bin/env bash
# RHEL's weak-modules as referee for `kmodkit weak-modules` (issue 3), run by hand: CI cannot get
# the script (kmod's dist-git is not reachable from CI, and no copy of it is ever committed here).
#
#   bench/rhel-referee.sh /path/to/weak-modules      (RHEL 9: kmod-28-9.el9 SOURCES/weak-modules)
#
# Builds the root of kmodkit-e2e's WeakRealRootIT (kernels 53 and 55, 55's mlx stack under 55's
# extra/mlnx, hello/hello_user/hello_nonet for 53 under extra/hello), makes two identical copies,
# then in each adds kernel 54 and then 56 (`--add-kernel`, --no-initramfs) with one tool, and
# compares the links per kernel after each step (normalised: path below weak-updates[/kmodkit],
# target as seen inside the root). It also reports what each tool's modules.dep makes of the
# links and where link targets point. Prints a table; exit 1 when the link sets differ.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
script=$(readlink -f "${1:?usage: $0 /path/to/weak-modules}")
work=${BENCH_WORK:-/tmp/kmodkit-weakbench}
mkdir -p "$work"
# shellcheck source=bench/weak-root.sh
. "$here/bench/weak-root.sh"
kmodkit=$here/bin/kmodkit
[ -f "$here/kmodkit-cli/target/kmodkit.jar" ] || (cd "$here" && mvn -q -DskipTests package)

base=$work/referee-base
mlx_root "$base"
rm -rf "$work/referee-rhel" "$work/referee-kmodkit"
cp -a "$base" "$work/referee-rhel"
cp -a "$base" "$work/referee-kmodkit"
R=$work/referee-rhel; K=$work/referee-kmodkit
differ=0
echo "| step | kernel | RHEL weak-modules | kmodkit | same links |"
echo "|---|---|---|---|---|"
for abi in 54 56; do
  rel=$(rel_of "$abi")
  install_kernel "$R" "$abi"; install_kernel "$K" "$abi"
  s=$(date +%s.%N)
  rhel_weak_modules "$script" "$R" --add-kernel "$rel" > "$work/referee-rhel-$abi.log" 2>&1 || echo "RHEL weak-modules exited $? (see $work/referee-rhel-$abi.log)" >&2
  t_r=$(echo "$(date +%s.%N) - $s" | bc)
  s=$(date +%s.%N)
  "$kmodkit" weak-modules --root "$K" --no-initramfs --add-kernel "$rel" > "$work/referee-kmodkit-$abi.log" 2>&1
  t_k=$(echo "$(date +%s.%N) - $s" | bc)
  for k in 53 54 55 56; do
    krel=$(rel_of "$k")
    [ -d "$R/lib/modules/$krel" ] || continue
    links_of "$R" "$krel" | sed "s:DANGLING\:$R/:DANGLING\:<basedir>/:" > "$work/links-rhel-$abi-$k"
    links_of "$K" "$krel" > "$work/links-kmodkit-$abi-$k"
    same=yes
    cmp -s "$work/links-rhel-$abi-$k" "$work/links-kmodkit-$abi-$k" || { same=no; differ=1; }
    fmt() { awk '{n=split($1,a,"/"); m=a[n]; sub(/\.ko.*/,"",m); printf "%s%s", (NR>1?", ":""), m} END{if(NR==0) printf "none"}' "$1"; }
    echo "| add $abi ($(printf '%.1f' "$t_r") s / $(printf '%.1f' "$t_k") s) | $k | $(fmt "$work/links-rhel-$abi-$k") | $(fmt "$work/links-kmodkit-$abi-$k") | $same |"
  done
done
echo
for k in 54 56; do
  krel=$(rel_of "$k")
  if ! cmp -s "$work/links-rhel-56-$k" "$work/links-kmodkit-56-$k"; then
    echo "links of $krel (RHEL < > kmodkit):"; diff "$work/links-rhel-56-$k" "$work/links-kmodkit-56-$k" | sed 's/^/    /' || true
  fi
  echo "a link target of $krel, RHEL:    $(find "$R/lib/modules/$krel/weak-updates" -type l -name '*.ko' 2>/dev/null | head -1 | xargs -r readlink)"
  echo "a link target of $krel, kmodkit: $(find -L "$K/lib/modules/$krel/weak-updates" -name '*.ko' 2>/dev/null | head -1 | xargs -r readlink)"
  for side in R K; do
    dep=${!side}/lib/modules/$krel/modules.dep
    echo "modules.dep of $krel ($([ $side = R ] && echo RHEL || echo kmodkit)): mlx5_ib → $(grep -E '(^|/)mlx5_ib\.ko:' "$dep" | cut -d: -f1 | tr '\n' ' '); weak-updates entries: $(grep -c '^weak-updates/' "$dep" || true)"
  done
  for side in R K; do
    ok=0; all=0
    while read -r l; do
      t=$(readlink "$l"); all=$((all + 1))
      # as the booted system (or a chroot) sees it: an absolute target starts at the root
      if [[ $t == /* ]]; then [ -e "${!side}$t" ] && ok=$((ok + 1)); else [ -e "$(dirname "$l")/$t" ] && ok=$((ok + 1)); fi
    done < <(find -L "${!side}/lib/modules/$krel/weak-updates" -name '*.ko' 2>/dev/null | while read -r f; do
      # the link itself: RHEL's are the files found; kmodkit's sit in the generation behind weak-updates/kmodkit
      [ -L "$f" ] && echo "$f" || true; done)
    echo "links of $krel that resolve inside the image ($([ $side = R ] && echo RHEL || echo kmodkit)): $ok of $all"
  done
  echo "empty directories under weak-updates of $krel: RHEL $(find "$R/lib/modules/$krel/weak-updates" -type d -empty 2>/dev/null | wc -l), kmodkit $(find "$K/lib/modules/$krel/weak-updates" -type d -empty 2>/dev/null | wc -l)"
done
exit $differ
